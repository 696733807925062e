"""Cell kinds: each checks the values of one column, vectorised, empty cells passing."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks._arrow import full_match, passes, per_distinct, where_filled
from poicheck.checks.hygiene import tidied
from poicheck.checks.params import (
    BOOLEAN,
    NUMBER,
    REGEX,
    TEXTS,
    TYPE,
    TYPE_NAME,
    Either,
    Nullable,
    Param,
)
from poicheck.checks.params import INTEGER as WHOLE_NUMBER
from poicheck.checks.registry import Params, SchemaPart, check_kind
from poicheck.oicp.cells import (
    DECIMAL_PATTERN,
    INTEGER_PATTERN,
    LIST_SEPARATOR,
    list_pattern,
    regex_escape,
)
from poicheck.ruleset.model import DataType, Property, RuleSet

INTEGER = f"^{INTEGER_PATTERN}$"
DECIMAL = f"^{DECIMAL_PATTERN}$"


def _length_defaults(prop: Property) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if prop.max_length is not None:
        out["max"] = prop.max_length
    if prop.min_length is not None:
        out["min"] = prop.min_length
    return out


def _describe_length(params: Params) -> str:
    if params.get("min"):
        return f"must be {params['min']} to {params['max']} characters long"
    return f"must be at most {params['max']} characters long"


@check_kind(
    "length",
    "cell",
    params=(
        Param("max", WHOLE_NUMBER, "the most characters (default: the property's)", required=True),
        Param("min", WHOLE_NUMBER, "the fewest characters (default: the property's)"),
        Param(
            "tidied",
            BOOLEAN,
            "measure the text as `poicheck export` writes it (tidied, TXT012)",
            default=False,
        ),
    ),
    defaults=_length_defaults,
    describe=_describe_length,
    message="{field} is {characters} long; OICP allows {limits} characters",
)
def _length(values: pa.Array, params: Params) -> np.ndarray:
    # A free text `poicheck export` writes tidied (TXT012) is measured as it is written.
    length = pc.utf8_length(tidied(values) if params.get("tidied") else values)
    ok = pc.less_equal(length, params.get("max", 2**31))
    if params.get("min"):
        ok = pc.and_(ok, pc.greater_equal(length, params["min"]))
    return passes(ok)


PATTERN = Param("pattern", REGEX, "the pattern (default: the property's)", required=True)
ENUM = Param("enum", TEXTS, "the allowed values (default: the property's)", required=True)


@check_kind(
    "pattern",
    "cell",
    params=(PATTERN, TYPE),
    defaults=lambda prop: {"pattern": prop.pattern} if prop.pattern else {},
    describe=lambda params: f"must match {params['pattern']}",
    message="{field} '{value}' does not match {pattern}",
)
def _pattern(values: pa.Array, params: Params) -> np.ndarray:
    return passes(full_match(values, params["pattern"]))


def suggest(value: str, allowed: tuple[str, ...]) -> str:
    """'; did you mean X?' for a value close to an allowed one (case and spacing ignored)."""
    folded = {" ".join(a.casefold().replace("_", " ").split()): a for a in allowed}
    key = " ".join(value.casefold().replace("_", " ").split())
    if key in folded:
        return f"; did you mean '{folded[key]}'?"
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
    # Another number is no spelling mistake: Mode_5 does not mean Mode_4.
    if not close or _digits(close[0]) != _digits(key):
        return ""
    return f"; did you mean '{folded[close[0]]}'?"


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@check_kind(
    "enum",
    "cell",
    params=(ENUM, TYPE),
    defaults=lambda prop: {"enum": prop.enum} if prop.enum else {},
    describe=lambda params: "must be one of: " + ", ".join(params["enum"]),
    message="{field} '{value}' is not one of {allowed}{hint}",
    hint=lambda value, params: suggest(value, tuple(params["enum"])),
)
def _enum(values: pa.Array, params: Params) -> np.ndarray:
    return passes(where_filled(values, pc.is_in(values, value_set=pa.array(list(params["enum"])))))


def _enum_list_pattern(allowed: tuple[str, ...]) -> str:
    # NOTE: one anchored regex of allowed values; measured far faster than split + explode.
    item = "(?:" + "|".join(regex_escape(v) for v in allowed) + ")"
    return list_pattern(item)


def _resolve_tolerate(params: Params, types: Mapping[str, DataType]) -> dict[str, Any]:
    """`tolerate: TypeName` names values another rule reports (limits of the standard)."""
    out = dict(params)
    if isinstance(out.get("tolerate"), str):
        out["tolerate"] = tuple(types[out["tolerate"]].enum or ())
    return out


def _enum_list_hint(value: str, params: Params) -> str:
    allowed = tuple(params["enum"])
    items = LIST_SEPARATOR.split(value.strip())
    if any(not item for item in items):
        return " (empty item between separators)"
    bad = [item for item in items if item not in allowed]
    return "".join(f"; '{item}' is not allowed{suggest(item, allowed)}" for item in bad[:3])


@check_kind(
    "enum_list",
    "cell",
    params=(
        ENUM,
        Param(
            "tolerate",
            Either((TYPE_NAME, TEXTS), "a type name or a list of texts"),
            "values passed here because another rule reports them (a type's enumeration)",
            default=(),
        ),
        TYPE,
    ),
    defaults=lambda prop: {"enum": prop.enum} if prop.enum else {},
    describe=lambda params: (
        "must list values separated by ';', each one of: " + ", ".join(params["enum"])
    ),
    message="{field} '{value}' is not a ';'-separated list of allowed values{hint}",
    hint=_enum_list_hint,
    resolve=_resolve_tolerate,
)
def _enum_list(values: pa.Array, params: Params) -> np.ndarray:
    allowed = (*params["enum"], *params.get("tolerate", ()))
    return passes(full_match(values, _enum_list_pattern(tuple(allowed))))


@check_kind(
    "boolean",
    "cell",
    describe=lambda params: "must be true or false",
    message="{field} '{value}' is not a boolean; write true or false",
)
def _boolean(values: pa.Array, params: Params) -> np.ndarray:
    lowered = pc.utf8_lower(values)
    return passes(where_filled(values, pc.is_in(lowered, value_set=pa.array(["true", "false"]))))


def _numeric(values: pa.Array, params: Params, syntax: str, target: pa.DataType) -> np.ndarray:
    is_number = full_match(values, syntax)
    numbers = pc.cast(pc.if_else(is_number, values, pa.scalar(None, pa.large_string())), target)
    in_range = pa.array(np.ones(len(values), dtype=bool))
    if params.get("min") is not None:
        in_range = pc.and_(in_range, pc.greater_equal(numbers, params["min"]))
    if params.get("max") is not None:
        in_range = pc.and_(in_range, pc.less_equal(numbers, params["max"]))
    ok = passes(in_range)
    if params.get("only_numbers"):
        return ok  # non-numbers are another rule's finding
    return ok & passes(is_number)


def _range_defaults(prop: Property) -> dict[str, Any]:
    return {"max": prop.max_value} if prop.max_value is not None else {}


def _describe_range(noun: str) -> Any:
    def describe(params: Params) -> str:
        low, high = params.get("min"), params.get("max")
        if low is not None and high is not None:
            return f"must be {noun} from {low} to {high}"
        if high is not None:
            return f"must be {noun} of at most {high}"
        if low == 0:
            return f"must be {noun}, not negative"
        if low is not None:
            return f"must be {noun} of at least {low}"
        return f"must be {noun}"

    return describe


def _numeric_schema(params: Params, prop: Property, ruleset: RuleSet) -> SchemaPart | None:
    """A number's bounds on the wire: `minimum` and `maximum` of poicheck's JSON Schema."""
    if prop.json_type not in ("integer", "number"):
        return None
    return SchemaPart(minimum=params.get("min"), maximum=params.get("max"))


def _range_params(bound: Nullable) -> tuple[Param, ...]:
    return (
        Param("min", bound, "the smallest value allowed"),
        Param("max", bound, "the largest value allowed (default: from the digits; null: none)"),
        Param(
            "only_numbers",
            BOOLEAN,
            "judge only the range: a value that is no number is another rule's finding",
            default=False,
        ),
    )


@check_kind(
    "integer",
    "cell",
    params=_range_params(Nullable(WHOLE_NUMBER, "a whole number or null")),
    defaults=_range_defaults,
    describe=_describe_range("a whole number (digits only, no unit)"),
    message="{field} '{value}' {expectation}",
    json_schema=_numeric_schema,
)
def _integer(values: pa.Array, params: Params) -> np.ndarray:
    return _numeric(values, params, INTEGER, pa.int64())


@check_kind(
    "decimal",
    "cell",
    params=_range_params(Nullable(NUMBER, "a number or null")),
    defaults=_range_defaults,
    describe=_describe_range("a number (digits and a decimal point, no unit)"),
    message="{field} '{value}' {expectation}",
    json_schema=_numeric_schema,
)
def _decimal(values: pa.Array, params: Params) -> np.ndarray:
    return _numeric(values, params, DECIMAL, pa.float64())


DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


def _is_real_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(re.sub(r"\.([0-9]{6})[0-9]+", r".\1", text))
    except ValueError:
        return False
    return True


@check_kind(
    "datetime",
    "cell",
    describe=lambda params: "must be an RFC 3339 date-time such as 2026-01-23T14:04:29Z",
    message="{field} '{value}' is not an RFC 3339 date-time such as 2026-01-23T14:04:29Z",
)
def _datetime(values: pa.Array, params: Params) -> np.ndarray:
    return passes(full_match(values, DATETIME)) & per_distinct(values, _is_real_datetime)


@check_kind(
    "contains_any",
    "cell",
    params=(
        Param("enum", TEXTS, "the values beyond the standard", required=True),
        Param("only", BOOLEAN, "fail a list of nothing but these values instead", default=False),
        TYPE,
    ),
    describe=lambda params: (
        (
            "lists only values outside the standard: "
            if params.get("only")
            else "lists values outside the standard beside others: "
        )
        + ", ".join(params["enum"])
    ),
    message="{field} '{value}' names a plug type OICP 2.3 cannot express",
)
def _contains_any(values: pa.Array, params: Params) -> np.ndarray:
    """Fails a list naming one of `enum` beside other values, or, with `only`, a list naming
    nothing but values of `enum` (the two cases of a plug type beyond OICP: STD004, STD006)."""
    only = full_match(values, _enum_list_pattern(tuple(params["enum"])))
    if params.get("only"):
        return passes(pc.invert(only))
    item = "(?:" + "|".join(regex_escape(v) for v in params["enum"]) + ")"
    named = pc.match_substring_regex(values, f"(^|;)[ ]*{item}[ ]*(;|$)")
    return passes(pc.invert(pc.and_(named, pc.invert(only))))


@check_kind(
    "beyond_standard",
    "cell",
    params=(
        Param(
            "max",
            NUMBER,
            "the most OICP can express (default: the property's digits)",
            required=True,
        ),
    ),
    defaults=_range_defaults,
    describe=lambda params: f"values above {params['max']} cannot be expressed in OICP 2.3",
    message="{field} {value} is more than OICP 2.3 can express (at most {max})",
)
def _beyond(values: pa.Array, params: Params) -> np.ndarray:
    is_number = full_match(values, DECIMAL)
    numbers = pc.cast(
        pc.if_else(is_number, values, pa.scalar(None, pa.large_string())), pa.float64()
    )
    return passes(pc.less_equal(numbers, params["max"]))
