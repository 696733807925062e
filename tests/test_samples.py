"""The bundled samples: the valid one is clean, every planted mistake is found where it was
planted, and the three formats of the same data give the same findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poicheck import validate
from poicheck.report import Finding

FORMATS = ("csv", "xlsx", "json")
OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck Demo Hub"}


def planted(samples: Path) -> list[dict[str, object]]:
    return json.loads((samples / "invalid" / "planted.json").read_text(encoding="utf-8"))


def field_findings(findings: list[Finding]) -> set[tuple[int | None, str, str]]:
    """Findings comparable across formats: JSON wire checks (JSN) only exist in JSON."""
    return {(f.record, f.field, f.rule) for f in findings if not f.rule.startswith("JSN")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_sample_is_clean(samples: Path, fmt: str) -> None:
    report = validate(samples / "valid" / f"evse-valid.{fmt}", **OPERATOR)
    assert report.findings == []
    assert report.files[0].records == 60
    assert report.exit_code("info") == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_planted_mistake_is_reported_at_its_row_and_field(samples: Path, fmt: str) -> None:
    report = validate(samples / "invalid" / f"evse-invalid.{fmt}", **OPERATOR)
    expected = {(p["record"], p["rule"]) for p in planted(samples)}
    found = report.findings
    for plant in planted(samples):
        hits = [f for f in found if f.record == plant["record"] and f.rule == plant["rule"]]
        assert hits, f"{plant} not reported in {fmt}"
        field = str(plant["field"])
        container = "ChargingStationNames" if plant["rule"] == "TXT001" else field
        assert hits[0].field == container
        assert hits[0].row == (plant["row"] if fmt != "json" else int(plant["record"]) + 1)
    unexpected = {(f.record, f.rule) for f in found if not f.rule.startswith("JSN")} - expected
    assert unexpected == set()
    assert report.exit_code() == 1


def test_the_three_formats_give_the_same_findings(samples: Path) -> None:
    results = {
        fmt: field_findings(
            validate(samples / "invalid" / f"evse-invalid.{fmt}", **OPERATOR).findings
        )
        for fmt in FORMATS
    }
    assert results["csv"] == results["xlsx"] == results["json"]


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
        (3, "JSN002", "/EvseId"),
        (3, "EVS001", "/EvseID"),
        (4, "JSN003", "/AdditionalInfo"),
        (5, "GEO006", "/GeoCoordinates"),
    }


def test_pointers_locate_list_items_in_the_records_json(samples: Path) -> None:
    report = validate(samples / "invalid" / "evse-invalid.csv")
    pointers = {f.field: f.pointer for f in report.findings}
    assert pointers["ChargingFacilities.1.Power"] == "/ChargingFacilities/0/Power"
    assert pointers["AdditionalInfo.en"] == "/AdditionalInfo/0/value"
    assert pointers["GeoCoordinates.Latitude"] == "/GeoCoordinates/DecimalDegree/Latitude"
    assert pointers["EnergySource.1.Percentage"] == "/EnergySource/0/Percentage"
