"""XLSX reader (python-calamine): first visible sheet by default, every cell turned into text.

The archive passes `safety.check_xlsx` before calamine sees it; a big sheet is then read in
pieces side by side (`pieces`). What calamine does not tell (formulas without a cached value,
error values, hidden rows and columns, number formats) is read from the sheet XML only when
the safety scan saw such features.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree
from xml.parsers.expat import ExpatError

import pandas as pd

from poicheck.errors import InputError
from poicheck.readers import collector
from poicheck.readers.sheet import (
    Note,
    Sheet,
    above_header,
    choose_header,
    known_header,
    names_evse_id,
    ranges,
)
from poicheck.readers.tabular import finish, plan_columns
from poicheck.readers.xlsx import sheetxml
from poicheck.readers.xlsx.celltexts import BodyTexts, body_texts, cell_text, head_texts, padded
from poicheck.readers.xlsx.pieces import Piece, Pieces, temporary
from poicheck.readers.xlsx.safety import Archive, PartScan, check_extent, check_xlsx
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import (
    ERROR_VALUE,
    FORMULA_WITHOUT_VALUE,
    HIDDEN_COLUMN,
    HIDDEN_ROWS,
    MERGED_COLUMNS,
    MERGED_ROWS,
    NUMBER_SHOWN_AS_TEXT,
    OTHER_SHEETS,
)
from poicheck.table import CanonicalTable, Source
from poicheck.table.origin import cell_reference

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping

Merged = tuple[tuple[int, int], tuple[int, int]]


@dataclass
class Grid:
    """The native cells of one worksheet, as calamine returns them, and where they came from."""

    name: str
    rows: list[list[Any]]
    merged: list[Merged] = field(default_factory=list)
    part: str | None = None
    scan: PartScan | None = None
    others: str = ""  # the sheets not read, for the XLS009 note
    in_pieces: bool = False  # read in pieces (each seen by `load_grid`'s `each`)


def load_grid(
    path: Path,
    *,
    sheet: str | None = None,
    is_data: Callable[[list[list[str]]], bool] | None = None,
    each: Callable[[Piece], None] | None = None,
) -> tuple[Grid, Archive]:
    """The chosen worksheet's cells, once the archive passed the safety checks (a big sheet
    is read in pieces copied on the way, see `pieces`; `each` sees every piece as soon as
    it is read)."""
    with collector.paused(), temporary(path) as pieces:
        archive = check_xlsx(path, copy=pieces.copy if pieces else None)
        return _load(path, archive, pieces, sheet, is_data, each), archive


def _load(
    path: Path,
    archive: Archive,
    pieces: Pieces | None,
    sheet: str | None,
    is_data: Callable[[list[list[str]]], bool] | None,
    each: Callable[[Piece], None] | None,
) -> Grid:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise InputError(f"cannot open as an XLSX workbook: {exc}", location=str(path)) from exc
    try:
        parts = _sheet_parts(path)  # once: a per-sheet lookup made 2,000 sheets quadratic
        fits = partial(_fits, path, archive, parts)
        name, others = _choose_sheet(workbook, sheet, path, is_data, fits)
        part = parts.get(name)
        scan = archive.sheets.get(part or "")
        check_extent(path, name, part, archive)
        loaded = pieces.load(part, name, scan, each) if pieces else None
        rows, merged = loaded or _whole(workbook, name, path)
    finally:
        workbook.close()
    return Grid(name, rows, merged, part, scan, "" if sheet else others, loaded is not None)


def _whole(workbook: Any, name: str, path: Path) -> tuple[list[list[Any]], list[Merged]]:
    try:
        data = workbook.get_sheet_by_name(name)
        return data.to_python(skip_empty_area=False), list(data.merged_cell_ranges or [])
    except Exception as exc:  # XmlError and friends: a damaged sheet
        raise InputError(f"cannot read sheet '{name}': {exc}", location=str(path)) from exc


def _fits(path: Path, archive: Archive, parts: dict[str, str], name: str) -> bool:
    """Whether calamine may read sheet `name` (another sheet than the one read is looked
    into for a header: a far cell there would abort the process just as well)."""
    try:
        check_extent(path, name, parts.get(name), archive)
    except InputError:
        return False
    return True


def _sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> part name, read once per workbook (empty for an unusual package layout:
    every sheet then gets the most cautious bound)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return sheetxml.sheet_parts(archive)
    except (KeyError, StopIteration, SyntaxError, ValueError, zipfile.BadZipFile):
        return {}


def read_xlsx(
    path: Path,
    ruleset: RuleSet,
    *,
    sheet: str | None = None,
    mapping: ColumnMapping | None = None,
) -> CanonicalTable:
    """Read one worksheet into the canonical table (see the module docstring)."""
    with damaged(path):
        return _read(path, ruleset, sheet, mapping)


@contextmanager
def damaged(path: Path) -> Iterator[None]:
    """Errors of a part broken in a way only parsing shows, as the InputError they are."""
    try:
        yield
    except (
        zipfile.BadZipFile,
        zlib.error,
        ExpatError,
        ElementTree.ParseError,
        NotImplementedError,  # zipfile: "zip file version 6.4" and other unsupported features
    ) as exc:
        raise InputError(f"the workbook is damaged: {exc}", location=str(path)) from exc


def _read(
    path: Path, ruleset: RuleSet, sheet: str | None, mapping: ColumnMapping | None
) -> CanonicalTable:
    known = known_header(ruleset, mapping)
    early = BodyTexts(partial(choose_header, known=known))
    grid, _ = load_grid(
        path,
        sheet=sheet,
        is_data=looks_like_data(known, names_evse_id(ruleset, mapping)),
        each=early.add,
    )
    width = max((len(row) for row in grid.rows), default=0)
    head = head_texts(grid.rows)
    index = choose_header(head, known)
    if index is None:
        raise InputError(f"sheet '{grid.name}' is empty", location=str(path))
    notes = above_header(head, index)
    if grid.others:
        notes.append(Note(OTHER_SHEETS, details={"sheet": grid.name, "others": grid.others}))
    body_rows = grid.rows[index + 1 :]
    merged, filled = _merged(grid.merged, body_rows, index)
    notes.extend(merged)
    with collector.paused():
        # Converted while the last pieces were read, unless merged cells were filled since.
        early_texts = grid.in_pieces and not filled
        converted = early.texts(index, len(grid.rows), width) if early_texts else None
        texts, natives = converted or body_texts(body_rows, width)
    header = [cell_text(c) for c in padded(grid.rows[index], width)]
    del body_rows
    grid.rows = []  # millions of cell objects, not needed any more: freed before the checks
    body = pd.DataFrame({i: pd.Series(t, dtype="str") for i, t in enumerate(texts)})
    sheet_data = Sheet(
        header, body, Source(str(path), "xlsx", grid.name), index + 2, natives, notes
    )
    _inspect(path, grid, sheet_data, index, ruleset, mapping)
    return finish(sheet_data, ruleset, mapping)


def _merged(merged: list[Merged], body: list[list[Any]], header: int) -> tuple[list[Note], bool]:
    """Merged data cells: a block down one column is filled (Excel shows its value in every
    row); a block across columns is reported, since only its first column holds the value.
    The notes, and whether a cell of `body` was filled."""
    notes: list[Note] = []
    filled = False
    for (top, left), (bottom, right) in merged:
        if top <= header:
            continue  # part of the header rows
        first = top - header - 1
        if first >= len(body) or left >= len(body[first]):
            continue
        value = body[first][left]
        text = cell_text(value)
        if right == left:
            for row in range(first + 1, min(bottom - header, len(body))):
                if left < len(body[row]) and body[row][left] in ("", None):
                    body[row][left] = value
                    filled = True
            span = {"rows": f"rows {top + 1}-{bottom + 1}"}
            notes.append(Note(MERGED_ROWS, row=top + 1, position=left, value=text, details=span))
        else:
            span = {"range": f"{cell_reference(top, left)}:{cell_reference(bottom, right)}"}
            notes.append(Note(MERGED_COLUMNS, row=top + 1, position=left, value=text, details=span))
    return notes, filled


def _inspect(
    path: Path,
    grid: Grid,
    sheet: Sheet,
    header: int,
    ruleset: RuleSet,
    mapping: ColumnMapping | None,
) -> None:
    """Look into the sheet XML for what the safety scan saw and calamine does not tell."""
    markers = frozenset(grid.scan.markers if grid.scan else {"formula", "error", "hidden"})
    with zipfile.ZipFile(path) as archive:
        styled = _styled_positions(archive, sheet, ruleset, mapping)
        if grid.part is None or not (markers or styled):
            return
        # Cells without references can only be found by a full parse (rare: some writers).
        exact = bool(styled) and (grid.scan is None or grid.scan.unreferenced > 1000)
        facts = sheetxml.scan_sheet(
            archive, grid.part, style_columns=frozenset(styled), markers=markers, exact=exact
        )
        formats = sheetxml.number_formats(archive) if styled else []
    offset = header + 1  # sheet row index of body row 0
    for (row, column), formula in sorted(facts.formulas.items()):
        if row >= offset:
            sheet.notes.append(
                Note(
                    FORMULA_WITHOUT_VALUE,
                    row=row + 1,
                    position=column,
                    details={"formula": formula},
                )
            )
    for (row, column), error in sorted(facts.errors.items()):
        if row >= offset:
            sheet.notes.append(Note(ERROR_VALUE, row=row + 1, position=column, value=error))
    hidden = sorted(
        r + 1 for r in facts.hidden_rows if r >= offset and r - offset < len(sheet.body)
    )
    for block in _blocks(hidden):
        sheet.notes.append(Note(HIDDEN_ROWS, row=block[0], details={"rows": ranges(block)}))
    for column in sorted(facts.hidden_columns):
        if column < len(sheet.header) and sheet.header[column].strip():
            sheet.notes.append(Note(HIDDEN_COLUMN, position=column))
    _apply_formats(sheet, facts.styles, formats, offset)


def _styled_positions(
    archive: zipfile.ZipFile, sheet: Sheet, ruleset: RuleSet, mapping: ColumnMapping | None
) -> set[int]:
    """Columns of text properties holding numbers, when the workbook has a number format that
    shows numbers as text (00000, "+"0): only then are cell styles worth reading."""
    columns, _ = plan_columns(sheet.header, sheet.body, ruleset, mapping)
    positions = set()
    for column in columns:
        prop = ruleset.property_for_column(column.name)
        if prop is not None and prop.base == "string" and column.position in sheet.natives:
            positions.add(column.position)
    if not positions:
        return set()
    formats = sheetxml.number_formats(archive)
    textual = any(sheetxml.displayed(1.0, code) not in (None, "1") for code in formats)
    return positions if textual else set()


def _apply_formats(
    sheet: Sheet, styles: dict[tuple[int, int], int], formats: list[str], offset: int
) -> None:
    shown: dict[tuple[int, str], list[int]] = {}
    for (row, column), style in styles.items():
        body_row = row - offset
        native = sheet.natives.get(column, {}).get(body_row)
        if native is None or isinstance(native, (dt.date, dt.time, dt.timedelta)):
            continue
        code = formats[style] if style < len(formats) else "General"
        text = sheetxml.displayed(float(native), code)
        if text is None or text == cell_text(native):
            continue
        sheet.body.iat[body_row, column] = text
        del sheet.natives[column][body_row]
        shown.setdefault((column, code), []).append(body_row)
    for (column, code), body_rows in shown.items():
        first = min(body_rows)
        count = len(body_rows)
        details = {"format": code, "count": f"{count} cell{'' if count == 1 else 's'}"}
        value = str(sheet.body.iat[first, column])
        sheet.notes.append(
            Note(
                NUMBER_SHOWN_AS_TEXT,
                row=sheet.first_row + first,
                position=column,
                value=value,
                details=details,
            )
        )


def _blocks(numbers: list[int]) -> list[list[int]]:
    blocks: list[list[int]] = []
    for number in numbers:
        if blocks and blocks[-1][-1] == number - 1:
            blocks[-1].append(number)
        else:
            blocks.append([number])
    return blocks


def _first_rows(workbook: Any, meta: Any, limit: int = 10) -> list[list[str]] | None:
    """The texts of a sheet's first rows, read lazily (a big sheet costs nothing more); None
    when calamine cannot read the sheet."""
    rows: list[list[str]] = []
    try:
        for number, row in enumerate(workbook.get_sheet_by_name(str(meta.name)).iter_rows()):
            if number >= limit:
                break
            rows.append([cell_text(c).strip() for c in row])
    except Exception:  # a sheet calamine cannot read is named, as before
        return None
    return rows


def looks_like_data(
    known: Callable[[str], bool], is_evse_id: Callable[[str], bool]
) -> Callable[[list[list[str]]], bool]:
    """A sheet holds EVSE data when one of its first rows is a header: it names the EvseID
    column, and at least half of its cells name columns poicheck reads (a documentation row
    such as `EvseID | EvseIDType | M | ...` does not)."""

    def check(rows: list[list[str]]) -> bool:
        def header(row: list[str]) -> bool:
            cells = [c for c in row if c]
            return any(map(is_evse_id, cells)) and 2 * sum(map(known, cells)) >= len(cells)

        return any(header(row) for row in rows)

    return check


def _choose_sheet(
    workbook: Any,
    sheet: str | None,
    path: Path,
    is_data: Callable[[list[list[str]]], bool] | None = None,
    fits: Callable[[str], bool] = lambda name: True,
) -> tuple[str, str]:
    """The sheet to read (the named one, or the first visible worksheet), and a description
    of the sheets that are not read (those that hold data, or that calamine cannot read or
    `fits` would not let it)."""
    names: list[str] = list(workbook.sheet_names)
    if not names:
        raise InputError("the workbook has no sheets", location=str(path))
    metas = list(workbook.sheets_metadata)
    if sheet is not None:
        if sheet not in names:
            raise InputError(
                f"no sheet named '{sheet}' (sheets: {', '.join(names)})", location=str(path)
            )
        chosen = sheet
    else:
        chosen = next(
            (str(m.name) for m in metas if _state(m) == ("Visible", "WorkSheet")), names[0]
        )
    others = []
    for meta in metas:
        if str(meta.name) == chosen:
            continue
        visible, kind = _state(meta)
        if kind == "WorkSheet" and is_data is not None:
            rows = _first_rows(workbook, meta) if fits(str(meta.name)) else None
            if rows is not None and not is_data(rows):
                continue  # documentation, dropdown lists: nothing that could go unchecked
        what = [] if visible == "Visible" else ["hidden"]
        what += [] if kind == "WorkSheet" else ["not a worksheet"]
        others.append(f"'{meta.name}'" + (f" ({', '.join(what)})" if what else ""))
    return chosen, ", ".join(others)


def _state(meta: Any) -> tuple[str, str]:
    # SheetVisibleEnum.Visible / Hidden / VeryHidden; SheetTypeEnum.WorkSheet / ChartSheet...
    return str(meta.visible).rsplit(".", 1)[-1], str(meta.typ).rsplit(".", 1)[-1]
