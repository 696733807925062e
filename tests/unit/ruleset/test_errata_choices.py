"""The choices the errata record (rules/oicp-2.3/errata.yaml), made by the code as written:
what the readers accept, what export writes, and what it leaves as it is."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.export import ExportOptions, build_export
from poicheck.oicp.convert import Flattener
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.schema import record_schema
from tests.records import VALID_CELLS, frame_of, json_record, write_json

RULESET = load_ruleset()
OPTIONS = ExportOptions(operator_id="DE*PCK", operator_name="PoiCheck Demo Hub")


def exported(cells: dict[str, str], **options: Any) -> list[dict[str, Any]]:
    export = build_export(
        frame_of(cells), ExportOptions(**{**OPTIONS.__dict__, **options}), ruleset=RULESET
    )
    return [
        record
        for file in export.files
        for record in json.loads(file.data)["OperatorEvseData"]["EvseDataRecord"]
    ]


def wire_record() -> dict[str, Any]:
    """The properties of EvseDataRecord in poicheck's payload schema."""
    properties: dict[str, Any] = record_schema(RULESET)["$defs"]["EvseDataRecord"]["properties"]
    return properties


@pytest.mark.slow
def test_e021_period_is_a_list_on_input_and_output(tmp_path: Path) -> None:
    closed = {**json_record(RULESET), "IsOpen24Hours": False}
    one = {"on": "Everyday", "Period": {"begin": "08:00", "end": "18:00"}}
    listed = {"on": "Everyday", "Period": [{"begin": "08:00", "end": "18:00"}]}
    records = [{**closed, "OpeningTimes": [one]}, {**closed, "OpeningTimes": [listed]}]
    report = validate(write_json(tmp_path / "r.json", records), select=["JSN005", "ACC016"])
    assert [(f.record, f.rule) for f in report.findings] == [(0, "ACC016"), (0, "JSN005")]
    cells = {**VALID_CELLS, "IsOpen24Hours": "false", "OpeningTimes": "Workdays 08:00-12:00"}
    (record,) = exported(cells)
    assert record["OpeningTimes"] == [
        {"Period": [{"begin": "08:00", "end": "12:00"}], "on": "Workdays"}
    ]
    period = wire_record()["OpeningTimes"]["items"]["properties"]["Period"]
    assert (period["type"], period["minItems"]) == ("array", 1)


@pytest.mark.slow
def test_e022_charging_modes_with_a_space_is_a_near_miss_read_as_meant(tmp_path: Path) -> None:
    record = json_record(RULESET)
    facility = record["ChargingFacilities"][0]
    facility["Charging Modes"] = facility.pop("ChargingModes")
    flat = Flattener(RULESET).flatten(record)
    assert flat.cells["ChargingFacilities.1.ChargingModes"] == "Mode_3"
    ((rule, key),) = [(f.rule, f.details["key"]) for f in flat.issues]
    assert (rule, key) == ("JSN008", "Charging Modes")
    cells = {**VALID_CELLS}
    cells["ChargingFacilities.1.Charging Modes"] = cells.pop("ChargingFacilities.1.ChargingModes")
    path = tmp_path / "modes.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([list(cells), list(cells.values())])
    report = validate(path, select=["TBL001"])
    assert [(f.rule, f.severity) for f in report.findings] == [("TBL001", "info")]
    (sent,) = exported(VALID_CELLS)
    assert sent["ChargingFacilities"][0]["ChargingModes"] == ["Mode_3"]
    facility_schema = wire_record()["ChargingFacilities"]["items"]
    assert "ChargingModes" in facility_schema["properties"]
    assert facility_schema["additionalProperties"] is False


@pytest.mark.slow
def test_e023_a_second_text_in_a_language_is_dropped(tmp_path: Path) -> None:
    names = [{"lang": "en", "value": "First"}, {"lang": "en", "value": "Second"}]
    path = write_json(
        tmp_path / "r.json", [{**json_record(RULESET), "ChargingStationNames": names}]
    )
    report = validate(path, select=["JSN004"])
    assert [(f.rule, f.value) for f in report.findings] == [("JSN004", "Second")]
    export = build_export(path, ExportOptions(**{**OPTIONS.__dict__, "include_invalid": True}))
    (record,) = json.loads(export.files[0].data)["OperatorEvseData"]["EvseDataRecord"]
    assert record["ChargingStationNames"] == [{"lang": "en", "value": "First"}]


def test_e024_e025_export_sends_periods_and_services_as_written() -> None:
    cells = {
        **VALID_CELLS,
        "IsOpen24Hours": "false",
        "OpeningTimes": "Everyday 22:00-06:00",
        "ValueAddedServices": "None;Reservation",
    }
    (record,) = exported(cells, include_invalid=True)
    assert record["OpeningTimes"] == [
        {"Period": [{"begin": "22:00", "end": "06:00"}], "on": "Everyday"}
    ]
    assert record["ValueAddedServices"] == ["None", "Reservation"]


@pytest.mark.slow
def test_e019_e020_warnings_leave_the_record_in_the_export_as_written() -> None:
    cells = {**VALID_CELLS, "ChargingStationImage": "station-1.jpg", "RenewableEnergy": "false"}
    report = validate(frame_of(cells), select=["TXT011", "NRG008"])
    assert sorted((f.rule, f.severity) for f in report.findings) == [
        ("NRG008", "warning"),
        ("TXT011", "warning"),
    ]
    (record,) = exported(cells)
    assert (record["ChargingStationImage"], record["RenewableEnergy"]) == ("station-1.jpg", False)


def test_e020_names_the_energy_types_as_the_rules_sort_them() -> None:
    (erratum,) = [e for e in RULESET.errata if e.id == "E020"]
    renewable, grey = erratum.choice.split(" are renewable; ")
    for rule, text in (("NRG008", renewable), ("NRG007", grey.split(" are grey")[0])):
        named = {word.strip(" ,") for word in text.replace(" and ", ", ").split(",")}
        assert named == set(RULESET.rules[rule].params["values"]), rule
