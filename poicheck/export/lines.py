"""EvseDataRecords as JSON text, built column by column from the canonical table (issue 22).

For the rows of a table, `TableLines` gives exactly the text that
`json.dumps(Builder.build(cells), ensure_ascii=False, allow_nan=False)` gives record by record
(the line `poicheck export` writes), without a dict per record. Each distinct value of a
column is turned into its JSON once (`poicheck.export.values`), and each top-level object or
list once per distinct combination of its cells; a record is then the pieces of its
properties in Builder's order, each with its key and separator, taken by number from one
array in one pass (`TableLines.build`). json.dumps separates items with ", " and keys with ": " at
every depth; Builder leaves out a property without a value and an object or list without
members, and so do the pieces (all of them "" in such a row).

A layout Builder reads in a way a plan cannot follow (two item numbers of one list that are
the same number, 1 and 01) has no plan (`LinePlan.of` gives None): the caller builds record by
record then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.export.fixed import FixedPoints
from poicheck.export.layout import (
    Geo,
    Items,
    Leaf,
    LinePlan,
    Node,
    Obj,
    Texts,
    columns_of,
    leaves,
)
from poicheck.export.values import ENCODE, SEPARATOR, TEXT, Column, ValueJSON
from poicheck.oicp.to_json import Builder
from poicheck.table import Distinct


class Part(NamedTuple):
    """A property's JSON for each row as pieces to join ("" in each where it is absent).

    A part of one cell keeps its column and numbers (`cell`): a group then picks its key
    and separator with the value, in one piece."""

    pieces: list[pa.Array | pa.Scalar]
    present: np.ndarray
    cell: tuple[Column, np.ndarray] | None = None


def literal(text: str) -> pa.Scalar:
    return pa.scalar(text, type=TEXT)


def _choice(variants: Sequence[str], index: np.ndarray) -> pa.Array | pa.Scalar:
    """variants[index] for each row (one scalar when every row takes the same)."""
    if not len(index) or (index == index[0]).all():
        return literal(variants[int(index[0]) if len(index) else 0])
    return pa.array(variants, type=TEXT).take(pa.array(index))


def _masked(part: Part, keep: np.ndarray) -> Part:
    """The part where `keep`, nothing elsewhere."""
    flags = pa.array(keep)
    pieces = [
        pc.if_else(flags, piece, literal(""))
        if isinstance(piece, (pa.Array, pa.ChunkedArray))
        else _choice(["", piece.as_py()], keep.astype(np.int8))
        for piece in part.pieces
    ]
    return Part(pieces, part.present & keep)


def _group(
    parts: Sequence[tuple[str | None, Part]],
    opening: str,
    closing: str,
    size: int,
    *,
    always: bool = False,
) -> Part:
    """An object (named parts) or a list: brackets where a part is there (or `always`),
    each present part after ", " unless it is the first."""
    pieces: list[pa.Array | pa.Scalar] = []
    seen = np.zeros(size, dtype=bool)
    for name, part in parts:
        key = "" if name is None else ENCODE(name) + ": "
        if part.cell is not None:
            pieces.append(_keyed(*part.cell, key, seen))
        else:
            index = part.present.astype(np.int8) * (1 + seen.astype(np.int8))
            pieces.append(_choice(["", key, ", " + key], index))
            pieces.extend(part.pieces)
        seen |= part.present
    there = np.ones(size, dtype=np.int8) if always else seen.astype(np.int8)
    return Part([_choice(["", opening], there), *pieces, _choice(["", closing], there)], seen)


def _keyed(column: Column, at: np.ndarray, key: str, seen: np.ndarray) -> pa.Array:
    """A cell's value with its key, after ", " where an earlier member is there."""
    if not seen.any():
        return column.keyed(key).take(pa.array(at))
    later = column.keyed(", " + key)
    if seen.all():
        return later.take(pa.array(at))
    both = pa.concat_arrays([column.keyed(key), later])
    return both.take(pa.array(at + seen * len(later)))


