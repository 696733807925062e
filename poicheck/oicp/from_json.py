"""What flattening EvseDataRecords yields, gathered column by column.

`poicheck.oicp.convert.Flattener` walks all records of a file together, one place of the data model
(a `Slot`) at a time, so that the work per value runs in C loops. `Collector` gathers what the
walk finds and puts it in the order a walk through one record after the other gives: records
in order, and within a record the order of its JSON keys (an object keeps the order it was
written in) and of its array items. That order shows in the reader findings (the engine keeps
it among findings of one record, column and rule) and in the order of first-seen columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from itertools import chain, groupby
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from poicheck.oicp.wire import expected_type, found_type, text_of, type_hint
from poicheck.ruleset.model import Property
from poicheck.ruleset.reader_ids import JSON_WIRE_TYPE
from poicheck.table import RawFinding

# A key of a JSON object, or an index into a JSON array.
Step = str | int
Rows = list[int]


class Slot(NamedTuple):
    """One place in a record: canonical path, JSON pointer, and the steps from the record."""

    path: str
    pointer: str
    steps: tuple[Step, ...] = ()

    def key(self, key: str, name: str) -> Slot:
        """The slot of a property `name`, written as `key` on the wire (an alias, maybe)."""
        path = f"{self.path}.{name}" if self.path else name
        return Slot(path, f"{self.pointer}/{key}", (*self.steps, key))

    def item(self, index: int) -> Slot:
        """The slot of item `index` (0-based) of an object list."""
        return Slot(f"{self.path}.{index + 1}", f"{self.pointer}/{index}", (*self.steps, index))


ROOT = Slot("", "")

_SEPARATORS = str.maketrans("", "", " _-")


def spelling(key: str) -> str:
    """A key as a near miss reads it: case, spaces, '_' and '-' set aside (`power_type` and
    `powertype` are near misses of `PowerType`)."""
    return key.translate(_SEPARATORS).casefold()


class Batch(NamedTuple):
    """The values at one slot: from which records (`rows`, in no set order), and their types."""

    rows: Rows
    values: list[Any]
    types: set[type]


def batch(rows: Rows, values: list[Any]) -> Batch:
    return Batch(rows, values, set(map(type, values)))


def members(rows: Rows, objects: list[dict[str, Any]]) -> dict[str, Batch]:
    """The values of the objects' keys, key by key (in first-seen order).

    Objects are read in one pass each (`dict.values`), then transposed per group of objects
    with the same key order: reading key by key through a hundred thousand objects spread
    over the heap would wait on memory most of the time. Keys found in the same groups
    share one list of rows.
    """
    if len(objects) == 1:
        return {key: Batch(rows, [value], {type(value)}) for key, value in objects[0].items()}
    shapes = list(map(tuple, objects))
    distinct = dict.fromkeys(shapes)
    if len(distinct) == 1:
        (shape,) = distinct
        transposed = zip(*map(dict.values, objects), strict=True)
        return {
            key: batch(rows, list(values)) for key, values in zip(shape, transposed, strict=True)
        }
    contents = list(map(tuple, map(dict.values, objects)))
    groups: dict[tuple[str, ...], list[int]] = {}
    for j, shape in enumerate(shapes):
        groups.setdefault(shape, []).append(j)
    found: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
    for number, (shape, indexes) in enumerate(groups.items()):
        transposed = zip(*[contents[j] for j in indexes], strict=True)
        for key, values in zip(shape, transposed, strict=True):
            found.setdefault(key, []).append((number, values))
    indexes_of = list(groups.values())
    shared: dict[tuple[int, ...], Rows] = {}
    out = {}
    for key, parts in found.items():
        among = tuple(number for number, _ in parts)
        if among not in shared:
            shared[among] = [rows[j] for number in among for j in indexes_of[number]]
        out[key] = batch(shared[among], list(chain.from_iterable(v for _, v in parts)))
    return out


def key_orders(rows: Rows, objects: list[dict[str, Any]]) -> list[tuple[Rows, list[Any]]]:
    """The objects in groups of the same key order."""
    groups: dict[tuple[str, ...], tuple[Rows, list[Any]]] = {}
    for row, obj in zip(rows, objects, strict=True):
        group = groups.setdefault(tuple(obj), ([], []))
        group[0].append(row)
        group[1].append(obj)
    return list(groups.values())


@dataclass
class Flattened:
    """One record's canonical cells, reader findings and geo notations."""

    cells: dict[str, str] = dataclass_field(default_factory=dict)
    issues: list[RawFinding] = dataclass_field(default_factory=list)
    notations: dict[str, str] = dataclass_field(default_factory=dict)


