"""What spreadsheets and their exports do to values, found per canonical column.

The readers call `analyse` once the canonical table is built. Its judgements are about how a
value was *stored or written*, never about what it means (that is what rules are for):

- Certain intent: the cell is rewritten in the table, with an info finding saying so.
  Invisible characters, non-breaking spaces and wrapping quotes around an enumeration value,
  spaces around any typed value (only when the cleaned value is valid: otherwise the field rule
  reports the value as it is); and a *file-wide convention*: every decimal number written with
  a decimal comma (a German Excel export), or a boolean column spelled throughout in another
  vocabulary (WAHR/FALSCH, ja/nein, 1/0), one finding per column. The same spelling in a few
  cells among canonical ones is a typo, which the field rule reports: a file that writes
  52.52 everywhere but 48,20 once has a mistake in that cell, not a convention.
- Lost information (a number where text was required, an ID Excel made a date, a cell longer
  than a spreadsheet can hold): an error finding at the cell, the cell left as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks import get_kind
from poicheck.engine import workers as parallel
from poicheck.readers import conventions
from poicheck.ruleset.model import Property, RuleSet
from poicheck.ruleset.reader_ids import (
    BOOLEAN_SPELLING,
    DECIMAL_COMMAS,
    DIGITS_LOST,
    INVISIBLE_CHARACTERS,
    LEADING_ZERO_LOST,
    OVERSIZED_CELL,
    PHONE_NUMBER_AS_NUMBER,
    VALUE_MADE_A_DATE,
)
from poicheck.table import Distinct, Layout

MAX_CELL = 32_767  # the most characters an Excel cell holds
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
NO_BREAK = "\u00a0\u2007\u202f"
QUOTES = "\"'\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b\u00ab\u00bb\u2039\u203a`\u00b4"
STRAY = "^\\s|\\s$|\\s\\s|[" + NO_BREAK + "".join(chr(c) for c in INVISIBLE) + QUOTES + "]"
SCIENTIFIC = re.compile(r"[+-]?[0-9]([.,][0-9]+)?[Ee]\+[0-9]{1,3}")
DATE_TYPES = (dt.date, dt.time, dt.timedelta)


@dataclass(frozen=True)
class Issue:
    """A reader finding about one cell (record = 0-based row of the canonical table)."""

    rule: str
    record: int
    field: str
    value: str | None
    details: Mapping[str, Any] = dataclass_field(default_factory=dict)


Validator = Callable[[pa.Array], np.ndarray]


@functools.cache
def validator(prop: Property) -> Validator | None:
    """The syntax check of a property, as the field rules run it (ranges left out)."""
    if prop.enum:
        name = "enum_list" if prop.shape == "list" else "enum"
    elif prop.base in ("boolean", "integer", "decimal"):
        name = prop.base
    elif prop.pattern:
        name = "pattern"
    else:
        return None
    kind = get_kind(name)
    params = {k: v for k, v in kind.defaults(prop).items() if k not in ("min", "max")}
    return lambda values: np.asarray(kind.func(values, params), dtype=bool)  # type: ignore[misc]


def analyse(
    frame: pd.DataFrame,
    ruleset: RuleSet,
    natives: Mapping[str, Mapping[int, Any]] | None = None,
    *,
    survey: conventions.Survey | None = None,
    offset: int = 0,
    encoded: Mapping[str, Distinct] | None = None,
) -> tuple[pd.DataFrame, list[Issue], dict[str, Distinct]]:
    """Rewrite what is certain and find what is lost; return the new frame and the issues.

    `natives` holds, per column, the native spreadsheet values that are not text (numbers,
    dates), by record. A chunk of a file (its first row being record `offset`) is rewritten
    by the conventions of the whole file's `survey` (see `cleaned` and `conventions`).
    `encoded` holds the distinct values of columns, where known; the distinct values of the
    columns left as they were are returned for the engine.
    """
    layout = Layout(frame.columns, ruleset)
    natives = natives or {}
    issues: list[Issue] = []
    distinct = dict(encoded or {})
    result = _per_cell(frame, layout, natives, issues, distinct)
    if survey is None:
        survey = conventions.survey(result, layout, offset, distinct)
    applied, changed = conventions.apply(result, layout, survey, distinct)
    distinct = {k: v for k, v in distinct.items() if k not in changed}
    issues.extend(_convention_issues(survey, offset, len(applied)))
    issues.extend(_lost_zeros(applied, layout, natives))
    return applied, issues, distinct


def cleaned(
    frame: pd.DataFrame, ruleset: RuleSet, encoded: Mapping[str, Distinct]
) -> tuple[pd.DataFrame, dict[str, Distinct]]:
    """`frame` rewritten cell by cell as `analyse` does, conventions not yet applied: what
    the survey of a chunk is taken on; with its columns' distinct values."""
    distinct = dict(encoded)
    return _per_cell(frame, Layout(frame.columns, ruleset), {}, [], distinct), distinct


