"""An empty input workbook in the canonical layout, generated from the rule files.

Sheet EVSE: the header row (each column's description as a comment, mandatory columns marked
by colour), one filled example row, dropdowns for enumerated and boolean columns, every cell
formatted as text so that Excel keeps `+4930...`, `-1` and `01067` as typed. Sheet Columns
documents every column; the hidden sheet Lists holds the values the dropdowns offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from poicheck.errors import UsageError
from poicheck.ruleset.model import Property, RuleSet
from poicheck.table import canonical_order
from poicheck.workbooks import cells
from poicheck.workbooks.answers import data_type

# The spelling the `boolean` check kind accepts (docs/layout.md: "Booleans are true / false").
BOOLEAN_VALUES = ("true", "false")
TEXT_FORMAT = "@"
LAST_ROW = 1_048_576
ROLE_LABELS = {
    "M": "Mandatory",
    "C": "Conditional (mandatory when the item or the condition applies)",
    "O": "Optional",
}
ROLE_FILLS = {"M": "C00000", "C": "C65911", "O": "1F4E78"}
DATA_SHEET = "EVSE"
COLUMNS_HEADER = [
    "Column",
    "Mandatory",
    "Data type",
    "Length / format",
    "Allowed values",
    "Description",
    "Example",
    "Spec",
]
COLUMNS_WIDTHS = [38, 12, 30, 40, 36, 56, 30, 30]
NOTES = (
    "Row 2 of the EVSE sheet is an example that passes every rule: overwrite or delete it.",
    "Header colours: red = mandatory, orange = conditional, blue = optional.",
    "Every cell is text: write values as OICP does (true / false, 22, +4930123456789).",
    "Lists of values sit in one cell separated by ';' (Type 2 Outlet;CCS Combo 2 Plug ...).",
    "More languages or list items: add columns like ChargingStationNames.de or "
    "ChargingFacilities.2.Power, or run `poicheck template --languages en,de --items 2`.",
)


@dataclass(frozen=True)
class TemplateColumn:
    """One column of the template: its header, its property, its role (M / C / O)."""

    name: str
    prop: Property
    role: str
    first: bool  # the first language or the first list item: the one the example fills


def _expansions(
    prop: Property, ruleset: RuleSet, languages: Sequence[str], items: int
) -> list[str]:
    """The concrete columns of a property path (`*` -> languages or item numbers)."""
    names = [prop.path]
    parts = prop.path.split(".")
    for i, part in enumerate(parts):
        if part != "*":
            continue
        parent = ruleset.properties.get(".".join(parts[:i]))
        keys = (
            [str(n) for n in range(1, items + 1)]
            if parent is not None and parent.shape == "object_list"
            else list(languages)
        )
        names = [
            ".".join([*name.split(".")[:i], key, *name.split(".")[i + 1 :]])
            for name in names
            for key in keys
        ]
    return names


def _role(prop: Property, ruleset: RuleSet, first: bool) -> str:
    parts = prop.path.split(".")
    containers = [
        ruleset.properties[p]
        for p in (".".join(parts[:i]) for i in range(1, len(parts)))
        if p in ruleset.properties
    ]
    if prop.use == "conditional":
        return "C"
    # A mandatory InfoText list needs one text: its first language column is mandatory.
    if containers and containers[-1].shape == "infotext_list" and containers[-1].mandatory:
        return "M" if first else "O"
    if not prop.mandatory:
        return "O"
    return "M" if first and all(c.mandatory for c in containers) else "C"


def template_columns(
    ruleset: RuleSet, *, languages: Sequence[str] = ("en",), items: int = 1
) -> list[TemplateColumn]:
    """The template's columns in canonical order: every record property made concrete."""
    if not languages or items < 1:
        raise UsageError("the template needs at least one language and one list item")
    _check_languages(ruleset, languages)
    columns: dict[str, TemplateColumn] = {}
    for prop in ruleset.scope_properties("record"):
        if prop.is_container or prop.assigned_by_hubject:  # deltaType, lastUpdate: not sent
            continue
        for i, name in enumerate(_expansions(prop, ruleset, languages, items)):
            first = i == 0
            columns[name] = TemplateColumn(name, prop, _role(prop, ruleset, first), first)
    return [columns[name] for name in canonical_order(list(columns), ruleset)]


def _check_languages(ruleset: RuleSet, languages: Sequence[str]) -> None:
    """Refuse column names the rule set's language-code rules would reject."""
    from poicheck.checks import get_kind
    from poicheck.ruleset.params import resolve_params

    for rule in ruleset.rules.values():
        accepts = get_kind(rule.kind).accepts_language
        if accepts is None:
            continue
        params = resolve_params(rule, ruleset.properties.get(rule.fields[0]), ruleset)
        wrong = [code for code in languages if not accepts(code, params)]
        if wrong:
            raise UsageError(f"not a language code: {', '.join(wrong)} (rule {rule.id})")


def example_row(columns: Sequence[TemplateColumn], ruleset: RuleSet) -> dict[str, str | None]:
    """The example EVSE: every property's example, made consistent with the rules.

    Examples are given per property; rules across properties (opening times only when not
    open 24 hours, energy shares adding up to 100) can reject a combination. Optional cells
    that a finding points at are emptied until the row passes every rule.
    """
    import pandas as pd

    from poicheck.api import validate

    row = {c.name: (c.prop.example if c.first else None) for c in columns}
    optional = {c.name for c in columns if c.role != "M"}
    for _ in range(len(columns)):
        frame = pd.DataFrame([row], dtype="str")
        findings = validate(frame, ruleset=ruleset).frame
        fields = {str(f) for f in findings["field"].dropna()}
        emptied = {
            name
            for name in optional
            if row[name] and any(name == f or name.startswith(f + ".") for f in fields)
        }
        if not emptied:
            break
        row.update(dict.fromkeys(emptied))
    return row


