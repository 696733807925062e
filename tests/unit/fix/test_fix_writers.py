"""The corrected copy in the input's own format: only the changed cells differ.

CSV keeps its delimiter, encoding, quoting and line endings byte for byte; a workbook keeps
its sheets, styles, column widths, comments, data validations and every other cell; OICP JSON
keeps its keys, their order and its layout. The input is never touched."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from poicheck.fix.run import FixOptions, FixResult, fix_file
from tests.records import VALID_CELLS, json_record
from tests.unit.fix.test_fix import RULESET

OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck Demo Hub"}


def fixed(path: Path, out: Path, **options: Any) -> FixResult:
    return fix_file(path, FixOptions(output=out, checks=OPERATOR, **options))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def records() -> list[dict[str, str]]:
    out = []
    for i in range(4):
        record = {**VALID_CELLS, "EvseID": f"DE*PCK*E100{i}*1"}
        record["AdditionalInfo.de"] = "Zwei Ladepunkte gegenüber dem Taxistand."
        out.append(record)
    out[0]["AdditionalInfo.en"] = 'Two points, "next to the lifts";\r\nlevel -1'  # quoted CRLF
    out[1]["CalibrationLawDataAvailability"] = "local"
    out[2]["ChargingFacilities.1.Power"] = "22kW"
    out[2]["ChargingFacilities.1.ChargingModes"] = "Mode 3"
    out[3]["Address.Country"] = "DE"
    out[3]["ChargingStationNames.en"] = " PoiCheck  Alexanderstraße "
    return out


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "encoding", "newline", "quoting", "bom"),
    [
        (";", "cp1252", "\r\n", csv.QUOTE_MINIMAL, b""),
        (",", "utf-8", "\n", csv.QUOTE_ALL, b"\xef\xbb\xbf"),
        ("\t", "utf-16-le", "\r\n", csv.QUOTE_MINIMAL, b"\xff\xfe"),
    ],
)
@pytest.mark.slow
def test_csv_copy_differs_only_in_the_changed_fields(
    tmp_path: Path, delimiter: str, encoding: str, newline: str, quoting: int, bom: bytes
) -> None:
    data = records()
    header = list(data[0])
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(header)
    for record in data:
        writer.writerow([record[c] for c in header])
    original = text.getvalue()
    source = tmp_path / "evse.csv"
    source.write_bytes(bom + original.encode(encoding))
    before = digest(source)
    result = fixed(source, tmp_path / "fixed.csv")
    quote = '"' if quoting == csv.QUOTE_ALL else ""
    expected = original
    for old, new in [
        ("local", "Local"),
        ("22kW", "22"),
        ("Mode 3", "Mode_3"),
        ("DE", "DEU"),
        (" PoiCheck  Alexanderstraße ", "PoiCheck Alexanderstraße"),
    ]:
        field = f"{delimiter}{quote}{old}{quote}{delimiter}"
        assert expected.count(field) == 1, old
        expected = expected.replace(field, f"{delimiter}{quote}{new}{quote}{delimiter}")
    assert (tmp_path / "fixed.csv").read_bytes() == bom + expected.encode(encoding)
    assert digest(source) == before
    assert len(result.changes) == 5
    assert result.after.frame[result.after.frame["severity"] == "error"].empty


def test_csv_field_that_needs_quotes_gets_them(tmp_path: Path) -> None:
    source = tmp_path / "evse.csv"
    header = list(VALID_CELLS)
    values = {**VALID_CELLS, "PaymentOptions": "contract;direct"}
    source.write_text(
        ",".join(header) + "\n" + ",".join(values[c] for c in header) + "\n", encoding="utf-8"
    )
    result = fixed(source, tmp_path / "out.csv")
    assert result.changes["after"].tolist() == ["Contract;Direct"]
    assert ",Contract;Direct," in (tmp_path / "out.csv").read_text(encoding="utf-8")


def test_a_csv_that_does_not_encode_back_is_refused(tmp_path: Path) -> None:
    from poicheck.errors import InputError

    source = tmp_path / "evse.csv"
    header = list(VALID_CELLS)
    values = {**VALID_CELLS, "CalibrationLawDataAvailability": "local"}
    text = ",".join(header) + "\n" + ",".join(values[c] for c in header) + "\n"
    # UTF-16 with a big-endian BOM is decoded; the copy must use the same byte order.
    source.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    result = fixed(source, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == b"\xfe\xff" + text.replace(
        ",local,", ",Local,"
    ).encode("utf-16-be")
    assert len(result.changes) == 1
    assert InputError  # the refusal path is covered by test_fix_cli (unusable input)


# --- XLSX ----------------------------------------------------------------------------------


def _workbook(path: Path) -> dict[str, Any]:
    """A user's workbook with what must survive a fix; returns where the planted cells are."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "EVSE"
    data = records()[1:]  # no multi-line text: keep the sheet simple
    for i, postal in enumerate(["10178", "10179", "10117"]):
        data[i].update({"Address.PostalCode": postal, "ChargingStationId": f"BER-{i}"})
    dresden = {
        "EvseID": "DE*PCK*E1009*1",
        "ChargingStationId": "DRS-01",
        "ChargingPoolID": "DE*PCK*P1009",
        "Address.PostalCode": "1067",  # Dresden, 01067: Excel dropped the zero
        "Address.City": "Dresden",
        "Address.Street": "Wilsdruffer Straße",
        "Address.Region": "Sachsen",
        "GeoCoordinates.Latitude": "51.050400",
        "GeoCoordinates.Longitude": "13.737300",
    }
    data.append({**data[2], **dresden})
    header = list(data[0])
    sheet.append(header)
    numbers = {"Address.PostalCode", "HotlinePhoneNumber", "GeoCoordinates.Latitude"}
    for record in data:
        row = []
        for column in header:
            value: Any = record[column]
            if column in numbers:
                value = float(value.lstrip("+")) if "." in value else int(value.lstrip("+"))
            row.append(value)
        sheet.append(row)
    column = {name: i + 1 for i, name in enumerate(header)}
    sheet.cell(row=2, column=column["GeoCoordinates.Latitude"]).value = 52.5219184999999
    sheet["A1"].font = Font(bold=True, color="FF0000")
    sheet["B3"].fill = PatternFill("solid", fgColor="FFFF00")
    sheet.column_dimensions["A"].width = 33.5
    sheet.freeze_panes = "B2"
    sheet["C2"].comment = Comment("checked by Anna", "Anna")
    law = column["CalibrationLawDataAvailability"]
    validation = DataValidation(type="list", formula1='"Local,External,Not Available"')
    sheet.add_data_validation(validation)
    validation.add(
        f"{sheet.cell(row=2, column=law).coordinate}:{sheet.cell(row=9, column=law).coordinate}"
    )
    notes = book.create_sheet("Notes")
    notes["A1"] = "Exported from the backend"
    notes["B2"] = "=1+1"
    notes.merge_cells("A4:C4")
    notes.sheet_state = "hidden"
    book.save(path)
    return {"column": column, "rows": len(data) + 1}


