"""Kinds for names, texts and contact data (02 eRoamingEvseData Best Practices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks._arrow import passes, per_distinct
from poicheck.checks.context import CheckContext
from poicheck.checks.frame import language_column, normalised
from poicheck.checks.params import PROPERTY, TEXT, TEXTS, TYPE, Param
from poicheck.checks.registry import Params, RowResult, check_kind


@check_kind(
    "placeholder",
    "cell",
    params=(Param("enum", TEXTS, "the placeholder texts (case ignored)", required=True), TYPE),
    describe=lambda params: "must be real data, not a placeholder such as n/a, -, test or xxx",
    message="{field} '{value}' looks like a placeholder, not real data",
)
def _placeholder(values: pa.Array, params: Params) -> np.ndarray:
    folded = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    listed = pc.is_in(folded, value_set=pa.array([v.casefold() for v in params["enum"]]))
    no_letter_or_digit = pc.invert(pc.match_substring_regex(values, r"[\p{L}\p{N}]"))
    return passes(pc.invert(pc.or_(listed, no_letter_or_digit)))


@check_kind(
    "differs_from",
    "row",
    params=(Param("other", PROPERTY, "the field it must not merely repeat", required=True),),
    describe=lambda params: f"must not merely repeat {params['other']}",
    message="{field} '{value}' only repeats the {other}; give the station a name people recognise",
)
def _differs_from(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    other = params["other"]
    if field not in frame.columns or other not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    # Compared once per distinct value; the hash table is built on this column's values
    # (a few names), the other column's (up to one per record) only probe it.
    mine, theirs = layout.distinct(frame, field), layout.distinct(frame, other)
    names = normalised(frame, field, layout, strip=True)
    own = pc.index_in(names, value_set=names)
    hits = pc.index_in(normalised(frame, other, layout, strip=True), value_set=names)
    ours = np.asarray(pc.fill_null(own, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    their = np.asarray(pc.fill_null(hits, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    # An empty cell's code is -1: it picks the number put at the end, which no value has.
    left = np.append(ours, -2)[mine.codes]
    right = np.where(theirs.codes >= 0, np.append(their, -3)[theirs.codes], -3)
    right[right == -1] = -3  # a value among none of this column's
    return left != right


@check_kind(
    "first_language",
    "row",
    params=(Param("lang", TEXT, "the language code expected first", required=True),),
    describe=lambda params: f"must give its first text in '{params['lang']}'",
    expand="container",
    message="{field} starts with '{first}'; the first language should be '{lang}', "
    "then the local ones",
)
def _first_language(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    members = layout.members(field)
    first = np.full(len(frame), "", dtype=object)
    for column in reversed(members):
        filled = np.asarray(frame[column].notna(), dtype=bool)
        first[filled] = column.rsplit(".", 1)[1]
    ok = (first == "") | (first == params["lang"])
    return ok, {"first": first, "value": first}


@check_kind(
    "language_known",
    "row",
    describe=lambda params: "columns must name a language that exists in ISO 639",
    expand="members",
    message="'{lang}' in column {field} is not an ISO 639 language",
)
def _language_known(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    from poicheck.checks.geodata import is_language

    return language_column(frame, field, is_language(field.rsplit(".", 1)[1]))


def _phone_problem(number: str) -> str:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "; it has no valid country calling code"
    if not phonenumbers.is_possible_number(parsed):
        return "; it has the wrong number of digits for its country"
    if not phonenumbers.is_valid_number(parsed):
        return f"; it is not a valid number for +{parsed.country_code}"
    return ""


@check_kind(
    "phone_possible",
    "cell",
    describe=lambda params: "must be a number that can be dialled (phonenumbers)",
    message="{field} '{value}' cannot be dialled{hint}",
    hint=lambda value, params: _phone_problem(value),
)
def _phone_possible(values: pa.Array, params: Params) -> np.ndarray:
    return per_distinct(values, lambda v: not _phone_problem(v))
