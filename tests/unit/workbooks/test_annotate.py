"""`poicheck annotate`: a copy of the user's workbook, failing cells highlighted and commented."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

import poicheck
from poicheck.cli import cli
from poicheck.cli import workbooks as _workbooks  # noqa: F401  (registers the commands)
from poicheck.workbooks.cells import SEVERITY_STYLES, write_text
from tests.records import VALID_CELLS
from tests.unit.workbooks.test_form import SUB_OPERATORS, planted_findings

ROOT = Path(__file__).resolve().parents[3]
INVALID = ROOT / "samples/invalid/evse-invalid.xlsx"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def annotate(source: Path, out: Path, *extra: str) -> openpyxl.Workbook:
    result = run("annotate", source, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(out)


def user_workbook(
    path: Path, records: list[dict[str, str]], *, top: int = 3, left: int = 2
) -> Path:
    """A workbook of the user's own: a title above the header, data starting in column B."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Stations"
    columns = list(dict.fromkeys(k for r in records for k in r))
    if top > 1:
        write_text(sheet.cell(row=1, column=left), "Charging stations, export of 2026-11-01")
    for i, name in enumerate(columns):
        write_text(sheet.cell(row=top, column=left + i), name)
        for j, record in enumerate(records, start=1):
            write_text(sheet.cell(row=top + j, column=left + i), record.get(name) or None)
    notes = workbook.create_sheet("Notes")
    notes["A1"] = "keep me"
    workbook.defined_names["Stations"] = DefinedName("Stations", attr_text="Stations!$B$3:$B$9")
    workbook.save(path)
    return path


def column_of(sheet: Any, header_row: int, name: str) -> str:
    for cell in sheet[header_row]:
        if cell.value == name:
            return get_column_letter(cell.column)
    raise AssertionError(f"no column {name}")


def expected_cell(sheet: Any, field: str, record: int) -> str:
    """Where a finding belongs: its column, or its container's first column, or the EvseID."""
    header = {c.value: get_column_letter(c.column) for c in sheet[1] if c.value}
    column = header.get(field) or next(
        (letter for name, letter in header.items() if name.startswith(field + ".")),
        header["EvseID"],
    )
    return f"{column}{record + 2}"


@pytest.mark.slow
def test_every_planted_mistake_is_highlighted_and_commented(tmp_path: Path) -> None:
    before = hashlib.sha256(INVALID.read_bytes()).hexdigest()
    workbook = annotate(INVALID, tmp_path / "annotated.xlsx")
    assert hashlib.sha256(INVALID.read_bytes()).hexdigest() == before
    sheet = workbook["EVSE"]
    for rule, field, record in planted_findings():
        cell = sheet[expected_cell(sheet, field, record)]
        assert cell.comment is not None, (rule, field, record)
        assert rule in cell.comment.text
        assert cell.fill.fgColor.rgb[2:] in {style[0] for style in SEVERITY_STYLES.values()}
    report = poicheck.validate(INVALID, operator_id="DE*PCK", **SUB_OPERATORS)
    # Every record of the invalid sample has a planted mistake now; the cells no finding
    # points to stay as they were.
    marked = {
        expected_cell(sheet, str(field), int(record))
        for field, record in zip(report.frame["field"], report.frame["record"], strict=True)
        if record is not None and record == record
    }
    untouched = [
        cell
        for row in sheet.iter_rows(min_row=2, max_row=report.files[0].records + 1)
        for cell in row
        if cell.coordinate not in marked
    ]
    assert len(untouched) > 1000
    assert all(c.comment is None for c in untouched)
    assert all(c.fill.fgColor.rgb == "00000000" for c in untouched)


@pytest.mark.slow
def test_findings_sheet_links_to_the_cells(tmp_path: Path) -> None:
    workbook = annotate(INVALID, tmp_path / "annotated.xlsx")
    findings = workbook["Findings"]
    header = [c.value for c in findings[1]]
    assert header[:3] == ["Cell", "Rule", "Severity"]
    report = poicheck.validate(INVALID, operator_id="DE*PCK", **SUB_OPERATORS)
    assert findings.max_row == 1 + len(report.frame)
    for row in findings.iter_rows(min_row=2):
        link = row[0].hyperlink
        assert link is not None
        assert link.location == f"'EVSE'!{row[0].value}"
        target = workbook["EVSE"][row[0].value]
        assert row[header.index("Rule")].value in target.comment.text
    assert findings.freeze_panes == "A2"
    assert findings.auto_filter.ref.startswith("A1:")


