"""The records of a table that go out, built and checked column by column (issue 22).

`records._Build` decides record by record; this decides the same for whole batches of
records: the same records are left out for the same reasons, in the same order, and the lines
of the others (`poicheck.export.lines`) go to a `Sink` as they are built, so that a million
records are never held as Python objects. Only the few records left out by the schema are
built record by record, for the messages that say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import xxhash

from poicheck.export.body import Body, RequestWriter, Spool, _buffer
from poicheck.export.check import RecordCheck
from poicheck.export.fixed import FixedPoints
from poicheck.export.index import Borrowed, cell_hashes
from poicheck.export.lines import LinePlan, TableLines
from poicheck.export.model import DroppedValue, Excluded, Reason
from poicheck.export.values import SEPARATOR
from poicheck.oicp.to_json import Builder

if TYPE_CHECKING:
    from poicheck.export.records import Collected
from poicheck.export.ownership import normalised_keys
from poicheck.ruleset.schema import SchemaValidator
from poicheck.table import CanonicalTable, Distinct

BATCH = 8192  # records built at once
CHECKED = 65536  # records checked at once


class Sink:
    """Where the lines of the records that go out are written as they come: one request
    (`size` None) or requests of `size` records each."""

    def __init__(
        self,
        spool: Spool,
        action: str,
        operator: tuple[str, str] = ("", ""),
        size: int | None = None,
        *,
        hashed: bool = True,
    ) -> None:
        self.hashed = hashed  # False: a spool no one reads the sha256 of
        self.spool, self.action, self.operator, self.size = spool, action, operator, size
        self.bodies: list[tuple[Body, int]] = []
        self._writer: RequestWriter | None = None

    def add(
        self, lines: pa.Array, *, framed: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Write records (`framed`: each after body.SEPARATOR); per record its body
        number, offset and length."""
        numbers, offsets, lengths = [], [], []
        start = 0
        while start < len(lines):
            if self._writer is None:
                self._writer = self._new()
            room = len(lines) - start
            if self.size is not None:
                room = min(room, self.size - self._writer.records)
            at, length = self._writer.add(lines.slice(start, room), framed=framed)
            numbers.append(np.full(room, len(self.bodies), dtype=np.int32))
            offsets.append(at)
            lengths.append(length)
            start += room
            if self.size is not None and self._writer.records >= self.size:
                self._close()
        if not numbers:
            return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(numbers), np.concatenate(offsets), np.concatenate(lengths)

    def _new(self) -> RequestWriter:
        return RequestWriter(self.spool, self.action, self.operator, hashed=self.hashed)

    def _close(self) -> None:
        assert self._writer is not None
        records = self._writer.records
        self.bodies.append((self._writer.close(), records))
        self._writer = None

    def close(self) -> list[tuple[Body, int]]:
        """The bodies written, with their number of records (a request without records only
        when nothing was sent and the sink is one request)."""
        if self._writer is not None or (self.size is None and not self.bodies):
            if self._writer is None:
                self._writer = self._new()
            self._close()
        return self.bodies


@dataclass
class Sent:
    """The records that go out, in order: where each came from, its key and EvseID, where its
    line is, and (for a snapshot) the line's hash, whether it reads back as itself and the
    hash of the cells it was built from."""

    files: list[str] = field(default_factory=list)
    parts: list[dict[str, np.ndarray | pa.Array]] = field(default_factory=list)
    # The previous snapshot's sources of lines taken from it: body -1 is borrowed[0], -2 ...
    borrowed: list[Body] = field(default_factory=list)

    def add(self, **part: np.ndarray | pa.Array) -> None:
        self.parts.append(part)

    def column(self, name: str) -> np.ndarray:
        found = [np.asarray(p[name]) for p in self.parts if name in p]
        return np.concatenate(found) if found else np.zeros(0)

    def texts(self, name: str) -> pa.Array:
        found = [p[name] for p in self.parts]
        if not found:
            return pa.array([], type=pa.large_string())
        return pa.concat_arrays([pa.array(f, type=pa.large_string()) for f in found])

    def __len__(self) -> int:
        return sum(len(p["row"]) for p in self.parts)


