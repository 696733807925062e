"""File-wide spelling conventions: decimal commas and boolean vocabularies.

A convention is a property of the whole file, never of one cell: every decimal number written
with a decimal comma (a German Excel export), or a boolean column spelled throughout in another
vocabulary (WAHR/FALSCH, ja/nein, 1/0). Such a column is rewritten with one info finding per
column (TBL008, TBL009); the same spelling in a few cells among canonical ones is a typo that
the field rule reports.

Because it is file-wide, a convention is decided on a `Survey` of all records. A survey of a
chunk can be merged with the surveys of the other chunks, so that a file read in chunks is
rewritten exactly as the same file read at once (`poicheck.stream`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.oicp.cells import BOOLEAN_WORDS
from poicheck.ruleset.model import Property
from poicheck.table import Distinct, Layout

COMMA_DECIMAL = re.compile(r"(-?)([0-9]+),([0-9]+)")
DOT_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")


@dataclass(frozen=True)
class Rewritten:
    """The cells of one column a convention rewrites: how many, and the first of them
    (its record in the whole file, the cell as written, and as rewritten)."""

    count: int
    record: int
    written: str
    example: str
    spellings: frozenset[str] = frozenset()

    def merged(self, other: Rewritten) -> Rewritten:
        first = self if self.record <= other.record else other
        return Rewritten(
            self.count + other.count,
            first.record,
            first.written,
            first.example,
            self.spellings | other.spellings,
        )


@dataclass
class Survey:
    """What the conventions depend on, over the records seen so far.

    `booleans` maps a boolean column to its rewrite, or to None once a cell outside the
    vocabulary was seen (then the column is no convention, whatever else it holds).
    """

    dot_decimal: bool = False
    commas: dict[str, Rewritten] = field(default_factory=dict)
    booleans: dict[str, Rewritten | None] = field(default_factory=dict)

    def merge(self, other: Survey) -> Survey:
        commas = dict(self.commas)
        for name, rewritten in other.commas.items():
            commas[name] = commas[name].merged(rewritten) if name in commas else rewritten
        booleans = dict(self.booleans)
        for name, spelled in other.booleans.items():
            if name not in booleans:
                booleans[name] = spelled
            else:
                mine = booleans[name]
                booleans[name] = None if mine is None or spelled is None else mine.merged(spelled)
        return Survey(self.dot_decimal or other.dot_decimal, commas, booleans)

    @property
    def decimal_comma(self) -> dict[str, Rewritten]:
        """Columns written with a decimal comma (none when any number has a decimal point)."""
        return {} if self.dot_decimal else self.commas

    @property
    def boolean_words(self) -> dict[str, Rewritten]:
        return {name: spelled for name, spelled in self.booleans.items() if spelled is not None}


def survey(
    frame: pd.DataFrame,
    layout: Layout,
    offset: int = 0,
    encoded: Mapping[str, Distinct] | None = None,
) -> Survey:
    """The survey of `frame`, whose first row is record `offset` of the file (`encoded`:
    the distinct values of its columns, where known)."""
    found = Survey()
    for name, prop in numeric_columns(frame, layout).items():
        distinct = _distinct(frame, name, encoded)
        trimmed = pc.utf8_trim_whitespace(distinct.values)
        dotted = np.asarray(pc.match_substring_regex(trimmed, f"^{DOT_DECIMAL.pattern}$"))
        if (dotted & distinct.used).any():
            found.dot_decimal = True
        rewritten = _comma_cells(frame[name], distinct, prop)
        if rewritten:
            records = list(rewritten)
            first = records[0]
            old = str(frame[name].iloc[first])
            found.commas[name] = Rewritten(len(records), offset + first, old, rewritten[first])
    for name, prop in layout.property_of.items():
        if prop.base == "boolean" and name in frame.columns:
            distinct = _distinct(frame, name, encoded)
            if distinct.used.any():
                found.booleans[name] = _boolean_spelling(frame[name], distinct, offset)
    return found


def apply(
    frame: pd.DataFrame,
    layout: Layout,
    found: Survey,
    encoded: Mapping[str, Distinct] | None = None,
) -> tuple[pd.DataFrame, set[str]]:
    """`frame` with the conventions of the (whole file's) survey applied to its cells, and
    the columns that changed."""
    changed: set[str] = set()
    numeric = numeric_columns(frame, layout)
    for name in found.decimal_comma:
        if name in numeric:
            rewritten = _comma_cells(frame[name], _distinct(frame, name, encoded), numeric[name])
            if rewritten:
                series = frame[name].copy()
                records = np.fromiter(rewritten, dtype=np.int64, count=len(rewritten))
                series.iloc[records] = list(rewritten.values())
                frame = frame.assign(**{name: series})
                changed.add(name)
    for name in found.boolean_words:
        if name in frame.columns:
            original = frame[name]
            distinct = _distinct(frame, name, encoded)
            trimmed = pc.utf8_trim_whitespace(distinct.values).to_pylist()
            words = pa.array(
                [BOOLEAN_WORDS.get(str(t).casefold()) for t in trimmed], type=pa.large_string()
            )
            spelled: Any = pd.array(pc.take(words, distinct.indices), dtype=original.dtype)
            frame = frame.assign(**{name: pd.Series(spelled, index=original.index)})
            changed.add(name)
    return frame, changed


def _distinct(frame: pd.DataFrame, name: str, encoded: Mapping[str, Distinct] | None) -> Distinct:
    known = (encoded or {}).get(name)
    return known if known is not None else Distinct.of(frame[name])


def numeric_columns(frame: pd.DataFrame, layout: Layout) -> dict[str, Property]:
    """Columns that hold decimal numbers: integer and decimal properties, and text properties
    whose pattern takes decimals (coordinates)."""
    out: dict[str, Property] = {}
    for name in frame.columns:
        prop = layout.property_of.get(name)
        if prop is not None and not prop.enum and _takes_decimals(prop):
            out[name] = prop
    return out


@functools.cache
def _takes_decimals(prop: Property) -> bool:
    if prop.base in ("integer", "decimal"):
        return True
    check = _validator(prop) if prop.pattern else None
    return check is not None and bool(check(pa.array(["1.5", "-10.25"])).all())


def _validator(prop: Property) -> Callable[[pa.Array], np.ndarray] | None:
    from poicheck.readers.damage import validator

    return validator(prop)


def _comma_cells(series: pd.Series, distinct: Distinct, prop: Property) -> dict[int, str]:
    """Record (in `series`) -> rewritten text, for the cells a decimal comma convention
    rewrites. Numbers are read whatever they are (3,7 kW becomes 3.7, which PWR007 then
    reports); a pattern column only takes a value its pattern accepts."""
    trimmed = pc.utf8_trim_whitespace(distinct.values)
    commas = np.asarray(pc.match_substring_regex(trimmed, f"^{COMMA_DECIMAL.pattern}$"))
    if not (commas & distinct.used).any():
        return {}
    texts = trimmed.to_pylist()
    dotted = {int(i): _dotted(texts[i], prop) for i in np.flatnonzero(commas & distinct.used)}
    check = _validator(prop)
    if prop.base not in ("integer", "decimal") and check is not None:
        accepted = check(pa.array(list(dotted.values()), type=pa.large_string()))
        dotted = {i: d for (i, d), ok in zip(dotted.items(), accepted, strict=True) if ok}
    if not dotted:
        return {}
    rewritten = np.zeros(len(texts), dtype=bool)
    rewritten[list(dotted)] = True
    records = np.flatnonzero(distinct.broadcast(rewritten))
    codes = distinct.codes[records]
    return {int(r): dotted[int(c)] for r, c in zip(records, codes, strict=True)}


def _dotted(text: str, prop: Property) -> str:
    match = COMMA_DECIMAL.fullmatch(text)
    if match is None:
        return text
    sign, whole, fraction = match.groups()
    if prop.base == "integer" and set(fraction) == {"0"}:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction}"


def _boolean_spelling(series: pd.Series, distinct: Distinct, offset: int) -> Rewritten | None:
    """A boolean column's spelling: its rewrite when every cell is a vocabulary word, None
    when one is not."""
    held = distinct.values.filter(pa.array(distinct.used))
    # pandas' str.strip is pyarrow's utf8_trim_whitespace; casefold is Python's.
    trimmed = pc.utf8_trim_whitespace(held).to_pylist()
    if not {str(t).casefold() for t in trimmed} <= BOOLEAN_WORDS.keys():
        return None
    filled = np.flatnonzero(distinct.codes >= 0)
    first = int(filled[0])
    written = str(series.iloc[first])
    spellings = frozenset(str(v).strip() for v in held.to_pylist())
    return Rewritten(len(filled), offset + first, written, "", spellings)
