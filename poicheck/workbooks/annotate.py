"""An annotated copy of the user's own workbook: failing cells highlighted and commented.

Where a finding goes:

- a finding of input read through a column mapping: the cell of the user's own layout its
  value came from (the finding's `cell`), when it has one;
- a finding about a column of a record: that cell;
- a finding about a record but no cell of its own (a container such as ChargingStationNames,
  or a column the sheet does not have): the first column of that container in the sheet,
  else the row's EvseID cell, else the row's first cell; the comment names the field;
- a finding about the file (an unknown or duplicate column): the header cell of that column;
- a finding about the push envelope (OperatorID...): only the Findings sheet.

Every finding is also a row of the Findings sheet, linked to its cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet.worksheet import Worksheet

from poicheck.errors import InputError
from poicheck.findings import SEVERITY_RANK
from poicheck.readers.sheet import HEAD_ROWS, choose_header, known_header
from poicheck.readers.tabular import plan_columns
from poicheck.results.report import Report
from poicheck.ruleset.model import RuleSet
from poicheck.workbooks import cells
from poicheck.workbooks.findings import findings_sheet

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping

UNNAMED_COLUMN = re.compile(r"\(column (\d+)\)")
Place = tuple[int, int, bool]  # row, column, and whether the cell is the finding's own


@dataclass(frozen=True)
class Header:
    """The header row of the user's sheet: where each column is."""

    row: int
    raw: list[tuple[int, str]]  # (column index, header text) of every non-empty header cell
    canonical: dict[str, int] = field(default_factory=dict)  # canonical name -> first column

    def container_column(self, container: str) -> int | None:
        prefix = container + "."
        return next((c for name, c in self.canonical.items() if name.startswith(prefix)), None)

    def header_column(self, name: str) -> int | None:
        """The header cell a file-level finding is about (a duplicate: its last occurrence)."""
        unnamed = UNNAMED_COLUMN.fullmatch(name)
        if unnamed:
            return int(unnamed.group(1))
        hits = [c for c, text in self.raw if text == name]
        hits = hits or ([self.canonical[name]] if name in self.canonical else [])
        return hits[-1] if hits else None


@dataclass(frozen=True)
class AnnotateResult:
    """What `annotate_workbook` did."""

    sheet: str
    header_row: int
    findings: int
    cells: int
    on_row: int
    sheet_only: int
    findings_sheet: str
    warnings: list[str]


def find_header(sheet: Worksheet, ruleset: RuleSet, mapping: ColumnMapping | None = None) -> Header:
    """The header row and its columns, chosen as the XLSX reader chooses them."""
    rows: list[list[str]] = []
    for values in sheet.iter_rows(min_row=1, max_row=sheet.max_row, values_only=True):
        rows.append(["" if cells.is_blank(v) else cells.header_text(v) for v in values])
        if sum(1 for row in rows if any(row)) >= HEAD_ROWS:
            break
    index = choose_header(rows, known_header(ruleset, mapping))
    if index is None:
        raise InputError("the sheet is empty", location=sheet.title)
    header = rows[index]
    empty_body = pd.DataFrame(columns=range(len(header)))
    columns, _ = plan_columns(header, empty_body, ruleset, mapping)
    canonical = {c.name: c.position + 1 for c in columns}
    raw = [(position, text) for position, text in enumerate(header, start=1) if text]
    return Header(row=index + 1, raw=raw, canonical=canonical)


def _locate(frame: pd.DataFrame, header: Header) -> list[Place | None]:
    """Per finding: (row, column, own cell?) in the user's sheet, or None (Findings sheet only)."""
    first_column = min(c for c, _ in header.raw)
    fallback = header.canonical.get("EvseID", first_column)
    out: list[Place | None] = []
    sources = frame["cell"] if "cell" in frame.columns else [None] * len(frame)
    for row, name, source in zip(frame["row"], frame["field"], sources, strict=True):
        name = "" if name is None else str(name)
        if source:  # read through a mapping: the cell of the user's own layout
            out.append((*coordinate_to_tuple(str(source)), True))
            continue
        if pd.isna(row):
            column = header.header_column(name) if name else None
            out.append((header.row, column, True) if column else None)
            continue
        column = header.canonical.get(name)
        if column is not None:
            out.append((int(row), column, True))
        else:
            column = header.container_column(name) or fallback
            out.append((int(row), column, False))
    return out