def _per_cell(
    frame: pd.DataFrame,
    layout: Layout,
    natives: Mapping[str, Mapping[int, Any]],
    issues: list[Issue],
    encoded: dict[str, Distinct],
) -> pd.DataFrame:
    """Cells rewritten one by one; `encoded` has (or gets) the distinct values of each
    column, as rewritten. Columns are done in threads for a large table (the work is
    pyarrow's, which releases the interpreter lock)."""
    names = [str(name) for name in frame.columns]

    def column(name: str) -> tuple[pd.Series, Distinct, list[Issue]]:
        return _column(name, frame[name], layout, natives.get(name, {}), encoded.get(name))

    done = parallel.in_threads(column, names, len(frame))
    out: dict[str, pd.Series] = {}
    for name, (series, distinct, found) in zip(names, done, strict=True):
        out[name], encoded[name] = series, distinct
        issues.extend(found)
    return pd.DataFrame(out, index=frame.index) if out else frame


def _column(
    name: str,
    series: pd.Series,
    layout: Layout,
    native: Mapping[int, Any],
    distinct: Distinct | None,
) -> tuple[pd.Series, Distinct, list[Issue]]:
    issues: list[Issue] = []
    distinct = distinct or Distinct.of(series)
    if distinct.longest() > MAX_CELL:
        series = _oversized(name, series, issues)
        distinct = Distinct.of(series)
    prop = layout.property_of.get(name)
    if prop is not None:
        issues.extend(_native_damage(name, prop, native))
        issues.extend(_scientific(name, prop, native, series, distinct))
        cleaned_series = _cleaned(name, prop, series, distinct, issues)
        if cleaned_series is not series:
            series, distinct = cleaned_series, Distinct.of(cleaned_series)
    return series, distinct, issues


def _convention_issues(survey: conventions.Survey, offset: int, length: int) -> list[Issue]:
    """TBL008/TBL009 for the conventions whose first rewritten cell is in this chunk."""
    issues = []
    for name, done in survey.decimal_comma.items():
        if offset <= done.record < offset + length:
            details = {"count": _cells(done.count), "example": done.example}
            issues.append(Issue(DECIMAL_COMMAS, done.record - offset, name, done.written, details))
    for name, done in survey.boolean_words.items():
        if offset <= done.record < offset + length:
            words = sorted(done.spellings, key=str.casefold)
            details = {
                "spellings": "/".join(f"'{w}'" for w in words[:6]),
                "count": _cells(done.count),
            }
            issues.append(
                Issue(BOOLEAN_SPELLING, done.record - offset, name, done.written, details)
            )
    return issues


def _oversized(name: str, series: pd.Series, issues: list[Issue]) -> pd.Series:
    lengths = pc.utf8_length(pa.array(series.array))
    long = np.flatnonzero(np.asarray(pc.fill_null(pc.greater(lengths, MAX_CELL), False)))
    series = series.copy()
    for record in (int(i) for i in long):
        text = str(series.iloc[record])
        issues.append(
            Issue(OVERSIZED_CELL, record, name, text[:60] + "…", {"size": f"{len(text):,}"})
        )
        series.iloc[record] = text[:MAX_CELL]
    return series


def _native_damage(name: str, prop: Property, natives: Mapping[int, Any]) -> list[Issue]:
    """Numbers where text was required and dates made of text, as Excel stored them."""
    from poicheck.readers.xlsx.celltexts import cell_text

    numbers = prop.base == "string" and not prop.enum
    plus = bool(prop.pattern and prop.pattern.startswith("^\\+"))
    issues: list[Issue] = []
    for record, value in natives.items():
        if isinstance(value, DATE_TYPES):
            if prop.base != "datetime":
                issues.append(Issue(VALUE_MADE_A_DATE, record, name, cell_text(value)))
        elif numbers and _is_number(value):
            if abs(value) >= 1e15:
                issues.append(Issue(DIGITS_LOST, record, name, cell_text(value)))
            elif plus and float(value).is_integer() and value > 0:
                hint = {"suggestion": f"+{int(value)}"}
                issues.append(Issue(PHONE_NUMBER_AS_NUMBER, record, name, cell_text(value), hint))
    return issues


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scientific(
    name: str, prop: Property, natives: Mapping[int, Any], series: pd.Series, distinct: Distinct
) -> list[Issue]:
    """Text columns holding numbers in Excel's scientific notation: the digits are gone."""
    if prop.base != "string" or prop.enum:
        return []
    values = distinct.values
    if not pc.any(pc.match_substring(values, "e+", ignore_case=True)).as_py():
        return []
    mask = distinct.broadcast(pc.match_substring_regex(values, f"^{SCIENTIFIC.pattern}$"))
    return [
        Issue(DIGITS_LOST, int(record), name, series.iloc[record])
        for record in np.flatnonzero(mask)
        if int(record) not in natives
    ]


