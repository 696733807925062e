"""Readers: CSV, XLSX and OICP JSON turn into the same canonical table of text cells."""

from __future__ import annotations

import codecs
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from poicheck import validate
from poicheck.errors import InputError
from poicheck.oicp import coordinates as geo
from poicheck.readers import read_table
from poicheck.readers.csvsniff import detect_encoding
from poicheck.readers.encoding import REPLACING
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable
from tests.records import VALID_CELLS, json_record, write_json

HEADER = ["EvseID", "Address.City", "Address.Street", "Address.PostalCode", "HotlinePhoneNumber"]
BODY = [
    ["DE*PCK*E1", "Düsseldorf", "Königsallee Straße", "01067", "+4930123456"],
    ["DE*PCK*E2", "Köln", "Hohe Straße", "50667", "+4922112345"],
]
EXPECTED = [dict(zip(HEADER, row, strict=True)) for row in BODY]


def cells(table: CanonicalTable) -> list[dict[str, str | None]]:
    """The table's cells as plain dicts, None for an empty cell."""
    frame = table.frame.astype(object)
    records = frame.where(frame.notna(), None).to_dict(orient="records")
    return [{str(key): value for key, value in record.items()} for record in records]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> Path:
    text = newline.join(delimiter.join(row) for row in rows) + newline
    path.write_bytes(text.encode(encoding))
    return path


def workbook(path: Path, rows: Sequence[Sequence[Any]], *, title: str = "EVSE") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


# --- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_csv_delimiters_give_the_same_table(
    delimiter: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = write_csv(tmp_path / "data.csv", [HEADER, *BODY], delimiter=delimiter)
    table = read_table(path, ruleset)
    assert cells(table) == EXPECTED
    assert table.rows.tolist() == [2, 3]
    assert table.reader_findings == []
    assert table.source.format == "csv"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("cp1252", b""),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1252"],
)
def test_csv_encodings_give_the_same_cells(
    encoding: str, bom: bytes, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = tmp_path / "data.csv"
    text = "\r\n".join(";".join(row) for row in [HEADER, *BODY]) + "\r\n"
    path.write_bytes(bom + text.encode(encoding))
    table = read_table(path, ruleset)
    assert cells(table) == EXPECTED
    # The BOM does not end up in the first header (EvseID would be an unknown column); a
    # file read in another encoding than UTF-8 says so.
    assert [f.rule for f in table.reader_findings] == (["TBL014"] if encoding == "cp1252" else [])
    assert "EvseID" in table.frame.columns


def test_csv_cp1252_bytes_really_are_not_utf8(tmp_path: Path, ruleset: RuleSet) -> None:
    raw = "EvseID;Address.City;Address.Street\r\nDE*PCK*E1;Düsseldorf;Straße\r\n".encode("cp1252")
    assert b"D\xfcsseldorf" in raw
    assert b"Stra\xdfe" in raw
    assert detect_encoding(raw) == "cp1252"
    table = read_table(_bytes(tmp_path / "latin.csv", raw), ruleset)
    assert cells(table) == [
        {"EvseID": "DE*PCK*E1", "Address.City": "Düsseldorf", "Address.Street": "Straße"}
    ]


def test_csv_explicit_encoding_overrides_detection(tmp_path: Path, ruleset: RuleSet) -> None:
    raw = "EvseID;Address.City\r\nDE*PCK*E1;Düsseldorf\r\n".encode("cp1252")
    table = read_table(_bytes(tmp_path / "latin.csv", raw), ruleset, encoding="cp1252")
    assert cells(table) == [{"EvseID": "DE*PCK*E1", "Address.City": "Düsseldorf"}]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"EvseID\n", "utf-8"),
        ("Köln\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + b"EvseID\n", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "EvseID\n".encode("utf-16-le"), "utf-16"),
        ("Köln\n".encode("cp1252"), "cp1252"),
        # Decided on all bytes: mostly UTF-8 with one damaged byte stays UTF-8 (U+FFFD)...
        ("Köln Düsseldorf\n".encode() + "Straße\n".encode("cp1252"), REPLACING),
        # ... a byte Windows-1252 leaves undefined makes it Latin-1.
        ("Straße\n".encode("cp1252") + b"\x81", "latin-1"),
    ],
)
def test_detect_encoding(sample: bytes, expected: str) -> None:
    assert detect_encoding(sample) == expected


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_csv_quoted_newlines_delimiters_and_crlf(tmp_path: Path, ruleset: RuleSet) -> None:
    text = (
        "EvseID,AdditionalInfo.en,Address.Street\r\n"
        '"DE*PCK*E1","Two points\nnext to the lifts","Hohe Straße"\r\n'
        '"DE*PCK*E2","Say ""hello"", then charge",Alexanderplatz\r\n'
    )
    path = tmp_path / "quoted.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read_table(path, ruleset)
    assert cells(table) == [
        {
            "EvseID": "DE*PCK*E1",
            "Address.Street": "Hohe Straße",
            "AdditionalInfo.en": "Two points\nnext to the lifts",
        },
        {
            "EvseID": "DE*PCK*E2",
            "Address.Street": "Alexanderplatz",
            "AdditionalInfo.en": 'Say "hello", then charge',
        },
    ]
    # Records, not physical lines: the second record is spreadsheet row 3.
    assert table.rows.tolist() == [2, 3]


