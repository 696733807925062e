"""The corrected copy of a workbook: the user's own workbook, edited cell by cell.

The workbook is opened with openpyxl (formatting inside cells kept) and only the edited cells
get new values; sheets, styles, column widths, comments, data validations, defined names and
every other cell stay as they were, and formulas keep their cached values
(poicheck.workbooks.cached). A cell is written the way the sheet holds its kind of value: a
number in a number column stays a number; a text (a postal code with its leading zero, a
phone number with its `+`) is stored as text, never as a formula. A formula cell or a merged
cell is not changed (fix the formula or its source instead).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl.cell.cell import Cell

from poicheck.fix.edits import Edit, Written, numeric, places
from poicheck.ruleset.model import RuleSet

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping


def write_xlsx(
    path: Path,
    edits: list[Edit],
    ruleset: RuleSet,
    *,
    sheet_name: str | None,
    out: Path | None = None,
    mapping: ColumnMapping | None = None,
) -> Written:
    """The bytes of the workbook at `path` with `edits` made on its sheet `sheet_name` (the
    one the reader read). `out` says whether macros are kept (an .xlsm to an .xlsm)."""
    from poicheck.workbooks import cells
    from poicheck.workbooks.annotate import find_header

    workbook, warnings = cells.open_workbook(path, out=out, rich_text=True)
    sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.worksheets[0]
    header = find_header(sheet, ruleset, mapping)
    texts = [""] * max((position for position, _ in header.raw), default=0)
    for position, text in header.raw:
        texts[position - 1] = text
    where = places(texts, ruleset, mapping)
    skipped: list[tuple[Edit, str]] = []
    for edit in edits:
        place = where.get(edit.column)
        if place is None or place.position is None:
            skipped.append((edit, place.why_not if place else "the sheet has no such column"))
            continue
        target = sheet.cell(row=edit.row, column=place.position + 1)
        if not isinstance(target, Cell):
            skipped.append((edit, f"{target.coordinate} is part of a merged cell"))
        elif target.data_type == "f":
            skipped.append((edit, f"{target.coordinate} holds a formula; fix it or its source"))
        else:
            _write(target, edit)
    buffer = io.BytesIO()
    workbook.save(buffer)
    from poicheck.workbooks.cached import keep_cached

    data = keep_cached(path, buffer.getvalue())
    notes = [f"openpyxl: {warning}" for warning in warnings]
    return Written(data, skipped, notes)


# A number as a spreadsheet holds it: no leading zero (a postal code keeps it as text), no sign
# but a minus (a phone number's '+' stays).
PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", re.ASCII)


def _write(cell: Cell, edit: Edit) -> None:
    """A number where the property is a number or the cell held one (a coordinate), else
    safe text."""
    from poicheck.workbooks.cells import write_text

    held = cell.value
    was_number = isinstance(held, (int, float)) and not isinstance(held, bool)
    textual = cell.number_format == "@"
    if (numeric(edit.prop) or was_number) and not textual and PLAIN_NUMBER.fullmatch(edit.text):
        cell.value = int(edit.text) if "." not in edit.text else float(edit.text)
    else:
        write_text(cell, edit.text)
