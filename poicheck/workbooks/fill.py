"""Filling a data-check form workbook that someone else made (such as an onboarding team's).

The column of property names is the one in which most cells name an EvseDataRecord property;
names are matched loosely (`EvseID`, `EVSE ID`, `Address.City`, `City` below a row `Address`,
`ChargingStationName` for ChargingStationNames). The answer column is the header cell that reads
like "Requirement met" (or "met", "fulfilled", "compliant", "yes/no", "answer"). Both can be
named instead. Only the answer cells (and, when asked, the note cells) of matched rows are
written; every other cell, style, sheet and defined name stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from poicheck.errors import UsageError
from poicheck.ruleset.model import RuleSet
from poicheck.workbooks import cells
from poicheck.workbooks.answers import form_properties

# Header words of an answer column, best first.
ANSWER_WORDS = [
    re.compile(p)
    for p in (
        r"requirements? met",
        r"(able to|can( you)?) (meet|fulfil)",
        r"\bmet\b",
        r"fulfil",
        r"complian|compl(y|ies)",
        r"yes ?/ ?no",
        r"\banswer",
        r"\bstatus\b",
    )
]
MIN_PROPERTIES = 3
MAX_NAME_LENGTH = 60
SCAN_ROWS = 2000
HEADER_ROWS = 6  # rows above the first property searched for the answer column's header
NAMED_HEADER_ROWS = 30
MAX_COLUMNS = 60
COLUMN_LETTERS = re.compile(r"[A-Za-z]{1,3}")


@dataclass(frozen=True)
class TemplateSpec:
    """Which foreign form to fill and, optionally, where its columns are."""

    path: Path
    sheet: str | None = None
    property_column: str | None = None  # a column letter or the header text
    answer_column: str | None = None
    note_column: str | None = None


@dataclass
class FillResult:
    """What `fill_template` did, for the user to check."""

    sheet: str
    property_column: str
    answer_column: str
    filled: list[tuple[int, str, str]] = field(default_factory=list)  # row, property, answer
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # row, text
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def name_key(text: str) -> str:
    """A property name reduced to lower-case letters and digits (no brackets, no stars)."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"\([^)]*\)", "", text.lower()))


