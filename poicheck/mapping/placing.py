"""What the reader knew about the cells of a foreign sheet, carried to the sheet a mapping
rebuilt from it: the native values (numbers, dates) of columns copied unconverted, and the
notes about cells (a formula, a merged cell), placed at the record and canonical column the
cell went to."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from poicheck.readers.sheet import Note, Sheet
from poicheck.table.origin import NONE

if TYPE_CHECKING:
    from poicheck.mapping.rebuild import Built


def natives(
    sheet: Sheet,
    built: dict[str, Built],
    names: list[str],
    source_rows: np.ndarray,
    group: np.ndarray,
) -> dict[int, dict[int, Any]]:
    """The native values (numbers, dates) of unconverted copies, by new position and record."""
    out: dict[int, dict[int, Any]] = {}
    # Every body row one record (no group, no row left out): the values are kept as they are.
    same = len(source_rows) == len(sheet.body) and bool(np.all(np.diff(source_rows) == 1))
    for new, name in enumerate(names):
        target = built[name]
        if not target.copied:
            continue
        if same and len(target.positions) == 1 and target.positions[0] != NONE:
            if sheet.natives.get(target.positions[0]):
                out[new] = sheet.natives[target.positions[0]]
            continue
        found: dict[int, Any] = {}
        for g, position in enumerate(target.positions):
            natives = sheet.natives.get(position) if position != NONE else None
            if not natives:
                continue
            has = np.zeros(len(sheet.body), dtype=bool)
            has[np.fromiter(natives, dtype=np.int64)] = True
            mine = has[source_rows]
            if len(target.positions) > 1:
                mine &= group == g
            found.update({int(r): natives[int(source_rows[r])] for r in np.flatnonzero(mine)})
        if found:
            out[new] = found
    return out


def placed(
    notes: list[Note],
    names: list[str],
    built: dict[str, Built],
    excel_rows: np.ndarray,
    group: np.ndarray,
    sheet: Sheet,
) -> list[Note]:
    """The reader's notes about cells of the foreign sheet, at the record and canonical
    column the cell went to (else at the row, named by the foreign header)."""
    # foreign position -> (new position, the group that reads it; None: every group)
    readers: dict[int, list[tuple[int, int | None]]] = {}
    for new, name in enumerate(names):
        positions = built[name].positions
        for g, position in enumerate(positions):
            if position != NONE:
                readers.setdefault(position, []).append((new, g if len(positions) > 1 else None))
    out = []
    for note in notes:
        if note.position is None:
            out.append(note)
            continue
        place = _place(note, readers.get(note.position, []), excel_rows, group)
        if place is not None:
            out.append(replace(note, position=place[1], record=place[0]))
            continue
        header = sheet.header[note.position] if note.position < len(sheet.header) else ""
        named = header.strip() or f"(column {note.position + 1})"
        out.append(replace(note, position=None, field=note.field or named))
    return out


def _place(
    note: Note, readers: list[tuple[int, int | None]], excel_rows: np.ndarray, group: np.ndarray
) -> tuple[int, int] | None:
    """(record, new position) of the first record of the note's row that read its cell."""
    if note.row is None or not readers:
        return None
    start, stop = np.searchsorted(excel_rows, [note.row, note.row + 1])
    for record in range(int(start), int(stop)):
        for new, g in readers:
            if g is None or group[record] == g:
                return record, new
    return None
