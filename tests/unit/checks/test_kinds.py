"""Unit tests of every check kind, called directly with good and bad values.

Cell kinds get a pyarrow string array (None for an empty cell) and return a numpy boolean mask,
True where the value passes; row kinds get a canonical DataFrame and its Layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from poicheck.checks import KINDS, Kind, get_kind, kind_names
from poicheck.checks._arrow import anchored
from poicheck.checks.context import CheckContext
from poicheck.checks.opening_times import (
    explain_entry_problem,
    resolve,
)
from poicheck.checks.values import suggest
from poicheck.oicp.cells import format_opening_times as format_cell
from poicheck.oicp.cells import opening_times_pattern as cell_pattern
from poicheck.oicp.cells import parse_opening_times as parse_cell
from poicheck.ruleset.model import Rule, RuleSet
from poicheck.ruleset.params import resolve_params

DAYS: tuple[str, ...] = (
    "Everyday",
    "Workdays",
    "Weekend",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
TIME = "^[0-9]{2}:[0-9]{2}$"
OPENING = {"days": DAYS, "time_pattern": TIME}
Row = dict[str, str | None]
PLUGS = (
    "Type 2 Outlet",
    "Type 2 Connector (Cable Attached)",
    "CCS Combo 2 Plug (Cable Attached)",
    "CHAdeMO",
)


def check(kind: str, values: Sequence[str | None], params: Mapping[str, Any]) -> list[bool]:
    """Run a cell kind on values and return its mask as plain booleans."""
    func = get_kind(kind).func
    assert func is not None
    mask = func(pa.array(list(values), pa.large_string()), params)
    assert isinstance(mask, np.ndarray)
    assert mask.dtype == np.bool_
    assert mask.shape == (len(values),)
    return [bool(v) for v in mask]


def passes(kind: str, value: str | None, params: Mapping[str, Any]) -> bool:
    return check(kind, [value], params)[0]


def frame_of(rows: Sequence[Mapping[str, str | None]]) -> pd.DataFrame:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    data = [{c: row.get(c) for c in columns} for row in rows]
    return pd.DataFrame(data, columns=list(columns), dtype="str")


def row_check(
    kind: str,
    rows: Sequence[Mapping[str, str | None]],
    field: str,
    params: Mapping[str, Any],
    ruleset: RuleSet,
) -> list[bool]:
    """Run a row kind on a small table and return its mask as plain booleans."""
    frame = frame_of(rows)
    func = get_kind(kind).func
    assert func is not None
    result = func(frame, field, params, CheckContext(frame.columns, ruleset))
    mask = result[0] if isinstance(result, tuple) else result  # (mask, details): RowResult
    assert len(mask) == len(rows)
    return [bool(v) for v in np.asarray(mask)]


def test_registry_knows_every_kind_the_rules_use(ruleset: RuleSet) -> None:
    names = set(kind_names())
    assert {
        "length",
        "pattern",
        "enum",
        "enum_list",
        "boolean",
        "integer",
        "decimal",
        "datetime",
        "opening_times",
        "required",
        "required_any",
        "required_in_group",
        "required_together",
        "required_if",
        "language_code",
        "reader",
    } <= names
    assert {rule.kind for rule in ruleset.rules.values()} <= names
    assert get_kind("length").scope == "cell"
    assert get_kind("required").scope == "row"
    assert get_kind("reader").func is None


# Kinds no shipped rule uses, each with the parameters its own tests here call it with.
EXPLICITLY_TESTED: dict[str, Mapping[str, Any]] = {}
CELL_KINDS = [name for name in kind_names() if get_kind(name).scope == "cell"]


def shipped_rule(kind: str, ruleset: RuleSet) -> Rule | None:
    """The first shipped rule of a kind (by id) that has failing and passing examples."""
    rules = sorted(ruleset.rules.values(), key=lambda r: r.id)
    return next(
        (r for r in rules if r.kind == kind and r.examples["fail"] and r.examples["pass"]), None
    )


def params_of(kind: str, ruleset: RuleSet) -> Mapping[str, Any]:
    """The parameters to call a kind with: its first shipped rule's, for that rule's field."""
    if kind in EXPLICITLY_TESTED:
        return EXPLICITLY_TESTED[kind]
    rule = shipped_rule(kind, ruleset)
    assert rule is not None, kind
    return resolve_params(rule, ruleset.properties.get(rule.fields[0]), ruleset)


def uncovered(kinds: list[str], ruleset: RuleSet) -> list[str]:
    """The kinds neither a shipped rule with examples nor an explicit test here covers."""
    return [k for k in kinds if shipped_rule(k, ruleset) is None and k not in EXPLICITLY_TESTED]


@pytest.mark.parametrize("kind", kind_names())
def test_every_registered_kind_is_covered(kind: str, ruleset: RuleSet) -> None:
    """Every kind in the registry is tested: through a shipped rule with failing and passing
    examples (run by test_rule_examples.py), or explicitly here (EXPLICITLY_TESTED)."""
    assert uncovered([kind], ruleset) == [], (
        f"kind '{kind}' has no shipped rule with examples and no explicit test"
    )


def test_a_kind_registered_without_rule_or_test_is_caught(
    ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KINDS, "zz_new", Kind("zz_new", "cell", lambda values, params: None))
    assert uncovered(kind_names(), ruleset) == ["zz_new"]


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_cell_kinds_pass_empty_cells_and_handle_empty_arrays(kind: str, ruleset: RuleSet) -> None:
    params = params_of(kind, ruleset)
    assert check(kind, [None, None], params) == [True, True]
    assert check(kind, [], params) == []


def plain_examples(rule: Rule | None) -> list[str]:
    """A rule's examples that are a cell value (not rows, JSON or a workbook)."""
    if rule is None:
        return []
    examples = [*rule.examples["fail"], *rule.examples["pass"]]
    return [
        e["repeat"] * e["times"] if isinstance(e, dict) and "repeat" in e else e
        for e in examples
        if isinstance(e, str) or (isinstance(e, dict) and "repeat" in e)
    ]


