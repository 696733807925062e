"""The bundled samples: the valid one is clean, every planted mistake is found where it was
planted, and the three formats of the same data give the same findings."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from poicheck import validate
from poicheck.results.report import Finding
from poicheck.ruleset.model import RuleSet

FORMATS = ("csv", "xlsx", "json")
OPERATOR = {
    "operator_id": "DE*PCK",
    "operator_name": "PoiCheck Demo Hub",
    "sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"],
}


def planted(samples: Path) -> list[dict[str, object]]:
    return json.loads((samples / "invalid" / "planted.json").read_text(encoding="utf-8"))


def comparable(findings: list[Finding]) -> list[Finding]:
    """Findings comparable across formats: JSON wire checks (JSN) only exist in JSON, so a
    finding folded into one (a string "22kW" for a number: PWR007) stands for itself."""
    out = []
    for f in findings:
        if not f.rule.startswith("JSN"):
            out.append(f)
            continue
        for item in f.related or []:
            out.append(replace(f, rule=item["rule"], field=item["field"], related=None))
    return out


def field_findings(findings: list[Finding]) -> set[tuple[int | None, str, str]]:
    return {(f.record, f.rule, f.field) for f in comparable(findings)}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_sample_is_clean(samples: Path, fmt: str) -> None:
    report = validate(samples / "valid" / f"evse-valid.{fmt}", **OPERATOR)
    assert report.findings == []
    assert report.files[0].records == 60
    assert report.exit_code("info") == 0


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_planted_mistake_is_reported_at_its_row_and_field(samples: Path, fmt: str) -> None:
    report = validate(samples / "invalid" / f"evse-invalid.{fmt}", **OPERATOR)
    found = comparable(report.findings)
    expected: set[tuple[int | None, str, str]] = set()
    for plant in planted(samples):
        for want in plant["findings"]:  # type: ignore[attr-defined]
            key = (want["record"], want["rule"], want["field"])
            expected.add(key)
            hits = [f for f in found if (f.record, f.rule, f.field) == key]
            assert hits, f"{plant['mistake']}: {key} not reported in {fmt}"
            row = want["record"] + 2 if fmt != "json" else want["record"] + 1
            assert hits[0].row == row
    assert field_findings(found) == expected
    assert report.exit_code() == 1


def test_the_planted_mistakes_cover_every_quality_rule(samples: Path, ruleset: RuleSet) -> None:
    planted_rules = {f["rule"] for p in planted(samples) for f in p["findings"]}  # type: ignore[attr-defined]
    quality = {
        r.id for r in ruleset.rules.values() if r.category != "field" and r.category != "input"
    }
    assert quality <= planted_rules, sorted(quality - planted_rules)


@pytest.mark.slow
def test_valid_sample_scores_at_least_95_and_every_plant_lowers_its_evse(samples: Path) -> None:
    valid = validate(samples / "valid" / "evse-valid.csv", **OPERATOR).score
    invalid = validate(samples / "invalid" / "evse-invalid.csv", **OPERATOR).score
    assert valid is not None
    assert invalid is not None
    summary = valid.summary()
    assert summary is not None
    assert summary["overall"] >= 95
    before = valid.records.set_index("record")["overall"]
    after = invalid.records.set_index("record")["overall"]
    for plant in planted(samples):
        record = int(plant["record"])  # type: ignore[arg-type]
        assert after[record] < before[record], plant["mistake"]


@pytest.mark.slow
def test_the_three_formats_give_the_same_findings(samples: Path) -> None:
    results = {
        fmt: field_findings(
            validate(samples / "invalid" / f"evse-invalid.{fmt}", **OPERATOR).findings
        )
        for fmt in FORMATS
    }
    assert results["csv"] == results["xlsx"] == results["json"]


@pytest.mark.slow
def test_json_reports_values_that_cannot_be_typed_as_wire_errors(samples: Path) -> None:
    report = validate(samples / "invalid" / "evse-invalid.json")
    wire = {(f.record, f.field) for f in report.findings if f.rule == "JSN001"}
    assert wire == {
        (32, "ChargingFacilities.1.Power"),
        (37, "RenewableEnergy"),
        (52, "OpeningTimes"),
    }


def test_wire_sample_shows_json_only_mistakes(samples: Path) -> None:
    report = validate(samples / "invalid" / "evse-invalid-wire.json")
    got = {(f.record, f.rule, f.pointer) for f in report.findings}
    assert got == {
        (0, "JSN001", "/IsOpen24Hours"),
        (1, "JSN001", "/DynamicInfoAvailable"),
        (2, "JSN001", "/ChargingFacilities/0/Power"),
        (3, "JSN008", "/EvseId"),
        (4, "JSN003", "/AdditionalInfo"),
        (5, "GEO006", "/GeoCoordinates"),
        (6, "JSN008", "/ChargingFacilities/0/powertype"),
        (6, "JSN008", "/ChargingFacilities/0/power"),
        (7, "JSN001", "/GeoCoordinates/Google"),
        (8, "JSN001", "/ChargingFacilities"),
    }


@pytest.mark.slow
def test_pointers_locate_list_items_in_the_records_json(samples: Path) -> None:
    report = validate(samples / "invalid" / "evse-invalid.csv")
    pointers = {f.field: f.pointer for f in report.findings}
    assert pointers["ChargingFacilities.1.Power"] == "/ChargingFacilities/0/Power"
    assert pointers["AdditionalInfo.en"] == "/AdditionalInfo/0/value"
    assert pointers["GeoCoordinates.Latitude"] == "/GeoCoordinates/DecimalDegree/Latitude"
    assert pointers["EnergySource.1.Percentage"] == "/EnergySource/0/Percentage"