def allowed_values(prop: Property) -> tuple[str, ...] | None:
    """The values a dropdown offers: the enumeration, or true / false for booleans."""
    if prop.enum:
        return prop.enum
    if prop.base == "boolean" and prop.shape == "scalar":
        return BOOLEAN_VALUES
    return None


def template_workbook(
    ruleset: RuleSet, *, languages: Sequence[str] = ("en",), items: int = 1
) -> Workbook:
    """The empty input workbook (sheets EVSE, Columns and the hidden Lists)."""
    columns = template_columns(ruleset, languages=languages, items=items)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    lists = workbook.create_sheet("Lists")
    ranges = _lists_sheet(lists, columns)
    example = example_row(columns, ruleset)
    for index, column in enumerate(columns, start=1):
        _data_column(sheet, index, column, ranges, example[column.name])
    # Frozen: the header row and the columns up to EvseID, which names the row.
    names = [c.name for c in columns]
    frozen = names.index("EvseID") + 2 if "EvseID" in names else 2
    sheet.freeze_panes = f"{get_column_letter(frozen)}2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"
    _columns_sheet(workbook.create_sheet("Columns", 1), columns)
    lists.sheet_state = "hidden"
    workbook.active = 0
    return workbook


def _lists_sheet(sheet: Worksheet, columns: list[TemplateColumn]) -> dict[tuple[str, ...], str]:
    """One column of allowed values per distinct list; returns the range of each list."""
    ranges: dict[tuple[str, ...], str] = {}
    for column in columns:
        values = allowed_values(column.prop)
        if values is None or values in ranges:
            continue
        index = len(ranges) + 1
        letter = get_column_letter(index)
        label = column.prop.type_name or "boolean"
        cells.write_text(sheet.cell(row=1, column=index), label).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            cells.write_text(sheet.cell(row=row, column=index), value)
        end = len(values) + 1
        ranges[values] = f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${end}"
    return ranges


def _header_comment(column: TemplateColumn) -> str:
    prop = column.prop
    lines = [prop.description, "", f"{ROLE_LABELS[column.role]}. Type: {data_type(prop)}."]
    if prop.describe_format():
        lines.append(f"Format: {prop.describe_format()}.")
    if prop.example:
        lines.append(f"Example: {prop.example}")
    return "\n".join(lines)


def _data_column(
    sheet: Worksheet,
    index: int,
    column: TemplateColumn,
    ranges: dict[tuple[str, ...], str],
    example: str | None,
) -> None:
    letter = get_column_letter(index)
    header = cells.write_text(sheet.cell(row=1, column=index), column.name)
    header.fill = cells.fill(ROLE_FILLS[column.role])
    header.font = Font(bold=True, color="FFFFFF")
    header.comment = cells.note(_header_comment(column), width=360)
    cell = cells.write_text(sheet.cell(row=2, column=index), example)
    cell.number_format = TEXT_FORMAT
    cell.font = Font(italic=True, color="595959")
    sheet.column_dimensions[letter].number_format = TEXT_FORMAT
    width = max(len(column.name), len(example or "")) + 2
    sheet.column_dimensions[letter].width = min(max(width, 10), 48)
    values = allowed_values(column.prop)
    if values is None:
        return
    several = column.prop.shape == "list"
    validation = DataValidation(
        type="list",
        formula1=ranges[values],
        allow_blank=True,
        showErrorMessage=not several,
        errorStyle="stop",
        errorTitle=column.name,
        error=f"{column.name} must be one of the listed values.",
        showInputMessage=True,
        promptTitle=column.name[:32],
        prompt=(
            "Pick a value; several values go in one cell separated by ';'."
            if several
            else "Pick one of the listed values."
        ),
    )
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    sheet.add_data_validation(validation)


def _columns_sheet(sheet: Worksheet, columns: list[TemplateColumn]) -> None:
    rows = [
        [
            c.name,
            ROLE_LABELS[c.role].split(" (")[0],
            data_type(c.prop),
            c.prop.describe_format(),
            "\n".join(allowed_values(c.prop) or ()),
            c.prop.description,
            c.prop.example if c.first else None,
            c.prop.spec,
        ]
        for c in columns
    ]
    wrap = (3, 4, 5, 6, 7)
    last = cells.write_table(sheet, COLUMNS_HEADER, rows, widths=COLUMNS_WIDTHS, wrap=wrap)
    for row, column in enumerate(columns, start=2):
        cells.paint(sheet.cell(row=row, column=2), _ROLE_STYLES, column.role)
    for offset, text in enumerate(NOTES, start=2):
        cell = cells.write_text(sheet.cell(row=last + offset, column=1), text)
        cell.alignment = Alignment(wrap_text=False)
    sheet.freeze_panes = "B2"
    cells.fit_row_heights(sheet, COLUMNS_WIDTHS, wrap, range(2, last + 1))
    cells.printable(sheet, title_rows="1:1")


_ROLE_STYLES = {"M": ("FFC7CE", "9C0006"), "C": ("FCE4D6", "C65911"), "O": ("DDEBF7", "1F4E78")}