def _comment_text(items: Iterable[tuple[str, str, str]]) -> str:
    return "\n".join(f"{rule} ({severity}): {message}" for rule, severity, message in items)


def _counted(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Each distinct (rule, severity, text) once, with how many EVSEs have it when several."""
    counts = dict.fromkeys(items, 0)
    for item in items:
        counts[item] += 1
    return [(r, s, t if n == 1 else f"{t} ({n} EVSEs)") for (r, s, t), n in counts.items()]


def _mark(sheet: Worksheet, frame: pd.DataFrame, places: list[Place | None]) -> int:
    """Colour and comment every cell a finding is about; returns how many cells."""
    notes: dict[tuple[int, int], list[tuple[str, str, str]]] = {}
    worst: dict[tuple[int, int], str] = {}
    for place, rule, severity, field_name, message in zip(
        places, frame["rule"], frame["severity"], frame["field"], frame["message"], strict=True
    ):
        if place is None:
            continue
        key = (place[0], place[1])
        own = place[2] or str(message).startswith(str(field_name))
        text = message if own else f"{field_name}: {message}"
        notes.setdefault(key, []).append((str(rule), str(severity), str(text)))
        if key not in worst or SEVERITY_RANK[severity] < SEVERITY_RANK[worst[key]]:
            worst[key] = severity
    for (row, column), items in notes.items():
        cell = sheet.cell(row=row, column=column)
        cell.fill = cells.fill(cells.SEVERITY_STYLES[worst[(row, column)]][0])
        # The EVSEs of one row (a mapping's column groups) share its station cells: a finding
        # they all have is said once.
        said = _counted(items)
        text = _comment_text(sorted(said, key=lambda i: (SEVERITY_RANK[i[1]], i[0])))
        if cell.comment is not None and cell.comment.text:
            text = f"{cell.comment.text}\n\npoicheck:\n{text}"
        cell.comment = cells.note(text)
    return len(notes)


def annotate_workbook(
    path: Path,
    report: Report,
    *,
    out: Path | None = None,
    mapping: ColumnMapping | None = None,
) -> tuple[Workbook, AnnotateResult]:
    """A copy of the workbook at `path` annotated with the findings of `report` (one file).

    `mapping` is the column mapping the report was made with, if any. The file at `path` is
    only read; save the returned workbook elsewhere.
    """
    if report.unreadable:
        first = report.unreadable[0]
        raise InputError(first.error or "cannot be read", location=first.file)
    # NOTE: data sheets rarely format parts of a cell's text; reading it costs half the time.
    workbook, warnings = cells.open_workbook(path, out=out, rich_text=False)
    name = report.files[0].sheet if report.files else None
    sheet = workbook[name] if name in workbook.sheetnames else workbook.worksheets[0]
    header = find_header(sheet, report.ruleset, mapping)
    frame = report.frame
    places = _locate(frame, header)
    marked = _mark(sheet, frame, places)
    coordinates = [None if p is None else f"{get_column_letter(p[1])}{p[0]}" for p in places]
    links = [None if c is None else (c, cells.cell_link(sheet.title, c)) for c in coordinates]
    title = cells.unique_sheet_name(workbook, "Findings")
    findings_sheet(workbook.create_sheet(title), frame, links=links)
    result = AnnotateResult(
        sheet=sheet.title,
        header_row=header.row,
        findings=len(frame),
        cells=marked,
        on_row=sum(1 for p in places if p is not None and not p[2]),
        sheet_only=sum(1 for p in places if p is None),
        findings_sheet=title,
        warnings=warnings,
    )
    return workbook, result
