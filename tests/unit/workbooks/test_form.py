"""`poicheck form`: the filled data-check form, and filling a form someone else made."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl.cell.cell import Cell
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

import poicheck
from poicheck.cli import cli
from poicheck.cli import workbooks as _workbooks  # noqa: F401  (registers the commands)
from poicheck.readers import read_table
from poicheck.ruleset.model import RuleSet
from poicheck.workbooks.answers import (
    compute_answers,
    containers_of,
    count_present,
    property_of_field,
)
from poicheck.workbooks.cells import ANSWER_STYLES
from poicheck.workbooks.form import FORM_HEADER
from tests.conftest import check_golden
from tests.records import VALID_CELLS

ROOT = Path(__file__).resolve().parents[3]
VALID = ROOT / "samples/valid/evse-valid.xlsx"
INVALID = ROOT / "samples/invalid/evse-invalid.csv"
OPERATOR = ["--operator-id", "DE*PCK", "--operator-name", "PoiCheck Demo Hub"]
# The samples' operator pushes the EVSEs of five sub-operators too (samples/.poicheck.yaml).
SUB_OPERATORS = {"sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"]}


def run(*args: str | Path) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


def make_form(tmp_path: Path, source: Path, *extra: str | Path) -> Path:
    out = tmp_path / "form.xlsx"
    result = run("form", source, "--out", out, *OPERATOR, *extra)
    assert result.exit_code == 0, result.output
    return out


def table_of(sheet: Worksheet) -> tuple[int, pd.DataFrame]:
    """The header row of the answer table and the table below it."""
    header_row = next(c.row for c in sheet["A"] if c.value == "Property")
    rows = list(sheet.iter_rows(min_row=header_row, values_only=True))
    return header_row, pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


def planted_findings() -> list[tuple[str, str, int]]:
    """(rule, field, record) of every finding planted in the invalid sample."""
    planted = json.loads((ROOT / "samples/invalid/planted.json").read_text(encoding="utf-8"))
    out = []
    for item in planted:
        for found in item.get("findings", [item]):
            out.append((found["rule"], found["field"], found["record"]))
    return out


def expected_defects(ruleset: RuleSet) -> set[str]:
    """Form rows the planted errors of the invalid sample belong to (with their containers)."""
    rows: set[str] = set()
    for rule_id, field, _ in planted_findings():
        rule = ruleset.rules[rule_id]
        if rule.severity != "error":
            continue
        path = property_of_field(field, ruleset)
        if path not in rule.fields:  # a cell of a container rule: the container's row
            path = next(f for f in rule.fields if field.startswith(f))
        assert path is not None
        rows.update([path, *containers_of(path, ruleset)])
    return rows


@pytest.mark.slow
def test_valid_sample_meets_every_mandatory_property(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(make_form(tmp_path, VALID))["Form"]
    _, table = table_of(sheet)
    mandatory = table[table["Mandatory"] == "M"]
    assert len(mandatory) > 20
    assert set(mandatory["Requirement met"]) == {"Yes"}
    assert set(table["Requirement met"]) <= {"Yes", "Not provided"}
    assert (table["Records failing"] == 0).all()


@pytest.mark.slow
def test_invalid_sample_is_no_or_partly_exactly_where_defects_were_planted(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    sheet = openpyxl.load_workbook(make_form(tmp_path, INVALID))["Form"]
    _, table = table_of(sheet)
    failing = set(table.loc[table["Requirement met"].isin(["No", "Partly"]), "Property"])
    assert failing == expected_defects(ruleset)
    city = table.set_index("Property").loc["Address.City"]
    assert city["Requirement met"] == "Partly"
    assert city["Records failing"] == 1
    assert city["% of records compliant"] == pytest.approx(98.3)
    assert city["Failing EvseIDs (examples)"] == "DE*PCK*E1006*2"
    assert "ADR003 (error, refused): 1 record" in city["Note"]
    assert "ADR004" in city["Note"]  # the rules that check the property are named
    evse = table.set_index("Property").loc["EvseID"]
    assert "EVS003 (warning, scored): 1 record" in evse["Note"]


@pytest.mark.slow
def test_form_header_block(tmp_path: Path, ruleset: RuleSet) -> None:
    sheet = openpyxl.load_workbook(make_form(tmp_path, INVALID))["Form"]
    block = {
        row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_row=12, values_only=True) if row[0]
    }
    assert block["Operator ID"] == "DE*PCK"
    assert block["Operator name"] == "PoiCheck Demo Hub"
    digest = hashlib.sha256(INVALID.read_bytes()).hexdigest()
    assert block["Dataset"] == f"evse-invalid.csv: 60 records, SHA-256 {digest}"
    assert block["Records"] == 60
    assert block["Generated by"] == (
        f"poicheck {poicheck.__version__}, rule set {ruleset.name} {ruleset.version}"
    )
    assert pd.Timestamp(block["Date"]).date() == pd.Timestamp.now().date()


@pytest.mark.slow
def test_form_names_problems_of_the_operator(tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    result = run("form", INVALID, "--out", out, "--operator-id", "not-an-id")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Form"]
    block = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, max_row=14, values_only=True)}
    assert block["Operator ID"] == "not-an-id"
    assert block["Push envelope"].startswith("ENV003: OperatorID 'not-an-id'")


@pytest.mark.slow
def test_form_rows_come_from_the_rule_files(tmp_path: Path, ruleset: RuleSet) -> None:
    sheet = openpyxl.load_workbook(make_form(tmp_path, VALID))["Form"]
    _, table = table_of(sheet)
    assert list(table.columns) == FORM_HEADER
    record = ruleset.scope_properties("record")
    assert list(table["Property"]) == [p.path for p in record]
    rows = table.set_index("Property")
    for prop in record:
        row = rows.loc[prop.path]
        assert (row["Length / format"] or "") == prop.describe_format()
        assert row["Description"] == prop.description
        assert (row["Example"] or None) == prop.example
    assert rows.loc["OpeningTimes", "Mandatory"] == "conditional"
    assert rows.loc["ChargingFacilities.*.Power", "Data type"] == "integer"
    assert rows.loc["Plugs", "Data type"] == "list of PlugType"
    assert rows.loc["Address", "Data type"] == "object"


@pytest.mark.slow
def test_form_property_column_matches_golden(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(make_form(tmp_path, VALID))["Form"]
    _, table = table_of(sheet)
    text = "\n".join(table["Property"]) + "\n"
    check_golden("form/properties.txt", text)


@pytest.mark.slow
def test_form_looks_like_a_form(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(make_form(tmp_path, INVALID))
    assert workbook.sheetnames[:3] == ["Form", "Findings", "Score"]
    sheet = workbook["Form"]
    header_row, table = table_of(sheet)
    assert sheet.freeze_panes == f"B{header_row + 1}"
    assert sheet.auto_filter.ref == f"A{header_row}:K{header_row + len(table)}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["E"].width >= 40
    answer_column = FORM_HEADER.index("Requirement met") + 1
    for row in range(header_row + 1, header_row + len(table) + 1):
        cell = sheet.cell(row=row, column=answer_column)
        assert cell.fill.fgColor.rgb.endswith(ANSWER_STYLES[cell.value][0])
    for ws in workbook.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


@pytest.mark.slow
def test_findings_and_score_sheets(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(make_form(tmp_path, INVALID))
    report = poicheck.validate(INVALID, operator_id="DE*PCK", **SUB_OPERATORS)
    findings = list(workbook["Findings"].iter_rows(values_only=True))
    assert findings[0][:2] == ("Rule", "Severity")
    assert len(findings) == 1 + len(report.frame)
    header = list(findings[0])
    city = next(r for r in findings if r[header.index("Rule")] == "ADR003")
    assert city[header.index("Row")] == 16
    assert city[header.index("Field")] == "Address.City"
    assert city[header.index("EvseID")] == "DE*PCK*E1006*2"
    assert workbook["Findings"].freeze_panes == "A2"
    score = {r[0]: r[1] for r in workbook["Score"].iter_rows(values_only=True) if r[0]}
    counts = report.counts()
    assert score["Records"] == 60
    assert score["Errors"] == counts["error"]
    assert score["Warnings"] == counts["warning"]
    if report.score is not None:
        summary = report.score.summary()
        assert summary is not None
        assert score["Data score"] == summary["overall"]
        assert score["Completeness"] == summary["completeness"]
        per_evse = list(workbook["Score per EVSE"].iter_rows(values_only=True))
        assert len(per_evse) == 1 + 60
        overall = [r[3] for r in per_evse[1:]]
        assert overall == sorted(overall)  # the weakest EVSE first


def _answers(tmp_path: Path, ruleset: RuleSet, *records: dict[str, str]) -> pd.DataFrame:
    path = tmp_path / "records.csv"
    pd.DataFrame(list(records)).to_csv(path, index=False)
    table = read_table(path, ruleset)
    report = poicheck.validate(table, ruleset=ruleset)
    answers = compute_answers(report.frame, report.ruleset, count_present([table], ruleset))
    return answers.set_index("property")


@pytest.mark.slow
def test_answers_definition(tmp_path: Path, ruleset: RuleSet) -> None:
    """Partly / No / Not provided on a small table, decided as the README says."""
    first = dict(VALID_CELLS, **{"Address.City": ""})
    second = dict(VALID_CELLS, EvseID="DE*PCK*E1001*2", **{"Address.City": ""})
    third = dict(VALID_CELLS, EvseID="DE*PCK*E1001*3", HardwareManufacturer="x" * 51)
    rows = _answers(tmp_path, ruleset, first, second, third)
    assert rows.loc["Address.City", "answer"] == "Partly"
    assert rows.loc["Address.City", "failing"] == 2
    assert rows.loc["Address", "answer"] == "Partly"
    assert rows.loc["HardwareManufacturer", "answer"] == "Partly"
    assert rows.loc["SubOperatorName", "answer"] == "Not provided"
    assert rows.loc["EvseID", "answer"] == "Yes"
    rows = _answers(tmp_path, ruleset, first, second)
    assert rows.loc["Address.City", "answer"] == "No"
    assert rows.loc["Address", "answer"] == "No"
    assert rows.loc["Address.City", "compliant_pct"] == 0


def test_warnings_do_not_change_the_answer(tmp_path: Path, ruleset: RuleSet) -> None:
    lower = dict(VALID_CELLS, EvseID="DE*Pck*E1001*1")  # EVS003: a warning
    rows = _answers(tmp_path, ruleset, lower)
    assert ruleset.rules["EVS003"].severity == "warning"
    assert rows.loc["EvseID", "answer"] == "Yes"
    assert "EVS003 (warning, scored): 1 record" in rows.loc["EvseID", "note"]


@pytest.mark.slow
def test_form_of_several_files_and_json(tmp_path: Path) -> None:
    out = make_form(tmp_path, VALID, ROOT / "samples/valid/evse-valid.json")
    sheet = openpyxl.load_workbook(out)["Form"]
    values = [r[1] for r in sheet.iter_rows(min_row=2, max_row=14, values_only=True)]
    assert 120 in values
    assert sum(1 for v in values if isinstance(v, str) and "SHA-256" in v) == 2


def test_unreadable_input_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    result = run("form", VALID, tmp_path / "missing.csv", "--out", out)
    assert result.exit_code == 2
    assert "missing.csv: no such file" in result.output
    assert not out.exists()
    assert run("form", VALID, "--out", tmp_path / "form.csv").exit_code == 2
    assert run("form", VALID, "--out", VALID).exit_code == 2


# --- filling a form someone else made -------------------------------------------------------

FOREIGN_ROWS = [
    ("EvseID", "EvseIDType", "Yes"),
    ("Charging Pool ID", "string", "No"),
    ("ChargingStationName", "InfoText", "Yes"),
    ("Address", "", "Yes"),
    ("Country", "string", "Yes"),
    ("City", "string", "Yes"),
    ("Street", "string", "Yes"),
    ("GeoCoordinates", "", "Yes"),
    ("Latitude", "decimal", "Yes"),
    ("Longitude", "decimal", "Yes"),
    ("GeoChargingPointEntrance", "", "No"),
    ("Latitude", "decimal", "No"),
    ("Plugs", "enum", "Yes"),
    ("Charging Facilities", "", "Yes"),
    ("Power Type", "enum", "Yes"),
    ("Power", "integer", "Yes"),
    ("Coffee machine", "string", "Yes"),
    ("HotlinePhoneNumber", "string", "Yes"),
]


def foreign_template(path: Path, *, allowed: str = '"Yes,No,Partly,Not provided"') -> Path:
    """A form as an onboarding team might send it: title, cover sheet, styles, names."""
    workbook = openpyxl.Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "Cover"
    cover["A1"] = "Partner onboarding: POI data check"
    cover["A1"].font = Font(bold=True, size=16)
    cover.merge_cells("A1:D1")
    cover["A3"] = "Please answer every row and send the form back before the E2E test."
    sheet = workbook.create_sheet("POI data")
    sheet["A1"] = "POI data quality guideline"
    sheet.merge_cells("A1:F1")
    sheet["A1"].font = Font(bold=True, size=14, color="1F4E78")
    header = ["No.", "Property", "Type", "Mandatory", "Requirement met (Yes/No)", "Comment"]
    thin = Side(style="thin")
    for column, title in enumerate(header, start=1):
        cell = sheet.cell(row=3, column=column, value=title)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.border = Border(bottom=thin)
    for row, (name, kind, previous) in enumerate(FOREIGN_ROWS, start=4):
        sheet.cell(row=row, column=1, value=row - 3).number_format = "0."
        sheet.cell(row=row, column=2, value=name).font = Font(italic=name[0].islower())
        sheet.cell(row=row, column=3, value=kind)
        sheet.cell(row=row, column=4, value="M").border = Border(left=thin)
        sheet.cell(row=row, column=5, value=previous).fill = PatternFill("solid", fgColor="FFF2CC")
        sheet.cell(row=row, column=6, value=f"remark {row}")
    sheet.column_dimensions["B"].width = 33
    sheet.freeze_panes = "A4"
    validation = DataValidation(type="list", formula1=allowed)
    validation.add("E4:E200")
    sheet.add_data_validation(validation)
    workbook.defined_names["Answers"] = DefinedName("Answers", attr_text="'POI data'!$E$4:$E$200")
    workbook.save(path)
    return path


def _style(cell: Cell) -> tuple[Any, ...]:
    # openpyxl hands out style proxies that compare by identity; their copies compare by value.
    parts = (cell.font, cell.fill, cell.border, cell.alignment, cell.protection)
    return (*(copy.copy(part) for part in parts), cell.number_format)


@pytest.mark.slow
def test_fill_foreign_template_changes_only_the_answers(tmp_path: Path) -> None:
    template = foreign_template(tmp_path / "onboarding.xlsx")
    before = template.read_bytes()
    out = tmp_path / "filled.xlsx"
    result = run("form", INVALID, "--template", template, "--out", out, *OPERATOR)
    assert result.exit_code == 0, result.output
    assert "properties in column B, answers in column E" in result.output
    assert "row 20 'Coffee machine' names no EvseDataRecord property" in result.output
    assert template.read_bytes() == before
    original = openpyxl.load_workbook(template)
    filled = openpyxl.load_workbook(out)
    assert filled.sheetnames == original.sheetnames
    assert set(filled.defined_names) == set(original.defined_names)
    assert filled["POI data"].merged_cells.ranges == original["POI data"].merged_cells.ranges
    answers = {row for row in range(4, 4 + len(FOREIGN_ROWS)) if row != 20}
    for name in original.sheetnames:
        for row in original[name].iter_rows():
            for cell in row:
                other = filled[name][cell.coordinate]
                assert _style(other) == _style(cell), cell.coordinate
                if not (name == "POI data" and cell.column == 5 and cell.row in answers):
                    assert other.value == cell.value, cell.coordinate
    got = {
        filled["POI data"].cell(row=r, column=2).value: filled["POI data"].cell(row=r, column=5)
        for r in sorted(answers)
    }
    assert got["City"].value == "Partly"
    assert got["Plugs"].value == "Partly"
    assert got["Power Type"].value == "Partly"
    assert got["Charging Facilities"].value == "Partly"
    assert got["Address"].value == "Partly"
    assert filled["POI data"]["E15"].value == "Yes"  # Latitude below GeoChargingPointEntrance
    assert filled["POI data"]["E12"].value == "Partly"  # Latitude below GeoCoordinates
    assert got["Charging Pool ID"].value == "Partly"
    assert filled["POI data"]["E20"].value == "Yes"  # not a property: left as it was
    assert filled["POI data"].data_validations.dataValidation[0].sqref == (
        original["POI data"].data_validations.dataValidation[0].sqref
    )


def test_fill_with_named_columns_and_notes(tmp_path: Path) -> None:
    template = foreign_template(tmp_path / "onboarding.xlsx")
    out = tmp_path / "filled.xlsx"
    result = run(
        "form",
        VALID,
        "--template",
        template,
        "--out",
        out,
        "--property-column",
        "Property",
        "--answer-column",
        "E",
        "--note-column",
        "Comment",
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["POI data"]
    assert sheet["E4"].value == "Yes"
    assert sheet["F4"].value.startswith("Rules: EVS001")


@pytest.mark.slow
def test_fill_warns_when_the_template_does_not_allow_an_answer(tmp_path: Path) -> None:
    template = foreign_template(tmp_path / "onboarding.xlsx", allowed='"YES,NO"')
    out = tmp_path / "filled.xlsx"
    result = run("form", INVALID, "--template", template, "--out", out)
    assert result.exit_code == 0, result.output
    assert "the template allows only YES, NO; wrote 'Partly' anyway" in result.output
    assert openpyxl.load_workbook(out)["POI data"]["E4"].value == "Partly"
    valid = run("form", VALID, "--template", template, "--out", out)
    assert openpyxl.load_workbook(out)["POI data"]["E4"].value == "YES"  # their spelling
    assert "allows only" not in valid.output


def test_fill_refuses_a_template_without_property_names(tmp_path: Path) -> None:
    result = run("form", VALID, "--template", VALID, "--out", tmp_path / "x.xlsx")
    assert result.exit_code == 2
    assert "found no column of EvseDataRecord property names" in result.output
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.slow
def test_fill_keeps_the_cached_values_of_template_formulas(tmp_path: Path) -> None:
    """A template's formulas keep the values Excel computed (openpyxl drops them)."""
    from tests.corpus import cache_formula_values

    template = foreign_template(tmp_path / "onboarding.xlsx")
    book = openpyxl.load_workbook(template)
    book["Cover"]["A5"] = "=COUNTA('POI data'!B4:B40)"
    book.save(template)
    # The cover is sheet1: give its formula the value Excel would have stored.
    cache_formula_values(template, {"A5": len(FOREIGN_ROWS)})
    out = tmp_path / "filled.xlsx"
    result = run("form", INVALID, "--template", template, "--out", out, *OPERATOR)
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out)["Cover"]["A5"].value == "=COUNTA('POI data'!B4:B40)"
    assert openpyxl.load_workbook(out, data_only=True)["Cover"]["A5"].value == len(FOREIGN_ROWS)
