"""Where the values of a mapped table came from: the cell of the user's own sheet.

A table read through a mapping has other columns than the user's sheet, and (second edition)
several records per row. `Origin` keeps, per canonical column, the sheet column each group
read it from, and each record's group; `with_cells` gives every finding of such a table its
`cell` (`K7`), the Excel row being the finding's row already.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

NONE = -1  # a value with no cell of its own (a constant, a template of the row number)


def column_letter(position: int) -> str:
    """The Excel letters of a 0-based column position: 0 -> A, 26 -> AA."""
    letters = ""
    number = position + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_reference(row: int, column: int) -> str:
    """The A1 reference of a 0-based row and column: (0, 0) -> A1, (9, 27) -> AB10."""
    return f"{column_letter(column)}{row + 1}"


@dataclass(frozen=True)
class Origin:
    """Per canonical column the 0-based sheet column of each group (NONE: no cell), each
    record's group (None: every record is of group 0), and the header row and its columns
    (for findings about a column of the file)."""

    columns: Mapping[str, tuple[int, ...]]
    groups: np.ndarray | None = None
    header_row: int | None = None
    headers: Mapping[str, int] = field(default_factory=dict)

    def filter(self, keep: np.ndarray) -> Origin:
        """The origin of the records where `keep` is true."""
        if self.groups is None:
            return self
        return Origin(self.columns, self.groups[keep], self.header_row, self.headers)

    def between(self, start: int, stop: int) -> Origin:
        if self.groups is None:
            return self
        return Origin(self.columns, self.groups[start:stop], self.header_row, self.headers)

    def positions(self, name: str, records: np.ndarray) -> np.ndarray:
        """The sheet column of `name` for each of `records` (NONE where it has none)."""
        per_group = self.columns.get(name)
        if per_group is None:  # a container (GeoCoordinates): its first column's cell
            prefix = name + "."
            per_group = next((v for k, v in self.columns.items() if k.startswith(prefix)), None)
        if per_group is None:
            return np.full(len(records), NONE, dtype=np.int64)
        table: np.ndarray = np.asarray(per_group, dtype=np.int64)
        if self.groups is None or len(table) == 1:
            return np.full(len(records), table[0], dtype=np.int64)
        return table[self.groups[records]]


def with_cells(findings: pd.DataFrame, parts: Sequence[tuple[int, int, Origin]]) -> pd.DataFrame:
    """`findings` with the `cell` of each finding whose record or column has one; `parts` are
    (first record, records, origin) of the chunks of one input."""
    if not parts or findings.empty:
        return findings
    cells = np.full(len(findings), None, dtype=object)
    records = findings["record"].to_numpy(dtype="float64", na_value=np.nan)
    rows = findings["row"].to_numpy(dtype="float64", na_value=np.nan)
    names = findings["field"].to_numpy(dtype=object)
    for offset, count, origin in parts:
        inside = (records >= offset) & (records < offset + count)
        for name in pd.unique(names[inside]):
            at = np.flatnonzero(inside & (names == name))
            positions = origin.positions(str(name), (records[at] - offset).astype(np.int64))
            cells[at] = _cells(positions, rows[at])
    first = parts[0][2]
    if first.header_row is not None:
        about_column = np.isnan(records) & np.isnan(rows)
        for finding in np.flatnonzero(about_column):  # a few: one per column of the file
            position = first.headers.get(str(names[finding]))
            if position is not None:
                cells[finding] = f"{column_letter(position)}{first.header_row}"
    out = findings.copy()
    out["cell"] = pd.Series(cells, index=out.index, dtype=object)
    return out


def _cells(positions: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`K7` per (position, row); None where either is missing."""
    out = np.full(len(positions), None, dtype=object)
    known = (positions >= 0) & ~np.isnan(rows)
    if not known.any():
        return out
    letters = {p: column_letter(int(p)) for p in np.unique(positions[known])}
    texts = pd.Series(positions[known]).map(letters) + pd.Series(
        rows[known].astype(np.int64)
    ).astype(str)
    out[known] = texts.to_numpy(dtype=object)
    return out
