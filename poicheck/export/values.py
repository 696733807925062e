"""Each distinct value of a column as the JSON `Builder` writes for it (issue 22).

Builder turns a record's cells into typed values one record at a time; here every distinct
value of a column is turned into its JSON text once, by Builder's own functions (`typed`,
`tidy`, the list split, the opening-times grammar, the coordinate notations), and records
pick their pieces by number (`poicheck.export.lines`). Columns of many distinct plain texts
(EvseIDs, names, coordinates) are quoted by pyarrow; a text json.dumps would escape, or a
coordinate with more than six decimals, goes through the same Python functions.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.oicp import coordinates as geo
from poicheck.oicp.cells import LIST_SEPARATOR, tidied, tidy
from poicheck.oicp.cells import parse_opening_times as parse_cell
from poicheck.oicp.to_json import Builder, _at_most_six, typed
from poicheck.ruleset.model import Property

ENCODE = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a str as
TEXT = pa.large_string()
# Distinct values of a plain text column from which the quoting runs in pyarrow.
VECTOR_FROM = 2048
# What json.dumps escapes in a string (ensure_ascii=False): '"', '\' and C0 controls.
_ESCAPED = '["\\\\\\x00-\\x1f]'
# The characters str.strip removes (none is beyond U+3000), as a class for pyarrow's RE2.
SPACE_CHARS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SPACE_CHARS) + "]*"
BLANK_TEXT = f"^{_SPACE}$"  # a text str.strip makes empty
# build.DEGREES on the stripped text, and such a number with more than six decimals.
_DEGREES = f"^{_SPACE}-?[0-9]{{1,3}}(\\.[0-9]+)?{_SPACE}$"
_SEVEN_DECIMALS = "\\.[0-9]{7,}"
SEPARATOR = b",\n      "  # before each record line of a request but the first
PLAIN_BASES = frozenset({"boolean", "integer", "decimal"})  # the bases `typed` converts


def to_json(value: Any) -> str:
    """A value as json.dumps writes it inside a record."""
    if type(value) is str:
        return ENCODE(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


class Column:
    """One column's distinct values as JSON.

    `json` has the JSON of each distinct value ("" for a value Builder takes as empty) and
    one "" more at the end, for an empty cell (number -1); `filled` says which are values.
    `values` are the typed values (for the schema check), or None when the column was
    quoted by pyarrow (its values are its texts then: `texts`).
    """

    def __init__(
        self, texts: pa.Array | None, json_texts: pa.Array, values: list[Any] | None
    ) -> None:
        filled = np.asarray(json_texts.is_valid())
        self.texts = texts
        self.values = values
        # Per value: is its JSON what reading it back as a previous record and building it
        # again gives (`ValueJSON.fixed`)? None until asked.
        self.fixed: np.ndarray | None = None
        self.filled = np.append(filled, False)
        self.json = pa.concat_arrays([json_texts.fill_null(""), pa.array([""], TEXT)])

        self._keyed: dict[str, pa.Array] = {}

    def keyed(self, prefix: str, *, cache: bool = True) -> pa.Array:
        """`json` with `prefix` before each value ("" stays "")."""
        found = self._keyed.get(prefix)
        if found is None:
            joined = pc.binary_join_element_wise(_literal(prefix), self.json, _literal(""))
            found = pc.if_else(pa.array(self.filled), joined, _literal(""))
            if cache:
                self._keyed[prefix] = found
        return found

    def framed(self, opening: str, closing: str) -> Column:
        """The values between `opening` and `closing` (an InfoText's object)."""
        found = self._keyed.get(opening + "\0" + closing)
        if found is None:
            joined = pc.binary_join_element_wise(
                _literal(opening), self.json, _literal(closing), _literal("")
            )
            found = pc.if_else(pa.array(self.filled), joined, pa.scalar(None, type=TEXT))
            self._keyed[opening + "\0" + closing] = found
        framed = Column(self.texts, found[:-1], self.values)
        framed.fixed = self.fixed
        return framed

    def index(self, codes: np.ndarray) -> np.ndarray:
        """Numbers into `json` / `filled` for cells of these codes (-1: empty)."""
        return np.where(codes < 0, len(self.filled) - 1, codes)

    def python_values(self) -> list[Any]:
        """The value of each distinct text (None where Builder has none)."""
        if self.values is not None:
            return [None if v is BLANK else v for v in self.values]
        assert self.texts is not None
        texts = self.texts.to_pylist()
        return [t if ok else None for t, ok in zip(texts, self.filled, strict=False)]


BLANK = object()


def _literal(text: str) -> pa.Scalar:
    return pa.scalar(text, type=TEXT)


class ValueJSON:
    """Per-value conversions of one Builder (its rule set, notation and tidied fields)."""

    def __init__(self, builder: Builder) -> None:
        types = builder.model.ruleset.types
        self.days = tuple(types["DayValueType"].enum or ())
        self.time = types["PeriodTimeType"].pattern or ""
        self.tidied = builder._tidied
        self.notation = builder.geo_format

    def leaf(self, prop: Property, distinct: pa.Array) -> Column:
        """A scalar, list or opening-times column (Builder._value)."""
        texts_tidied = prop.path in self.tidied
        plain = prop.shape == "scalar" and prop.base not in PLAIN_BASES
        if plain and len(distinct) >= VECTOR_FROM:
            texts = quoted_texts(distinct, texts_tidied)
            return Column(texts, quoted(distinct, texts_tidied), None)
        values = [self.value(prop, text) for text in distinct.to_pylist()]
        return _column(distinct, values)

    def info_text(self, prop: Property, distinct: pa.Array) -> Column:
        """An InfoText's text: the cell as it is (tidied for TXT012), never typed."""
        texts_tidied = f"{prop.path}.*" in self.tidied
        if len(distinct) >= VECTOR_FROM:
            texts = quoted_texts(distinct, texts_tidied)
            return Column(texts, quoted(distinct, texts_tidied), None)
        values = [
            BLANK if t.strip() == "" else tidy(t) if texts_tidied else t
            for t in distinct.to_pylist()
        ]
        return _column(distinct, values)

    def value(self, prop: Property, text: str) -> Any:
        """Builder._value of one cell (BLANK for a cell Builder takes as empty)."""
        if text.strip() == "":
            return BLANK
        if prop.shape == "scalar":
            value = typed(prop, text)
            return tidy(value) if isinstance(value, str) and prop.path in self.tidied else value
        if prop.shape == "list":
            return [item for item in LIST_SEPARATOR.split(text.strip()) if item]
        parsed = parse_cell(text, self.days, self.time)
        return parsed if parsed is not None else text

    def axis(self, distinct: pa.Array) -> tuple[Column, np.ndarray, Column | None]:
        """A coordinate column (Builder._geo): its JSON in decimal degrees, whether each value
        can be converted, and its JSON in the chosen other notation (a Google pair's half
        without quotes)."""
        convertible = pc.match_substring_regex(distinct, _DEGREES)
        decimal = quoted(distinct, False)
        rounded = pc.and_(convertible, pc.match_substring_regex(distinct, _SEVEN_DECIMALS))
        if pc.any(rounded).as_py():  # more decimals than OICP's six: rounded
            odd = [to_json(_at_most_six(t)) for t in distinct.filter(rounded).to_pylist()]
            decimal = pc.replace_with_mask(decimal, rounded, pa.array(odd, type=TEXT))
        ok = np.append(np.asarray(convertible), False)
        if self.notation == "DecimalDegree":
            return Column(distinct, decimal, None), ok, None
        other: list[str | None] = [None] * len(distinct)
        where = np.flatnonzero(ok[:-1])
        for at, text in zip(where, distinct.take(pa.array(where)).to_pylist(), strict=True):
            if self.notation == "Google":
                other[at] = ENCODE(geo.format_decimal(str(text)))[1:-1]
            else:
                other[at] = ENCODE(geo.decimal_to_dms(str(text), exact=True))
        return Column(distinct, decimal, None), ok, Column(distinct, pa.array(other, TEXT), None)


def _column(distinct: pa.Array, values: list[Any]) -> Column:
    texts = [None if v is BLANK else to_json(v) for v in values]
    return Column(distinct, pa.array(texts, type=TEXT), values)


def quoted_texts(values: pa.Array, tidy_texts: bool) -> pa.Array:
    """The texts `quoted` writes (tidied if asked)."""
    return tidied(values) if tidy_texts else values


def quoted(values: pa.Array, tidy_texts: bool) -> pa.Array:
    """`to_json` of each text (tidied first if asked), null for a blank one, vectorised: a
    text with nothing json.dumps escapes is put in quotes by pyarrow, the others by json."""
    blank = pc.match_substring_regex(values, BLANK_TEXT)
    texts = quoted_texts(values, tidy_texts)
    escaped = pc.match_substring_regex(texts, _ESCAPED)
    quote = pa.scalar('"', type=TEXT)
    out = pc.binary_join_element_wise(quote, texts, quote, pa.scalar("", type=TEXT))
    if pc.any(escaped).as_py():
        mask = escaped.fill_null(False)
        odd = [to_json(t) for t in texts.filter(mask).to_pylist()]
        out = pc.replace_with_mask(out, mask, pa.array(odd, type=TEXT))
    return pc.if_else(blank, pa.scalar(None, type=TEXT), out)
