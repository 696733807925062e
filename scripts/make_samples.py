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

from sample_data import OPERATOR_ID, OPERATOR_NAME, valid_rows

from poicheck.oicp.convert import Builder
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
    """One planted mistake: the cells changed, and the findings it must cause.

    `finds` names rules reported on this record, at the first changed cell unless written
    `RULE@field`; `also` names findings the mistake causes on other records, `record:RULE@field`
    (the other EVSEs of a station, a duplicate's twin).
    """

    record: int
    cells: dict[str, str]
    finds: tuple[str, ...]
    mistake: str
    also: tuple[str, ...] = ()


_VALID = valid_rows()
STATION = "IDN004@ChargingStationId"
POOL = "IDN005@ChargingPoolID"

# fmt: off
PLANTED = [
    Plant(0, {"EvseID": "FR*XYZ*E1001*1"}, ("IDN001",), "EvseID of an operator that is not pushing (status 018)"),
    Plant(1, {"EvseID": "DE*Pck*E1001*2"}, ("EVS003",), "operator part of the EvseID in lower case"),
    Plant(2, {"ChargingPoolID": "BE*XYZ*P1001"}, ("IDN002",), "pool ID of another operator"),
    Plant(3, {"EvseID": "DE*PCK*1002*1"}, ("EVS002",), "EvseID without the 'E' before the instance"),
    Plant(5, {"ChargingPoolID": "DE*PCK*E1003"}, ("EVS004",), "pool ID with 'E' instead of 'P'"),
    Plant(6, {"EvseID": "DEPCKE10031"}, ("IDN003",), "EvseID of row 7 again, written without separators", ("5:IDN003@EvseID",)),
    Plant(7, {"ChargingStationNames.en": "", "ChargingStationNames.de": ""}, ("TXT001@ChargingStationNames",), "no station name at all"),
    Plant(8, {"ChargingStationNames.en": "n/a"}, ("TXT007",), "placeholder as station name"),
    Plant(9, {"AdditionalInfo.en": "Charging " * 17 + "Charging"}, ("TXT002",), "info text longer than 150 characters"),
    Plant(10, {"GeoCoordinates.Latitude": "50.950900"}, (STATION, POOL), "one EVSE 1.1 km away from the rest of its station"),
    Plant(11, {"HardwareManufacturer": "Alpitronic GmbH Hypercharger HYC300 Series Rev. B 2024", "ChargingStationImage": "CGN-DTZ-01.jpg"}, ("TXT004", "TXT011@ChargingStationImage"), "manufacturer longer than 50 characters; image as a file name, not a URL"),
    Plant(12, {"Address.Country": "DE"}, ("ADR002",), "alpha-2 country code"),
    Plant(13, {"OpeningTimes": "Everyday 06:00-22:00"}, ("OPN001",), "opening times although open 24 hours"),
    Plant(14, {"Address.City": ""}, ("ADR003",), "city missing (the station's differing address is folded into it)"),
    Plant(15, {"OpeningTimes": "Workdays 07:00-25:00"}, ("OPN002",), "a closing time that is not a clock time"),
    Plant(16, {"Address.Street": "A"}, ("ADR006",), "street of one character"),
    Plant(17, {"OpeningTimes": "Everyday 07:00-12:00 11:00-20:00"}, ("OPN003",), "overlapping opening periods"),
    Plant(18, {"Address.PostalCode": "D-80331 München"}, ("ADR008",), "postal code with city, too long"),
    Plant(19, {"PaymentOptions": "No Payment;Contract"}, ("ACC022",), "'No Payment' combined with another option"),
    Plant(20, {"Address.HouseNum": ""}, ("ADR009",), "house number missing"),
    Plant(21, {"ValueAddedServices": "None;Reservation"}, ("ACC023",), "'None' combined with a service"),
    Plant(22, {"Address.TimeZone": "Europe/Vienna"}, ("ADR015",), "IANA zone name instead of a UTC offset"),
    Plant(23, {"EnergySource.1.Percentage": "50", "EnergySource.2.Percentage": "20"}, ("NRG006@EnergySource",), "energy shares that add up to 70 %"),
    Plant(24, {"GeoCoordinates.Latitude": "48,208174"}, ("GEO002",), "decimal comma in the latitude"),
    Plant(25, {"GeoChargingPointEntrance.Longitude": ""}, ("GEO005",), "entrance with a latitude only"),
    Plant(26, {"Plugs": "NACS"}, ("STD006",), "only a plug type OICP 2.3 cannot name (NACS)"),
    Plant(27, {"GeoCoordinates.Latitude": "148.858461"}, ("GEO003",), "latitude typo outside -90..90"),
    Plant(28, {"RenewableEnergy": "true", "EnergySource.1.Energy": "Coal"}, ("NRG007",), "renewable energy supplied by coal"),
    Plant(29, {"Address.PostalCode": "50200"}, ("ADR017",), "five-digit postal code in Austria"),
    Plant(30, {"Plugs": "Type 2"}, ("PWR002",), "plug type not spelled as in the enumeration"),
    Plant(31, {"ChargingFacilities.1.PowerType": "AC"}, ("PWR005",), "power type 'AC' instead of AC_3_PHASE"),
    Plant(32, {"ChargingFacilities.1.Power": "22kW"}, ("PWR007",), "unit in the power cell"),
    Plant(33, {"ChargingFacilities.1.Power": ""}, ("PWR006",), "facility without power"),
    Plant(34, {"ChargingFacilities.1.Amperage": "125"}, ("STD001",), "DC current beyond OICP's 2 digits (a limit of the standard)"),
    Plant(35, {"ChargingFacilities.1.ChargingModes": "Mode 3", "ChargingStationNames.en": "4711", "ChargingStationLocationReference.en": "Level 2,  bay 7 ", "AdditionalInfo.en": "Fast charging\x7f around the clock."}, ("PWR010", "TXT014@ChargingStationNames.en", "TXT012@ChargingStationLocationReference.en", "TXT013@AdditionalInfo.en"), "charging mode with a space; a site number as station name; doubled and trailing spaces; a DEL character"),
    Plant(36, {"ChargingFacilities.1.Amperage": "", "ChargingStationNames.fr": "FR*ELC*E3002*4"}, ("PWR013", "TXT008@ChargingStationNames.fr"), "AC facility without amperage; EvseID as station name"),
    Plant(37, {"RenewableEnergy": "yes"}, ("NRG002",), "boolean written as yes"),
    Plant(38, {"EnergySource.1.Percentage": "100"}, ("STD005", "NRG006@EnergySource"), "100 % does not fit OICP's 2 digits"),
    Plant(39, {"ChargingFacilities.1.Voltage": "400"}, ("PWR014",), "400 V between phases instead of 230 V line to neutral (the power fits 230 V)"),
    Plant(40, {"CalibrationLawDataAvailability": "local", "Address.HouseNum": "n/a"}, ("ACC002", "ADR019@Address.HouseNum"), "enumeration in lower case; placeholder house number"),
    Plant(41, {"ChargingFacilities.1.Power": "11", "AdditionalInfo.en": ""}, ("PWR015", "TXT009@AdditionalInfo"), "11 kW for 3 x 230 V x 32 A; additional info without English"),
    Plant(42, {"AuthenticationModes": "RFID;REMOTE"}, ("ACC004",), "authentication mode not in the list"),
    Plant(43, {"Plugs": "Type 2 Outlet", "AdditionalInfo.xx": "Snelladen"}, ("PWR016", "TXT010@AdditionalInfo.xx"), "AC plug on a DC charger; text in language 'xx'"),
    Plant(44, {"PaymentOptions": "Contract;Credit Card"}, ("ACC006",), "payment option not in the list"),
    Plant(45, {"ChargingFacilities.1.Power": "50"}, ("PWR017",), "50 kW on an AC three-phase facility (not 3 x 230 V x 32 A, more than a Type 2 socket carries: one finding)"),
    Plant(46, {"Accessibility": "Public", "RenewableEnergy": "false"}, ("ACC010", "NRG008@RenewableEnergy"), "accessibility not in the list; grey energy declared for water and sun only"),
    Plant(47, {"ChargingFacilities.1.Voltage": "1250"}, ("STD002",), "voltage beyond OICP's 3 digits (a limit of the standard)"),
    Plant(48, {"HotlinePhoneNumber": "+41 44 520 88 00"}, ("ACC013",), "phone number with spaces"),
    Plant(48, {"ChargingFacilities.1.Power": "44", "ChargingFacilities.1.Amperage": "63"}, ("PWR018",), "44 kW from a Type 2 socket, which carries 43.5 kW (63 A)"),
    Plant(49, {"Address.TimeZone": "UTC-05:00"}, ("ADR018",), "time zone of another continent"),
    Plant(50, {"OpeningTimes": "", "IsOpen24Hours": "false"}, ("ACC016",), "not open 24 hours but no opening times"),
    Plant(51, {"Plugs": "Type 2 Outlet;NACS"}, ("STD004",), "a plug type OICP 2.3 cannot name (a limit of the standard)"),
    Plant(52, {"OpeningTimes": "Mo-Fr 07:00-22:00"}, ("ACC017",), "opening days not in OICP day values"),
    Plant(53, {"ChargingFacilities.1.Power": "1000"}, ("STD003",), "1 MW: beyond OICP's 3 digits (and a CCS plug's 500 kW: one finding)"),
    Plant(54, {"DynamicInfoAvailable": "yes"}, ("ACC021",), "DynamicInfoAvailable neither true, false nor auto"),
    Plant(55, {"GeoCoordinates.Latitude": "46.003700", "GeoCoordinates.Longitude": "8.951100"}, ("GEO008@GeoCoordinates",), "Milan station placed in Lugano, Switzerland"),
    Plant(56, {"Address.Country": "GER"}, ("ADR016",), "country code that does not exist"),
    Plant(57, {"GeoCoordinates.Latitude": "12.502000", "GeoCoordinates.Longitude": "41.902500", "HotlinePhoneNumber": "+0305132787"}, ("GEO009@GeoCoordinates", "ACC024@HotlinePhoneNumber"), "latitude and longitude swapped; OICP's example phone number"),
    Plant(58, {"GeoCoordinates.Latitude": "45.0650"}, ("GEO011",), "latitude with 4 decimals"),
    Plant(59, {"GeoChargingPointEntrance.Latitude": "0.0", "GeoChargingPointEntrance.Longitude": "0.0"}, ("GEO010@GeoChargingPointEntrance",), "entrance at (0, 0)"),
    # Address <-> coordinates (issue 16): on EVSEs of stations of three or more, so that the
    # station keeps a majority address and position (one plant per station).
    Plant(4, {"GeoCoordinates.Latitude": "52.519700", "GeoCoordinates.Longitude": "13.415100"}, ("GEO019@GeoCoordinates",), "coordinates of another station (10179) copied to this one (10785)", ("0:GEO019@GeoCoordinates", "1:GEO019@GeoCoordinates", "2:GEO019@GeoCoordinates")),
    Plant(47, {"Address.PostalCode": "3011"}, ("GEO016",), "postal code of Bern on a Zürich address"),
    Plant(1, {"Address.City": "Dortmund"}, ("GEO017",), "city of another town (Dortmund) at a Berlin postal code and position"),
    Plant(6, {"GeoCoordinates.Latitude": "52.992000"}, ("GEO015@GeoCoordinates",), "coordinates moved 61 km south of Hamburg"),
    Plant(31, {"GeoCoordinates.Latitude": "48.85", "GeoCoordinates.Longitude": "2.37"}, ("GEO018@GeoCoordinates",), "round placeholder coordinates (48.85, 2.37)"),
]
# fmt: on
EXTRA_INVALID_COLUMNS = ["AdditionalInfo.xx"]