def line_hashes(lines: pa.Array, skip: int = 0) -> np.ndarray:
    """A 128-bit hash of each line (xxh3; without its first `skip` bytes), as two uint64
    per line."""
    if not len(lines):
        return np.zeros((0, 2), dtype=np.uint64)
    data, starts = _buffer(lines)
    ends = np.append(starts[1:], len(data))
    starts = starts + skip
    view = memoryview(data)
    digest = xxhash.xxh3_128_digest
    joined = b"".join(
        [digest(view[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    )
    return np.frombuffer(joined, dtype=np.uint64).reshape(-1, 2)


@dataclass
class ColumnBuild:
    """Builds the records of one table column by column: the counterpart of `records._Build`,
    which leaves out the same records for the same reasons, listed in the same order."""

    table: CanonicalTable
    index: int
    builder: Builder
    validator: SchemaValidator
    check: RecordCheck
    plan: LinePlan
    cells: dict[str, Distinct]
    sink: Sink
    points: FixedPoints | None = None  # given: each line's hash, cells' hash and fixed point
    borrowed: Borrowed | None = None  # the previous lines new records may take as theirs
    read_hashes: np.ndarray | None = None  # the hash of each record's cells as read, if known
    hashed: np.ndarray | None = field(default=None, init=False)  # the cells' hash per record

    def __post_init__(self) -> None:
        self.read = self.cells  # the cells as read (`cells` then without dropped values)

    def records(
        self,
        by_record: dict[int, list[Reason]],
        drops: dict[int, list[tuple[str, str]]],
        blocked: dict[tuple[int, int], Reason],
        include_invalid: bool,
        out: Collected,
    ) -> None:
        size = len(self.table.rows)
        stopped = np.zeros(size, dtype=bool)
        stopped[[r for (t, r) in blocked if t == self.index]] = True
        erroneous = np.zeros(size, dtype=bool)
        erroneous[list(by_record)] = True
        candidate = ~stopped & (include_invalid | ~erroneous)
        dropped: dict[int, list[DroppedValue]] = {}
        changes: dict[str, dict[int, str | None]] = {}
        for record in sorted(r for r in drops if candidate[r]):
            cells = self._cells(record, [c for _, c in drops[record]] + ["EvseID"])
            before = dict(cells)
            dropped[record] = self._drop(cells, record, drops[record])
            for column in set(before) | set(cells):
                if cells.get(column) != before.get(column):
                    changes.setdefault(column, {})[record] = cells.get(column)
        original = self.read
        self.cells = {c: with_overrides(d, changes.get(c, {})) for c, d in self.read.items()}
        if self.points is not None:
            touched = np.array(sorted({r for column in changes.values() for r in column}))
            self.hashed = self._cell_hashes(touched.astype(np.int64))
        failed = dict(self._write(np.flatnonzero(candidate), drops, out.sent))
        exceptional = np.flatnonzero(stopped | erroneous)
        exceptional = np.array(sorted({*exceptional.tolist(), *failed, *dropped}), dtype=np.int64)
        # The EvseID as read (before values were dropped), and its key.
        evse_ids = _texts_at(original.get("EvseID"), exceptional).to_pylist()
        keys = _keys(original.get("EvseID"), size).take(pa.array(exceptional)).to_pylist()
        for record, evse_id, key in zip(exceptional.tolist(), evse_ids, keys, strict=True):
            reasons = by_record.get(record, [])
            if stopped[record]:
                # NOTE: a rule may say the same (IDN001, IDN003); one reason on EvseID is enough.
                if not any(r.field == "EvseID" for r in reasons):
                    reasons.append(blocked[(self.index, record)])
            elif candidate[record] and record not in failed:
                if reasons:
                    out.included_invalid.append(excluded(self.table, record, evse_id, reasons))
                out.dropped.extend(dropped.get(record, ()))
                continue
            elif candidate[record]:
                reasons.extend(schema_reasons(failed[record]))
            out.left_out.append(excluded(self.table, record, evse_id, reasons))
            if evse_id is not None and key:
                out.left_out_keys.add(key)

    def _cell_hashes(self, touched: np.ndarray) -> np.ndarray:
        """The hash of each record's cells: those as read (if computed beside the checking,
        `read_hashes`), again for the records whose values were dropped (`touched`)."""
        size = len(self.table.rows)
        if self.read_hashes is None or len(self.read_hashes) != size:
            return cell_hashes(self.cells, size)
        hashed = self.read_hashes
        if len(touched):
            some = {name: _subset(column, touched) for name, column in self.cells.items()}
            hashed[touched] = cell_hashes(some, len(touched))
        return hashed

    def _cells(self, record: int, columns: Sequence[str] | None = None) -> dict[str, str]:
        """The text cells of one record as read (of some columns), in the frame's order."""
        out = {}
        for name, column in self.read.items():
            code = int(column.codes[record])
            if code >= 0 and (columns is None or name in columns):
                out[name] = column.values[code].as_py()
        return out

    def _drop(
        self, cells: dict[str, str], record: int, found: Sequence[tuple[str, str]]
    ) -> list[DroppedValue]:
        from poicheck.export.records import drop_values

        row = int(self.table.rows[record])
        ruleset = self.builder.model.ruleset
        return drop_values(ruleset, cells, self.table.source.path, row, found)

    def _send(
        self,
        built: _LocalLines | None,
        rows: np.ndarray,
        taken: np.ndarray,
        keys: pa.Array,
        evse: Distinct | None,
        sent: Sent,
    ) -> None:
        """Write the records of `rows` (those `taken` from the previous snapshot are not
        built: their line is the previous one), and note where they are."""
        own = taken < 0
        size = len(rows)
        body = np.empty(size, dtype=np.int32)
        offset, length = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
        lines = pa.array([], type=pa.large_string())
        if own.any():
            assert built is not None
            lines = built.lines.build(built.local[rows[own]], framed=True)
            body[own], offset[own], length[own] = self.sink.add(lines, framed=True)
        previous = taken[~own]
        if len(previous):
            assert self.borrowed is not None
            entries = self.borrowed.entries
            # The previous sources, numbered from -1 down (`Sent.borrowed`).
            body[~own] = -1 - entries.source[previous]
            offset[~own], length[~own] = entries.offset[previous], entries.length[previous]
            sent.borrowed = self.borrowed.sources
        part: dict[str, np.ndarray | pa.Array] = {
            "table": np.full(size, self.index, dtype=np.int32),
            "row": np.asarray(self.table.rows)[rows].astype(np.int64),
            "key": keys.take(pa.array(rows)),
            "evse_id": _texts_at(evse, rows),
            "body": body,
            "offset": offset,
            "length": length,
        }
        if self.points is not None:
            assert self.hashed is not None
            hashes = np.empty((size, 2), dtype=np.uint64)
            fixed = np.empty(size, dtype=bool)
            if own.any():
                assert built is not None
                hashes[own] = line_hashes(lines, len(SEPARATOR))
                fixed[own] = built.lines.fixed(built.local[rows[own]], self.points)
            if len(previous):
                assert self.borrowed is not None
                hashes[~own] = self.borrowed.entries.hashes[previous]
                fixed[~own] = self.borrowed.built.fixed[previous]
            part["hash"], part["fixed"], part["cells"] = hashes, fixed, self.hashed[rows]
        sent.add(**part)

    def _write(
        self, candidates: np.ndarray, drops: dict[int, list[tuple[str, str]]], sent: Sent
    ) -> list[tuple[int, list[str]]]:
        """Write the lines of the candidates that fit the schema; the others (record number,
        schema problems) are returned. A candidate whose line is in the previous snapshot
        (`borrowed`) is neither built nor checked again."""
        size = len(self.table.rows)
        evse = self.cells.get("EvseID")
        keys = _keys(evse, size)
        taken = np.full(len(candidates), -1, dtype=np.int64)
        if self.borrowed is not None and self.hashed is not None and len(candidates):
            taken = self.borrowed.match(keys.take(pa.array(candidates)), self.hashed[candidates])
        to_build = candidates[taken < 0]
        built = _LocalLines.of(self, to_build) if len(to_build) else None
        failed: list[tuple[int, list[str]]] = []
        fits = np.ones(len(candidates), dtype=bool)
        fits_built = fits[taken < 0]
        for start in range(0, len(to_build), CHECKED):
            assert built is not None
            chunk = to_build[start : start + CHECKED]
            ok = self.check.fits(built.lines, built.local[chunk])
            fits_built[start : start + CHECKED] = ok
            for record in chunk[~ok].tolist():
                cells = self._cells(record)
                self._drop(cells, record, drops.get(record, ()))
                payload = self.builder.build(cells)
                failed.append((record, self.validator.errors(payload, limit=5)))
        fits[taken < 0] = fits_built
        going, going_taken = candidates[fits], taken[fits]
        for at in range(0, len(going), BATCH):
            batch = slice(at, at + BATCH)
            self._send(built, going[batch], going_taken[batch], keys, evse, sent)
        return failed


@dataclass
class _LocalLines:
    """The lines of some records of a table (those to build), from their cells alone, and
    each record's number among them (`local`)."""

    lines: TableLines
    local: np.ndarray

    @classmethod
    def of(cls, build: ColumnBuild, records: np.ndarray) -> _LocalLines:
        size = len(build.table.rows)
        if 2 * len(records) >= size:  # most records: the table's own cells, not a copy
            return cls(TableLines(build.plan, build.builder, build.cells), np.arange(size))
        local = np.full(size, -1, dtype=np.int64)
        local[records] = np.arange(len(records))
        cells = {name: _subset(column, records) for name, column in build.cells.items()}
        return cls(TableLines(build.plan, build.builder, cells), local)


def _subset(column: Distinct, rows: np.ndarray) -> Distinct:
    """The cells of some rows, numbered among the values they use."""
    codes = column.codes[rows]
    filled = codes >= 0
    used = np.unique(codes[filled])
    numbers = np.full(len(codes), -1, dtype=codes.dtype)
    numbers[filled] = np.searchsorted(used, codes[filled])
    return Distinct(column.values.take(pa.array(used)), numbers)


def _keys(evse: Distinct | None, size: int = 0) -> pa.Array:
    """Per record its normalised EvseID ("" without one), as records._Build keys them."""
    if evse is None:
        return pa.array([""] * size, type=pa.large_string())
    values = pa.concat_arrays([normalised_keys(evse), pa.array([""], pa.large_string())])
    codes = np.where(evse.codes < 0, len(evse.values), evse.codes)
    return values.take(pa.array(codes))


def _texts_at(column: Distinct | None, rows: np.ndarray) -> pa.Array:
    if column is None:
        return pa.nulls(len(rows), type=pa.large_string())
    codes = column.codes[rows]
    return column.values.take(pa.array(codes, mask=codes < 0))


def with_overrides(column: Distinct, changes: dict[int, str | None]) -> Distinct:
    """The column with some cells changed (a value, or None: empty)."""
    if not changes:
        return column
    codes = column.codes.copy()
    added: dict[str, int] = {}
    for record, value in changes.items():
        if value is None:
            codes[record] = -1
        else:
            codes[record] = added.setdefault(value, len(column.values) + len(added))
    values = column.values
    if added:
        values = pa.concat_arrays([values, pa.array(list(added), type=values.type)])
    return Distinct(values, codes)


def excluded(
    table: CanonicalTable, record: int, evse_id: str | None, reasons: Sequence[Reason]
) -> Excluded:
    return Excluded(table.source.path, int(table.rows[record]), record, evse_id, tuple(reasons))


def schema_reasons(problems: list[str]) -> list[Reason]:
    reasons = []
    for problem in problems:
        pointer, _, message = problem.partition(": ")
        reasons.append(
            Reason(None, pointer, f"does not fit the eRoamingPushEvseData schema: {message}")
        )
    return reasons