@pytest.mark.parametrize("kind", CELL_KINDS)
def test_cell_kinds_judge_each_value_on_its_own(kind: str, ruleset: RuleSet) -> None:
    """The engine runs cell kinds on a column's distinct values: a value's verdict must not
    depend on the values beside it (nor on their order)."""
    params = params_of(kind, ruleset)
    values: list[str | None] = [*plain_examples(shipped_rule(kind, ruleset)), None, ""]
    alone = [check(kind, [value], params)[0] for value in values]
    assert check(kind, values, params) == alone
    assert check(kind, values[::-1], params) == alone[::-1]


# --- length -------------------------------------------------------------------------------------


def test_length_max() -> None:
    assert check("length", ["abcde", "abcdef", "", None], {"max": 5}) == [True, False, True, True]


def test_length_min_and_max() -> None:
    params = {"min": 2, "max": 4}
    assert check("length", ["a", "ab", "abcd", "abcde", None], params) == [
        False,
        True,
        True,
        False,
        True,
    ]


def test_length_counts_unicode_characters_not_bytes() -> None:
    # 5 characters each, but 7 to 15 bytes in UTF-8.
    values = ["Straß", "日本語日本", "äöüÄÖ", "€€€€€", "Düsseldorf"]
    assert check("length", values, {"max": 5}) == [True, True, True, True, False]
    assert check("length", ["ß"], {"min": 2, "max": 5}) == [False]


# --- pattern ------------------------------------------------------------------------------------


def test_pattern_full_match() -> None:
    params = {"pattern": "^[0-9]+$"}
    assert check("pattern", ["123", "12a", "a12", "", None], params) == [
        True,
        False,
        False,
        False,
        True,
    ]