def test_header_below_a_title_aliases_and_other_sheets(tmp_path: Path) -> None:
    good = dict(VALID_CELLS)
    good["ChargingStationID"] = good.pop("ChargingStationId")  # errata E001 spelling
    bad = dict(good, EvseID="DE*PCK*E1001*2", **{"Address.PostalCode": "D-80331 München"})
    bad["ChargingStationID"] = "x" * 51
    bad["Colour"] = "blue"  # an unknown column: an info on its header cell
    source = user_workbook(tmp_path / "mine.xlsx", [good, bad])
    workbook = openpyxl.load_workbook(source)
    postal = f"{column_of(workbook['Stations'], 3, 'Address.PostalCode')}5"
    workbook["Stations"][postal].comment = Comment("checked by Anna", "Anna")
    workbook.save(source)
    out = annotate(source, tmp_path / "annotated.xlsx")
    sheet = out["Stations"]
    assert sheet[postal].comment.text.startswith("checked by Anna\n\npoicheck:\nADR008 (error)")
    station = sheet[f"{column_of(sheet, 3, 'ChargingStationID')}5"]
    assert "EVS005" in station.comment.text
    unknown = sheet[f"{column_of(sheet, 3, 'Colour')}3"]
    assert "TBL001" in unknown.comment.text
    assert unknown.fill.fgColor.rgb.endswith(SEVERITY_STYLES["info"][0])
    assert out["Notes"]["A1"].value == "keep me"
    assert "Stations" in out.defined_names
    assert out.sheetnames == ["Stations", "Notes", "Findings"]
    assert sheet["B4"].comment is None


@pytest.mark.slow
def test_findings_without_a_cell_of_their_own(tmp_path: Path) -> None:
    no_name = {k: v for k, v in VALID_CELLS.items() if not k.startswith("ChargingStationNames")}
    no_name.pop("Address.City")
    source = user_workbook(tmp_path / "mine.xlsx", [no_name], top=1, left=1)
    out = annotate(source, tmp_path / "annotated.xlsx", "--operator-id", "not an id")
    sheet = out["Stations"]
    evse = sheet[f"{column_of(sheet, 1, 'EvseID')}2"]
    # No ChargingStationNames columns and no Address.City column: on the row's EvseID cell.
    assert "TXT001" in evse.comment.text
    assert "ADR003 (error): Address.City" in evse.comment.text
    findings = out["Findings"]
    header = [c.value for c in findings[1]]
    envelope = [
        r for r in findings.iter_rows(min_row=2) if r[header.index("Field")].value == "OperatorID"
    ]
    assert envelope
    assert envelope[0][0].value is None
    assert envelope[0][0].hyperlink is None


def test_container_finding_goes_to_the_containers_first_column(tmp_path: Path) -> None:
    record = dict(VALID_CELLS, **{"ChargingStationNames.en": "", "ChargingStationNames.de": ""})
    source = user_workbook(tmp_path / "mine.xlsx", [record], top=1, left=1)
    sheet = annotate(source, tmp_path / "annotated.xlsx")["Stations"]
    cell = sheet[f"{column_of(sheet, 1, 'ChargingStationNames.en')}2"]
    assert "TXT001" in cell.comment.text


