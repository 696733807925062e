"""What every generated workbook shares: safe cell writing, styles, sheet layout and saving.

Safe writing: text from the user's data is always stored as a text cell, never as a formula.
openpyxl turns a string starting with `=` into a formula, and Excel re-evaluates a text cell
starting with `=`, `+`, `-` or `@` when someone edits it; such cells get a text data type and
Excel's quote prefix (the hidden apostrophe), so `+4930...` and `-1` show exactly as typed.
"""

from __future__ import annotations

import io
import math
import numbers
import warnings
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from poicheck.errors import InputError, UsageError
from poicheck.files.output import check_output as check_output_path
from poicheck.files.output import write_bytes

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
EXCEL_SUFFIXES = (".xlsx", ".xlsm")

# Colours a person knows from Excel's own "good / neutral / bad" cell styles.
ANSWER_STYLES: dict[str, tuple[str, str]] = {
    "Yes": ("C6EFCE", "006100"),
    "Partly": ("FFEB9C", "9C5700"),
    "No": ("FFC7CE", "9C0006"),
    "Not provided": ("EDEDED", "595959"),
}
SEVERITY_STYLES: dict[str, tuple[str, str]] = {
    "error": ("FFC7CE", "9C0006"),
    "warning": ("FFEB9C", "9C5700"),
    "info": ("DDEBF7", "1F4E78"),
}
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def clean_text(text: str) -> str:
    """Text a workbook can hold: characters XML forbids replaced, cut to Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def _writable(cell: Cell | MergedCell) -> Cell:
    if not isinstance(cell, Cell):  # poicheck's own sheets merge nothing; templates check first
        raise TypeError(f"cannot write into {cell.coordinate}: it is part of a merged cell")
    return cell


def write_text(cell: Cell | MergedCell, value: str | None) -> Cell:
    """Write `value` as a text cell, never as a formula (see the module docstring)."""
    cell = _writable(cell)
    if value is None or value == "":
        cell.value = None
        return cell
    text = clean_text(str(value))
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def write_value(cell: Cell | MergedCell, value: Any) -> Cell:
    """Write a number as a number and anything else as safe text; NaN, NA and None as empty."""
    cell = _writable(cell)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        cell.value = None
    elif isinstance(value, (bool, np.bool_)):
        write_text(cell, "true" if value else "false")
    elif isinstance(value, numbers.Integral):
        cell.value = int(value)
    elif isinstance(value, numbers.Real):
        cell.value = None if math.isnan(float(value)) else float(value)
    else:
        write_text(cell, str(value))
    return cell


def fill(color: str) -> PatternFill:
    return PatternFill("solid", fgColor=color)


def paint(cell: Cell | MergedCell, styles: dict[str, tuple[str, str]], key: str | None) -> None:
    """Colour a cell by a known key (an answer or a severity); unknown keys stay plain."""
    if key in styles:
        background, foreground = styles[key]
        cell.fill = fill(background)
        cell.font = Font(bold=True, color=foreground)


def note(text: str, *, width: int = 320, height: int | None = None) -> Comment:
    """A cell comment by poicheck, sized to its text."""
    body = clean_text(text)
    lines = sum(max(1, math.ceil(len(line) / 48)) for line in body.splitlines() or [""])
    comment = Comment(body, "poicheck")
    comment.width = width
    comment.height = height or min(400, 24 + 16 * lines)
    return comment


def write_table(
    sheet: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    first_row: int = 1,
    widths: Sequence[float] = (),
    wrap: Iterable[int] = (),
) -> int:
    """A header row and data rows (safe cells), filters on the header; returns the last row."""
    for column, title in enumerate(header, start=1):
        cell = write_text(sheet.cell(row=first_row, column=column), title)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    longest = max((len(title) for title in header), default=0)
    sheet.row_dimensions[first_row].height = 30 if longest > 12 else None
    wrapped = set(wrap)
    last = first_row
    for last, values in enumerate(rows, start=first_row + 1):
        for column, value in enumerate(values, start=1):
            cell = write_value(sheet.cell(row=last, column=column), value)
            cell.alignment = WRAP if column in wrapped else TOP
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    end = get_column_letter(len(header))
    sheet.auto_filter.ref = f"A{first_row}:{end}{max(last, first_row)}"
    return last


def fit_row_heights(
    sheet: Worksheet, widths: Sequence[float], wrap: Iterable[int], rows: range
) -> None:
    """Row heights for wrapped text (Excel does not grow rows of files it did not write)."""
    wrapped = [c for c in wrap if c <= len(widths)]
    for row in rows:
        lines = 1
        for column in wrapped:
            value = sheet.cell(row=row, column=column).value
            if value is None:
                continue
            per_line = max(1, int(widths[column - 1] * 1.1))
            text_lines = str(value).splitlines() or [""]
            lines = max(lines, sum(max(1, math.ceil(len(t) / per_line)) for t in text_lines))
        if lines > 1:
            sheet.row_dimensions[row].height = min(409, 15 * lines)


def printable(sheet: Worksheet, *, title_rows: str | None = None) -> None:
    """Landscape A4, fitted to the page width, header repeated on every printed page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is None:
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        sheet.print_title_rows = title_rows