@pytest.mark.parametrize("value", ["５", "１２３", "12５", "٣", "²"])
def test_pattern_has_ascii_semantics(value: str) -> None:
    """A full-width or other non-ASCII digit is not an OICP digit."""
    assert not passes("pattern", value, {"pattern": "^[0-9]+$"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a", True), ("b", True), ("xb", False), ("ax", False), ("ab", False), ("xbx", False)],
)
def test_pattern_is_anchored_as_a_whole(value: str, expected: bool) -> None:
    assert passes("pattern", value, {"pattern": "^a|b$"}) is expected


def test_anchored_wraps_the_whole_alternation() -> None:
    assert anchored("^a|b$") == "^(?:a|b)$"
    assert anchored("abc") == "^(?:abc)$"
    # An escaped dollar at the end is a literal, not an anchor.
    assert anchored(r"^a\$") == r"^(?:a\$)$"
    assert passes("pattern", "a$", {"pattern": r"^a\$"})
    assert not passes("pattern", "a", {"pattern": r"^a\$"})


def test_pattern_of_a_shipped_type(ruleset: RuleSet) -> None:
    pattern = ruleset.types["PhoneNumberType"].pattern
    values = ["+4930123456789", "+49 30 1234567", "030123456", "+４９30123456"]
    assert check("pattern", values, {"pattern": pattern}) == [True, False, False, False]


# --- enum ---------------------------------------------------------------------------------------


def test_enum_is_case_sensitive_and_empty_passes() -> None:
    params = {"enum": ("Solar", "Wind", "HydroPower")}
    values = ["Solar", "solar", "SOLAR", "Hydro Power", "Solar ", None]
    assert check("enum", values, params) == [True, False, False, False, False, True]


def test_enum_value_with_spaces_and_parentheses() -> None:
    params = {"enum": PLUGS}
    values = ["CCS Combo 2 Plug (Cable Attached)", "CCS Combo 2 Plug Cable Attached"]
    assert check("enum", values, params) == [True, False]


# --- enum_list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Type 2 Outlet",
        "Type 2 Outlet;CHAdeMO",
        "Type 2 Outlet ; CHAdeMO",
        "Type 2 Outlet;  CHAdeMO",
        "CCS Combo 2 Plug (Cable Attached)",
        "CCS Combo 2 Plug (Cable Attached);Type 2 Connector (Cable Attached);CHAdeMO",
    ],
)
def test_enum_list_good(value: str) -> None:
    assert passes("enum_list", value, {"enum": PLUGS})


@pytest.mark.parametrize(
    "value",
    [
        "Type 2",
        "type 2 outlet",
        "Type 2 Outlet;CCS",
        "Type 2 Outlet;;CHAdeMO",
        "Type 2 Outlet;",
        ";Type 2 Outlet",
        "Type 2 Outlet,CHAdeMO",
        "CCS Combo 2 Plug Cable Attached",
        "CCS Combo 2 Plug (Cable Attached",
        "Type 2 OutletCHAdeMO",
    ],
)
def test_enum_list_bad(value: str) -> None:
    assert not passes("enum_list", value, {"enum": PLUGS})


def test_enum_list_empty_cell_passes() -> None:
    assert check("enum_list", [None, "CHAdeMO"], {"enum": PLUGS}) == [True, True]


def test_enum_list_treats_regex_metacharacters_literally() -> None:
    params = {"enum": ("a.b", "c|d", "e+", "[f]")}
    good = ["a.b", "c|d", "e+", "[f]", "a.b;c|d;e+;[f]"]
    bad = ["axb", "c", "d", "ee", "f", "a.b;c"]
    assert check("enum_list", good, params) == [True] * len(good)
    assert check("enum_list", bad, params) == [False] * len(bad)


def test_enum_list_allowed_value_that_prefixes_another() -> None:
    params = {"enum": ("Type 2", "Type 2 Outlet")}
    assert check("enum_list", ["Type 2 Outlet;Type 2", "Type 2;Type 2 Outlet"], params) == [
        True,
        True,
    ]
    assert not passes("enum_list", "Type 2 Out", params)


def test_enum_list_hint_names_the_bad_items() -> None:
    hint = get_kind("enum_list").hint
    assert hint is not None
    params = {"enum": PLUGS}
    assert hint("Type 2 Outlet;;CHAdeMO", params) == " (empty item between separators)"
    assert hint("Type 2 Outlet;", params) == " (empty item between separators)"
    assert hint("Type 2 Outlet;CCS", params) == "; 'CCS' is not allowed"
    assert hint("type 2 outlet;CHAdeMO", params) == (
        "; 'type 2 outlet' is not allowed; did you mean 'Type 2 Outlet'?"
    )


# --- boolean ------------------------------------------------------------------------------------


