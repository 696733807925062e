"""Small helpers for row kinds working on the canonical table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks.context import CheckContext
from poicheck.oicp.identifiers import normalise_ids
from poicheck.table import Distinct


def numbers(frame: pd.DataFrame, column: str, layout: CheckContext | None = None) -> np.ndarray:
    """A column as floats (NaN where empty or not a plain number); vectorised in pyarrow.
    With the table's `layout`, parsed once per distinct value and once per table."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    if layout is None:
        return _floats(pa.array(frame[column].array))

    def compute() -> np.ndarray:
        distinct = layout.distinct(frame, column)
        # An empty cell's code is -1: it picks the NaN put at the end.
        parsed = np.append(_floats(distinct.values), np.nan)[distinct.codes]
        parsed.flags.writeable = False  # shared by every check of the table
        return parsed

    return layout.memo(f"numbers:{column}", compute)


def _floats(values: pa.Array) -> np.ndarray:
    plain = pc.match_substring_regex(values, r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$")
    kept = pc.if_else(plain, values, pa.scalar(None, values.type))
    floats = pc.cast(kept, pa.float64())
    result = np.asarray(floats.to_numpy(zero_copy_only=False), dtype=float)
    return result if len(result) else np.full(0, np.nan)


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text (empty string where missing), cell by cell: for a few rows
    (the failing ones); whole columns are judged per distinct value (`stripped`)."""
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype="str")
    return frame[column].fillna("").str.strip()


def stripped(frame: pd.DataFrame, column: str, layout: CheckContext) -> Distinct:
    """A column's distinct values stripped of surrounding spaces, with each cell's number
    among them (-1 for an empty cell, or everywhere when the column is absent); once per
    table. Stripping may make two values equal: a verdict per value is still right."""
    if column not in frame.columns:
        return Distinct(pa.array([], pa.large_string()), np.full(len(frame), -1, dtype=np.int32))

    def compute() -> Distinct:
        distinct = layout.distinct(frame, column)
        return Distinct(pc.utf8_trim_whitespace(distinct.values), distinct.codes)

    return layout.memo(f"stripped:{column}", compute)


def normalised(frame: pd.DataFrame, column: str, layout: CheckContext, *, strip: bool) -> pa.Array:
    """A column's distinct values normalised as IDs (`poicheck.oicp.identifiers.normalise_id`; with
    `strip`, of the stripped values), numbered as `layout.distinct`; once per table."""

    def compute() -> pa.Array:
        cells = stripped(frame, column, layout) if strip else layout.distinct(frame, column)
        values = cells.values
        return normalise_ids(values)

    return layout.memo(f"normalised:{column}:{strip}", compute)


def mapped(
    frame: pd.DataFrame, column: str, layout: CheckContext, mapping: Mapping[str, float]
) -> np.ndarray:
    """Per row, the number `mapping` gives the column's stripped text (NaN for other texts
    and empty cells), looked up once per distinct value."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    cells = stripped(frame, column, layout)
    per_value = np.array([mapping.get(str(t), np.nan) for t in cells.values.to_pylist()])
    return np.append(per_value.astype(float), np.nan)[cells.codes]  # empty (-1): NaN


def sibling(layout: CheckContext, column: str, name: str) -> str:
    """The column of property `name` in the same list item: (ChargingFacilities.2.Power, PowerType)
    -> ChargingFacilities.2.PowerType."""
    item = layout.item_of(column)
    return f"{item[0]}.{item[1]}.{name}" if item else name


def is_in(
    frame: pd.DataFrame, column: str, values: list[str] | tuple[str, ...], layout: CheckContext
) -> np.ndarray:
    """Per row: is the cell one of `values` (exactly)? Judged once per distinct value."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    distinct = layout.distinct(frame, column)
    wanted = pa.array([str(v) for v in values], pa.large_string())
    return distinct.broadcast(pc.is_in(distinct.values, value_set=wanted))


def blank_details(length: int) -> np.ndarray:
    return np.full(length, "", dtype=object)


def present(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Per row: does the column have a value (False everywhere when the column is absent)?"""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[column].notna(), dtype=bool)


def conditions(
    frame: pd.DataFrame, when: Mapping[str, object], layout: CheckContext | None = None
) -> np.ndarray:
    """Per row: do all `when` columns hold one of their expected values (case and surrounding
    spaces ignored)? An absent column holds nothing, so the condition does not apply."""
    applies = np.ones(len(frame), dtype=bool)
    for column, expected in when.items():
        values = expected if isinstance(expected, list) else [expected]
        accepted = {str(v).casefold() for v in values}
        if layout is None or column not in frame.columns:
            folded = text(frame, column).str.casefold()
            applies &= np.asarray(folded.isin(list(accepted)), dtype=bool)
        else:
            cells = stripped(frame, column, layout)
            texts = cells.values.to_pylist()
            hit = np.array([str(t).casefold() in accepted for t in texts], dtype=bool)
            applies &= cells.broadcast(hit, empty="" in accepted)
    return applies


def language_column(frame: pd.DataFrame, column: str, known: bool) -> np.ndarray:
    """Per row, for an InfoText column: passes unless the column's language is not `known`
    and the row has a text in it."""
    if known:
        return np.ones(len(frame), dtype=bool)
    return ~present(frame, column)