def _cleaned(
    name: str, prop: Property, series: pd.Series, distinct: Distinct, issues: list[Issue]
) -> pd.Series:
    """Invisible characters, spaces and quotes removed where that makes a value valid."""
    check = validator(prop)
    if check is None:
        return series
    values = distinct.values
    # Only a value with stray characters can be cleaned: find those first, at RE2 speed.
    stray = np.asarray(pc.match_substring_regex(values, STRAY), dtype=bool)
    if not stray.any():
        return series
    invalid = stray & ~check(values)
    if not invalid.any():
        return series
    bad = np.flatnonzero(distinct.broadcast(invalid))
    candidates = series.iloc[bad].tolist()
    suspects = list(dict.fromkeys(candidates))
    enum, listed = bool(prop.enum), prop.shape == "list"
    cleaned = [_clean(text, enum=enum, listed=listed) for text in suspects]
    valid = check(pa.array(cleaned, type=pa.large_string()))
    fixes = {old: new for old, new, ok in zip(suspects, cleaned, valid, strict=True) if ok}
    if not fixes:
        return series
    series = series.copy()
    for record, text in zip((int(i) for i in bad), candidates, strict=True):
        if text in fixes:
            details = {"clean": fixes[text], "what": _what(text)}
            issues.append(Issue(INVISIBLE_CHARACTERS, record, name, text, details))
            series.iloc[record] = fixes[text]
    return series


def _clean(text: str, *, enum: bool, listed: bool) -> str:
    text = text.translate(INVISIBLE)
    if not enum:
        return text.strip()
    items = text.split(";") if listed else [text]
    return ";".join(" ".join(item.split()).strip(QUOTES).strip() for item in items)


def _what(text: str) -> str:
    found = []
    if any(ch in text for ch in NO_BREAK):
        found.append("non-breaking spaces")
    if text.translate(INVISIBLE) != text:
        found.append("invisible characters")
    if text != text.strip():
        found.append("leading or trailing spaces")
    if any(ch in text for ch in QUOTES):
        found.append("quotes")
    if "  " in text:
        found.append("double spaces")
    return " and ".join(found) or "stray spaces"


def _lost_zeros(
    frame: pd.DataFrame, layout: Layout, natives: Mapping[str, Mapping[int, Any]]
) -> list[Issue]:
    """Numbers in a code column (postal codes, IDs) shorter than the column's other codes of
    the same country: Excel stored them as numbers and dropped their leading zeros."""
    issues: list[Issue] = []
    for name, values in natives.items():
        prop = layout.property_of.get(name)
        if prop is None or not _free_text(prop, layout, name):
            continue
        numbers = [r for r, v in values.items() if _is_number(v) and 0 < v < 1e15]
        if not numbers:
            continue
        column = frame[name]
        lengths = column.where(column.str.fullmatch("[0-9]+").fillna(False)).str.len()
        group = _country(frame, layout, name)
        for record in numbers:
            text = str(column.iloc[record])
            peers = lengths if group is None else lengths[group == group.iloc[record]]
            length = _dominant_length(peers.dropna())
            if length is not None and text.isdigit() and len(text) < length:
                details = {"suggestion": text.zfill(length), "digits": length}
                issues.append(Issue(LEADING_ZERO_LOST, record, name, text, details))
    return issues


def _free_text(prop: Property, layout: Layout, name: str) -> bool:
    item = layout.item_of(name)
    in_texts = item is not None and layout.ruleset.properties[item[0]].shape == "infotext_list"
    plain = prop.base == "string" and not prop.enum and not prop.pattern
    return plain and prop.shape == "scalar" and not in_texts


def _country(frame: pd.DataFrame, layout: Layout, name: str) -> pd.Series | None:
    """The country column beside `name` (same parent object), to compare codes by country."""
    if "." not in name:
        return None
    parent = name.rsplit(".", 1)[0]
    for column, prop in layout.property_of.items():
        if prop.type_name == "CountryCodeType" and column.rsplit(".", 1)[0] == parent:
            return frame[column].fillna("")
    return None


def _dominant_length(lengths: pd.Series) -> int | None:
    """The length most codes have, when at least three and three quarters of them have it."""
    counts = lengths.value_counts()
    if counts.empty:
        return None
    length, count = int(counts.index[0]), int(counts.iloc[0])
    if length >= 4 and count >= 3 and count >= 0.75 * counts.sum():
        return length
    return None


def _cells(count: int) -> str:
    return f"{count} cell{'' if count == 1 else 's'}"