def expected_findings(plant: Plant) -> list[tuple[int, str, str]]:
    """(record, rule, field) of every finding a plant must cause."""
    first = next(iter(plant.cells))
    out = []
    for item in plant.finds:
        rule, _, field = item.partition("@")
        out.append((plant.record, rule, field or first))
    for item in plant.also:
        record, _, rest = item.partition(":")
        rule, _, field = rest.partition("@")
        out.append((int(record), rule, field))
    return out


def invalid_rows() -> list[dict[str, str]]:
    rows = [dict(row) | dict.fromkeys(EXTRA_INVALID_COLUMNS, "") for row in valid_rows()]
    for plant in PLANTED:
        rows[plant.record].update(plant.cells)
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
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
    columns = list(rows[0])
    sheet.append(columns)
    for row in rows:
        sheet.append([_native(c, row[c]) for c in columns])
    sheet.freeze_panes = "B2"
    stamp = dt.datetime(2026, 11, 1)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.save(path)


def write_json(rows: list[dict[str, str]], path: Path) -> None:
    builder = Builder(load_ruleset(), tidy=False)  # the planted spaces stay
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
    """OICP JSON mistakes only JSON can make: wire types, unknown, empty and doubled properties,
    keys and shapes that are near misses."""
    builder = Builder(load_ruleset())
    records = [builder.build(row) for row in valid_rows()[:9]]
    records[0]["IsOpen24Hours"] = str(records[0]["IsOpen24Hours"]).lower()  # JSN001: as string
    records[1]["DynamicInfoAvailable"] = True  # JSN001: must be the string "true"
    records[2]["ChargingFacilities"][0]["Power"] = "22"  # JSN001: Integer as string
    records[3]["EvseId"] = records[3].pop("EvseID")  # JSN008: a near miss, read as EvseID
    records[4]["AdditionalInfo"] = []  # JSN003: empty optional list
    position = records[5]["GeoCoordinates"]["DecimalDegree"]
    google = f"{position['Latitude']} {position['Longitude']}"
    records[5]["GeoCoordinates"]["Google"] = {"Coordinates": google}  # GEO006: two notations
    facility = records[6]["ChargingFacilities"][0]  # JSN008 twice: lower-case keys
    respelt = {"PowerType": "powertype", "Power": "power"}
    records[6]["ChargingFacilities"][0] = {respelt.get(k, k): v for k, v in facility.items()}
    position = records[7]["GeoCoordinates"]["DecimalDegree"]  # JSN001: a Google string
    records[7]["GeoCoordinates"] = {"Google": f"{position['Latitude']} {position['Longitude']}"}
    records[8]["ChargingFacilities"] = records[8]["ChargingFacilities"][0]  # JSN001: no list
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
        "`evse-invalid.{csv,xlsx,json}` hold the 60 EVSEs of `../valid/` with typical mistakes",
        "planted in the listed records. Generated by `scripts/make_samples.py` (do not edit by",
        "hand); `planted.json` is the same list for the tests, with every finding each mistake",
        "must cause. Row = spreadsheet row (header is row 1); in the JSON file the record is",
        "`/OperatorEvseData/EvseDataRecord/<record>`. Validate with the samples' configuration",
        "(`samples/.poicheck.yaml`: operator DE*PCK and its five sub-operators), which poicheck",
        "finds by itself.",
        "",
        "| row | record | planted | rules | mistake |",
        "|---:|---:|---|---|---|",
    ]
    for p in PLANTED:
        shown = "; ".join(
            f"{field} = `{value if len(value) <= 24 else value[:21] + '...'}`"
            for field, value in p.cells.items()
        )
        rules = ", ".join(sorted({rule for _, rule, _ in expected_findings(p)}))
        lines.append(f"| {p.record + 2} | {p.record} | {shown} | {rules} | {p.mistake} |")
    lines += [
        "",
        "In the JSON file, values that cannot be typed (`22kW` for an Integer, `yes` for a",
        "Boolean, an OpeningTimes text that does not parse) stay strings and are also reported",
        "as JSON wire-type errors (JSN001).",
        "",
        "`evse-invalid-wire.json` shows mistakes only OICP JSON can make: a Boolean sent as a",
        "string (record 0), DynamicInfoAvailable as a JSON boolean (1), Power as a string (2), a",
        "misspelt `EvseId` (3), an empty optional list (4), two coordinate notations at once",
        "(5), lower-case facility keys `powertype` and `power` (6), a Google coordinate string instead",
        "of its object (7) and a single facility object instead of a list (8). A key or shape",
        "that is a near miss is named, and the value is still checked as what it means.",
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
    planted = [
        {
            "record": p.record,
            "row": p.record + 2,
            "cells": p.cells,
            "mistake": p.mistake,
            "findings": [
                {"record": r, "rule": rule, "field": field}
                for r, rule, field in expected_findings(p)
            ],
        }
        for p in PLANTED
    ]
    (root / "invalid/planted.json").write_text(
        json.dumps(planted, indent=2) + "\n", encoding="utf-8"
    )
    write_readme(root / "invalid/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