def test_boolean_true_false_in_any_case() -> None:
    good = ["true", "false", "True", "FALSE", "tRuE", None]
    bad = ["yes", "no", "1", "0", "ja", "t", "truee", "tru e", "24/7"]
    assert check("boolean", good, {}) == [True] * len(good)
    assert check("boolean", bad, {}) == [False] * len(bad)


# --- integer ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "22", "350", "999"])
def test_integer_good(value: str) -> None:
    assert passes("integer", value, {"min": 0, "max": 999})


@pytest.mark.parametrize(
    "value",
    [
        "22kW",
        "3.7",
        "２２",
        "-11",
        "1000",
        "22 ",
        " 22",
        "+22",
        "2e1",
        "",
        "1" * 30,
        "-" + "9" * 30,
    ],
)
def test_integer_bad(value: str) -> None:
    assert not passes("integer", value, {"min": 0, "max": 999})


def test_integer_without_limits() -> None:
    values = ["-5", "0", "123456789012345678", "1" * 19, "1" * 30, "1.0"]
    assert check("integer", values, {}) == [True, True, True, False, False, False]


def test_integer_huge_numbers_fail_without_crashing() -> None:
    values = ["9" * 30, "-" + "9" * 30, "22", None]
    assert check("integer", values, {"min": 0, "max": 999}) == [False, False, True, True]


# --- decimal ------------------------------------------------------------------------------------


def test_decimal_syntax_and_range() -> None:
    params = {"min": -90, "max": 90}
    values = ["52.521918", "-33.8688", "90", "-90.0", "90.5", "52,5", "N52.5", "1e2", None]
    expected = [True, True, True, True, False, False, False, False, True]
    assert check("decimal", values, params) == expected


def test_decimal_only_numbers_leaves_non_numbers_to_another_rule() -> None:
    params = {"min": -90, "max": 90, "only_numbers": True}
    values = ["52.5", "113.4", "-90.5", "52,5", "abc", None]
    assert check("decimal", values, params) == [True, False, False, True, True, True]


def test_decimal_huge_numbers_fail_without_crashing() -> None:
    assert check("decimal", ["9" * 30, "1." + "1" * 30], {"min": 0}) == [False, False]


# --- datetime -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-23T14:04:29Z",
        "2026-01-23T14:04:29.377Z",
        "2026-01-23T14:04:29+01:00",
        "2026-01-23T14:04:29.123456789-05:30",
        "2024-02-29T00:00:00Z",
    ],
)
def test_datetime_good(value: str) -> None:
    assert passes("datetime", value, {})


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30T00:00:00Z",
        "2025-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-01-23T25:00:00Z",
        "2026-01-23 14:04:29Z",
        "2026-01-23T14:04:29",
        "2026-01-23",
        "23.01.2026 14:04",
        "2026-01-23T14:04:29+0100",
    ],
)
def test_datetime_bad(value: str) -> None:
    assert not passes("datetime", value, {})


def test_datetime_mixes_valid_invalid_and_repeated_values() -> None:
    values = ["2026-02-30T00:00:00Z", None, "2026-01-23T14:04:29Z", "2026-02-30T00:00:00Z"]
    assert check("datetime", values, {}) == [False, True, True, False]


# --- opening_times ------------------------------------------------------------------------------


def test_opening_times_params_resolve_from_the_rule_set(ruleset: RuleSet) -> None:
    params = resolve({"day": "DayValueType", "time": "PeriodTimeType"}, ruleset.types)
    assert tuple(params["days"]) == DAYS
    assert params["time_pattern"] == TIME


@pytest.mark.parametrize(
    "value",
    [
        "Workdays 08:00-18:00",
        "Workdays 08:00-18:00; Saturday 09:00-13:00",
        "Workdays 08:00-18:00;Saturday 09:00-13:00",
        "Everyday 06:00-12:00 13:00-22:00",
        "Weekend 10:00-14:00 ; Monday 00:00-23:59",
    ],
)
def test_opening_times_good(value: str) -> None:
    assert passes("opening_times", value, OPENING)
    assert parse_cell(value, DAYS, TIME) is not None


