"""Mandatory means mandatory whatever the other records hold (issue 15, item 4): a table in
which no record gives a mandatory member of a list item still gets the finding for it."""

from __future__ import annotations

import csv
from pathlib import Path

from poicheck import validate
from poicheck.ruleset.loader import load_ruleset
from poicheck.table import ensure_columns, mandatory_members
from tests.records import VALID_CELLS, frame_of, json_record, write_json

RULESET = load_ruleset()
FACILITY = ("ChargingFacilities.1.PowerType", "ChargingFacilities.1.Power")


def _rules_at(report: object, field: str) -> set[str]:
    return {f.rule for f in report.findings if f.field == field}  # type: ignore[attr-defined]


def test_the_mandatory_members_of_each_item_are_named() -> None:
    columns = ["EvseID", "ChargingFacilities.1.Voltage", "ChargingFacilities.2.ChargingModes"]
    assert mandatory_members(columns, RULESET) == [
        "ChargingFacilities.1.PowerType",
        "ChargingFacilities.1.Power",
        "ChargingFacilities.2.PowerType",
        "ChargingFacilities.2.Power",
    ]
    frame = ensure_columns(frame_of(dict.fromkeys(columns, "x")), RULESET)
    assert {"ChargingFacilities.2.Power", "GeoCoordinates.Latitude"} <= set(frame.columns)
    assert frame["ChargingFacilities.2.Power"].isna().all()


def test_a_json_file_where_no_facility_has_power_gets_the_errors(tmp_path: Path) -> None:
    records = []
    for number in (1, 2):
        record = json_record(RULESET, {**VALID_CELLS, "EvseID": f"DE*PCK*E1001*{number}"})
        for facility in record["ChargingFacilities"]:
            del facility["PowerType"], facility["Power"]
        records.append(record)
    report = validate(write_json(tmp_path / "no-power.json", records), operator_id="DE*PCK")
    assert _rules_at(report, FACILITY[0]) == {"PWR004"}
    assert _rules_at(report, FACILITY[1]) == {"PWR006"}
    assert sum(f.rule in ("PWR004", "PWR006") for f in report.findings) == 4


def test_a_csv_without_the_columns_gets_the_errors(tmp_path: Path) -> None:
    cells = {k: v for k, v in VALID_CELLS.items() if k not in FACILITY}
    path = tmp_path / "no-power.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(cells)
        writer.writerow(cells.values())
    report = validate(path, operator_id="DE*PCK")
    assert _rules_at(report, FACILITY[0]) == {"PWR004"}
    assert _rules_at(report, FACILITY[1]) == {"PWR006"}


def test_a_table_without_facilities_is_told_so_once() -> None:
    cells = {k: v for k, v in VALID_CELLS.items() if not k.startswith("ChargingFacilities")}
    report = validate(frame_of(cells), operator_id="DE*PCK")
    assert "PWR003" in _rules_at(report, "ChargingFacilities")
    assert not {"PWR004", "PWR006"} & {f.rule for f in report.findings}