@pytest.mark.parametrize(
    ("delimiter", "plugs", "info"),
    [
        (",", "Type 2 Outlet;CHAdeMO", "Level -1; bay 3"),
        (";", "Type 2 Outlet", '"Open daily, 24 hours, free parking"'),
        ("\t", "Type 2 Outlet;CHAdeMO", "Near the lifts, level -1; bay 3"),
    ],
    ids=["comma-with-lists", "semicolon-with-commas", "tab-with-both"],
)
def test_csv_delimiter_detection_is_not_fooled_by_values(
    delimiter: str, plugs: str, info: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    header = ["EvseID", "Plugs", "AdditionalInfo.en", "Address.City"]
    rows = [header] + [[f"DE*PCK*E{i}", plugs, info, "Berlin"] for i in range(3)]
    table = read_table(write_csv(tmp_path / "lists.csv", rows, delimiter=delimiter), ruleset)
    assert table.reader_findings == []
    assert [c["Plugs"] for c in cells(table)] == [plugs] * 3
    assert [c["AdditionalInfo.en"] for c in cells(table)] == [info.strip('"')] * 3


def test_csv_keeps_text_as_text(tmp_path: Path, ruleset: RuleSet) -> None:
    header = [
        "Address.PostalCode",
        "HotlinePhoneNumber",
        "ChargingFacilities.1.Power",
        "GeoCoordinates.Latitude",
        "IsOpen24Hours",
        "Address.HouseNum",
    ]
    row = ["01067", "+493012084567", "22", "52.520000", "TRUE", "007"]
    table = read_table(write_csv(tmp_path / "text.csv", [header, row]), ruleset)
    assert cells(table) == [dict(zip(header, row, strict=True))]
    assert all(str(dtype) == "str" for dtype in table.frame.dtypes)


def test_csv_header_alias_is_resolved(tmp_path: Path, ruleset: RuleSet) -> None:
    path = write_csv(tmp_path / "alias.csv", [["EvseID", "ChargingStationID"], ["DE*PCK*E1", "S1"]])
    table = read_table(path, ruleset)
    assert cells(table) == [{"EvseID": "DE*PCK*E1", "ChargingStationId": "S1"}]
    assert table.reader_findings == []


def test_unknown_column_gives_one_info_finding_per_file(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "Bemerkung"], ["DE*PCK*E1", "a"], ["DE*PCK*E2", "b"], ["DE*PCK*E3", "c"]]
    first = write_csv(tmp_path / "one.csv", rows)
    second = write_csv(tmp_path / "two.csv", rows)
    assert "Bemerkung" not in read_table(first, ruleset).frame.columns
    report = validate([first, second], ruleset=ruleset, select=["TBL"])
    hits = [f for f in report.findings if f.rule == "TBL001"]
    assert [(f.file, f.field, f.severity, f.row) for f in hits] == [
        (str(first), "Bemerkung", "info", None),
        (str(second), "Bemerkung", "info", None),
    ]
    assert "Bemerkung" in hits[0].message


def test_unknown_column_close_to_a_property_gets_a_hint(tmp_path: Path, ruleset: RuleSet) -> None:
    path = write_csv(tmp_path / "typo.csv", [["EvseId", "Address.City"], ["DE*PCK*E1", "Berlin"]])
    report = validate(path, ruleset=ruleset, select=["TBL001"])
    assert [f.field for f in report.findings] == ["EvseId"]
    assert "did you mean EvseID?" in report.findings[0].message


