"""Small helpers for row kinds working on the canonical table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.table import Layout


def numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats (NaN where empty or not a plain number); vectorised in pyarrow."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pa.array(frame[column].array)
    plain = pc.match_substring_regex(values, r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$")
    kept = pc.if_else(plain, values, pa.scalar(None, values.type))
    floats = pc.cast(kept, pa.float64())
    return np.asarray(floats.to_numpy(zero_copy_only=False), dtype=float)


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text (empty string where missing)."""
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype="str")
    return frame[column].fillna("").str.strip()


def sibling(layout: Layout, column: str, name: str) -> str:
    """The column of property `name` in the same list item: (ChargingFacilities.2.Power, PowerType)
    -> ChargingFacilities.2.PowerType."""
    item = layout.item_of(column)
    return f"{item[0]}.{item[1]}.{name}" if item else name


def is_in(frame: pd.DataFrame, column: str, values: list[str] | tuple[str, ...]) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[column].isin(list(values)), dtype=bool)


def blank_details(length: int) -> np.ndarray:
    return np.full(length, "", dtype=object)


def present(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Per row: does the column have a value (False everywhere when the column is absent)?"""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[column].notna(), dtype=bool)


def conditions(frame: pd.DataFrame, when: Mapping[str, object]) -> np.ndarray:
    """Per row: do all `when` columns hold one of their expected values (case and surrounding
    spaces ignored)? An absent column holds nothing, so the condition does not apply."""
    applies = np.ones(len(frame), dtype=bool)
    for column, expected in when.items():
        values = expected if isinstance(expected, list) else [expected]
        accepted = [str(v).casefold() for v in values]
        applies &= np.asarray(text(frame, column).str.casefold().isin(accepted), dtype=bool)
    return applies


def language_column(frame: pd.DataFrame, column: str, known: bool) -> np.ndarray:
    """Per row, for an InfoText column: passes unless the column's language is not `known`
    and the row has a text in it."""
    if known:
        return np.ones(len(frame), dtype=bool)
    return ~present(frame, column)