def join(pieces: Sequence[pa.Array | pa.Scalar], size: int) -> pa.Array:
    """The pieces of each row joined, in one pass of pyarrow (whose time goes by rows times
    pieces more than by bytes: neighbouring constant pieces are joined first)."""
    merged: list[pa.Array | str] = []
    for piece in pieces:
        if isinstance(piece, pa.Scalar):
            text = piece.as_py()
            if merged and isinstance(merged[-1], str):
                merged[-1] += text
            elif text:
                merged.append(text)
        else:
            merged.append(piece)
    if not any(not isinstance(p, str) for p in merged):
        return pa.array(["".join(str(p) for p in merged)] * size, type=TEXT)
    arrays = [literal(p) if isinstance(p, str) else p for p in merged]
    return pc.binary_join_element_wise(*arrays, literal(""), null_handling="emit_null")


@dataclass(frozen=True)
class Member:
    """A top-level property of the records of a table: its JSON per distinct value (for a
    property made of several cells, per distinct combination of them) and each record's
    number into it (`Column.index`)."""

    name: str
    node: Node
    column: Column
    codes: np.ndarray

    def at(self, rows: np.ndarray) -> np.ndarray:
        return self.column.index(self.codes[rows])


class TableLines:
    """The JSON text of any rows of one table.

    Per-value work runs once per table: each cell column's distinct values, and each
    top-level object or list per distinct combination of its cells (a few thousand
    addresses among a million records), rendered from one record that has it. A batch of
    records is then one piece per top-level property, taken by number and joined."""

    def __init__(self, plan: LinePlan, builder: Builder, cells: Mapping[str, Distinct]) -> None:
        self.plan = plan
        self.cells = cells
        self.notation = builder.geo_format
        convert = ValueJSON(builder)
        self.columns: dict[str, Column] = {}
        self._axes: dict[str, tuple[Column, np.ndarray, Column | None]] = {}
        self._first: dict[str, np.ndarray] = {}
        for _, node in plan.members:
            self._prepare(node, convert)
        size = len(next(iter(cells.values())).codes) if cells else 0
        self.members = [self._member(name, node, size) for name, node in plan.members]
        self._pieces = pa.array(["{", "}", SEPARATOR.decode() + "{", ""], type=TEXT)
        self._starts: dict[tuple[str, str], int] = {}

    def _prepare(self, node: Node, convert: ValueJSON) -> None:
        if isinstance(node, Leaf):
            self.columns[node.column] = convert.leaf(node.prop, self.cells[node.column].values)
        elif isinstance(node, Texts):
            for language, column in node.languages:
                text = convert.info_text(node.prop, self.cells[column].values)
                opening = '{"lang": ' + ENCODE(language) + ', "value": '
                self.columns[column] = text.framed(opening, "}")
        elif isinstance(node, Geo):
            for column in columns_of(node):
                if column in self.cells:
                    self._axes[column] = convert.axis(self.cells[column].values)
        else:
            children = node.members if isinstance(node, Obj) else [("", i) for i in node.items]
            for _, child in children:
                self._prepare(child, convert)

    def _member(self, name: str, node: Node, size: int) -> Member:
        if isinstance(node, Leaf):
            return Member(name, node, self.columns[node.column], self.cells[node.column].codes)
        every = np.arange(size)
        indexes = [self.index(c, every) for c in columns_of(node) if c in self.cells]
        codes, first = combinations(indexes)
        self._first[name] = first
        part = self.part(node, first)
        texts = join(part.pieces, len(first))
        texts = pc.if_else(pa.array(part.present), texts, pa.scalar(None, type=TEXT))
        return Member(name, node, Column(None, texts, None), codes)

    def fixed(self, rows: np.ndarray, points: FixedPoints) -> np.ndarray:
        """Per row: is its record a fixed point of reading back and building again?"""
        ok = np.ones(len(rows), dtype=bool)
        for member in self.members:
            if member.column.fixed is None:
                member.column.fixed = self._fixed(member, points)
            ok &= member.column.fixed[member.at(rows)]
        return ok

    def _fixed(self, member: Member, points: FixedPoints) -> np.ndarray:
        """Per distinct value (combination) of a top-level property."""
        if isinstance(member.node, Leaf):
            return points.leaf(member.node.prop, member.node.column, member.column)
        first = self._first[member.name]
        fixed = np.ones(len(member.column.filled), dtype=bool)
        for leaf in leaves(member.node):
            column = self.columns[leaf.column]
            fixed[: len(first)] &= points.leaf(leaf.prop, leaf.column, column)[
                self.index(leaf.column, first)
            ]
        if isinstance(member.node, Geo):
            texts = member.column.json.to_pylist()[:-1]
            fixed[:-1] &= points.coordinates(member.node.column, [t or None for t in texts])
        return fixed

    def decimal_axis(self, column: str) -> Column | None:
        """A coordinate column's JSON in decimal degrees (None: the table has no such cell
        column)."""
        found = self._axes.get(column)
        return found[0] if found is not None else None

    def index(self, column: str, rows: np.ndarray) -> np.ndarray:
        """Each row's number into the column's JSON (`Column.index`)."""
        codes = self.cells[column].codes[rows]
        return np.where(codes < 0, len(self.cells[column].values), codes)

    def build(self, rows: np.ndarray, *, framed: bool = False) -> pa.Array:
        """The records of `rows` (numbers into the table) as JSON text (`framed`: each after
        the ",\\n" and indentation of a record line in a request, see body.SEPARATOR).

        Every piece of every record is one entry of one array (`_pieces`: each property's
        JSON with its key, once as the first property and once after a ", "); a batch is
        one `take` of all its pieces in order, whose bytes are then the records' texts one
        after another (no join: the pieces are read once and written once)."""
        size = len(rows)
        seen = np.zeros(size, dtype=bool)
        numbers = [np.full(size, 2 if framed else 0, dtype=np.int64)]  # the "{" to start
        wanted = []
        for member in self.members:
            at = member.at(rows)
            there = member.column.filled[at]
            wanted.append((member, bool((there & ~seen).any()), bool((there & seen).any())))
            numbers.append(at)
            seen |= there
        blocks = self._blocks(wanted)
        seen[:] = False
        for k, member in enumerate(self.members, start=1):
            at = numbers[k]
            first, later = blocks[member.name]
            there = member.column.filled[at]
            numbers[k] = np.where(there, np.where(seen, later, first) + at, _NOTHING)
            seen |= there
        numbers.append(np.ones(size, dtype=np.int64))  # the "}" at the end
        flat = np.stack(numbers, axis=1).ravel()
        taken = self._pieces.take(pa.array(flat))
        offsets = np.frombuffer(taken.buffers()[1], dtype=np.int64)[: len(flat) + 1]
        ends = np.ascontiguousarray(offsets[:: len(numbers)])
        return pa.LargeStringArray.from_buffers(size, pa.py_buffer(ends), taken.buffers()[2])

    def _blocks(self, wanted: list[tuple[Member, bool, bool]]) -> dict[str, tuple[int, int]]:
        """Where each member's pieces start in `_pieces` (as the first property, after
        another): made when a batch first needs them."""
        missing = [
            (member, variant)
            for member, first, later in wanted
            for variant, needed in (("first", first), ("later", later))
            if needed and (member.name, variant) not in self._starts
        ]
        if missing:
            blocks = [self._pieces]
            size = len(self._pieces)
            for member, variant in missing:
                key = ENCODE(member.name) + ": "
                block = member.column.keyed(key if variant == "first" else ", " + key, cache=False)
                self._starts[(member.name, variant)] = size
                blocks.append(block)
                size += len(block)
            self._pieces = pa.concat_arrays(blocks)
        return {
            m.name: (self._starts.get((m.name, "first"), 0), self._starts.get((m.name, "later"), 0))
            for m, _, _ in wanted
        }

    def part(self, node: Node, rows: np.ndarray) -> Part:
        size = len(rows)
        if isinstance(node, Leaf):
            column = self.columns[node.column]
            at = self.index(node.column, rows)
            return Part([], column.filled[at], (column, at))
        if isinstance(node, Obj):
            members = [(name, self.part(child, rows)) for name, child in node.members]
            return _group(members, "{", "}", size)
        if isinstance(node, Items):
            return _group([(None, self.part(i, rows)) for i in node.items], "[", "]", size)
        if isinstance(node, Texts):
            return self._texts(node, rows)
        return self._coordinates(node, rows)

    def _texts(self, node: Texts, rows: np.ndarray) -> Part:
        items: list[tuple[str | None, Part]] = []
        for _, column in node.languages:
            text = self.columns[column]  # each value framed as its InfoText object
            at = self.index(column, rows)
            items.append((None, Part([], text.filled[at], (text, at))))
        return _group(items, "[", "]", len(rows))

    def _coordinates(self, node: Geo, rows: np.ndarray) -> Part:
        size = len(rows)
        axes = []
        for axis in ("Latitude", "Longitude"):
            column = f"{node.column}.{axis}"
            if column in self._axes:
                axes.append((axis, column, self.index(column, rows)))
        members = []
        for axis, column, at in axes:
            decimal_column = self._axes[column][0]
            members.append((axis, Part([], decimal_column.filled[at], (decimal_column, at))))
        decimal = _group(members, '{"DecimalDegree": {', "}}", size)
        if self.notation == "DecimalDegree" or len(axes) < 2:
            return decimal
        (_, lat, lat_at), (_, lon, lon_at) = axes
        convertible = self._axes[lat][1][lat_at] & self._axes[lon][1][lon_at]
        if not convertible.any():
            return decimal
        first, second = self._axes[lat][2], self._axes[lon][2]
        assert first is not None
        assert second is not None
        if self.notation == "Google":
            frame = ('{"Google": {"Coordinates": "', " ", '"}}')
        else:
            frame = ('{"DegreeMinuteSeconds": {"Latitude": ', ', "Longitude": ', "}}")
        other = Part(
            [
                literal(frame[0]),
                first.json.take(pa.array(lat_at)),
                literal(frame[1]),
                second.json.take(pa.array(lon_at)),
                literal(frame[2]),
            ],
            convertible,
        )
        rest = _masked(decimal, ~convertible)
        converted = _masked(other, convertible)
        return Part(rest.pieces + converted.pieces, rest.present | converted.present)