def _cells(book: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    out = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                out[(sheet.title, cell.coordinate)] = (
                    cell.value,
                    cell.font.b,
                    cell.font.color.rgb if cell.font.color else None,
                    cell.fill.fgColor.rgb,
                    cell.comment.text if cell.comment else None,
                )
    return out


@pytest.mark.slow
def test_workbook_copy_keeps_everything_but_the_changed_cells(tmp_path: Path) -> None:
    source = tmp_path / "evse.xlsx"
    planted = _workbook(source)
    before = digest(source)
    result = fixed(source, tmp_path / "fixed.xlsx")
    column = planted["column"]
    changed = {
        (int(r), str(c)): a
        for r, c, a in zip(
            result.changes["row"], result.changes["column"], result.changes["after"], strict=True
        )
    }
    assert changed == {
        (2, "CalibrationLawDataAvailability"): "Local",
        (2, "GeoCoordinates.Latitude"): "52.521918",
        (3, "ChargingFacilities.1.Power"): "22",
        (3, "ChargingFacilities.1.ChargingModes"): "Mode_3",
        (4, "Address.Country"): "DEU",
        (4, "ChargingStationNames.en"): "PoiCheck Alexanderstraße",
        (5, "Address.PostalCode"): "01067",
        (5, "Address.Country"): "DEU",
        (5, "ChargingStationNames.en"): "PoiCheck Alexanderstraße",
        # Excel made the phone numbers numbers: the '+' is back (TBL011)
        **{(row, "HotlinePhoneNumber"): "+493012084567" for row in (2, 3, 4, 5)},
    }
    assert digest(source) == before
    old, new = load_workbook(source), load_workbook(tmp_path / "fixed.xlsx")
    assert new.sheetnames == old.sheetnames
    assert new["Notes"].sheet_state == "hidden"
    a, b = _cells(old), _cells(new)
    assert set(a) == set(b)
    touched = {("EVSE", new["EVSE"].cell(row=r, column=column[c]).coordinate) for r, c in changed}
    assert {k for k in a if a[k] != b[k]} == touched
    sheet = new["EVSE"]
    assert sheet.cell(row=5, column=column["Address.PostalCode"]).value == "01067"
    assert sheet.cell(row=3, column=column["ChargingFacilities.1.Power"]).value == 22
    assert sheet.cell(row=2, column=column["GeoCoordinates.Latitude"]).value == 52.521918
    assert sheet.column_dimensions["A"].width == 33.5
    assert sheet.freeze_panes == "B2"
    assert [str(v.sqref) for v in sheet.data_validations.dataValidation] == [
        str(v.sqref) for v in old["EVSE"].data_validations.dataValidation
    ]
    assert new["Notes"].merged_cells.ranges == old["Notes"].merged_cells.ranges
    assert new["Notes"]["B2"].value == "=1+1"
    # The copy reads as fixed: none of the fixed findings is left.
    assert not (set(result.changes["rule"]) & set(result.after.frame["rule"]))


def test_phone_number_excel_made_a_number_gets_its_plus_back(tmp_path: Path) -> None:
    source = tmp_path / "evse.xlsx"
    header = list(VALID_CELLS)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    sheet.append([int(v[1:]) if c == "HotlinePhoneNumber" else v for c, v in VALID_CELLS.items()])
    book.save(source)
    result = fixed(source, tmp_path / "out.xlsx")
    assert result.changes[["rule", "before", "after", "applicability"]].values.tolist() == [
        ["TBL011", "493012084567", "+493012084567", "safe"]
    ]
    cell = load_workbook(tmp_path / "out.xlsx").active.cell(
        row=2, column=header.index("HotlinePhoneNumber") + 1
    )  # type: ignore[union-attr]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("+493012084567", "s", True)
    assert result.after.frame.empty


# --- OICP JSON -----------------------------------------------------------------------------


def _request(records_: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ActionType": "fullLoad",
        "OperatorEvseData": {
            "OperatorID": "DE*PCK",
            "OperatorName": "PoiCheck Demo Hub",
            "EvseDataRecord": records_,
        },
    }


def test_json_copy_changes_only_the_values(tmp_path: Path) -> None:
    first = json_record(RULESET)
    second = json_record(RULESET, {**VALID_CELLS, "EvseID": "DE*PCK*E1001*2"})
    first["CalibrationLawDataAvailability"] = "local"
    first["IsOpen24Hours"] = "true"  # a string where OICP wants a Boolean
    facility = second["ChargingFacilities"][0]
    facility["power"] = "22kW"  # a near miss of Power, with a unit
    del facility["Power"]
    facility["ChargingModes"] = ["Mode 3"]
    second["GeoCoordinates"] = {"Google": {"Coordinates": "52.521918, 13.413215"}}
    second = {"EvseID": second.pop("EvseID"), **dict(reversed(list(second.items())))}
    source = tmp_path / "push.json"
    text = json.dumps(_request([first, second]), ensure_ascii=False, indent=3)
    source.write_text(text, encoding="utf-8")
    result = fixed(source, tmp_path / "fixed.json")
    out = (tmp_path / "fixed.json").read_text(encoding="utf-8")
    expected = (
        text.replace('"local"', '"Local"')
        .replace('"IsOpen24Hours": "true"', '"IsOpen24Hours": true')
        .replace('"power": "22kW"', '"power": 22')
        .replace('"Mode 3"', '"Mode_3"')
    )
    assert out == expected
    assert set(result.changes["rule"]) == {"ACC002", "JSN001", "PWR007", "PWR010"}
    wire = result.changes[result.changes["rule"] == "JSN001"].iloc[0]
    assert bool(wire["wire"])
    from poicheck.fix.render import change_items

    item = next(i for i in change_items(result, result.changes) if i["rule"] == "JSN001")
    assert (item["before"], item["after"]) == ('"true"', "true")
    assert list(json.loads(out)["OperatorEvseData"]["EvseDataRecord"][1]) == list(second)


def test_swapped_google_coordinates_are_swapped_in_their_string(tmp_path: Path) -> None:
    record = json_record(RULESET)
    record["GeoCoordinates"] = {"Google": {"Coordinates": "13.413215,  52.521918"}}
    source = tmp_path / "one.json"
    source.write_text(json.dumps(_request([record]), indent=2), encoding="utf-8")
    result = fixed(source, tmp_path / "out.json", unsafe=True)
    assert set(result.changes["rule"]) == {"GEO009"}
    out = (tmp_path / "out.json").read_text(encoding="utf-8")
    assert out == source.read_text(encoding="utf-8").replace(
        '"13.413215,  52.521918"', '"52.521918,  13.413215"'
    )
    assert result.after.frame.empty


def test_json_lines_copy_changes_only_its_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(json_record(RULESET, {**VALID_CELLS, "EvseID": f"DE*PCK*E1*{i}"}))
        for i in range(3)
    ]
    lines[1] = lines[1].replace('"Local"', '"local"')
    source = tmp_path / "evse.jsonl"
    source.write_text("\n".join(lines[:2]) + "\n\n" + lines[2] + "\n", encoding="utf-8")
    result = fixed(source, tmp_path / "out.jsonl")
    assert result.changes["row"].tolist() == [2]
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == source.read_text(
        encoding="utf-8"
    ).replace('"local"', '"Local"')