def test_data_under_an_empty_header_is_reported(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "", "Address.City", ""], ["DE*PCK*E1", "note", "Berlin", ""]]
    path = write_csv(tmp_path / "noheader.csv", rows)
    assert cells(read_table(path, ruleset)) == [{"EvseID": "DE*PCK*E1", "Address.City": "Berlin"}]
    report = validate(path, ruleset=ruleset, select=["TBL"])
    # Only the empty-headed column that holds data is worth a word.
    assert [(f.rule, f.field) for f in report.findings] == [("TBL001", "(column 2)")]
    assert "no header" in report.findings[0].message


def test_duplicate_column_gives_tbl002_and_keeps_the_first(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows = [["EvseID", "Address.City", "EvseID"], ["DE*PCK*E1", "Berlin", "DE*PCK*E9"]]
    path = write_csv(tmp_path / "dup.csv", rows)
    table = read_table(path, ruleset)
    assert cells(table) == [{"EvseID": "DE*PCK*E1", "Address.City": "Berlin"}]
    report = validate(path, ruleset=ruleset, select=["TBL"])
    assert [(f.rule, f.field, f.severity) for f in report.findings] == [
        ("TBL002", "EvseID", "error")
    ]


def test_alias_and_canonical_name_together_are_a_duplicate(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows = [["ChargingStationId", "ChargingStationID"], ["S1", "S2"]]
    report = validate(write_csv(tmp_path / "dup.csv", rows), ruleset=ruleset, select=["TBL"])
    assert [(f.rule, f.field) for f in report.findings] == [("TBL002", "ChargingStationId")]


def test_csv_wholly_empty_rows_are_dropped_and_row_numbers_kept(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows = [
        ["EvseID", "Address.City"],
        ["DE*PCK*E1", "Berlin"],
        ["", ""],
        ["  ", " "],
        ["DE*PCK*E2", "Köln"],
    ]
    table = read_table(write_csv(tmp_path / "gaps.csv", rows), ruleset)
    assert [c["EvseID"] for c in cells(table)] == ["DE*PCK*E1", "DE*PCK*E2"]
    assert table.rows.tolist() == [2, 5]


def test_csv_blank_lines_keep_row_numbers(tmp_path: Path, ruleset: RuleSet) -> None:
    """A blank line (no delimiters at all) is a spreadsheet row too: rows after it keep their
    numbers (the row a user sees when opening the file)."""
    path = tmp_path / "blank.csv"
    path.write_text("EvseID,Address.City\nDE*PCK*E1,Berlin\n\nDE*PCK*E2,Köln\n", encoding="utf-8")
    table = read_table(path, ruleset)
    assert [c["EvseID"] for c in cells(table)] == ["DE*PCK*E1", "DE*PCK*E2"]
    assert table.rows.tolist() == [2, 4]


def test_finding_rows_are_spreadsheet_rows(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "Address.City"], ["DE*PCK*E1", "Berlin"], ["", ""], ["DE*PCK*1", "Köln"]]
    report = validate(write_csv(tmp_path / "rows.csv", rows), ruleset=ruleset, select=["EVS002"])
    assert [(f.row, f.record, f.value) for f in report.findings] == [(4, 1, "DE*PCK*1")]


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_native_values_become_text(tmp_path: Path, ruleset: RuleSet) -> None:
    header = [
        "EvseID",
        "RenewableEnergy",
        "IsOpen24Hours",
        "ChargingFacilities.1.Power",
        "ChargingFacilities.2.Power",
        "Address.PostalCode",
        "GeoCoordinates.Latitude",
        "HotlinePhoneNumber",
    ]
    row = ["DE*PCK*E1", True, False, 22, 3.7, "01067", 52.521918, "+4930123456"]
    table = read_table(workbook(tmp_path / "native.xlsx", [header, row]), ruleset)
    assert cells(table) == [
        {
            "EvseID": "DE*PCK*E1",
            "Address.PostalCode": "01067",
            "GeoCoordinates.Latitude": "52.521918",
            "HotlinePhoneNumber": "+4930123456",
            "ChargingFacilities.1.Power": "22",
            "ChargingFacilities.2.Power": "3.7",
            "RenewableEnergy": "true",
            "IsOpen24Hours": "false",
        }
    ]
    assert table.source.format == "xlsx"
    assert table.source.sheet == "EVSE"


def test_xlsx_integer_written_as_float_number_has_no_decimal_point(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows: list[list[Any]] = [
        ["EvseID", "ChargingFacilities.1.Power"],
        ["DE*PCK*E1", 22.0],
        ["DE*PCK*E2", 350],
    ]
    table = read_table(workbook(tmp_path / "float.xlsx", rows), ruleset)
    assert [c["ChargingFacilities.1.Power"] for c in cells(table)] == ["22", "350"]


def test_xlsx_and_csv_give_the_same_cells(tmp_path: Path, ruleset: RuleSet) -> None:
    header = list(VALID_CELLS)
    values = list(VALID_CELLS.values())
    from_xlsx = read_table(workbook(tmp_path / "v.xlsx", [header, values]), ruleset)
    csv_path = tmp_path / "v.csv"
    csv_path.write_text(
        "\n".join(",".join(row) for row in [header, values]) + "\n", encoding="utf-8"
    )
    from_csv = read_table(csv_path, ruleset)
    assert cells(from_xlsx) == cells(from_csv) == [VALID_CELLS]
    assert list(from_xlsx.frame.columns) == list(from_csv.frame.columns)


def test_xlsx_empty_rows_dropped_with_right_row_numbers(tmp_path: Path, ruleset: RuleSet) -> None:
    rows: list[list[Any]] = [
        ["EvseID", "Address.City"],
        ["DE*PCK*E1", "Berlin"],
        [None, None],
        ["", "  "],
        ["DE*PCK*E2", "Köln"],
    ]
    table = read_table(workbook(tmp_path / "gaps.xlsx", rows), ruleset)
    assert [c["EvseID"] for c in cells(table)] == ["DE*PCK*E1", "DE*PCK*E2"]
    assert table.rows.tolist() == [2, 5]


def _three_sheets(path: Path) -> Path:
    book = Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "Lookup"
    hidden.sheet_state = "hidden"
    hidden.append(["EvseID"])
    hidden.append(["HIDDEN"])
    data = book.create_sheet("Data")
    data.append(["EvseID", "Address.City"])
    data.append(["DE*PCK*E1", "Berlin"])
    other = book.create_sheet("Other")
    # Header in row 2: the first row is empty.
    other["A2"], other["B2"] = "EvseID", "Address.City"
    other["A3"], other["B3"] = "DE*PCK*E3", "Bonn"
    other["A5"], other["B5"] = "DE*PCK*E4", "Köln"
    book.active = 1
    book.save(path)
    return path


def test_xlsx_first_visible_sheet_by_default(tmp_path: Path, ruleset: RuleSet) -> None:
    table = read_table(_three_sheets(tmp_path / "sheets.xlsx"), ruleset)
    assert table.source.sheet == "Data"
    assert cells(table) == [{"EvseID": "DE*PCK*E1", "Address.City": "Berlin"}]


def test_xlsx_sheet_option_and_header_below_an_empty_row(tmp_path: Path, ruleset: RuleSet) -> None:
    table = read_table(_three_sheets(tmp_path / "sheets.xlsx"), ruleset, sheet="Other")
    assert table.source.sheet == "Other"
    assert [c["EvseID"] for c in cells(table)] == ["DE*PCK*E3", "DE*PCK*E4"]
    assert table.rows.tolist() == [3, 5]


def test_xlsx_hidden_sheet_can_be_chosen_explicitly(tmp_path: Path, ruleset: RuleSet) -> None:
    table = read_table(_three_sheets(tmp_path / "sheets.xlsx"), ruleset, sheet="Lookup")
    assert cells(table) == [{"EvseID": "HIDDEN"}]


def test_xlsx_unknown_sheet_names_the_sheets(tmp_path: Path, ruleset: RuleSet) -> None:
    path = _three_sheets(tmp_path / "sheets.xlsx")
    with pytest.raises(InputError) as caught:
        read_table(path, ruleset, sheet="Nope")
    assert caught.value.location == str(path)
    assert "Nope" in caught.value.message
    assert "Lookup, Data, Other" in caught.value.message


def test_xlsx_finding_rows_with_header_in_row_two(tmp_path: Path, ruleset: RuleSet) -> None:
    path = _three_sheets(tmp_path / "sheets.xlsx")
    report = validate(path, ruleset=ruleset, sheet="Other", select=["ADR005"])
    assert [f.row for f in report.findings] == [3, 5]
    assert {f.sheet for f in report.findings} == {"Other"}


# --- JSON ---------------------------------------------------------------------------------------

ENVELOPE = {"OperatorID": "DE*PCK", "OperatorName": "PoiCheck Demo Hub"}


def _document(form: str, records: list[Any]) -> Any:
    if form == "request":
        return {
            "ActionType": "fullLoad",
            "OperatorEvseData": {**ENVELOPE, "EvseDataRecord": records},
        }
    if form == "operator":
        return {**ENVELOPE, "EvseDataRecord": records}
    return records


@pytest.mark.parametrize("form", ["request", "operator", "array"])
def test_json_forms_give_the_same_cells(form: str, tmp_path: Path, ruleset: RuleSet) -> None:
    records = [json_record(ruleset), json_record(ruleset, {**VALID_CELLS, "EvseID": "DE*PCK*E2"})]
    table = read_table(write_json(tmp_path / f"{form}.json", _document(form, records)), ruleset)
    assert cells(table) == [VALID_CELLS, {**VALID_CELLS, "EvseID": "DE*PCK*E2"}]
    assert table.rows.tolist() == [1, 2]
    assert table.reader_findings == []
    assert table.source.format == "json"


@pytest.mark.parametrize(
    ("form", "envelope"),
    [
        ("request", {"ActionType": "fullLoad", **ENVELOPE}),
        ("operator", ENVELOPE),
        ("array", None),
    ],
)
def test_json_envelope_is_picked_up(
    form: str, envelope: dict[str, str] | None, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = write_json(tmp_path / f"{form}.json", _document(form, [json_record(ruleset)]))
    assert read_table(path, ruleset).envelope == envelope


def test_json_envelope_values_are_checked(tmp_path: Path, ruleset: RuleSet) -> None:
    document = {
        "ActionType": "FullLoad",
        "OperatorEvseData": {
            "OperatorID": "DEU*ABC",
            "OperatorName": "PoiCheck",
            "EvseDataRecord": [json_record(ruleset)],
        },
    }
    report = validate(write_json(tmp_path / "env.json", document), ruleset=ruleset, select=["ENV"])
    assert sorted((f.rule, f.field, f.pointer, f.value, f.row) for f in report.findings) == [
        ("ENV001", "ActionType", "/ActionType", "FullLoad", None),
        ("ENV003", "OperatorID", "/OperatorEvseData/OperatorID", "DEU*ABC", None),
    ]


def test_json_record_as_a_single_object(tmp_path: Path, ruleset: RuleSet) -> None:
    table = read_table(write_json(tmp_path / "one.json", json_record(ruleset)), ruleset)
    assert cells(table) == [VALID_CELLS]


def _with_geo(ruleset: RuleSet, notation: dict[str, Any]) -> dict[str, Any]:
    return {**json_record(ruleset), "GeoCoordinates": notation}


@pytest.mark.parametrize(
    ("notation", "latitude", "longitude"),
    [
        ({"Google": {"Coordinates": "52.521918 13.413215"}}, "52.521918", "13.413215"),
        ({"Google": {"Coordinates": "52.521918,13.413215"}}, "52.521918", "13.413215"),
        ({"Google": {"Coordinates": "-33.8688 , 151.2093"}}, "-33.8688", "151.2093"),
        (
            {"DegreeMinuteSeconds": {"Latitude": "52°31'18.90''", "Longitude": "13°24'47.57''"}},
            "52.521917",
            "13.413214",
        ),
        (
            {"DegreeMinuteSeconds": {"Latitude": "-33°52'7.68''", "Longitude": "-70°39'0.00''"}},
            "-33.868800",
            "-70.650000",
        ),
        (
            {"DecimalDegree": {"Latitude": "52.521918", "Longitude": "13.413215"}},
            "52.521918",
            "13.413215",
        ),
    ],
    ids=["google-space", "google-comma", "google-negative", "dms", "dms-negative", "decimal"],
)
def test_json_coordinates_become_decimal_degrees(
    notation: dict[str, Any], latitude: str, longitude: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = write_json(tmp_path / "geo.json", [_with_geo(ruleset, notation)])
    table = read_table(path, ruleset)
    row = cells(table)[0]
    assert (row["GeoCoordinates.Latitude"], row["GeoCoordinates.Longitude"]) == (
        latitude,
        longitude,
    )
    assert table.notations["GeoCoordinates"].tolist() == list(notation)
    # Format and range only: the quality rules (GEO008...) would rightly place Santiago
    # outside the record's Germany.
    field_rules = [f"GEO00{i}" for i in range(1, 8)]
    assert validate(path, ruleset=ruleset, select=field_rules).findings == []


@pytest.mark.parametrize(
    ("notation", "pointer"),
    [
        ({"Google": {"Coordinates": "152.521918 13.413215"}}, "/GeoCoordinates/Google/Coordinates"),
        (
            {"DegreeMinuteSeconds": {"Latitude": "152°31'18.90''", "Longitude": "13°24'47.57''"}},
            "/GeoCoordinates/DegreeMinuteSeconds/Latitude",
        ),
        (
            {"DecimalDegree": {"Latitude": "152.521918", "Longitude": "13.413215"}},
            "/GeoCoordinates/DecimalDegree/Latitude",
        ),
    ],
    ids=["google", "dms", "decimal"],
)
def test_geo_finding_pointers_follow_the_wire_notation(
    notation: dict[str, Any], pointer: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = write_json(tmp_path / "geo.json", [_with_geo(ruleset, notation)])
    findings = validate(path, ruleset=ruleset, select=["GEO003"]).findings
    assert [(f.rule, f.field, f.record) for f in findings] == [
        ("GEO003", "GeoCoordinates.Latitude", 0)
    ]
    assert findings[0].pointer.endswith(pointer)


def test_csv_geo_pointer_is_decimal_degree(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "GeoCoordinates.Latitude"], ["DE*PCK*E1", "152.5"]]
    report = validate(write_csv(tmp_path / "g.csv", rows), ruleset=ruleset, select=["GEO003"])
    assert [f.pointer for f in report.findings] == ["/GeoCoordinates/DecimalDegree/Latitude"]


@pytest.mark.parametrize(
    ("dms", "decimal"),
    [
        ("52°31'18.90''", "52.521917"),
        ("-21°34'23.16''", "-21.573100"),
        ("9°21'39.32''", "9.360922"),
        ("-0°30'0.00''", "-0.500000"),
        ("0°0'0.00''", "0.000000"),
        ("-0°0'0.00''", "0.000000"),
        ("179°59'59.99''", "179.999997"),
    ],
)
def test_dms_to_decimal(dms: str, decimal: str) -> None:
    assert geo.dms_to_decimal(dms) == decimal


@pytest.mark.parametrize("text", ["52.521918", "N52°31'18.90''", "52°31'", "", "52°31'18.90\""])
def test_dms_to_decimal_rejects_other_text(text: str) -> None:
    assert geo.dms_to_decimal(text) is None


@pytest.mark.parametrize(
    ("dms", "problem"),
    [
        ("52°75'99.0''", "minutes 75 and seconds 99.0"),
        ("52°60'0.00''", "minutes 60"),
        ("-13°24'60.00''", "seconds 60.00"),
        ("13°24'59.999''", ""),
        ("52 deg", ""),
    ],
)
def test_dms_beyond_60_names_what_denotes_no_position(dms: str, problem: str) -> None:
    assert geo.dms_beyond_60(dms) == problem
    if problem:
        assert geo.dms_to_decimal(dms) is None


@pytest.mark.parametrize(
    ("decimal", "dms"),
    [
        ("-21.5731", "-21°34'23.16''"),
        ("52.5219", "52°31'18.84''"),
        ("13.413215", "13°24'47.57''"),
        ("-0.5", "-0°30'0.00''"),
        ("9.999999", "10°0'0.00''"),
        ("-9.999999", "-10°0'0.00''"),
        ("0", "0°0'0.00''"),
    ],
)
def test_decimal_to_dms(decimal: str, dms: str) -> None:
    assert geo.decimal_to_dms(decimal) == dms


@pytest.mark.parametrize("value", ["52.521918", "-33.8688", "151.2093", "-70.65", "0.000001"])
def test_dms_round_trip_within_the_precision_of_dms(value: str) -> None:
    back = geo.dms_to_decimal(geo.decimal_to_dms(value))
    assert back is not None
    # Seconds with 2 decimals: 0.005'' is about 1.4e-6 degrees.
    assert abs(Decimal(back) - Decimal(value)) <= Decimal("0.0000015")


# --- unreadable input ---------------------------------------------------------------------------


def _unreadable(tmp_path: Path, case: str) -> Path:
    if case == "invalid-json":
        return _bytes(tmp_path / "broken.json", b'{"EvseID": ')
    if case == "not-evse-json":
        return _bytes(tmp_path / "other.json", b'{"foo": 1}')
    if case == "latin1-json":
        return _bytes(tmp_path / "latin.json", '[{"EvseID": "Düsseldorf"}]'.encode("cp1252"))
    if case == "empty-sheet":
        return workbook(tmp_path / "empty-sheet.xlsx", [])
    if case.startswith("empty-"):
        return _bytes(tmp_path / f"empty.{case.removeprefix('empty-')}", b"")
    if case == "blank-csv":
        return _bytes(tmp_path / "blank.csv", b"\r\n  \r\n\r\n")
    if case == "directory":
        folder = tmp_path / "folder.csv"
        folder.mkdir()
        return folder
    if case == "missing":
        return tmp_path / "missing.csv"
    if case == "xls":
        return _bytes(tmp_path / "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    if case == "unknown-suffix":
        return _bytes(tmp_path / "data.ods", b"PK\x03\x04")
    if case == "random-xlsx":
        return _bytes(tmp_path / "random.xlsx", bytes(range(256)) * 8)
    raise AssertionError(case)


UNREADABLE = {
    "invalid-json": "invalid JSON at line 1",
    "not-evse-json": "not OICP EVSE data",
    "latin1-json": "UTF-8",
    "empty-csv": "empty",
    "empty-json": "invalid JSON",
    "empty-xlsx": "XLSX",
    "blank-csv": "empty",
    "directory": "directory",
    "missing": "no such file",
    "xls": ".xls",
    "unknown-suffix": "unknown file type '.ods'",
    "random-xlsx": "cannot open as an XLSX workbook",
    "empty-sheet": "empty",
}


@pytest.mark.parametrize(("case", "reason"), list(UNREADABLE.items()), ids=list(UNREADABLE))
def test_unreadable_input_raises_input_error_with_the_path(
    case: str, reason: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = _unreadable(tmp_path, case)
    with pytest.raises(InputError) as caught:
        read_table(path, ruleset)
    assert caught.value.location == str(path)
    assert reason in caught.value.message
    assert str(path) in str(caught.value)


@pytest.mark.slow
def test_validate_lists_unreadable_files_and_validates_the_others(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    bad_json = _unreadable(tmp_path, "invalid-json")
    random_xlsx = _unreadable(tmp_path, "random-xlsx")
    xls = _unreadable(tmp_path, "xls")
    good = write_csv(tmp_path / "good.csv", [list(VALID_CELLS), list(VALID_CELLS.values())])
    bad = write_csv(tmp_path / "bad.csv", [["EvseID"], ["DE*PCK*1"]])
    report = validate([bad_json, good, random_xlsx, bad, xls], ruleset=ruleset)
    assert [f.file for f in report.files] == [
        str(p) for p in (bad_json, good, random_xlsx, bad, xls)
    ]
    assert [f.file for f in report.unreadable] == [str(bad_json), str(random_xlsx), str(xls)]
    assert all(f.error and f.format is None for f in report.unreadable)
    readable = {f.file: f.records for f in report.files if f.error is None}
    assert readable == {str(good): 1, str(bad): 1}
    assert {f.file for f in report.findings} == {str(bad)}
    assert "EVS002" in {f.rule for f in report.findings}
    assert report.exit_code() == 2
    assert report.summary()["total"]["unreadable_files"] == 3


def test_validate_of_readable_files_only_does_not_exit_2(tmp_path: Path, ruleset: RuleSet) -> None:
    good = write_csv(tmp_path / "good.csv", [list(VALID_CELLS), list(VALID_CELLS.values())])
    report = validate(good, ruleset=ruleset)
    assert report.unreadable == []
    assert report.exit_code() == 0


def test_json_file_is_utf8_json_with_numbers_kept_exact(tmp_path: Path, ruleset: RuleSet) -> None:
    record = {**json_record(ruleset), "MaxCapacity": 120, "HardwareManufacturer": "Ünïcødé"}
    path = tmp_path / "exact.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    row = cells(read_table(path, ruleset))[0]
    assert row["MaxCapacity"] == "120"
    assert row["HardwareManufacturer"] == "Ünïcødé"