def test_data_is_never_turned_into_formulas(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://example.com/' + "x" * 40 + '","click")'  # too long: a finding
    record = dict(VALID_CELLS, HardwareManufacturer=hostile, **{"Address.Floor": "-1"})
    record["HotlinePhoneNumber"] = "+49 30 1234"  # fails (spaces) and must stay as typed
    record["ChargingStationId"] = "@" + "y" * 50  # too long
    source = user_workbook(tmp_path / "mine.xlsx", [record], top=1, left=1)
    out = annotate(source, tmp_path / "annotated.xlsx", "--operator-name", "=1+1")
    values = {}
    findings = out["Findings"]
    header = [c.value for c in findings[1]]
    for row in findings.iter_rows(min_row=2):
        values[row[header.index("Field")].value] = row[header.index("Value")]
    expected = {
        "HardwareManufacturer": hostile,
        "HotlinePhoneNumber": "+49 30 1234",
        "ChargingStationId": "@" + "y" * 50,
    }
    for field, text in expected.items():
        cell = values[field]
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix
    floor = out["Stations"][f"{column_of(out['Stations'], 1, 'Address.Floor')}2"]
    assert floor.value == "-1"  # the user's own cells are left exactly as they were
    for ws in out.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


@pytest.mark.slow
def test_form_never_writes_formulas(tmp_path: Path) -> None:
    record = dict(VALID_CELLS, HardwareManufacturer="=" + "z" * 60, **{"Address.Floor": "-1"})
    source = user_workbook(tmp_path / "mine.xlsx", [record], top=1, left=1)
    out = tmp_path / "form.xlsx"
    result = run("form", source, "--out", out, "--operator-name", "=cmd|' /C calc'!A0")
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    block = {r[0].value: r[1] for r in workbook["Form"].iter_rows(max_row=12) if r[0].value}
    assert block["Operator name"].value == "=cmd|' /C calc'!A0"
    assert block["Operator name"].data_type == "s"
    for ws in workbook.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_foreign_layout_through_a_mapping(tmp_path: Path) -> None:
    record = dict(VALID_CELLS, EvseID="DE*PCK*E1001*2")
    record["Stadt"] = record.pop("Address.City")
    bad = dict(record, EvseID="DE*PCK*E1001*3", Stadt="")
    source = user_workbook(tmp_path / "mine.xlsx", [record, bad], top=1, left=1)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("version: 1\ncolumns:\n  Stadt: Address.City\n", encoding="utf-8")
    sheet = annotate(source, tmp_path / "annotated.xlsx", "--mapping", str(mapping))["Stations"]
    city = sheet[f"{column_of(sheet, 1, 'Stadt')}3"]
    assert city.comment is not None
    assert "ADR003" in city.comment.text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("samples/invalid/evse-invalid.csv", "annotate takes one .xlsx workbook"),
        ("missing.xlsx", "no such file"),
    ],
)
def test_unusable_input(tmp_path: Path, source: str, message: str) -> None:
    out = tmp_path / "annotated.xlsx"
    result = run("annotate", ROOT / source, "--out", out)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_annotate_never_overwrites_its_input(tmp_path: Path) -> None:
    copy = tmp_path / "mine.xlsx"
    copy.write_bytes(INVALID.read_bytes())
    result = run("annotate", copy, "--out", copy)
    assert result.exit_code == 2
    assert copy.read_bytes() == INVALID.read_bytes()


@pytest.mark.slow
def test_formulas_keep_their_cached_values(tmp_path: Path) -> None:
    """openpyxl drops the value Excel computed for a formula; the annotated copy keeps it,
    so that poicheck (and any reader of values) finds in the copy what it found in the
    original, instead of XLS003 and empty cells."""
    from tests.corpus import write_sheet

    rows = [
        ["EvseID", "ChargingStationId", "Address.City", "ChargingFacilities.1.Power", "Plugs"],
        [
            "DE*PCK*E1",
            {"formula": "=A2", "value": "DE*PCK*E1"},
            "Berlin",
            {"formula": "=11*2", "value": 22},
            {"formula": '="Type 2 Outlet"', "value": "Type 2 Outlet"},
        ],
        ["DE*PCK*E2", {"formula": "=A3", "value": "DE*PCK*E2"}, "Köln", 11, "=B3"],
    ]
    source = write_sheet(tmp_path / "formulas.xlsx", rows)
    out = tmp_path / "annotated.xlsx"
    annotate(source, out)

    def found(path: Path) -> list[tuple[str, Any, str, Any]]:
        report = poicheck.validate(path, operator_id="DE*PCK")
        return sorted((f.rule, f.record, f.field, f.value) for f in report.findings)

    assert ("XLS003", 1, "Plugs", None) in found(source)  # no value in the original either
    assert found(out) == found(source)
    assert openpyxl.load_workbook(out)["EVSE"]["B2"].value == "=A2"  # the formula is kept
    values = openpyxl.load_workbook(out, data_only=True)["EVSE"]
    assert [values["B2"].value, values["D2"].value, values["E3"].value] == ["DE*PCK*E1", 22, None]
