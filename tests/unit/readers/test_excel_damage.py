"""Excel damage, one workbook each: reported at its cell, read as meant where that is
certain (info), an error where information is lost."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.readers import read_table
from poicheck.ruleset.model import RuleSet
from tests.corpus import csv_bytes, write_sheet


def damage(
    tmp_path: Path, ruleset: RuleSet, rows: list[list[Any]], select: Sequence[str], **options: Any
) -> list[tuple[Any, ...]]:
    path = write_sheet(tmp_path / "damage.xlsx", rows, **options)
    report = validate(path, ruleset=ruleset, select=list(select))
    return [(f.rule, f.severity, f.row, f.field, f.value) for f in report.findings]


def test_phone_number_stored_as_number_is_an_error_at_its_cell(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows = [
        ["EvseID", "HotlinePhoneNumber"],
        ["DE*PCK*E1", 4930123456],
        ["DE*PCK*E2", "+4930123456"],
    ]
    path = write_sheet(tmp_path / "damage.xlsx", rows)
    report = validate(path, ruleset=ruleset, select=["TBL011", "ACC013"])
    found = [(f.rule, f.severity, f.row, f.field, f.value) for f in report.findings]
    # One cause, one finding: the pattern's finding on the same cell is folded into TBL011.
    assert found == [("TBL011", "error", 2, "HotlinePhoneNumber", "4930123456")]
    assert [r["rule"] for r in report.findings[0].related or []] == ["ACC013"]


def test_native_numbers_stay_at_their_records_when_empty_rows_are_dropped(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows: list[list[Any]] = [
        ["EvseID", "HotlinePhoneNumber"],
        ["DE*PCK*E1", 4930123456],
        [None, None],
        ["DE*PCK*E2", "+4930123456"],
        [None, None],
        ["DE*PCK*E3", 4989123456],
    ]
    found = damage(tmp_path, ruleset, rows, ["TBL011"])
    assert [(f[0], f[2], f[4]) for f in found] == [
        ("TBL011", 2, "4930123456"),
        ("TBL011", 6, "4989123456"),
    ]
    table = read_table(tmp_path / "damage.xlsx", ruleset)
    assert table.rows.tolist() == [2, 4, 6]


def test_phone_number_as_a_float_in_a_csv_lost_its_digits(tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "phone.csv"
    path.write_bytes(csv_bytes([["EvseID", "HotlinePhoneNumber"], ["DE*PCK*E1", "4,91234E+11"]]))
    report = validate(path, ruleset=ruleset, select=["TBL010"])
    assert [(f.rule, f.row, f.value) for f in report.findings] == [("TBL010", 2, "4,91234E+11")]


def test_postal_code_that_lost_its_leading_zero(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "Address.Country", "Address.PostalCode"]]
    rows += [[f"DE*PCK*E{i}", "DEU", code] for i, code in enumerate([10178, 50667, 80331, 1067])]
    rows += [["AT*VLT*E1", "AUT", 1010]]
    found = damage(tmp_path, ruleset, rows, ["TBL012"])
    assert found == [("TBL012", "error", 5, "Address.PostalCode", "1067")]
    path = tmp_path / "damage.xlsx"
    assert "'01067'" in validate(path, ruleset=ruleset, select=["TBL012"]).findings[0].message


def test_postal_code_shown_through_a_zero_padding_format_is_read_as_shown(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows = [["EvseID", "Address.PostalCode"], ["DE*PCK*E1", 1067], ["DE*PCK*E2", 1069]]
    formats = {"B2": "00000", "B3": "00000"}
    path = write_sheet(tmp_path / "format.xlsx", rows, number_formats=formats)
    assert read_table(path, ruleset).frame["Address.PostalCode"].tolist() == ["01067", "01069"]
    report = validate(path, ruleset=ruleset, select=["XLS", "TBL"])
    assert [(f.rule, f.severity, f.row, f.field) for f in report.findings] == [
        ("XLS001", "info", 2, "Address.PostalCode")
    ]
    assert "2 cells" in report.findings[0].message


def test_id_turned_into_a_date(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "ChargingStationId"], ["DE*PCK*E1", {"date": "2026-03-04"}]]
    found = damage(tmp_path, ruleset, rows, ["XLS002"])
    assert found == [("XLS002", "error", 2, "ChargingStationId", "2026-03-04")]


def test_formula_with_cached_value_is_read_as_its_value(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [
        ["EvseID", "ChargingStationId"],
        ["DE*PCK*E1", {"formula": '=CONCAT("BER-",A2)', "value": "BER-DE*PCK*E1"}],
    ]
    path = write_sheet(tmp_path / "cached.xlsx", rows)
    assert read_table(path, ruleset).frame["ChargingStationId"].tolist() == ["BER-DE*PCK*E1"]
    assert validate(path, ruleset=ruleset, select=["XLS", "TBL"]).findings == []


def test_formula_without_value_and_error_values(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [
        ["EvseID", "ChargingStationId", "HardwareManufacturer"],
        ["DE*PCK*E1", "=A2", "ABB"],
        ["DE*PCK*E2", "S2", "#N/A"],
    ]
    found = damage(tmp_path, ruleset, rows, ["XLS"])
    assert found == [
        ("XLS003", "error", 2, "ChargingStationId", None),
        ("XLS004", "error", 3, "HardwareManufacturer", "#N/A"),
    ]
    report = validate(tmp_path / "damage.xlsx", ruleset=ruleset, select=["XLS003"])
    assert "=A2" in report.findings[0].message


def test_merged_cells(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [
        ["EvseID", "Address.City", "Address.Street", "Address.HouseNum"],
        ["DE*PCK*E1", "Berlin", "Alexanderplatz 1", None],
        ["DE*PCK*E2", None, "Alexanderplatz", "2"],
        ["DE*PCK*E3", None, "Alexanderplatz", "3"],
    ]
    path = write_sheet(tmp_path / "merged.xlsx", rows, merged=["B2:B4", "C2:D2"])
    assert read_table(path, ruleset).frame["Address.City"].tolist() == ["Berlin"] * 3
    report = validate(path, ruleset=ruleset, select=["XLS"])
    assert [(f.rule, f.severity, f.row, f.field) for f in report.findings] == [
        ("XLS005", "info", 2, "Address.City"),
        ("XLS006", "error", 2, "Address.Street"),
    ]
    assert "rows 2-4" in report.findings[0].message
    assert "C2:D2" in report.findings[1].message


def test_hidden_rows_columns_and_sheets_are_read_and_said(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "Address.City"]] + [[f"DE*PCK*E{i}", "Berlin"] for i in range(1, 6)]
    path = write_sheet(
        tmp_path / "hidden.xlsx",
        rows,
        hidden_rows=[3, 4, 6],
        hidden_columns=["B"],
        sheets=[{"name": "Lookup", "state": "hidden"}, {"name": "Notes"}],
    )
    table = read_table(path, ruleset)
    assert len(table.frame) == 5
    report = validate(path, ruleset=ruleset, select=["XLS"])
    assert [(f.rule, f.row, f.field) for f in report.findings] == [
        ("XLS008", None, "Address.City"),
        ("XLS009", None, "*"),
        ("XLS007", 3, "*"),
        ("XLS007", 6, "*"),
    ]
    messages = [f.message for f in report.findings]
    assert "'Lookup' (hidden), 'Notes'" in messages[1]
    assert "rows 3-4" in messages[2]


def test_first_visible_sheet_is_read_when_the_first_is_hidden(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    path = write_sheet(tmp_path / "first-hidden.xlsx", [["EvseID"], ["DE*PCK*E1"]])
    from openpyxl import load_workbook

    book = load_workbook(path)
    book.active.sheet_state = "hidden"  # type: ignore[union-attr]
    data = book.create_sheet("Data")
    data.append(["EvseID"])
    data.append(["DE*PCK*E2"])
    book.active = 1
    book.save(path)
    table = read_table(path, ruleset)
    assert (table.source.sheet, table.frame["EvseID"].tolist()) == ("Data", ["DE*PCK*E2"])
    report = validate(path, ruleset=ruleset, select=["XLS009"])
    assert "'EVSE' (hidden)" in report.findings[0].message


def test_several_header_rows_title_rows_and_a_repeated_header(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    rows = [
        ["Ladestationen der PoiCheck GmbH", None],
        [None, None],
        ["Ladepunkt", "Adresse"],
        ["EvseID", "Address.City"],
        ["DE*PCK*E1", "Berlin"],
        ["EvseID", "Address.City"],
        ["DE*PCK*E2", "Köln"],
    ]
    path = write_sheet(tmp_path / "headers.xlsx", rows)
    table = read_table(path, ruleset)
    assert table.frame["EvseID"].tolist() == ["DE*PCK*E1", "DE*PCK*E2"]
    assert table.rows.tolist() == [5, 7]
    report = validate(path, ruleset=ruleset, select=["TBL"])
    assert [(f.rule, f.severity) for f in report.findings] == [
        ("TBL003", "info"),
        ("TBL004", "info"),
    ]
    assert "rows 1, 3" in report.findings[0].message
    assert "Row 6" in report.findings[1].message


def test_trailing_empty_rows_and_columns_are_ignored(tmp_path: Path, ruleset: RuleSet) -> None:
    rows: list[list[Any]] = [["EvseID", "Address.City", None, None], ["DE*PCK*E1", "Berlin"]]
    rows += [[None, None, None, None]] * 5 + [["", " ", None, "  "]]
    path = write_sheet(tmp_path / "trailing.xlsx", rows)
    table = read_table(path, ruleset)
    assert (len(table.frame), table.reader_findings) == (1, [])
    text = tmp_path / "trailing.csv"
    text.write_bytes(b"EvseID;Address.City;;\r\nDE*PCK*E1;Berlin;;\r\n;;;\r\n;;;\r\n\r\n")
    table = read_table(text, ruleset)
    assert (len(table.frame), table.reader_findings) == (1, [])


@pytest.mark.parametrize(
    ("column", "raw", "read"),
    [
        ("Plugs", "Type 2 Outlet\u00a0", "Type 2 Outlet"),
        ("Plugs", " Type 2 Outlet ;\u00a0CHAdeMO", "Type 2 Outlet;CHAdeMO"),
        ("Accessibility", "\u201cFree publicly accessible\u201d", "Free publicly accessible"),
        ("Accessibility", "Free\u00a0publicly  accessible", "Free publicly accessible"),
        ("CalibrationLawDataAvailability", "\u200bLocal", "Local"),
        ("EvseID", "\u00a0DE*PCK*E9 ", "DE*PCK*E9"),
    ],
    ids=["nbsp", "list-spaces", "smart-quotes", "inner-nbsp", "zero-width", "id-spaces"],
)
def test_spaces_and_quotes_around_typed_values(
    column: str, raw: str, read: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    rows = [["EvseID", column], ["DE*PCK*E1", raw]] if column != "EvseID" else [[column], [raw]]
    path = write_sheet(tmp_path / "spaces.xlsx", rows)
    assert read_table(path, ruleset).frame[column].tolist() == [read]
    value_rules = [
        r.id
        for r in ruleset.rules.values()
        if column in r.fields and r.kind in ("enum", "enum_list", "pattern")
    ]
    assert value_rules
    report = validate(path, ruleset=ruleset, select=["TBL007", *value_rules])
    assert [(f.rule, f.severity, f.value) for f in report.findings] == [("TBL007", "info", raw)]


def test_spaces_are_left_where_cleaning_does_not_make_the_value_valid(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    path = write_sheet(tmp_path / "spaces.xlsx", [["EvseID", "Plugs"], ["DE*PCK*E1", " Typ 2 "]])
    report = validate(path, ruleset=ruleset, select=["TBL007", "PWR002"])
    assert [(f.rule, f.value) for f in report.findings] == [("PWR002", " Typ 2 ")]