@pytest.mark.parametrize(
    "value",
    [
        "Mo-Fr 08:00-18:00",
        "workdays 08:00-18:00",
        "Workdays 8:00-18:00",
        "Workdays 08:00 - 18:00",
        "Workdays",
        "Workdays 08:00-18:00;",
        "Workdays 08:00-18:00;;Saturday 09:00-13:00",
        "Workdays 08:00-18:00,Saturday 09:00-13:00",
        "Monday 0８:00-18:00",
        "08:00-18:00",
    ],
)
def test_opening_times_bad(value: str) -> None:
    assert not passes("opening_times", value, OPENING)
    assert parse_cell(value, DAYS, TIME) is None


def test_cell_pattern_escapes_day_values() -> None:
    pattern = cell_pattern(("Mon.", "Tue"), TIME)
    assert passes("pattern", "Mon. 08:00-18:00", {"pattern": pattern})
    assert not passes("pattern", "Monx 08:00-18:00", {"pattern": pattern})


def test_parse_cell_builds_oicp_objects() -> None:
    parsed = parse_cell("Workdays 08:00-18:00; Saturday 09:00-13:00 14:00-16:00", DAYS, TIME)
    assert parsed == [
        {"Period": [{"begin": "08:00", "end": "18:00"}], "on": "Workdays"},
        {
            "Period": [{"begin": "09:00", "end": "13:00"}, {"begin": "14:00", "end": "16:00"}],
            "on": "Saturday",
        },
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Workdays 08:00-18:00",
        "Workdays 08:00-18:00; Saturday 09:00-13:00",
        "Everyday 06:00-12:00 13:00-22:00; Sunday 10:00-12:00",
    ],
)
def test_format_cell_round_trips_canonical_text(text: str) -> None:
    parsed = parse_cell(text, DAYS, TIME)
    assert parsed is not None
    assert format_cell(parsed) == text
    assert parse_cell(format_cell(parsed), DAYS, TIME) == parsed


def test_format_cell_normalises_separator_spacing() -> None:
    parsed = parse_cell(" Workdays 08:00-18:00 ;Saturday 09:00-13:00 ", DAYS, TIME)
    assert parsed is not None
    assert format_cell(parsed) == "Workdays 08:00-18:00; Saturday 09:00-13:00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mo-Fr 08:00-18:00", ": 'Mo-Fr' is not an OICP day value (Everyday, Workdays,"),
        ("workdays 08:00-18:00", ": 'workdays' is not an OICP day value"),
        ("Workdays 8:00-18:00", ": '8:00-18:00' in 'Workdays 8:00-18:00' is not a period"),
        ("Workdays 08:00 - 18:00", ": '08:00' in 'Workdays 08:00 - 18:00' is not a period"),
        ("Workdays", ": 'Workdays' has no period HH:MM-HH:MM"),
        ("Workdays 08:00-18:00;", ": an entry is empty"),
        ("   ", ": an entry is empty"),
        ("Workdays 08:00-18:00; Saturday 9-13", ": '9-13' in 'Saturday 9-13' is not a period"),
    ],
)
def test_explain_entry_problem(value: str, expected: str) -> None:
    assert explain_entry_problem(value, DAYS, TIME).startswith(expected)


@pytest.mark.parametrize(
    "value", [";Workdays 08:00-18:00", "Workdays 08:00-18:00;;Saturday 09:00-13:00"]
)
def test_explain_entry_problem_names_an_empty_entry_anywhere(value: str) -> None:
    """An empty entry at the start or between two separators is an empty entry, like one at
    the end, not a day value ''."""
    assert explain_entry_problem(value, DAYS, TIME) == ": an entry is empty"


def test_opening_times_hint_is_the_explanation() -> None:
    hint = get_kind("opening_times").hint
    assert hint is not None
    assert hint("Workdays", OPENING) == ": 'Workdays' has no period HH:MM-HH:MM"


