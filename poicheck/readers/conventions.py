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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.ruleset.model import Property
from poicheck.table import Layout

COMMA_DECIMAL = re.compile(r"(-?)([0-9]+),([0-9]+)")
DOT_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
# Boolean spellings of spreadsheet programs and their users, by language. A column written
# only in these (no true/false at all) follows a convention and is read as true/false.
BOOLEAN_WORDS = {
    "1": "true",
    "0": "false",
    "yes": "true",
    "no": "false",
    "ja": "true",
    "nein": "false",
    "wahr": "true",
    "falsch": "false",
    "oui": "true",
    "non": "false",
    "vrai": "true",
    "faux": "false",
    "si": "true",
    "sí": "true",
    "sì": "true",
    "vero": "true",
    "falso": "false",
    "waar": "true",
    "onwaar": "false",
    "nee": "false",
}


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


def survey(frame: pd.DataFrame, layout: Layout, offset: int = 0) -> Survey:
    """The survey of `frame`, whose first row is record `offset` of the file."""
    found = Survey()
    for name, prop in numeric_columns(frame, layout).items():
        values = pc.utf8_trim_whitespace(pa.array(frame[name].array))
        if pc.any(pc.match_substring_regex(values, f"^{DOT_DECIMAL.pattern}$")).as_py():
            found.dot_decimal = True
        rewritten = _comma_cells(frame[name], values, prop)
        if rewritten:
            records = list(rewritten)
            first = records[0]
            old = str(frame[name].iloc[first])
            found.commas[name] = Rewritten(len(records), offset + first, old, rewritten[first])
    for name, prop in layout.property_of.items():
        if prop.base == "boolean" and name in frame.columns and frame[name].notna().any():
            found.booleans[name] = _boolean_spelling(frame[name], offset)
    return found


def apply(frame: pd.DataFrame, layout: Layout, found: Survey) -> pd.DataFrame:
    """`frame` with the conventions of the (whole file's) survey applied to its cells."""
    numeric = numeric_columns(frame, layout)
    for name in found.decimal_comma:
        if name in numeric:
            values = pc.utf8_trim_whitespace(pa.array(frame[name].array))
            rewritten = _comma_cells(frame[name], values, numeric[name])
            if rewritten:
                series = frame[name].copy()
                records = np.fromiter(rewritten, dtype=np.int64, count=len(rewritten))
                series.iloc[records] = list(rewritten.values())
                frame = frame.assign(**{name: series})
    for name in found.boolean_words:
        if name in frame.columns:
            original = frame[name]
            values = pa.array(original.array, type=pa.large_string())
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            encoded = pc.dictionary_encode(values)
            trimmed = pc.utf8_trim_whitespace(encoded.dictionary).to_pylist()
            words = pa.array(
                [BOOLEAN_WORDS[str(t).casefold()] for t in trimmed], type=pa.large_string()
            )
            spelled: Any = pd.array(pc.take(words, encoded.indices), dtype=original.dtype)
            frame = frame.assign(**{name: pd.Series(spelled, index=original.index)})
    return frame


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


def _comma_cells(series: pd.Series, trimmed: pa.Array, prop: Property) -> dict[int, str]:
    """Record (in `series`) -> rewritten text, for the cells a decimal comma convention
    rewrites. Numbers are read whatever they are (3,7 kW becomes 3.7, which PWR007 then
    reports); a pattern column only takes a value its pattern accepts."""
    found = pc.match_substring_regex(trimmed, f"^{COMMA_DECIMAL.pattern}$")
    records = np.flatnonzero(np.asarray(pc.fill_null(found, False)))
    if not len(records):
        return {}
    written = [str(v).strip() for v in series.iloc[records]]
    distinct = list(dict.fromkeys(written))
    dotted = [_dotted(text, prop) for text in distinct]
    check = _validator(prop)
    if prop.base in ("integer", "decimal") or check is None:
        accepted = [True] * len(dotted)
    else:
        accepted = list(check(pa.array(dotted, type=pa.large_string())))
    new = {old: d for old, d, ok in zip(distinct, dotted, accepted, strict=True) if ok}
    return {int(r): new[w] for r, w in zip(records, written, strict=True) if w in new}


def _dotted(text: str, prop: Property) -> str:
    match = COMMA_DECIMAL.fullmatch(text)
    if match is None:
        return text
    sign, whole, fraction = match.groups()
    if prop.base == "integer" and set(fraction) == {"0"}:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction}"


def _boolean_spelling(series: pd.Series, offset: int) -> Rewritten | None:
    """A boolean column's spelling: its rewrite when every cell is a vocabulary word, None
    when one is not."""
    values = pa.array(series.array, type=pa.large_string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    # pandas' str.strip is pyarrow's utf8_trim_whitespace; casefold is Python's.
    trimmed = pc.utf8_trim_whitespace(encoded.dictionary).to_pylist()
    if not {str(t).casefold() for t in trimmed} <= BOOLEAN_WORDS.keys():
        return None
    filled = np.flatnonzero(np.asarray(pc.is_valid(encoded.indices)))
    first = int(filled[0])
    written = str(series.iloc[first])
    spellings = frozenset(str(v).strip() for v in encoded.dictionary.to_pylist())
    return Rewritten(len(filled), offset + first, written, "", spellings)
