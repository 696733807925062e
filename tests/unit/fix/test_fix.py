"""Declared fixes: every fix example of the rule files (one test each, `pytest -k ACC002`),
the fix kinds on values they were not written for, the `fix` column of findings, and the
plan's passes, deferrals and guard."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest

from poicheck import validate
from poicheck.errors import RuleFileError
from poicheck.fix.kinds import folded, get_fix_kind, international, narrow
from poicheck.fix.plan import keys, plan_fixes
from poicheck.fix.propose import propose
from poicheck.fix.rowkinds import standard_offset
from poicheck.readers.tabular import build_table
from poicheck.ruleset.examples import concrete
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import FixSpec, Rule, RuleSet
from poicheck.table import CanonicalTable, Source
from tests.records import VALID_CELLS, frame_of

RULESET = load_ruleset()
OPERATOR = {"operator_id": "DE*PCK"}
EXAMPLES = [
    pytest.param(rule, spec, example, id=f"{rule.id}-{spec.kind}-{spec.applicability}-{i}")
    for rule in sorted(RULESET.rules.values(), key=lambda r: r.id)
    for spec in rule.fixes
    for i, example in enumerate(spec.examples)
]


def table_of(*records: dict[str, str]) -> CanonicalTable:
    frame = frame_of(*records)
    positional = pd.DataFrame(frame.to_numpy(), columns=range(frame.shape[1]), dtype="str")
    return build_table(list(frame.columns), positional, Source("<test>", "csv"), RULESET)


def only(rule: Rule, spec: FixSpec) -> RuleSet:
    """The rule set with just `rule`, fixed only by `spec`."""
    return RULESET.with_rules([dataclasses.replace(rule, fixes=(spec,))])


def cells_of(rule: Rule, value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {concrete(rule.fields[0], RULESET): str(value)}


def test_there_are_fix_examples_and_every_fix_kind_is_used() -> None:
    used = {spec.kind for rule in RULESET.rules.values() for spec in rule.fixes}
    from poicheck.fix.kinds import fix_kind_names

    assert used == set(fix_kind_names())
    assert len(EXAMPLES) >= 50


@pytest.mark.parametrize(("rule", "spec", "example"), EXAMPLES)
def test_fix_example(rule: Rule, spec: FixSpec, example: dict[str, Any]) -> None:
    ruleset = only(rule, spec)
    before = cells_of(rule, example["before"])
    table = table_of({**VALID_CELLS, **before})
    report = validate(table, ruleset=ruleset, **OPERATOR)
    mine = report.frame[report.frame["rule"] == rule.id]
    assert len(mine), f"the example {before} does not fail {rule.id}"
    proposed = propose(report.frame, table.frame, ruleset, "csv")
    if example["after"] is None:
        assert proposed.empty, proposed.to_dict(orient="records")
        return
    after = cells_of(rule, example["after"])
    assert dict(zip(proposed["column"], proposed["after"], strict=True)) == after
    assert set(proposed["applicability"]) == {spec.applicability}
    # The fix resolves its finding.
    fixed = validate(table_of({**VALID_CELLS, **before, **after}), ruleset=ruleset, **OPERATOR)
    assert fixed.frame[fixed.frame["rule"] == rule.id].empty


@pytest.mark.parametrize(
    ("kind", "value", "params", "expected"),
    [
        (
            "enum_near_miss",
            "ac_1_phase",
            {"enum": ("AC_1_PHASE", "AC_3_PHASE", "DC")},
            "AC_1_PHASE",
        ),
        ("enum_near_miss", "AC", {"enum": ("AC_1_PHASE", "AC_3_PHASE", "DC")}, None),
        ("enum_near_miss", "Ａｕｔｏ", {"enum": ("true", "false", "auto")}, "auto"),
        # two allowed values fold alike: no fix, whichever was meant
        ("enum_near_miss", "ab", {"enum": ("A-B", "A_B")}, None),
        ("integer_text", "１５０ kW", {"units": ["kW"]}, "150"),
        ("integer_text", "22 kWh", {"units": ["kW"]}, None),
        ("integer_text", "-0", {}, None),  # valid already: no change is no fix
        ("decimal_text", "13,4", {}, "13.4"),
        ("decimal_text", "1.234,5", {}, None),
        ("round_decimals", "-0.0000001", {"max": 6}, "0.0"),
        ("round_decimals", "52.52", {"max": 6}, None),
        ("country_alpha3", "at", {}, "AUT"),
        ("country_alpha3", "Austria", {}, "AUT"),
        ("country_alpha3", "XX", {}, None),
        ("spacing", "\tBerlin  Mitte ", {}, "Berlin Mitte"),
        ("spacing", "   ", {}, None),
        ("boolean_word", "WAHR", {}, "true"),
        ("boolean_word", "maybe", {}, None),
        ("replace_value", "400.0", {"values": {"400": "230"}}, "230"),
        ("phone_format", "+33 (0)1 42 68 53 00", {}, "+33142685300"),
        ("phone_format", "+49 30", {}, None),
        ("upper_case", "DE*PCK*E1", {}, None),
    ],
)
def test_cell_kinds(kind: str, value: str, params: dict[str, Any], expected: str | None) -> None:
    assert get_fix_kind(kind).func(value, params) == expected


@pytest.mark.parametrize(
    ("cells", "field", "kind", "params", "expected"),
    [
        ({"P": "4109", "C": "DEU"}, "P", "postal_code_zero", {"country": "C"}, "04109"),
        ({"P": "185", "C": "ITA"}, "P", "postal_code_zero", {"country": "C"}, "00185"),
        ({"P": "4109", "C": "AUT"}, "P", "postal_code_zero", {"country": "C"}, None),  # valid
        ({"P": "4109", "C": ""}, "P", "postal_code_zero", {"country": "C"}, None),
        ({"P": "１０１７８", "C": "DEU"}, "P", "postal_code_zero", {"country": "C"}, "10178"),
        ({"P": "１０６７", "C": "DEU"}, "P", "postal_code_zero", {"country": "C"}, "01067"),
        ({"T": "4930123456", "C": "DEU"}, "T", "phone_plus", {"country": "C"}, "+4930123456"),
        (
            {"T": "30123456", "C": "DEU"},
            "T",
            "phone_plus",
            {"country": "C", "same_country": True},
            None,
        ),
        (
            {"T": "0301234567", "C": "DEU"},
            "T",
            "phone_international",
            {"country": "C"},
            "+49301234567",
        ),
        (
            {"T": "01 42 68 53 00", "C": "FRA"},
            "T",
            "phone_international",
            {"country": "C"},
            "+33142685300",
        ),
    ],
)
def test_row_kinds(
    cells: dict[str, str], field: str, kind: str, params: dict[str, Any], expected: str | None
) -> None:
    result = get_fix_kind(kind).func(cells, field, params)
    assert (result or {}).get(field) == expected


def test_helpers() -> None:
    assert narrow("５２．５") == "52.5"
    assert narrow("Ünïcode") == "Ünïcode"  # only full-width forms
    assert folded("Not available") == folded("NotAvailable") == folded("NOT_AVAILABLE")
    assert international("+41 44 520 88 00") == "+41445208800"
    assert international("+0305132787") is None  # OICP's own example cannot be dialled
    assert standard_offset("Europe/Berlin") == "UTC+01:00"
    assert standard_offset("Australia/Sydney") == "UTC+10:00"  # summer in January
    assert standard_offset("America/St_Johns") == "UTC-03:30"
    assert standard_offset("Mars/Olympus") is None


def test_time_zone_from_position_needs_a_position() -> None:
    kind = get_fix_kind("time_zone_from_position")
    cells = {"T": "UTC+05:00", "G.Latitude": "", "G.Longitude": "13.4"}
    assert kind.func(cells, "T", {"position": "G"}) is None
    at_sea = {"T": "UTC+05:00", "G.Latitude": "0.0", "G.Longitude": "-30.0"}
    assert kind.func(at_sea, "T", {"position": "G"}) is None


def test_findings_carry_whether_a_fix_exists() -> None:
    table = table_of(
        {**VALID_CELLS, "CalibrationLawDataAvailability": "local"},
        {**VALID_CELLS, "EvseID": "DE*PCK*E1001*2", "Plugs": "Type 2"},
        {**VALID_CELLS, "EvseID": "DE*PCK*E1001*3", "ChargingFacilities.1.Voltage": "400"},
    )
    found = validate(table, **OPERATOR).frame.set_index("rule")
    assert found.loc["ACC002", "fix"] == "safe"
    assert found.loc["PWR002", "fix"] is None  # 'Type 2': two plug types are near
    assert found.loc["PWR014", "fix"] == "unsafe"


def test_wire_fixes_only_for_oicp_json() -> None:
    ruleset = RULESET.select(["JSN001", "ACC002"])
    table = table_of({**VALID_CELLS, "CalibrationLawDataAvailability": "local"})
    found = validate(table, ruleset=ruleset).frame
    fake = pd.concat(
        [found, found.assign(rule="JSN001", field="IsOpen24Hours", value="true")],
        ignore_index=True,
    )
    as_csv = propose(fake, table.frame, ruleset, "csv")
    as_json = propose(fake, table.frame, ruleset, "json")
    assert set(as_csv["rule"]) == {"ACC002"}
    assert set(as_json["rule"]) == {"ACC002", "JSN001"}
    wire = as_json[as_json["rule"] == "JSN001"].iloc[0]
    assert (wire["before"], wire["after"], bool(wire["wire"])) == ("true", "true", True)


def _checker(**options: Any) -> Any:
    return lambda table: validate(table, **OPERATOR, **options)


def test_a_fix_reading_what_another_fix_writes_waits_for_the_next_pass() -> None:
    # Berlin with latitude and longitude swapped and the time zone of New York: the time zone
    # is taken from the position only once the swap is done (in the next pass).
    record = {
        **VALID_CELLS,
        "GeoCoordinates.Latitude": "13.413215",
        "GeoCoordinates.Longitude": "52.521918",
        "Address.TimeZone": "UTC-05:00",
    }
    table = table_of(record)
    report = validate(table, **OPERATOR)
    plan = plan_fixes(table, report, _checker(), report.ruleset, unsafe=True)
    changes = dict(zip(plan.changes["column"], plan.changes["after"], strict=True))
    assert changes == {
        "GeoCoordinates.Latitude": "52.521918",
        "GeoCoordinates.Longitude": "13.413215",
        "Address.TimeZone": "UTC+01:00",
    }
    assert plan.passes == 2
    assert not ({"GEO009", "ADR018"} & {rule for _, rule, _ in keys(plan.report.frame)})
    # Without --unsafe-fixes nothing changes, and the time zone from the swapped position
    # (in the Indian Ocean) is not offered.
    safe = plan_fixes(table, report, _checker(), report.ruleset)
    assert safe.changes.empty
    assert set(safe.unsafe_left["rule"]) == {"GEO009"}


def test_a_fix_that_would_introduce_a_finding_is_held_back() -> None:
    # Two EVSEs of one station: the second's latitude has a decimal comma and is 1 km off.
    # Reading the comma as a point reveals the distance (IDN004): held back.
    first = dict(VALID_CELLS)
    second = {**VALID_CELLS, "EvseID": "DE*PCK*E1001*2", "GeoCoordinates.Latitude": "52,531918"}
    table = table_of(first, second)
    report = validate(table, **OPERATOR)
    plan = plan_fixes(table, report, _checker(), report.ruleset)
    assert plan.changes.empty
    held = plan.held_back.iloc[0]
    assert (held["rule"], held["column"]) == ("GEO002", "GeoCoordinates.Latitude")
    assert held["reason"].startswith("would introduce IDN004")
    assert keys(plan.report.frame) == keys(report.frame)


def test_a_fix_that_does_not_resolve_its_finding_is_held_back(tmp_path: Any) -> None:
    # An extra rule whose fix leaves the value invalid for it: `enum_near_miss` to a value
    # that the rule's own pattern refuses.
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "rules:\n"
        "  - id: XTR001\n"
        "    name: no-local\n"
        "    kind: pattern\n"
        "    consequence: refused\n"
        "    field: CalibrationLawDataAvailability\n"
        "    params: {pattern: '^[a-z]+$'}\n"
        "    fix: {kind: upper_case, applicability: safe}\n"
        "    examples: {fail: [Local], pass: [local]}\n",
        encoding="utf-8",
    )
    ruleset = load_ruleset([extra]).select(["XTR001"])
    table = table_of(VALID_CELLS)
    report = validate(table, ruleset=ruleset)
    plan = plan_fixes(table, report, lambda t: validate(t, ruleset=ruleset), ruleset)
    assert plan.changes.empty
    assert plan.held_back["after"].tolist() == ["LOCAL"]
    assert plan.held_back["reason"].tolist() == ["does not resolve XTR001"]


def test_a_broken_fix_entry_is_a_rule_file_error(tmp_path: Any) -> None:
    cases = {
        "fix: {kind: no_such_kind, applicability: safe}": "unknown fix kind 'no_such_kind'",
        "fix: {kind: upper_case, applicability: maybe}": "applicability",
        "fix: {kind: upper_case, applicability: safe, fields: [EvseID]}": "fields the rule",
    }
    for entry, message in cases.items():
        path = tmp_path / "bad.yaml"
        path.write_text(
            "rules:\n"
            "  - id: XTR002\n"
            "    name: bad-fix\n"
            "    kind: pattern\n"
            "    consequence: refused\n"
            "    field: CalibrationLawDataAvailability\n"
            "    params: {pattern: '^[A-Z].*$'}\n"
            f"    {entry}\n"
            "    examples: {fail: [local], pass: [Local]}\n",
            encoding="utf-8",
        )
        with pytest.raises(RuleFileError, match=message):
            load_ruleset([path])


def test_a_fix_on_a_rule_across_rows_is_refused(tmp_path: Any) -> None:
    path = tmp_path / "across.yaml"
    path.write_text(
        "rules:\n"
        "  - id: XTR003\n"
        "    name: unique-again\n"
        "    kind: unique\n"
        "    consequence: refused\n"
        "    field: EvseID\n"
        "    fix: {kind: upper_case, applicability: safe}\n"
        "    examples: {fail: [{rows: [{EvseID: A}, {EvseID: A}]}], pass: [A]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="across rows"):
        load_ruleset([path])