# --- suggest and hints --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "allowed", "expected"),
    [
        ("solar", ("Solar", "Wind"), "; did you mean 'Solar'?"),
        ("Hydro Power", ("HydroPower", "Solar"), "; did you mean 'HydroPower'?"),
        ("mode 3", ("Mode_3", "Mode_4"), "; did you mean 'Mode_3'?"),
        ("AC_3_Phase", ("AC_1_PHASE", "AC_3_PHASE", "DC"), "; did you mean 'AC_3_PHASE'?"),
        (
            "free publicly  accessible",
            ("Free publicly accessible", "Restricted access"),
            "; did you mean 'Free publicly accessible'?",
        ),
        ("Solr", ("Solar", "Wind"), "; did you mean 'Solar'?"),
        ("Banana", ("Solar", "Wind"), ""),
        ("", ("Solar",), ""),
    ],
)
def test_suggest(value: str, allowed: tuple[str, ...], expected: str) -> None:
    assert suggest(value, allowed) == expected


def test_enum_hint_uses_suggest() -> None:
    hint = get_kind("enum").hint
    assert hint is not None
    assert hint("local", {"enum": ("Local", "External")}) == "; did you mean 'Local'?"
    assert hint("Mars", {"enum": ("Local", "External")}) == ""


# --- required -----------------------------------------------------------------------------------


def test_required(ruleset: RuleSet) -> None:
    rows: list[Row] = [{"EvseID": "DE*PCK*E1"}, {"EvseID": None}]
    assert row_check("required", rows, "EvseID", {}, ruleset) == [True, False]


def test_required_column_absent_fails_every_row(ruleset: RuleSet) -> None:
    rows: list[Row] = [{"Plugs": "Type 2 Outlet"}, {"Plugs": None}]
    assert row_check("required", rows, "EvseID", {}, ruleset) == [False, False]


def test_required_any(ruleset: RuleSet) -> None:
    en, de = "ChargingStationNames.en", "ChargingStationNames.de"
    rows: list[Row] = [
        {en: "Alexanderplatz", de: None},
        {en: None, de: "Alexanderplatz"},
        {en: None, de: None},
    ]
    assert row_check("required_any", rows, "ChargingStationNames", {}, ruleset) == [
        True,
        True,
        False,
    ]


def test_required_any_without_any_member_column_fails(ruleset: RuleSet) -> None:
    rows: list[Row] = [{"EvseID": "DE*PCK*E1"}]
    assert row_check("required_any", rows, "ChargingStationNames", {}, ruleset) == [False]


def test_required_in_group(ruleset: RuleSet) -> None:
    t1, p1 = "ChargingFacilities.1.PowerType", "ChargingFacilities.1.Power"
    t2, p2 = "ChargingFacilities.2.PowerType", "ChargingFacilities.2.Power"
    rows: list[Row] = [
        {t1: "AC_3_PHASE", p1: "22", t2: None, p2: None},  # item 2 not given: fine
        {t1: None, p1: "22", t2: None, p2: None},  # item 1 given without PowerType
        {t1: "DC", p1: "50", t2: None, p2: "11"},  # item 2 given without PowerType
        {t1: None, p1: None, t2: None, p2: None},  # no item at all: another rule's job
    ]
    assert row_check("required_in_group", rows, t1, {}, ruleset) == [True, False, True, True]
    assert row_check("required_in_group", rows, t2, {}, ruleset) == [True, True, False, True]


def test_required_together(ruleset: RuleSet) -> None:
    lat, lon = "GeoChargingPointEntrance.Latitude", "GeoChargingPointEntrance.Longitude"
    params = {"fields": (lat, lon)}
    rows: list[Row] = [
        {lat: "52.522001", lon: "13.412987"},
        {lat: "52.522001", lon: None},
        {lat: None, lon: None},
        {lat: None, lon: "13.412987"},
    ]
    assert row_check("required_together", rows, lat, params, ruleset) == [True, True, True, False]
    assert row_check("required_together", rows, lon, params, ruleset) == [True, False, True, True]