@dataclass
class FlatTable:
    """All records flattened, in first-seen column order.

    `columns` are pyarrow large_string arrays (null where a record has no cell); `issues`
    carry the record index and come in record order, each record's in the order its JSON
    gives; `notations` has, per geo property, each record's notation or "".
    """

    size: int
    columns: dict[str, pa.Array]
    issues: list[RawFinding]
    notations: dict[str, np.ndarray]


class _Chunk(NamedTuple):
    rows: Sequence[int]
    values: Sequence[Any]
    steps: tuple[Step, ...]
    local: int | Sequence[int]  # order among the cells of one slot of a record (item, axis)


class _Issue(NamedTuple):
    row: int
    steps: tuple[Step, ...]
    finding: RawFinding


class Collector:
    """Cells, notations and findings of a walk over `records`, put back in record order."""

    def __init__(self, records: Sequence[Any]) -> None:
        self.records = records
        # The rows of all records: a batch with this very list has a value in every record.
        self.every_row = list(range(len(records)))
        self._cells: dict[str, list[_Chunk]] = {}
        self._notations: dict[str, list[_Chunk]] = {}
        self._issues: list[_Issue] = []
        self._positions: dict[tuple[int, tuple[Step, ...]], tuple[int, ...]] = {}
        self._arrays: dict[int, tuple[Sequence[int], np.ndarray]] = {}
        self._keys: dict[int, tuple[dict[str, Any], dict[str, int]]] = {}
        # InfoText lists already flattened: a second spelling of one finds its languages taken.
        self.seen: set[str] = set()

    def cells(
        self,
        column: str,
        slot: Slot,
        rows: Sequence[int],
        texts: Sequence[str],
        local: int | Sequence[int] = 0,
    ) -> None:
        """Cells of `column` for `rows`; a later call for the same row overwrites."""
        if rows:
            chunk = _Chunk(rows, texts, slot.steps, local)
            chunks = self._cells.get(column)
            if chunks is None:
                self._cells[column] = [chunk]
            else:
                chunks.append(chunk)

    def notation(self, slot: Slot, rows: Sequence[int], names: Sequence[str]) -> None:
        """The coordinate notation each of `rows` used for the geo property at `slot`."""
        if len(rows):
            self._notations.setdefault(slot.path, []).append(_Chunk(rows, names, slot.steps, 0))

    def issue(
        self,
        row: int,
        slot: Slot,
        rule: str,
        field: str,
        pointer: str,
        value: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Note something only the raw JSON shows, at `slot` of record `row`.

        Findings at one slot of a record keep the order in which they are noted.
        """
        finding = RawFinding(rule, row, field, pointer, value, details or {})
        self._issues.append(_Issue(row, slot.steps, finding))

    def wrong_type(self, prop: Property, slot: Slot, row: int, value: Any) -> None:
        """JSN001: `value` at `slot` of record `row` is not of the JSON type `prop` takes."""
        details = {
            "found": found_type(value),
            "expected": expected_type(prop),
            "hint": type_hint(prop, value),
        }
        self.issue(row, slot, JSON_WIRE_TYPE, slot.path, slot.pointer, text_of(value), details)

    def has_cell(self, column: str, row: int) -> bool:
        return any(row in chunk.rows for chunk in self._cells.get(column, ()))

    def table(self) -> FlatTable:
        size = len(self.records)
        return FlatTable(
            size=size,
            columns={
                name: self._texts(self._cells[name]) for name in self._first_seen(self._cells)
            },
            issues=self._ordered_issues(),
            notations={
                name: _scatter(self._notations[name], size)
                for name in self._first_seen(self._notations)
            },
        )

    def single(self) -> Flattened:
        """The one record of a walk over a single record.

        With one record every object is its own group, so cells come in the order of a
        walk through it; only findings need putting in order.
        """
        cells = {name: chunks[-1].values[0] for name, chunks in self._cells.items()}
        notations = {name: chunks[-1].values[0] for name, chunks in self._notations.items()}
        issues = [replace(issue, record=None) for issue in self._ordered_issues()]
        return Flattened(cells, issues, notations)

    def _position(self, row: int, steps: tuple[Step, ...]) -> tuple[int, ...]:
        """Where `steps` lead in record `row`: per step the index of the key or item."""
        cached = self._positions.get((row, steps))
        if cached is not None:
            return cached
        node, out = self.records[row], []
        for step in steps:
            if isinstance(step, str):
                out.append(self._key_index(node)[step])
                node = node[step]
            else:
                out.append(step)
                # An object where an object list belongs counts as that list's first item.
                node = node[step] if isinstance(node, list) else node
        self._positions[(row, steps)] = position = tuple(out)
        return position

    def _key_index(self, node: dict[str, Any]) -> dict[str, int]:
        """Key -> its index in `node`, worked out once per object: looking each key up in the
        list of keys made an object with 40,000 unknown keys take quadratic time."""
        cached = self._keys.get(id(node))
        if cached is None or cached[0] is not node:
            cached = self._keys[id(node)] = (node, {key: i for i, key in enumerate(node)})
        return cached[1]

    def _first_seen(self, chunks: dict[str, list[_Chunk]]) -> list[str]:
        first = {}
        for name, parts in chunks.items():
            keys = []
            for chunk in parts:
                row = 0 if chunk.rows is self.every_row else min(chunk.rows)
                local = chunk.local
                if not isinstance(local, int):
                    local = local[list(chunk.rows).index(row)]
                keys.append((row, self._position(row, chunk.steps), local))
            first[name] = min(keys)
        return sorted(first, key=first.__getitem__)

    def _texts(self, chunks: list[_Chunk]) -> pa.Array:
        if len(chunks) == 1 and chunks[0].rows is self.every_row:
            return pa.array(chunks[0].values, type=pa.large_string())
        # Where each row's text is among the chunks' texts; a later chunk overwrites.
        where = np.full(len(self.records), -1, dtype=np.int64)
        start = 0
        for chunk in chunks:
            end = start + len(chunk.rows)
            where[self._indexes(chunk.rows)] = np.arange(start, end)
            start = end
        texts = chain.from_iterable(chunk.values for chunk in chunks)
        return pa.array(list(texts), type=pa.large_string()).take(pa.array(where, mask=where < 0))

    def _indexes(self, rows: Sequence[int]) -> np.ndarray:
        """`rows` as an array; many columns share one list of rows."""
        cached = self._arrays.get(id(rows))
        if cached is None or cached[0] is not rows:
            cached = self._arrays[id(rows)] = (rows, np.asarray(rows, dtype=np.intp))
        return cached[1]

    def _ordered_issues(self) -> list[RawFinding]:
        issues = sorted(self._issues, key=lambda issue: issue.row)  # stable: noted order
        out: list[RawFinding] = []
        for row, group in groupby(issues, key=lambda issue: issue.row):
            found = list(group)
            if len(found) > 1:
                found.sort(key=lambda issue: self._position(row, issue.steps))
            out.extend(issue.finding for issue in found)
        return out


def _scatter(chunks: list[_Chunk], size: int) -> np.ndarray:
    values = np.full(size, "", dtype=object)
    for chunk in chunks:
        names = np.empty(len(chunk.values), dtype=object)
        names[:] = chunk.values
        values[np.asarray(chunk.rows, dtype=np.intp)] = names
    return values