class NameIndex:
    """Matches what people write in forms to the rule set's property paths."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.full: dict[str, str] = {}
        self.leaf: dict[str, list[str]] = {}
        self.containers = {p.path for p in form_properties(ruleset) if p.is_container}
        for prop in form_properties(ruleset):
            self.full.setdefault(name_key(prop.path), prop.path)
            for alias in prop.aliases:
                self.full.setdefault(name_key(alias), prop.path)
            leaf = [part for part in prop.path.split(".") if part != "*"][-1]
            self.leaf.setdefault(name_key(leaf), []).append(prop.path)

    def resolve(self, text: str, context: str | None) -> str | None:
        """The property `text` names; `context` is the container named by a row above."""
        key = name_key(text)
        if not key or len(text) > MAX_NAME_LENGTH:
            return None
        if context and name_key(context) + key in self.full:
            return self.full[name_key(context) + key]
        if key in self.full:
            return self.full[key]
        paths = self.leaf.get(key, [])
        inside = [p for p in paths if context and p.startswith(context + ".")]
        if inside or len(paths) == 1:
            return (inside or paths)[0]
        return self.full.get(key + "s")

    def scan(
        self, texts: Iterator[tuple[int, str | None]]
    ) -> Iterator[tuple[int, str, str | None]]:
        """(row, text, property) for every non-empty text, resolving names in context."""
        context: str | None = None
        for row, text in texts:
            if text is None or not text.strip():
                continue
            path = self.resolve(text, context)
            if path is not None:
                if path in self.containers:
                    context = path
                elif "." not in path:
                    context = None
            yield row, text, path


def _texts(sheet: Worksheet, column: int) -> Iterator[tuple[int, str | None]]:
    """(row, text) of the cells of one column, empty cells as None."""
    last = min(sheet.max_row, SCAN_ROWS)
    values = sheet.iter_rows(
        min_row=1, max_row=last, min_col=column, max_col=column, values_only=True
    )
    for row, (value,) in enumerate(values, start=1):
        yield row, None if cells.is_blank(value) else cells.header_text(value)


def _find_property_column(
    workbook: Workbook, index: NameIndex, spec: TemplateSpec
) -> tuple[Worksheet, int]:
    """The sheet and column with the most property names (among the named column, if any)."""
    candidates = [workbook[spec.sheet]] if spec.sheet else workbook.worksheets
    best: tuple[int, Worksheet | None, int] = (0, None, 0)
    for ws in candidates:
        if spec.property_column:
            named = _named_column(ws, spec.property_column, NAMED_HEADER_ROWS)
            columns = [named] if named else []
        else:
            columns = list(range(1, min(ws.max_column, MAX_COLUMNS) + 1))
        for column in columns:
            found = {p for _, _, p in index.scan(_texts(ws, column)) if p}
            if len(found) > best[0]:
                best = (len(found), ws, column)
    where = f"{spec.path}, sheet {spec.sheet}" if spec.sheet else str(spec.path)
    if spec.property_column and best[1] is None:
        raise UsageError(f"no column '{spec.property_column}' of property names", location=where)
    if best[1] is None or best[0] < MIN_PROPERTIES:
        raise UsageError(
            "found no column of EvseDataRecord property names; name it with --property-column",
            location=where,
        )
    return best[1], best[2]


def _named_column(sheet: Worksheet, name: str, top: int) -> int | None:
    """A column given as header text (searched in the rows above the properties) or letter."""
    wanted = " ".join(name.lower().split())
    for values in sheet.iter_rows(min_row=1, max_row=max(top, 1), min_col=1, values_only=True):
        for column, value in enumerate(values, start=1):
            text = "" if cells.is_blank(value) else cells.header_text(value)
            if text and " ".join(text.lower().split()) == wanted:
                return column
    if COLUMN_LETTERS.fullmatch(name.strip()):
        return column_index_from_string(name.strip().upper())
    return None


def _column(sheet: Worksheet, name: str, top: int, option: str) -> int:
    column = _named_column(sheet, name, top)
    if column is None:
        raise UsageError(f"{option}: no column '{name}' in the header of sheet '{sheet.title}'")
    return column


def _find_answer_column(sheet: Worksheet, first: int, exclude: int) -> int:
    best: tuple[int, int] | None = None
    top, bottom = max(1, first - HEADER_ROWS), max(1, first - 1)
    for values in sheet.iter_rows(min_row=top, max_row=bottom, min_col=1, values_only=True):
        for column, value in enumerate(values, start=1):
            if column == exclude or cells.is_blank(value):
                continue
            text = " ".join(cells.header_text(value).lower().split())
            rank = next((i for i, word in enumerate(ANSWER_WORDS) if word.search(text)), None)
            if rank is not None and (best is None or (rank, column) < best):
                best = (rank, column)
    if best is None:
        raise UsageError(
            f"found no answer column (such as 'Requirement met') in sheet '{sheet.title}'; "
            "name it with --answer-column"
        )
    return best[1]


def _allowed(workbook: Workbook, sheet: Worksheet, coordinate: str) -> list[str] | None:
    """The values a list validation allows in a cell (inline or a range of this workbook)."""
    for validation in sheet.data_validations.dataValidation:
        if validation.type != "list" or coordinate not in validation.sqref:
            continue
        formula = (validation.formula1 or "").lstrip("=")
        if formula.startswith('"'):
            return [v.strip() for v in formula.strip('"').split(",")]
        target, _, area = formula.rpartition("!")
        ws = workbook[target.strip("'").replace("''", "'")] if target else sheet
        try:
            min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
        except (ValueError, TypeError):
            return None
        values = ws.iter_rows(min_row, max_row, min_col, max_col, values_only=True)
        return [str(v) for row in values for v in row if v is not None]
    return None


def _spelling(answer: str, allowed: list[str] | None) -> str | None:
    if allowed is None:
        return answer
    return next((a for a in allowed if a.strip().lower() == answer.lower()), None)


def fill_template(
    spec: TemplateSpec, answers: pd.DataFrame, ruleset: RuleSet, *, out: Path | None = None
) -> tuple[Workbook, FillResult]:
    """The template workbook with the answers written into its matching rows.

    `answers` is the table of `answers.compute_answers`. The template file is only read.
    """
    workbook, warnings = cells.open_workbook(spec.path, out=out)
    if spec.sheet is not None and spec.sheet not in workbook.sheetnames:
        raise UsageError(
            f"no sheet named '{spec.sheet}' (sheets: {', '.join(workbook.sheetnames)})",
            location=str(spec.path),
        )
    index = NameIndex(ruleset)
    sheet, prop_col = _find_property_column(workbook, index, spec)
    rows = list(index.scan(_texts(sheet, prop_col)))
    first = next((r for r, _, p in rows if p), 1)
    answer_col = (
        _column(sheet, spec.answer_column, first - 1, "--answer-column")
        if spec.answer_column
        else _find_answer_column(sheet, first, prop_col)
    )
    note_col = (
        _column(sheet, spec.note_column, first - 1, "--note-column") if spec.note_column else None
    )
    result = FillResult(sheet.title, get_column_letter(prop_col), get_column_letter(answer_col))
    result.warnings.extend(warnings)
    by_path: Mapping[str, tuple[str, str]] = {
        p: (a, n)
        for p, a, n in zip(answers["property"], answers["answer"], answers["note"], strict=True)
    }
    for row, text, path in rows:
        if row < first:
            continue
        if path is None or path not in by_path:
            result.unmatched.append((row, text))
            continue
        _write_answer(workbook, sheet, row, answer_col, note_col, path, by_path[path], result)
    matched = {path for _, path, _ in result.filled}
    result.missing = [p for p in answers["property"] if p not in matched]
    return workbook, result


def _write_answer(
    workbook: Workbook,
    sheet: Worksheet,
    row: int,
    answer_col: int,
    note_col: int | None,
    path: str,
    values: tuple[str, str],
    result: FillResult,
) -> None:
    answer, note_text = values
    cell = sheet.cell(row=row, column=answer_col)
    if isinstance(cell, MergedCell):
        result.warnings.append(f"{cell.coordinate} ({path}) is part of a merged cell; not filled")
        return
    allowed = _allowed(workbook, sheet, cell.coordinate)
    spelled = _spelling(answer, allowed)
    if spelled is None:
        result.warnings.append(
            f"{cell.coordinate} ({path}): the template allows only {', '.join(allowed or [])}; "
            f"wrote '{answer}' anyway"
        )
    cells.write_text(cell, spelled or answer)
    if note_col is not None:
        target = sheet.cell(row=row, column=note_col)
        if not isinstance(target, MergedCell):
            cells.write_text(target, note_text)
    result.filled.append((row, path, spelled or answer))