def test_required_if(ruleset: RuleSet) -> None:
    params = {"when": {"IsOpen24Hours": "false"}}
    rows: list[Row] = [
        {"IsOpen24Hours": "false", "OpeningTimes": None},
        {"IsOpen24Hours": " FALSE ", "OpeningTimes": None},
        {"IsOpen24Hours": "false", "OpeningTimes": "Everyday 08:00-18:00"},
        {"IsOpen24Hours": "true", "OpeningTimes": None},
        {"IsOpen24Hours": None, "OpeningTimes": None},
    ]
    assert row_check("required_if", rows, "OpeningTimes", params, ruleset) == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_required_if_with_absent_columns(ruleset: RuleSet) -> None:
    params = {"when": {"IsOpen24Hours": "false"}}
    # The field's column is absent while the condition holds: missing.
    assert row_check(
        "required_if", [{"IsOpen24Hours": "false"}], "OpeningTimes", params, ruleset
    ) == [False]
    # The condition's column is absent: the condition cannot hold.
    assert row_check("required_if", [{"OpeningTimes": None}], "OpeningTimes", params, ruleset) == [
        True
    ]


# --- language_code ------------------------------------------------------------------------------


def test_language_code(ruleset: RuleSet) -> None:
    pattern = ruleset.types["LanguageCodeType"].pattern
    rows: list[Row] = [
        {
            "ChargingStationNames.en": "A",
            "ChargingStationNames.de-AT": "B",
            "ChargingStationNames.English": "C",
            "ChargingStationNames.EN": "D",
            "ChargingStationNames.xx1": None,
        }
    ]
    results = {
        column: row_check("language_code", rows, column, {"pattern": pattern}, ruleset)[0]
        for column in rows[0]
    }
    assert results == {
        "ChargingStationNames.en": True,
        "ChargingStationNames.de-AT": True,
        "ChargingStationNames.English": False,
        "ChargingStationNames.EN": False,
        "ChargingStationNames.xx1": True,  # a bad language with an empty cell: nothing to say
    }


def test_language_code_layout_recognises_bad_language_columns(ruleset: RuleSet) -> None:
    layout = CheckContext(["ChargingStationNames.English", "AdditionalInfo.de"], ruleset)
    assert layout.unknown == []
    assert layout.members("ChargingStationNames") == ["ChargingStationNames.English"]


ONLY_RENEWABLE = {
    "when": {"RenewableEnergy": "false"},
    "members": "EnergySource.*.Energy",
    "values": ["Solar", "Wind"],
    "shares": "EnergySource.*.Percentage",
    "whole": 99,
}


def test_only_values_fails_a_whole_mix_of_listed_values(ruleset: RuleSet) -> None:
    e1, p1 = "EnergySource.1.Energy", "EnergySource.1.Percentage"
    e2, p2 = "EnergySource.2.Energy", "EnergySource.2.Percentage"
    params = ONLY_RENEWABLE
    rows: list[Row] = [
        {"RenewableEnergy": "false", e1: "Solar", p1: "60", e2: "Wind", p2: "40"},
        {"RenewableEnergy": "false", e1: "Solar", p1: "99", e2: None, p2: None},
        {"RenewableEnergy": "false", e1: "Solar", p1: None, e2: "Wind", p2: None},
        {"RenewableEnergy": "false", e1: "Solar", p1: "98", e2: None, p2: None},  # 2 % unknown
        {"RenewableEnergy": "false", e1: "Solar", p1: "60", e2: None, p2: "40"},  # unnamed share
        {"RenewableEnergy": "false", e1: "Solar", p1: "60", e2: "Coal", p2: "40"},
        {"RenewableEnergy": "true", e1: "Solar", p1: "60", e2: "Wind", p2: "40"},
        {"RenewableEnergy": "false", e1: None, p1: None, e2: None, p2: None},  # nothing listed
    ]
    verdicts = row_check("only_values", rows, "RenewableEnergy", params, ruleset)
    assert verdicts == [False, False, False, True, True, True, True, True]


def test_only_values_names_the_sources_and_shares(ruleset: RuleSet) -> None:
    # Item 1 has no share column at all; item 2 states the 99 % OICP allows at most.
    row = {
        "RenewableEnergy": "false",
        "EnergySource.1.Energy": "Wind",
        "EnergySource.2.Energy": "Solar",
        "EnergySource.2.Percentage": "99",
    }
    frame = frame_of([row])
    params = ONLY_RENEWABLE
    func = get_kind("only_values").func
    assert func is not None
    ok, details = func(frame, "RenewableEnergy", params, CheckContext(frame.columns, ruleset))
    assert ok.tolist() == [False]
    assert details["sources"].tolist() == ["Wind, Solar 99 %"]