@pytest.mark.slow
def test_coordinates_in_dms_are_listed_as_not_written(tmp_path: Path) -> None:
    record = json_record(RULESET, {**VALID_CELLS, "Address.Country": "DE"})
    # Berlin with latitude and longitude swapped, in DegreeMinuteSeconds.
    record["GeoCoordinates"] = {
        "DegreeMinuteSeconds": {"Latitude": "13°24'47.574''", "Longitude": "52°31'18.9048''"}
    }
    source = tmp_path / "one.json"
    source.write_text(json.dumps([record]), encoding="utf-8")
    result = fixed(source, tmp_path / "out.json", unsafe=True)
    assert result.changes["after"].tolist() == ["DEU"]
    assert set(result.not_written["rule"]) == {"GEO009"}
    assert set(result.not_written["reason"]) == {
        "coordinates in DegreeMinuteSeconds notation are not rewritten"
    }
    assert "GEO009" in set(result.after.frame["rule"])


def test_a_mapped_layout_is_fixed_in_its_own_columns(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "version: 1\n"
        "columns:\n"
        "  Land: Address.Country\n"
        "  Eichrecht:\n"
        "    to: CalibrationLawDataAvailability\n"
        "    values: {lokal: Local, extern: External}\n",
        encoding="utf-8",
    )
    names = {"Address.Country": "Land", "CalibrationLawDataAvailability": "Eichrecht"}
    values = {**VALID_CELLS, "Address.Country": "DE", "CalibrationLawDataAvailability": "local"}
    source = tmp_path / "backend.csv"
    source.write_text(
        ";".join(names.get(c, c) for c in values) + "\n" + ";".join(values.values()) + "\n",
        encoding="utf-8",
    )
    result = fix_file(
        source, FixOptions(output=tmp_path / "out.csv", checks={**OPERATOR, "mapping": mapping})
    )
    assert result.changes[["column", "after"]].values.tolist() == [["Address.Country", "DEU"]]
    assert result.not_written[["column", "reason"]].values.tolist() == [
        [
            "CalibrationLawDataAvailability",
            "column 'Eichrecht' is converted by the mapping; fix it there",
        ]
    ]
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == source.read_text(
        encoding="utf-8"
    ).replace(";DE;", ";DEU;")