_NOTHING = 3  # the piece "" in TableLines._pieces


def combinations(indexes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's number among the distinct combinations of `indexes` (rows alike in all of
    them share it), and the first row of each combination. Flags (boolean arrays) are
    packed into bits first."""
    size = len(indexes[0]) if len(indexes) else 0
    if not size:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    flags = [i for i in indexes if i.dtype == bool]
    numbers = [i for i in indexes if i.dtype != bool]
    for start in range(0, len(flags), 62):
        packed = np.zeros(size, dtype=np.int64)
        for bit, flag in enumerate(flags[start : start + 62]):
            packed |= flag.astype(np.int64) << bit
        numbers.append(packed)
    key = np.zeros(size, dtype=np.int64)
    count = 1
    for index in numbers:
        span = int(index.max(initial=0)) + 1
        if count * span >= 1 << 62:  # numbered afresh before the key could overflow
            codes, uniques = pd.factorize(key)
            key, count = codes.astype(np.int64), len(uniques)
        key = key * span + index
        count *= span
    if numbers:
        codes, uniques = pd.factorize(key)
        key, count = codes.astype(np.int64), len(uniques)
    first = np.zeros(count, dtype=np.int64)
    first[key[::-1]] = np.arange(size - 1, -1, -1)  # the earliest row of each writes last
    return key.astype(np.int32), first
