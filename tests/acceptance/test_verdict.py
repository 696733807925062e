"""One verdict from validate to export (issue 14): a record is left out by `export` if and
only if `validate` gives it a finding of severity error, whatever the input family.

The records are a valid record mutated by the rules' own failing examples (every record
rule: field, consistency, guideline and limits of the standard) and by the real hardware and
spreadsheet values the rule files call limits of the standard or repairs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.checks import get_kind
from poicheck.errors import InputError
from poicheck.export import ExportOptions, build_export
from poicheck.readers import read_table
from poicheck.ruleset.examples import concrete, value_of
from poicheck.ruleset.loader import load_ruleset
from tests.records import VALID_CELLS, frame_of, json_record

RULESET = load_ruleset()
OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck", "sub_operator_ids": ("DE*SUB",)}

# Values at and beyond OICP's limits, and spreadsheet floats, on the cells that hold them.
LIMITS: list[dict[str, str]] = [
    {"ChargingFacilities.1.PowerType": "DC", "ChargingFacilities.1.Amperage": "500"},
    {"ChargingFacilities.1.Amperage": "99"},
    {"ChargingFacilities.1.Amperage": "100"},
    {"ChargingFacilities.1.Voltage": "1250"},
    {"ChargingFacilities.1.Voltage": "999"},
    {"ChargingFacilities.1.Power": "1000"},
    {"ChargingFacilities.1.Power": "999"},
    {"Plugs": "NACS"},
    {"Plugs": "Type 2 Outlet;NACS"},
    {"Plugs": "Type 2 Outlet;GB/T AC;MCS"},
    {"EnergySource.1.Percentage": "100", "EnergySource.2.Energy": ""},
    {"EnergySource.1.Percentage": "99"},
    {"GeoCoordinates.Latitude": "52.5219184999999"},
    {"GeoCoordinates.Longitude": "13.41321500000001"},
    {"GeoCoordinates.Latitude": "13.413215", "GeoCoordinates.Longitude": "52.521918"},
    {"GeoCoordinates.Latitude": "48.856613", "GeoCoordinates.Longitude": "2.352222"},
    {"IsOpen24Hours": "false", "OpeningTimes": "Monday 22:00-06:00"},
    {"ValueAddedServices": "None;Reservation"},
    # Text hygiene: spaces the export trims (also where trimming brings a text within its
    # length), control characters; DC judged from above; plug ratings.
    {"Address.City": " Nürnberg ", "SubOperatorName": "Tank & Rast GmbH  Hardtwald"},
    {"HardwareManufacturer": "M" * 50 + " "},
    {"ChargingStationNames.en": "4711 ", "AdditionalInfo.en": "Gate\x1b[0m code\x07"},
    {
        "ChargingFacilities.1.PowerType": "DC",
        "ChargingFacilities.1.Power": "150",
        "ChargingFacilities.1.Voltage": "1000",
        "ChargingFacilities.1.Amperage": "400",
        "ChargingFacilities.1.ChargingModes": "Mode_4",
        "Plugs": "CCS Combo 2 Plug (Cable Attached)",
    },
    {"Plugs": "Type F Schuko", "ChargingFacilities.1.PowerType": "AC_1_PHASE"},
]


def _mutations() -> list[dict[str, str]]:
    out: list[dict[str, str]] = list(LIMITS)
    for rule in sorted(RULESET.rules.values(), key=lambda r: r.id):
        if rule.scope != "record" or get_kind(rule.kind).scope == "reader":
            continue
        for example in rule.examples["fail"]:
            if isinstance(example, dict) and "cells" in example:
                out.append({k: str(v) for k, v in example["cells"].items()})
            elif isinstance(example, str) or (isinstance(example, dict) and "repeat" in example):
                out.append({concrete(rule.fields[0], RULESET): value_of(example)})
    return out


MUTATIONS = _mutations()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@st.composite
def mutated_records(draw: st.DrawFn) -> list[dict[str, str]]:
    count = draw(st.integers(1, 6))
    records = []
    for number in range(count):
        cells = {**VALID_CELLS, "EvseID": f"DE*PCK*E{number + 1}*1"}
        for change in draw(st.lists(st.sampled_from(MUTATIONS), max_size=2)):
            cells.update(change)
        records.append(cells)
    return records


def _error_records(report: Any) -> set[int]:
    return {f.record for f in report.findings if f.severity == "error" and f.record is not None}


def _delta_pull(source: Any) -> bool:
    """Does any record carry Hubject's deltaType (an input of the delta pull's shape)?"""
    if isinstance(source, pd.DataFrame):
        column = source.get("deltaType")
    else:
        column = read_table(Path(source), RULESET).frame.get("deltaType")
    return column is not None and bool(column.fillna("").astype(str).str.strip().ne("").any())


def _left_out(source: Any) -> tuple[set[int], int] | None:
    """Records the export leaves out, and how many it sends (None: no export at all)."""
    options = ExportOptions(**OPERATOR, allow_deletions=True)  # type: ignore[arg-type]
    if _delta_pull(source):
        # A delta pull is never a fullLoad (export/pulled.py): the user inserts its records.
        options = replace(options, action="insert")
    try:
        export = build_export(source, options, ruleset=RULESET)
    except InputError as exc:  # every record left out: a fullLoad of nothing is refused
        if "no record to export" not in str(exc):
            raise
        return None
    left = {e.record for e in export.left_out if e.record is not None}
    return left, sum(f.records for f in export.files)


def assert_one_verdict(source: Any, records: int) -> None:
    report = validate(source, ruleset=RULESET, **OPERATOR)  # type: ignore[arg-type]
    general = [f for f in report.findings if f.severity == "error" and f.record is None]
    assert not general, general
    errors = _error_records(report)
    exported = _left_out(source)
    if exported is None:
        assert errors == set(range(records))
        return
    left, sent = exported
    assert left == errors, {
        "left out without error": sorted(left - errors),
        "error but sent": sorted(errors - left),
        "findings": [(f.record, f.rule, f.severity, f.value) for f in report.findings],
    }
    assert sent == records - len(left)
    assert (report.exit_code("error") == 0) == (not left)


@pytest.mark.slow
@SETTINGS
@given(records=mutated_records())
def test_table_records_left_out_exactly_when_they_have_an_error(
    records: list[dict[str, str]],
) -> None:
    assert_one_verdict(frame_of(*records), len(records))


@pytest.mark.slow
@SETTINGS
@given(records=mutated_records())
def test_oicp_json_records_left_out_exactly_when_they_have_an_error(
    records: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("wire") / "records.json"
    document = [json_record(RULESET, cells) for cells in records]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert_one_verdict(path, len(records))


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["valid/evse-valid", "invalid/evse-invalid"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_samples_one_verdict(samples: Path, sample: str, suffix: str) -> None:
    path = samples / f"{sample}{suffix}"
    report = validate(path, ruleset=RULESET, operator_id="DE*PCK")
    subs = tuple(
        sorted(
            {
                f.value.split("*")[0] + "*" + f.value.split("*")[1]
                for f in report.findings
                if f.rule == "IDN001" and f.value
            }
        )
    )
    options = ExportOptions(
        operator_id="DE*PCK",
        operator_name="PoiCheck Demo Hub",
        sub_operator_ids=subs,
        allow_deletions=True,
    )
    report = validate(path, ruleset=RULESET, operator_id="DE*PCK", sub_operator_ids=subs)
    export = build_export(path, options, ruleset=RULESET)
    left = {e.record for e in export.left_out if e.record is not None}
    assert left == _error_records(report)
