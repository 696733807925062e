"""A sheet in a foreign layout rebuilt into the canonical one by a second-edition mapping.

The steps, each on whole columns (conversions once per distinct cell text):

1. the rows: blank rows (no cell the mapping reads), repeated header rows and the rows the
   `filter` leaves out are dropped;
2. the records: one per row, or (with `groups`) one per group present in a row, in sheet
   order; a row with no group present still gives one record (its first group), so that a
   station without charge point is reported, not dropped;
3. the values: `columns` read once per row, group columns per group, then `fields`
   (constants, templates, second readings) and defaults;
4. what the reader noticed about cells of the foreign sheet (formulas, merged cells...) is
   placed at the record and canonical column the cell went to.

The result is a canonical `Sheet` with the Excel row of every record (`rows`) and the
foreign cell of every value (`origin`), which the findings report as `cell`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from poicheck.errors import InputError
from poicheck.mapping import fold
from poicheck.mapping.convert import Conversion
from poicheck.mapping.edition2 import GROUP, Field, Reading, TableMapping
from poicheck.mapping.placing import natives as carried_natives
from poicheck.mapping.placing import placed
from poicheck.readers.sheet import Note, Sheet
from poicheck.readers.tabular import repeated_headers
from poicheck.ruleset.reader_ids import (
    DUPLICATE_COLUMN,
    REPEATED_HEADER_ROW,
    SPLIT_FAILED,
    UNKNOWN_COLUMN,
)
from poicheck.table.origin import NONE, Origin

Values = np.ndarray  # object array, one value per record (None: empty)


@dataclass
class Built:
    """A canonical column being built: its values, where each group read it, and the body
    rows whose native values it keeps (an unconverted copy of one column)."""

    values: Values
    positions: tuple[int, ...]
    copied: bool = False


class _Rebuild:
    def __init__(self, mapping: TableMapping, sheet: Sheet) -> None:
        self.mapping = mapping
        self.sheet = sheet
        self.positions: dict[str, int] = {}
        self.twice: set[str] = set()
        for position, header in enumerate(sheet.header):
            name = fold(header)
            if not name:
                continue
            if name in self.positions:
                self.twice.add(name)
            else:
                self.positions[name] = position
        groups = mapping.groups
        self.numbers: tuple[str, ...] = groups.numbers if groups else ("",)
        self.notes: list[Note] = []
        self.used: set[int] = set()
        self.canonical = self._canonical()

    def _canonical(self) -> dict[int, str]:
        """Columns the mapping does not name whose header is canonical (or an alias): read as
        they are, as with the first edition."""
        ruleset = self.mapping.ruleset
        if ruleset is None:
            return {}
        aliases = ruleset.alias_map()
        out = {}
        for name, position in self.positions.items():
            if name in self.mapping.rules:
                continue
            header = self.sheet.header[position].strip()
            column = aliases.get(header, header)
            if ruleset.property_for_column(column) is not None:
                out[position] = column
        return out

    # --- where things are -------------------------------------------------------------

    def find(self, header: str) -> int | None:
        position = self.positions.get(fold(header))
        if position is not None:
            self.used.add(position)
        return position

    def require(self, header: str, key: str) -> int:
        position = self.find(header)
        if position is None:
            raise InputError(
                f"the mapping's {key} names the column {header!r}, which the header "
                f"(row {self.sheet.first_row - 1}) does not have",
                location=self.sheet.source.path,
            )
        return position

    def group_positions(self, header: str) -> tuple[int | None, ...]:
        return tuple(self.find(header.replace(GROUP, n)) for n in self.numbers)

    def column(self, position: int | None, rows: np.ndarray) -> pd.Series:
        if position is None:
            return pd.Series(np.full(len(rows), None, dtype=object), dtype="str")
        return self.sheet.body.iloc[rows, position].reset_index(drop=True)

    def filled(self, position: int | None, rows: np.ndarray | None = None) -> np.ndarray:
        body = self.sheet.body
        count = len(body) if rows is None else len(rows)
        if position is None:
            return np.zeros(count, dtype=bool)
        cells = body.iloc[:, position] if rows is None else body.iloc[rows, position]
        return np.asarray(cells.fillna("").str.strip() != "", dtype=bool)

    # --- rows and records -------------------------------------------------------------

    def rows(self) -> np.ndarray:
        """The body rows read: not blank, not a repeated header, kept by the filter."""
        body = self.sheet.body
        reads = self._read_positions()
        keep = np.zeros(len(body), dtype=bool)
        for position in reads:
            keep |= self.filled(position)
        repeated = repeated_headers(self.sheet)
        self.notes.extend(Note(REPEATED_HEADER_ROW, row=self.sheet.first_row + i) for i in repeated)
        keep[repeated] = False
        before = int(keep.sum())
        for condition in self.mapping.filter:
            position = self.require(condition.header, f"filter '{condition.key}'")
            keep &= _holds(body.iloc[:, position], condition.values, condition.pattern)
        if before and not keep.any():
            raise InputError(
                f"the mapping's filter keeps none of the {before} rows",
                location=self.sheet.source.path,
            )
        return np.flatnonzero(keep)

    def _read_positions(self) -> set[int]:
        found: set[int | None] = set(self.canonical)
        for reading in self.mapping.readings:
            if reading.conversion is not None:
                found.add(self.find(reading.header))
        groups = self.mapping.groups
        for reading in groups.readings if groups else ():
            if reading.conversion is not None:
                found.update(p for p in self.group_positions(reading.header) if p is not None)
        for item in self.mapping.fields:
            for header in item.template.headers() if item.template else []:
                found.add(self.require(header, f"template at '{item.key}'"))
            if item.source is not None:
                found.update(self._source_positions(item))
        return {p for p in found if p is not None}

    def _source_positions(self, item: Field) -> tuple[int | None, ...]:
        assert item.source is not None
        header = item.source.header
        positions = self.group_positions(header) if GROUP in header else (self.find(header),)
        if all(p is None for p in positions):
            self.require(header.replace(GROUP, self.numbers[0]), f"'{item.key}'")
        return positions

    def records(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into `rows`, group index) of every record, in sheet order."""
        groups = self.mapping.groups
        if groups is None:
            return np.arange(len(rows)), np.zeros(len(rows), dtype=np.int64)
        present = np.zeros((len(rows), len(self.numbers)), dtype=bool)
        if groups.present is not None:
            positions = self.group_positions(groups.present)
            if all(p is None for p in positions):
                self.require(groups.present.replace(GROUP, self.numbers[0]), "groups/present")
            for g, position in enumerate(positions):
                present[:, g] = self.filled(position, rows)
        else:
            for reading in groups.readings:
                if reading.conversion is None:
                    continue
                for g, position in enumerate(self.group_positions(reading.header)):
                    present[:, g] |= self.filled(position, rows)
        present[~present.any(axis=1), 0] = True  # a station without charge point: reported
        pairs = np.argwhere(present)
        return pairs[:, 0], pairs[:, 1]

    # --- values -----------------------------------------------------------------------

    def read(
        self,
        reading: Reading,
        positions: Sequence[int | None],
        rows: np.ndarray,
        at: tuple[np.ndarray, np.ndarray],
    ) -> dict[str, Built]:
        """The targets of one reading (per group when `positions` has one per group)."""
        conversion = reading.conversion
        assert conversion is not None
        index, group = at
        grouped = len(positions) > 1
        per_target = [
            np.full((len(rows), len(positions)), None, dtype=object) for _ in conversion.targets
        ]
        for g, position in enumerate(positions):
            if position is None:
                continue
            cells = self.column(position, rows)
            values, failed = conversion.apply(cells)
            for k, array in enumerate(values):
                per_target[k][:, g] = array
            self._failed(reading, cells, failed, g if grouped else None, rows, at)
        column = group if grouped else np.zeros(len(index), dtype=np.int64)
        places = tuple(NONE if p is None else p for p in positions)
        return {
            target: Built(per_target[k][index, column], places, not conversion.converts)
            for k, target in enumerate(conversion.targets)
        }

    def _failed(
        self,
        reading: Reading,
        cells: pd.Series,
        failed: np.ndarray,
        group: int | None,
        rows: np.ndarray,
        at: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """TBL013 for the cells of records that could not be split (placed later)."""
        if not failed.any():
            return
        index, record_group = at
        mine = np.ones(len(index), dtype=bool) if group is None else record_group == group
        hits = np.flatnonzero(mine & failed[index])
        conversion = reading.conversion
        assert conversion is not None
        values = cells.to_numpy(dtype=object)
        for record in hits:
            self.notes.append(
                Note(
                    SPLIT_FAILED,
                    row=self.sheet.first_row + int(rows[index[record]]),
                    value=str(values[index[record]]),
                    details={
                        "targets": " and ".join(conversion.targets),
                        "separator": conversion.how,
                    },
                    field=conversion.targets[0],
                    record=int(record),
                )
            )

    def field(
        self,
        item: Field,
        built: dict[str, Built],
        rows: np.ndarray,
        at: tuple[np.ndarray, np.ndarray],
    ) -> None:
        count = len(at[0])
        if item.value is not None:
            built[item.target] = Built(np.full(count, item.value, dtype=object), (NONE,))
        elif item.template is not None:
            built[item.target] = self._template(item, rows, at)
        elif item.source is not None:
            positions = self._source_positions(item)
            built.update(self.read(item.source, positions, rows, at))
        if item.default is not None:
            target = built.get(item.target) or Built(np.full(count, None, dtype=object), (NONE,))
            target.values = _defaulted(target.values, item.default)
            built[item.target] = target

    def _template(self, item: Field, rows: np.ndarray, at: tuple[np.ndarray, np.ndarray]) -> Built:
        assert item.template is not None
        index, group = at
        excel_rows = (self.sheet.first_row + rows[index]).astype(str).astype(object)
        numbers = np.asarray(self.numbers, dtype=object)[group]
        operator_id = self.mapping.operator_id

        def value(name: str) -> Any:
            if name == "row":
                return excel_rows
            if name in ("n", "group"):
                return numbers
            if name == "operator_id":
                if not operator_id:
                    raise InputError(
                        f"the mapping's template at '{item.key}' uses {{operator_id}}: give "
                        "--operator-id (or operator_id in the configuration)",
                        location=self.sheet.source.path,
                    )
                return operator_id
            position = self.require(name, f"template at '{item.key}'")
            return self.column(position, rows).to_numpy(dtype=object)[index]

        values = item.template.render(len(index), value)
        headers = item.template.headers()
        first = self.positions.get(fold(headers[0])) if headers else None
        return Built(values, (NONE if first is None else first,))

    # --- notes ------------------------------------------------------------------------

    def unread(self) -> list[Note]:
        """TBL001 for the columns of the file the mapping does not read, and TBL002 for a
        header the mapping reads that the file has twice."""
        notes = []
        ignored = {fold(r.header) for r in self.mapping.readings if r.conversion is None}
        groups = self.mapping.groups
        for reading in groups.readings if groups else ():
            if reading.conversion is None:
                ignored.update(fold(reading.header_for(n)) for n in self.numbers)
        for position, header in enumerate(self.sheet.header):
            name = fold(header)
            if position in self.used:
                continue
            if name in self.twice and self.positions[name] in self.used:
                notes.append(Note(DUPLICATE_COLUMN, field=header.strip()))  # the first one is read
                continue
            if not name:
                if self.filled(position).any():
                    details = {"hint": " (it has no header)"}
                    notes.append(
                        Note(UNKNOWN_COLUMN, field=f"(column {position + 1})", details=details)
                    )
                continue
            hint = (
                "; the mapping ignores it" if name in ignored else " (the mapping does not name it)"
            )
            notes.append(Note(UNKNOWN_COLUMN, field=header.strip(), details={"hint": hint}))
        return notes


def rebuild(mapping: TableMapping, sheet: Sheet) -> Sheet:
    """The canonical sheet of `sheet` (see the module docstring)."""
    work = _Rebuild(mapping, sheet)
    rows = work.rows()
    at = work.records(rows)
    built: dict[str, Built] = {}
    for reading in mapping.readings:
        if reading.conversion is not None:
            built.update(work.read(reading, (work.find(reading.header),), rows, at))
    for reading in mapping.groups.readings if mapping.groups else ():
        if reading.conversion is not None:
            built.update(work.read(reading, work.group_positions(reading.header), rows, at))
    for position, column in work.canonical.items():
        if column in built:
            work.notes.append(Note(DUPLICATE_COLUMN, field=column))
            continue
        work.used.add(position)
        plain = Reading(column, Conversion((column,)), "")
        built.update(work.read(plain, (position,), rows, at))
    for item in mapping.fields:
        work.field(item, built, rows, at)
    index, group = at
    names = list(built)
    body = pd.DataFrame(
        {i: pd.Series(built[name].values, dtype="str") for i, name in enumerate(names)},
        index=pd.RangeIndex(len(index)),
    )
    source_rows = rows[index]
    excel_rows = (sheet.first_row + source_rows).astype(np.int64)
    origin = Origin(
        {name: built[name].positions for name in names},
        group if mapping.groups is not None else None,
        header_row=sheet.first_row - 1,
        headers={h.strip(): p for p, h in enumerate(sheet.header) if h.strip()},
    )
    natives = carried_natives(sheet, built, names, source_rows, group)
    notes = [
        *placed(sheet.notes, names, built, excel_rows, group, sheet),
        *work.notes,
        *work.unread(),
    ]
    return Sheet(
        names,
        body,
        sheet.source,
        sheet.first_row,
        natives=natives,
        notes=notes,
        rows=excel_rows,
        origin=origin,
    )


def _holds(cells: pd.Series, values: frozenset[str], pattern: Any) -> np.ndarray:
    """Per row, whether the cell meets a filter condition (judged once per distinct text)."""
    codes, uniques = pd.factorize(cells.fillna("").astype(object), sort=False)
    if pattern is not None:
        per_value = [pattern.search(str(u)) is not None for u in uniques]
    else:
        per_value = [fold(u) in values for u in uniques]
    return np.append(np.asarray(per_value, dtype=bool), False)[codes]


def _defaulted(values: Values, default: str) -> Values:
    blank = pd.Series(values, dtype="str").fillna("").str.strip().to_numpy() == ""
    out = values.copy()
    out[blank] = default
    return out
