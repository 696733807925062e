"""`poicheck template`: the empty input workbook, generated from the rule files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter, range_boundaries

import poicheck
from poicheck.cli import cli
from poicheck.cli import workbooks as _workbooks  # noqa: F401  (registers the commands)
from poicheck.ruleset.model import RuleSet
from poicheck.workbooks.template import (
    BOOLEAN_VALUES,
    ROLE_FILLS,
    template_columns,
)

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    out = tmp_path / "template.xlsx"
    result = run("template", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_header_row_is_the_canonical_layout(template: Path, ruleset: RuleSet) -> None:
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == ["EVSE", "Columns", "Lists"]
    assert workbook["Lists"].sheet_state == "hidden"
    sheet = workbook["EVSE"]
    header = [c.value for c in sheet[1]]
    assert header == [c.name for c in template_columns(ruleset)]
    assert "ChargingFacilities.1.Power" in header
    assert "ChargingStationNames.en" in header
    for column in template_columns(ruleset):
        assert ruleset.property_for_column(column.name) is column.prop
    evse = header.index("EvseID") + 1
    assert sheet.freeze_panes == f"{get_column_letter(evse + 1)}2"


def test_header_comments_and_mandatory_marks(template: Path, ruleset: RuleSet) -> None:
    sheet = openpyxl.load_workbook(template)["EVSE"]
    roles = {c.name: c.role for c in template_columns(ruleset)}
    for cell in sheet[1]:
        prop = ruleset.property_for_column(cell.value)
        assert prop is not None
        assert cell.comment is not None
        assert cell.comment.text.startswith(prop.description)
        assert cell.fill.fgColor.rgb.endswith(ROLE_FILLS[roles[cell.value]])
    assert roles["EvseID"] == roles["Address.City"] == roles["ChargingFacilities.1.Power"] == "M"
    assert roles["ChargingStationNames.en"] == "M"  # one name is required
    assert roles["OpeningTimes"] == "C"
    assert roles["Address.Floor"] == roles["EnergySource.1.Energy"] == "O"
    evse = next(c for c in sheet[1] if c.value == "EvseID")
    assert "Mandatory." in evse.comment.text


def _list_values(workbook: openpyxl.Workbook, formula: str) -> list[str]:
    name, _, area = formula.rpartition("!")
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    sheet = workbook[name.strip("'")]
    rows = sheet.iter_rows(min_row, max_row, min_col, max_col, values_only=True)
    return [str(v) for row in rows for v in row]


def test_dropdowns_for_every_enumerated_column(template: Path, ruleset: RuleSet) -> None:
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["EVSE"]
    by_column = {}
    for validation in sheet.data_validations.dataValidation:
        for area in validation.sqref.ranges:
            by_column[area.min_col] = validation
            assert (area.min_row, area.max_row) == (2, 1_048_576)
    for index, column in enumerate(template_columns(ruleset), start=1):
        prop = column.prop
        if prop.enum:
            validation = by_column[index]
            assert validation.type == "list"
            assert tuple(_list_values(workbook, validation.formula1)) == prop.enum
            assert validation.showErrorMessage is (prop.shape != "list")
        elif prop.base == "boolean":
            assert tuple(_list_values(workbook, by_column[index].formula1)) == BOOLEAN_VALUES
        else:
            assert index not in by_column, column.name
    assert any(c.prop.enum for c in template_columns(ruleset))


def test_columns_sheet_documents_every_column(template: Path, ruleset: RuleSet) -> None:
    sheet = openpyxl.load_workbook(template)["Columns"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    documented = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:] if r[1]}
    columns = template_columns(ruleset)
    assert list(documented) == [c.name for c in columns]
    plugs = documented["Plugs"]
    assert plugs["Mandatory"] == "Mandatory"
    assert plugs["Allowed values"].split("\n") == list(ruleset.properties["Plugs"].enum or ())
    assert plugs["Length / format"] == ruleset.properties["Plugs"].describe_format()
    assert documented["Address.City"]["Data type"] == "string"
    assert documented["OpeningTimes"]["Mandatory"] == "Conditional"


def test_example_row_is_text_exactly_as_typed(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)["EVSE"]
    cells = {c.value: sheet.cell(row=2, column=c.column) for c in sheet[1]}
    phone = cells["HotlinePhoneNumber"]
    assert phone.value.startswith("+")
    assert phone.data_type == "s"
    assert phone.quotePrefix
    floor = cells["Address.Floor"]
    assert floor.value == "-1"
    assert floor.data_type == "s"
    assert floor.quotePrefix
    assert cells["Address.PostalCode"].data_type == "s"
    assert all(c.number_format == "@" for c in sheet[2])
    assert sheet.column_dimensions["A"].number_format == "@"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def assert_clean(report: poicheck.Report) -> None:
    """No finding at all: the template's Columns and Lists sheets hold no EVSE data, so not
    even the note that other sheets are not read (XLS009) applies."""
    shown = report.frame[["rule", "severity", "field", "message"]].to_string()
    assert report.frame.empty, shown
    assert report.exit_code("info") == 0, shown


def test_template_round_trips(template: Path, tmp_path: Path) -> None:
    report = poicheck.validate(template)
    assert report.files[0].records == 1
    assert_clean(report)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["EVSE"]
    for cell in sheet[2]:  # a second EVSE, copied from the example row
        sheet.cell(row=3, column=cell.column, value=cell.value)
    evse = next(c.column for c in sheet[1] if c.value == "EvseID")
    sheet.cell(row=3, column=evse, value=str(sheet.cell(row=2, column=evse).value) + "1")
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)
    report = poicheck.validate(filled)
    assert report.files[0].records == 2
    assert_clean(report)


def test_more_languages_and_list_items(tmp_path: Path, ruleset: RuleSet) -> None:
    out = tmp_path / "template.xlsx"
    result = run("template", "--out", out, "--languages", "en,de", "--items", "2")
    assert result.exit_code == 0, result.output
    header = [c.value for c in openpyxl.load_workbook(out)["EVSE"][1]]
    assert header.index("ChargingStationNames.en") < header.index("ChargingStationNames.de")
    assert header.index("ChargingFacilities.1.ChargingModes") < header.index(
        "ChargingFacilities.2.PowerType"
    )
    roles = {c.name: c.role for c in template_columns(ruleset, languages=["en", "de"], items=2)}
    assert roles["ChargingFacilities.2.Power"] == "C"  # mandatory when the item is used
    assert_clean(poicheck.validate(out))


def test_bad_options(tmp_path: Path) -> None:
    assert run("template", "--out", tmp_path / "t.xlsx", "--languages", "English").exit_code == 2
    assert run("template", "--out", tmp_path / "t.csv").exit_code == 2
    assert run("template", "--out", tmp_path / "t.xlsx", "--items", "0").exit_code == 2
    assert not (tmp_path / "t.xlsx").exists()
