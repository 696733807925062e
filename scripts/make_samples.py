"""Write the bundled samples: the valid dataset and the invalid one with planted mistakes.

    python scripts/make_samples.py [SAMPLES_DIR]

The valid rows come from sample_data.py. The invalid dataset is the valid one with one
mistake planted per listed record; `PLANTED` below is the single list of those mistakes, from
which samples/invalid/planted.json (read by the tests) and samples/invalid/README.md are made.
Each dataset is written as CSV, XLSX (native numbers and booleans, as Excel users keep them) and
an OICP eRoamingPushEvseData request.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_data import CANONICAL_COLUMNS, OPERATOR_ID, OPERATOR_NAME, valid_rows

from poicheck.oicp import Builder
from poicheck.ruleset.loader import load_ruleset

NATIVE_NUMBERS = ("Voltage", "Amperage", "Power", "Percentage", "MaxCapacity")
NATIVE_BOOLEANS = (
    "Address.ParkingFacility",
    "DynamicPowerLevel",
    "RenewableEnergy",
    "IsOpen24Hours",
    "IsHubjectCompatible",
)


class Plant(NamedTuple):
    record: int
    field: str
    value: str
    rule: str
    mistake: str


PLANTED = [
    Plant(1, "EvseID", "DE*Pck*E1001*2", "EVS003", "operator part of the EvseID in lower case"),
    Plant(3, "EvseID", "DE*PCK*1002*1", "EVS002", "EvseID without the 'E' before the instance"),
    Plant(5, "ChargingPoolID", "DE*PCK*E1003", "EVS004", "pool ID with 'E' instead of 'P'"),
    Plant(7, "ChargingStationNames.en", "", "TXT001", "no station name at all (en and de emptied)"),
    Plant(
        9, "AdditionalInfo.en", "Charging " * 18, "TXT002", "info text longer than 150 characters"
    ),
    Plant(
        11,
        "HardwareManufacturer",
        "Alpitronic GmbH Hypercharger HYC300 Series Rev. B 2024",
        "TXT004",
        "manufacturer longer than 50 characters",
    ),
    Plant(12, "Address.Country", "DE", "ADR002", "alpha-2 country code"),
    Plant(14, "Address.City", "", "ADR003", "city missing"),
    Plant(16, "Address.Street", "A", "ADR006", "street of one character"),
    Plant(18, "Address.PostalCode", "D-80331 München", "ADR008", "postal code with city, too long"),
    Plant(20, "Address.HouseNum", "", "ADR009", "house number missing"),
    Plant(
        22, "Address.TimeZone", "Europe/Vienna", "ADR015", "IANA zone name instead of a UTC offset"
    ),
    Plant(24, "GeoCoordinates.Latitude", "48,208174", "GEO002", "decimal comma in the latitude"),
    Plant(25, "GeoChargingPointEntrance.Longitude", "", "GEO005", "entrance with a latitude only"),
    Plant(26, "GeoCoordinates.Longitude", "16.37381912", "GEO002", "longitude with 8 decimals"),
    Plant(27, "GeoCoordinates.Latitude", "148.858461", "GEO003", "latitude typo outside -90..90"),
    Plant(30, "Plugs", "Type 2", "PWR002", "plug type not spelled as in the enumeration"),
    Plant(
        31,
        "ChargingFacilities.1.PowerType",
        "AC",
        "PWR005",
        "power type 'AC' instead of AC_3_PHASE",
    ),
    Plant(32, "ChargingFacilities.1.Power", "22kW", "PWR007", "unit in the power cell"),
    Plant(33, "ChargingFacilities.1.Power", "", "PWR006", "facility without power"),
    Plant(34, "ChargingFacilities.1.Amperage", "125", "PWR009", "amperage beyond OICP's 2 digits"),
    Plant(
        35, "ChargingFacilities.1.ChargingModes", "Mode 3", "PWR010", "charging mode with a space"
    ),
    Plant(37, "RenewableEnergy", "yes", "NRG002", "boolean written as yes"),
    Plant(38, "EnergySource.1.Percentage", "100", "NRG004", "100 % does not fit OICP's 2 digits"),
    Plant(40, "CalibrationLawDataAvailability", "local", "ACC002", "enumeration in lower case"),
    Plant(
        42, "AuthenticationModes", "RFID;REMOTE", "ACC004", "authentication mode not in the list"
    ),
    Plant(44, "PaymentOptions", "Contract;Credit Card", "ACC006", "payment option not in the list"),
    Plant(46, "Accessibility", "Public", "ACC010", "accessibility not in the list"),
    Plant(48, "HotlinePhoneNumber", "+41 44 520 88 00", "ACC013", "phone number with spaces"),
    Plant(50, "OpeningTimes", "", "ACC016", "not open 24 hours but no opening times"),
    Plant(52, "OpeningTimes", "Mo-Fr 07:00-22:00", "ACC017", "opening days not in OICP day values"),
    Plant(
        54,
        "DynamicInfoAvailable",
        "yes",
        "ACC021",
        "DynamicInfoAvailable neither true, false nor auto",
    ),
]


def invalid_rows() -> list[dict[str, str]]:
    rows = [dict(row) for row in valid_rows()]
    for plant in PLANTED:
        row = rows[plant.record]
        row[plant.field] = plant.value
        if plant.rule == "TXT001":
            for column in CANONICAL_COLUMNS:
                if column.startswith("ChargingStationNames."):
                    row[column] = ""
        if plant.rule == "GEO005":
            assert row["GeoChargingPointEntrance.Latitude"], "plant GEO005 on a garage site"
        if plant.rule == "ACC016":
            row["IsOpen24Hours"] = "false"
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CANONICAL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _native(column: str, text: str) -> Any:
    if text == "":
        return None
    if column in NATIVE_BOOLEANS and text in ("true", "false"):
        return text == "true"
    if column.rsplit(".", 1)[-1] in NATIVE_NUMBERS and text.isdigit():
        return int(text)
    return text


def write_xlsx(rows: list[dict[str, str]], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "EVSE"
    sheet.append(CANONICAL_COLUMNS)
    for row in rows:
        sheet.append([_native(c, row[c]) for c in CANONICAL_COLUMNS])
    sheet.freeze_panes = "B2"
    stamp = dt.datetime(2026, 11, 1)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.save(path)


def write_json(rows: list[dict[str, str]], path: Path) -> None:
    builder = Builder(load_ruleset())
    document = {
        "ActionType": "fullLoad",
        "OperatorEvseData": {
            "OperatorID": OPERATOR_ID,
            "OperatorName": OPERATOR_NAME,
            "EvseDataRecord": [builder.build(row) for row in rows],
        },
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_wire_sample(path: Path) -> None:
    """OICP JSON mistakes only JSON can make: wire types, unknown, empty and doubled properties."""
    builder = Builder(load_ruleset())
    records = [builder.build(row) for row in valid_rows()[:6]]
    records[0]["IsOpen24Hours"] = "true"  # JSN001: Boolean as string
    records[1]["DynamicInfoAvailable"] = True  # JSN001: must be the string "true"
    records[2]["ChargingFacilities"][0]["Power"] = "22"  # JSN001: Integer as string
    records[3]["EvseId"] = records[3].pop("EvseID")  # JSN002 + EVS001: misspelt property
    records[4]["AdditionalInfo"] = []  # JSN003: empty optional list
    records[5]["GeoCoordinates"]["Google"] = {"Coordinates": "46.948090 7.447440"}  # GEO006
    document = {
        "ActionType": "fullLoad",
        "OperatorEvseData": {
            "OperatorID": OPERATOR_ID,
            "OperatorName": OPERATOR_NAME,
            "EvseDataRecord": records,
        },
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_readme(path: Path) -> None:
    lines = [
        "# The invalid sample",
        "",
        "`evse-invalid.{csv,xlsx,json}` hold the 60 EVSEs of `../valid/` with one typical mistake",
        "planted per listed record. Generated by `scripts/make_samples.py` (do not edit by hand);",
        "`planted.json` is the same list for the tests. Row = spreadsheet row (header is row 1);",
        "in the JSON file the record is `/OperatorEvseData/EvseDataRecord/<record>`.",
        "",
        "| row | record | field | planted value | rule | mistake |",
        "|---:|---:|---|---|---|---|",
    ]
    for p in PLANTED:
        shown = p.value if len(p.value) <= 30 else p.value[:27] + "..."
        lines.append(
            f"| {p.record + 2} | {p.record} | {p.field} | `{shown}` | {p.rule} | {p.mistake} |"
        )
    lines += [
        "",
        "In the JSON file, values that cannot be typed (`22kW` for an Integer, `yes` for a",
        "Boolean, an OpeningTimes text that does not parse) stay strings and are also reported",
        "as JSON wire-type errors (JSN001).",
        "",
        "`evse-invalid-wire.json` shows mistakes only OICP JSON can make: a Boolean sent as a",
        "string (record 0), DynamicInfoAvailable as a JSON boolean (1), Power as a string (2), a",
        "misspelt `EvseId` (3), an empty optional list (4) and two coordinate notations at once",
        "(5).",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "samples"
    (root / "valid").mkdir(parents=True, exist_ok=True)
    (root / "invalid").mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("valid/evse-valid", valid_rows()),
        ("invalid/evse-invalid", invalid_rows()),
    ):
        write_csv(rows, root / f"{name}.csv")
        write_xlsx(rows, root / f"{name}.xlsx")
        write_json(rows, root / f"{name}.json")
    write_wire_sample(root / "invalid/evse-invalid-wire.json")
    planted = [p._asdict() | {"row": p.record + 2} for p in PLANTED]
    (root / "invalid/planted.json").write_text(
        json.dumps(planted, indent=2) + "\n", encoding="utf-8"
    )
    write_readme(root / "invalid/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