def unique_sheet_name(workbook: Workbook, wanted: str) -> str:
    """`wanted`, or `wanted (2)`... when the workbook already has a sheet of that name."""
    taken = {name.lower() for name in workbook.sheetnames}
    name, counter = wanted, 2
    while name.lower() in taken:
        name = f"{wanted} ({counter})"
        counter += 1
    return name


def cell_link(sheet: str, coordinate: str) -> str:
    """An internal hyperlink location (`'Sheet name'!C5`)."""
    return "'" + sheet.replace("'", "''") + "'!" + coordinate


def check_output(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output that is not a workbook name or that would overwrite an input."""
    if out.suffix.lower() not in EXCEL_SUFFIXES:
        raise UsageError("the output must be an .xlsx (or .xlsm) workbook", location=str(out))
    check_output_path(out, inputs)


def open_workbook(
    path: Path, *, out: Path | None = None, rich_text: bool = True
) -> tuple[Workbook, list[str]]:
    """Load a user's workbook for editing; also returns what openpyxl said it cannot keep.

    VBA is kept when both the input and `out` are .xlsm; formatting inside a cell's text
    only with `rich_text` (it doubles the loading time of big sheets). Parts openpyxl does
    not read (shapes, some Excel extensions) are dropped on saving; its warnings say which.
    """
    if not path.exists():
        raise InputError("no such file", location=str(path))
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        raise InputError("not an .xlsx or .xlsm workbook", location=str(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            workbook = load_workbook(
                path,
                rich_text=rich_text,
                keep_vba=_is_xlsm(path) and (out is None or _is_xlsm(out)),
                keep_links=True,
            )
        except Exception as exc:  # openpyxl raises many types for damaged archives
            raise InputError(f"cannot open as a workbook: {exc}", location=str(path)) from exc
    _SOURCES[workbook] = path
    return workbook, list(dict.fromkeys(str(w.message) for w in caught))


# The file each workbook opened for editing came from, for the cached values of its formulas
# (openpyxl drops them when it loads formulas; see poicheck.workbooks.cached).
_SOURCES: weakref.WeakKeyDictionary[Workbook, Path] = weakref.WeakKeyDictionary()


def _is_xlsm(path: Path) -> bool:
    return path.suffix.lower() == ".xlsm"


def save_workbook(workbook: Workbook, out: Path, inputs: Iterable[Path] = ()) -> None:
    """Save by the output policy (poicheck.files.output): built in memory, then written whole. A
    workbook opened with `open_workbook` keeps the cached values of its formulas."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    source = _SOURCES.get(workbook)
    if source is not None:
        from poicheck.workbooks.cached import keep_cached

        data = keep_cached(source, data)
    write_bytes(out, data, inputs=inputs)


def header_text(value: Any) -> str:
    """A header cell as the readers see it (stripped text)."""
    from poicheck.readers.xlsx.celltexts import cell_text

    return cell_text(value).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
