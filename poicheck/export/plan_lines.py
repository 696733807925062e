"""The delta planner on record lines (issue 22): `delta.plan` without a dict per record.

New and previous records are matched by key (the normalised EvseID). A matched pair whose
lines have the same hash is unchanged, without reading either, when the previous line is the
record as rebuilt, or the new line reads back as itself (`poicheck.export.fixed`): then both
are the same record, to the letter. Every other pair is read, the previous record rebuilt,
and compared as `delta.plan` compares (`_identical`, then `Semantics.key`). Previous records
that are deleted or kept (left out of the new data for errors) are rebuilt as well; unchanged
records keep their line in the new snapshot.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from poicheck.engine import workers
from poicheck.export.body import Body, Spool, envelope, read_lines, write_ranges
from poicheck.export.columns import Sent
from poicheck.export.delta import Semantics, _identical
from poicheck.export.index import Built, index_body, index_table
from poicheck.export.lines import LinePlan, TableLines
from poicheck.export.model import DELETE, FULL_LOAD, INSERT, UPDATE, Changes, hubject_assigned
from poicheck.export.previous import MemoryLines, StateLines
from poicheck.export.scan import KeyMismatch
from poicheck.export.snapshot import PreviousReader
from poicheck.export.values import SEPARATOR
from poicheck.oicp.identifiers import normalise_ids
from poicheck.readers.json import NotJSONError, loads
from poicheck.table import Distinct

Record = dict[str, Any]


@dataclass
class LinesPlan:
    """What to send: inserts and updates (numbers into the new records), deletes (numbers
    into the previous state), and the previous records rebuilt on the way."""

    inserts: np.ndarray
    updates: np.ndarray
    updated: np.ndarray  # the previous record of each update
    deletes: np.ndarray
    unchanged: int
    kept: int
    partner: np.ndarray  # per previous record, the new record of its key (-1: none)
    rebuilt: dict[int, Record] = field(default_factory=dict)  # previous number -> record
    after: dict[int, Record] = field(default_factory=dict)  # new number -> record (updates)

    @property
    def changes(self) -> Changes:
        return Changes.of(self)

    def only(self, action: str) -> LinesPlan:
        """The part of the plan for one ActionType (the rest is not sent)."""
        empty = np.zeros(0, dtype=np.int64)
        return replace(
            self,
            inserts=self.inserts if action == INSERT else empty,
            updates=self.updates if action == UPDATE else empty,
            updated=self.updated if action == UPDATE else empty,
            deletes=self.deletes if action == DELETE else empty,
        )


@dataclass
class Lines:
    """The new records' lines (where `Sent` says) and the previous state's."""

    sent: Sent
    bodies: Sequence[Body]
    previous: StateLines
    reader: PreviousReader
    # Per previous record: its line reads back as itself (known from the snapshot's index
    # where it was made as this export makes lines), so it is the rebuilt record.
    fixed: np.ndarray | None = None
    new_body: np.ndarray = field(init=False)  # per new record, its body in `bodies`

    def __post_init__(self) -> None:
        # Lines a new record took from the previous snapshot (`Sent.borrowed`, numbered from
        # -1 down) are in the bodies after the new ones.
        body = self.sent.column("body").astype(np.int64)
        borrowed = body < 0
        if borrowed.any():
            body = np.where(borrowed, len(self.bodies) - 1 - body, body)
            self.bodies = [*self.bodies, *self.sent.borrowed]
        self.new_body = body

    def new(self, numbers: np.ndarray) -> Iterator[bytes]:
        sent = self.sent
        yield from read_lines(
            self.bodies,
            self.new_body[numbers],
            sent.column("offset")[numbers],
            sent.column("length")[numbers],
        )

    def old(self, numbers: np.ndarray) -> Iterator[bytes]:
        entries = self.previous.entries
        yield from read_lines(
            self.previous.sources,
            entries.source[numbers],
            entries.offset[numbers],
            entries.length[numbers],
        )

    def rebuild(self, numbers: np.ndarray, *, records: bool = True) -> dict[int, Record]:
        """Previous records as PreviousReader rebuilds them (without `records`: only those
        whose line is not the rebuilt record already).

        A line as it was read is parsed as the whole file would be. All of them are built
        again together, column by column; where that gives the line itself, it is the
        rebuilt record (the same cells, and the InfoTexts in the order the line has them).
        Any other is rebuilt on its own. Each must have the key it was read with
        (`KeyMismatch` otherwise: the file is then read whole)."""
        out: dict[int, Record] = {}
        rebuilt = self.previous.entries.rebuilt
        fixed = self.fixed if self.fixed is not None else np.zeros(len(rebuilt), dtype=bool)
        raw: list[tuple[int, bytes, Any]] = []
        for number, line in zip(numbers.tolist(), self.old(numbers), strict=True):
            if rebuilt[number]:  # json.dumps of the rebuilt record: json reads it back
                out[number] = _plain(bytes(line))
                continue
            if fixed[number]:  # as a line that rebuilds as itself below
                if records:
                    out[number] = _plain(bytes(line))
                continue
            try:
                raw.append((number, bytes(line), _read(bytes(line))))
            except (UnicodeDecodeError, RecursionError, json.JSONDecodeError, NotJSONError):
                raise KeyMismatch from None
        again = self._built([record for _, _, record in raw])
        keys = self.previous.entries.keys
        for (number, line, record), text in zip(raw, again, strict=True):
            if text is not None and text.encode() == line:
                if records:
                    out[number] = _plain(text.encode())
                continue
            found = self.reader._rebuild(Path("(previous)"), [record])
            if list(found) != [keys[number]]:
                raise KeyMismatch
            out[number] = found[keys[number]]
        if raw:
            texts = (
                [str(_read(line).get("EvseID")) for _, line, _ in raw]
                if not records
                else [str(out[n].get("EvseID")) for n, _, _ in raw]
            )
            found_keys = normalise_ids(pa.array(texts, type=pa.large_string())).to_pylist()
            if found_keys != [keys[n] for n, _, _ in raw]:
                raise KeyMismatch
        return out

    def _built(self, records: list[Any]) -> list[str | None]:
        """Records flattened and built again together (None for all of them where a table
        of them has no column plan)."""
        if not records:
            return []
        builder = self.reader.builder
        flat = self.reader.flattener.flatten_all(records)
        assigned = set(hubject_assigned(builder.model.ruleset))
        cells = {
            name: Distinct.encode(column)
            for name, column in flat.columns.items()
            if name not in assigned
        }
        line_plan = LinePlan.of(builder.model, list(cells))
        if line_plan is None or not cells:
            return [None] * len(records)
        texts: list[str | None] = (
            TableLines(line_plan, builder, cells).build(np.arange(len(records))).to_pylist()
        )
        return texts


_EXACT = msgspec.json.Decoder(float_hook=Decimal)  # as readers.json reads OICP JSON
_PLAIN = msgspec.json.Decoder()


def _read(line: bytes) -> Any:
    """A previous record as PreviousReader parses it (`readers.json.loads`: numbers with a
    point as Decimal), by msgspec where it takes the text, as the JSON reader does."""
    try:
        return _EXACT.decode(line)
    except (ValueError, RecursionError):
        return loads(line.decode("utf-8"))


def _plain(line: bytes) -> Any:
    """A line json.dumps wrote, as json.loads reads it back (msgspec, four times as fast)."""
    try:
        return _PLAIN.decode(line)
    except (ValueError, RecursionError):
        return json.loads(line)


def plan(lines: Lines, semantics: Semantics, *, keep: set[str] | None = None) -> LinesPlan:
    """The minimal changes that turn the previous state into the new records."""
    entries = lines.previous.entries
    keys = lines.previous.key_array()
    # pyarrow's hash join: a fifth of pandas' on a million Python strings
    at = pc.index_in(lines.sent.texts("key"), value_set=keys).fill_null(-1).to_numpy()
    inserts = np.flatnonzero(at < 0)
    matched = np.flatnonzero(at >= 0)
    previous = at[matched]
    same = (lines.sent.column("hash").reshape(-1, 2)[matched] == entries.hashes[previous]).all(1)
    quick = same & (lines.sent.column("fixed").astype(bool)[matched] | entries.rebuilt[previous])
    slow, slow_previous = matched[~quick], previous[~quick]
    unseen = np.ones(len(entries), dtype=bool)
    unseen[previous] = False
    wanted = pa.array(sorted(keep or ()), type=pa.large_string())
    kept_mask = unseen & np.asarray(pc.is_in(keys, value_set=wanted))
    deletes = np.flatnonzero(unseen & ~kept_mask)
    kept = np.flatnonzero(kept_mask)

    def gone_or_kept() -> dict[int, Record]:
        out = lines.rebuild(deletes)
        out.update(lines.rebuild(kept, records=False))  # kept as they are: lines will do
        return out

    compared = _compared_in_two(lines, semantics, slow, slow_previous, gone_or_kept)
    rebuilt, afters, changed = compared
    after: dict[int, Record] = {}
    updates, updated = [], []
    for new, old, record, differs in zip(
        slow.tolist(), slow_previous.tolist(), afters, changed, strict=True
    ):
        if differs:
            updates.append(new)
            updated.append(old)
            after[new] = record
    unchanged = len(matched) - len(updates)
    partner = np.full(len(entries), -1, dtype=np.int64)
    partner[previous] = matched
    return LinesPlan(
        inserts.astype(np.int64),
        np.array(updates, dtype=np.int64),
        np.array(updated, dtype=np.int64),
        deletes.astype(np.int64),
        unchanged,
        len(kept),
        partner,
        rebuilt,
        after,
    )


PARALLEL_FROM = 2000  # pairs compared in two processes from this many (a fork costs ~50 ms)


def _compared(
    lines: Lines, semantics: Semantics, new: np.ndarray, old: np.ndarray
) -> tuple[dict[int, Record], list[Record], list[bool]]:
    """Pairs of a new record and the previous one of its key, whose lines differ: the
    previous records rebuilt, the new records read, and whether each pair changes."""
    rebuilt = lines.rebuild(old)
    befores = [rebuilt[number] for number in old.tolist()]
    afters = [_plain(bytes(line)) for line in lines.new(new)]
    return rebuilt, afters, _changed(semantics, befores, afters)


def _compared_in_two(
    lines: Lines,
    semantics: Semantics,
    new: np.ndarray,
    old: np.ndarray,
    alongside: Callable[[], dict[int, Record]],
) -> tuple[dict[int, Record], list[Record], list[bool]]:
    """`_compared`, half of the pairs in a forked process (a million records with 1 %
    changed: 10,000 pairs, two seconds of one core); and the previous records `alongside`
    rebuilds (into the same dict) while the child works."""
    if len(new) < PARALLEL_FROM or not workers.can_fork():
        rebuilt, afters, changed = _compared(lines, semantics, new, old)
        rebuilt.update(alongside())
        return rebuilt, afters, changed
    half = len(new) // 2
    other = workers.Forked(functools.partial(_compared, lines, semantics, new[half:], old[half:]))
    rebuilt, afters, changed = _compared(lines, semantics, new[:half], old[:half])
    rebuilt.update(alongside())
    more = other.result()  # the child's error, if any, is raised here again
    rebuilt.update(more[0])
    return rebuilt, afters + more[1], changed + more[2]


def _changed(semantics: Semantics, befores: list[Record], afters: list[Record]) -> list[bool]:
    """Per pair: does the record change, as delta.plan decides (`_identical`, then the
    semantic keys)? Pairs are first compared by their cells all at once (flattened
    together, each column's distinct texts normalised once): the keys differ where the
    cells' normal forms do. Only pairs alike in those have their keys compared in full."""
    if not befores:
        return []
    flat = semantics.flattener.flatten_all([*befores, *afters]).columns
    size = len(befores)
    alike = np.ones(size, dtype=bool)
    for column, texts in flat.items():
        prop = semantics._property(column)
        if prop is None or prop.assigned_by_hubject:
            continue
        distinct = Distinct.encode(texts)
        normals = [semantics._normal(prop, t) for t in distinct.values.to_pylist()]
        number = pd.factorize(np.array([*normals, None], dtype=object))[0]
        codes = number[np.where(distinct.codes < 0, len(normals), distinct.codes)]
        alike &= codes[:size] == codes[size:]
    out = []
    for before, after, same in zip(befores, afters, alike, strict=True):
        if _identical(before, after):
            out.append(False)
        elif not same:
            out.append(True)
        else:
            out.append(semantics.key(before) != semantics.key(after))
    return out


def snapshot(
    lines: Lines, chosen: LinesPlan, spool: Spool, operator: tuple[str, str], made: str = ""
) -> tuple[Body, int, Body | None]:
    """The state after pushing `chosen` (as `delta.apply`: updates in place, deletes removed,
    inserts last), as the fullLoad request that would produce it, and its index (made by
    `made`, the fingerprint; None where the new lines have no hashes). (Making the index
    in a thread beside the writing was measured slower: both want the interpreter.)"""
    after = _After.of(lines, chosen)
    body, count = write_ranges(spool, FULL_LOAD, operator, after.places)
    index = _index_of(lines, chosen, after, operator, made)
    return body, count, index(body) if index is not None else None


@dataclass
class _After:
    """Where each record of the state after the push is: the previous records that stay
    (`keep`, some replaced by new ones, some rebuilt in memory: `texts`), then the inserts."""

    places: tuple[list[Body], np.ndarray, np.ndarray, np.ndarray]
    keep: np.ndarray
    replaced: dict[int, int]
    texts: dict[int, bytes]

    @classmethod
    def of(cls, lines: Lines, chosen: LinesPlan) -> _After:
        entries = lines.previous.entries
        replaced = dict(zip(chosen.updated.tolist(), chosen.updates.tolist(), strict=True))
        gone = np.zeros(len(entries), dtype=bool)
        gone[chosen.deletes] = True
        memory = MemoryLines()
        stores = [*lines.previous.sources, *lines.bodies]
        base = len(lines.previous.sources)
        sent = lines.sent
        new_body, new_offset = lines.new_body, sent.column("offset")
        new_length = sent.column("length")
        store = entries.source.astype(np.int64).copy()
        offset, length = entries.offset.copy(), entries.length.copy()
        texts: dict[int, bytes] = {}
        for old, record in chosen.rebuilt.items():
            # A previous record that stays, rebuilt (one updated or deleted is not written).
            if not entries.rebuilt[old] and old not in replaced and not gone[old]:
                text = json.dumps(record, ensure_ascii=False, allow_nan=False).encode()
                offset[old], length[old] = memory.add(text)
                store[old] = -1
                texts[old] = text
        for old, new in replaced.items():
            store[old] = base + int(new_body[new])
            offset[old], length[old] = new_offset[new], new_length[new]
        keep = np.flatnonzero(~gone)
        memory_store = len(stores)
        stores.append(memory.body())
        store = np.where(store < 0, memory_store, store)
        inserts = chosen.inserts
        order_store = np.concatenate([store[keep], base + new_body[inserts].astype(np.int64)])
        order_offset = np.concatenate([offset[keep], new_offset[inserts]])
        order_length = np.concatenate([length[keep], new_length[inserts]])
        return cls((stores, order_store, order_offset, order_length), keep, replaced, texts)


def _index_of(
    lines: Lines, chosen: LinesPlan, after: _After, operator: tuple[str, str], made: str
) -> Callable[[Body], Body] | None:
    """The index of the state after the push, given its written request."""
    sent = lines.sent
    if "hash" not in (sent.parts[0] if sent.parts else {}) and len(sent):
        return None
    state = _StateBuilt.of(lines, chosen, made)
    for old, text in after.texts.items():
        state.line(old, xxhash.xxh3_128_digest(text))
    for old, new in after.replaced.items():
        state.new(old, new)
    keep, inserts = after.keep, chosen.inserts
    new_keys = sent.texts("key").take(pa.array(inserts)).to_numpy(zero_copy_only=False)
    keys = np.concatenate([lines.previous.entries.keys[keep], np.asarray(new_keys, dtype=object)])
    hashes = np.concatenate([state.hashes[keep], state.sent_hashes[inserts]])
    built = Built(
        np.concatenate([state.cells[keep], state.sent_cells[inserts]]),
        np.concatenate([state.fixed[keep], state.sent_fixed[inserts]]),
        made,
    )
    # Where each line is: after the envelope and "[\n      ", each SEPARATOR after the last.
    length = after.places[3]
    steps = np.cumsum(length + len(SEPARATOR)) - length - len(SEPARATOR)
    at = len(envelope(FULL_LOAD, *operator)) + len(SEPARATOR) + steps
    table = index_table(keys, (at, length), hashes, built)
    return functools.partial(index_body, table, built.fingerprint)


@dataclass
class _StateBuilt:
    """Per previous record: its line's hash, and what built the line (from the previous
    index where it was made as this export makes lines; from the new record whose line is
    the same; else unknown); and the same of the new records."""

    hashes: np.ndarray
    cells: np.ndarray
    fixed: np.ndarray
    sent_hashes: np.ndarray
    sent_cells: np.ndarray
    sent_fixed: np.ndarray

    @classmethod
    def of(cls, lines: Lines, chosen: LinesPlan, made: str) -> _StateBuilt:
        entries, prior = lines.previous.entries, lines.previous.built
        size = len(entries)
        sent = lines.sent
        state = cls(
            entries.hashes.copy(),
            np.zeros((size, 2), dtype=np.uint64),
            np.zeros(size, dtype=bool),
            sent.column("hash").reshape(-1, 2).astype(np.uint64),
            sent.column("cells").reshape(-1, 2).astype(np.uint64),
            sent.column("fixed").astype(bool),
        )
        if prior is not None and prior.fingerprint == made and len(prior.cells) == size:
            state.cells[:] = prior.cells
            state.fixed[:] = prior.fixed
        partner = chosen.partner
        same = np.flatnonzero(partner >= 0)
        same = same[(state.sent_hashes[partner[same]] == entries.hashes[same]).all(1)]
        state.cells[same] = state.sent_cells[partner[same]]
        state.fixed[same] = state.sent_fixed[partner[same]]
        return state

    def line(self, old: int, digest: bytes) -> None:
        """A previous record written as rebuilt: a line not built from cells."""
        self.hashes[old] = np.frombuffer(digest, dtype=np.uint64)
        self.cells[old] = 0
        self.fixed[old] = False

    def new(self, old: int, new: int) -> None:
        """A previous record replaced by a new one (an update)."""
        self.hashes[old] = self.sent_hashes[new]
        self.cells[old] = self.sent_cells[new]
        self.fixed[old] = self.sent_fixed[new]


def new_places(lines: Lines, numbers: np.ndarray) -> tuple[Any, ...]:
    """Where new records are (for body.write_ranges)."""
    sent = lines.sent
    return (
        lines.bodies,
        lines.new_body[numbers],
        sent.column("offset")[numbers],
        sent.column("length")[numbers],
    )


def delete_records(lines: Lines, chosen: LinesPlan) -> list[tuple[str, Record]]:
    """The records of the deletes, rebuilt, with their keys."""
    keys = lines.previous.entries.keys
    return [(str(keys[n]), chosen.rebuilt[n]) for n in chosen.deletes.tolist()]


__all__ = ["UPDATE", "Lines", "LinesPlan", "delete_records", "plan", "snapshot"]
