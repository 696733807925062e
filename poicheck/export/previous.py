"""The previous state as record lines, a snapshot of a million records read as a stream
(issue 22).

`--previous` means what `poicheck.export.snapshot` says; this reads it without a dict per
record. A file in the layout poicheck writes (`payload.request_bytes`: the envelope indented,
one EvseDataRecord per line) is read line by line: per record its key (the normalised EvseID,
read from the line's start), where its line is and a hash of it. Such a line is not parsed: the
delta planner compares it with the new records by hash, and reads only the lines that differ
(`poicheck.export.plan_lines`). A line that does not start with a plain EvseID (no escapes,
no second EvseID key) is parsed and rebuilt at once, as every record of any other file is
(those are read whole, up to MAX_PREVIOUS_BYTES).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import stat
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from poicheck.errors import InputError
from poicheck.export.body import Body
from poicheck.export.model import DELETE, FULL_LOAD, INSERT, UPDATE
from poicheck.export.snapshot import PreviousReader, _load_json, _records
from poicheck.export.values import BLANK_TEXT
from poicheck.identity import normalise_ids
from poicheck.oicp import Builder
from poicheck.readers.json import NotJSONError, loads

CHUNK = 32 << 20  # bytes read at once
KEY_BYTES = 64  # the longest EvseID read from a line's start
_HEADER = re.compile(
    rb'\{\n  "ActionType": ([^\n]*),\n  "OperatorEvseData": \{\n    "OperatorID": ([^\n]*),\n'
    rb'    "OperatorName": ([^\n]*),\n    "EvseDataRecord": (\[\]?)\n'
)
_INDENT = b"      "
_FAST = _INDENT + b'{"EvseID": "'
_SEPARATOR = b",\n" + _INDENT


@dataclass
class Entries:
    """Records of a state, in order: key, where the line is (a source and the place in it),
    its hash, and whether the line is the record as rebuilt (else it is as it was read)."""

    keys: np.ndarray
    source: np.ndarray
    offset: np.ndarray
    length: np.ndarray
    hashes: np.ndarray
    rebuilt: np.ndarray

    @classmethod
    def empty(cls) -> Entries:
        return cls(
            np.zeros(0, dtype=object),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, 2), dtype=np.uint64),
            np.zeros(0, dtype=bool),
        )

    def take(self, index: np.ndarray) -> Entries:
        return Entries(*(getattr(self, f)[index] for f in _FIELDS))

    @classmethod
    def concat(cls, parts: Sequence[Entries]) -> Entries:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def __len__(self) -> int:
        return len(self.keys)

    def unique(self) -> Entries:
        """One entry per key, as a dict built in order keeps it: at the place of the first,
        with the line of the last."""
        keys = pd.Index(self.keys)
        if keys.is_unique:
            return self
        positions = np.flatnonzero(~keys.duplicated(keep="first"))
        last = pd.Series(np.arange(len(keys))).groupby(self.keys, sort=False).last()
        chosen = last.reindex(self.keys[positions]).to_numpy()
        out = self.take(chosen)
        out.keys = self.keys[positions]
        return out


_FIELDS = ("keys", "source", "offset", "length", "hashes", "rebuilt")


class MemoryLines:
    """Rebuilt records as lines in memory, laid out like a request's record lines."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, line: bytes) -> tuple[int, int]:
        if self.parts:
            self.parts.append(_SEPARATOR)
            self.size += len(_SEPARATOR)
        at = self.size
        self.parts.append(line)
        self.size += len(line)
        return at, len(line)

    def body(self) -> Body:
        return Body.of(b"".join(self.parts))


@dataclass
class StateLines:
    """What Hubject holds after the previous pushes, as record lines."""

    entries: Entries = field(default_factory=Entries.empty)
    sources: list[Body] = field(default_factory=list)
    operator_id: str | None = None
    notes: list[str] = field(default_factory=list)
    known: bool = False

    def __len__(self) -> int:
        return len(self.entries)

    def replace(self, entries: Entries) -> None:
        self.entries = entries.unique()
        self.known = True

    def put(self, entries: Entries) -> None:
        """Insert or update: a known key keeps its place, a new one goes last."""
        entries = entries.unique()
        at = pd.Index(self.entries.keys).get_indexer(entries.keys)
        old = at >= 0
        state = self.entries
        for name in _FIELDS[1:]:
            getattr(state, name)[at[old]] = getattr(entries, name)[old]
        self.entries = Entries.concat([state, entries.take(np.flatnonzero(~old))])

    def delete(self, keys: np.ndarray) -> None:
        gone = pd.Index(self.entries.keys).isin(keys)
        self.entries = self.entries.take(np.flatnonzero(~gone))


class LinesReader:
    """Reads previous payloads, manifests and snapshots into one StateLines."""

    def __init__(self, builder: Builder, *, stream: bool = True) -> None:
        self.reader = PreviousReader(builder)
        self.state = StateLines(notes=self.reader.state.notes)
        self.stream = stream  # False: every file read whole

    def read(self, paths: Sequence[Path]) -> StateLines:
        for path in paths:
            self._read_path(path)
        self.state.operator_id = self.reader.state.operator_id
        return self.state

    def _read_path(self, path: Path, expected_sha256: str | None = None) -> None:
        header = _header(path) if self.stream else None
        if header is not None:
            streamed = self._stream(path, expected_sha256, header)
            if streamed:
                return
        document = _load_json(path, expected_sha256)
        if isinstance(document, dict) and "manifest_version" in document and "files" in document:
            self._manifest(path, document)
        elif isinstance(document, dict) and "OperatorEvseData" in document:
            data = document["OperatorEvseData"]
            if not isinstance(data, dict):
                raise InputError("OperatorEvseData is not an object", location=str(path))
            self.reader._operator(path, data)
            self._apply(path, document.get("ActionType", FULL_LOAD), _records(path, data))
        elif isinstance(document, dict) and "EvseDataRecord" in document:
            self.reader._operator(path, document)
            self._apply(path, FULL_LOAD, _records(path, document))
        elif isinstance(document, list):
            self._apply(path, FULL_LOAD, document)
        else:
            raise InputError(
                "not a previous export: expected a poicheck manifest or snapshot, an "
                "eRoamingPushEvseData request, an OperatorEvseData object or an array of "
                "EvseDataRecords",
                location=str(path),
            )

    def _manifest(self, path: Path, manifest: dict[str, Any]) -> None:
        base = path.parent
        snapshot = manifest.get("snapshot")
        if isinstance(snapshot, dict) and snapshot.get("file"):
            self._read_path(base / str(snapshot["file"]), snapshot.get("sha256"))
            return
        self.state.notes.append(
            f"{path} names no snapshot; the state is rebuilt from its payload files"
        )
        for entry in manifest.get("files", []):
            if not isinstance(entry, dict) or "file" not in entry:
                raise InputError("a 'files' entry has no 'file'", location=str(path))
            self._read_path(base / str(entry["file"]), entry.get("sha256"))

    def _apply(self, path: Path, action: Any, records: list[Any] | Entries) -> None:
        """A file's records onto the state, as its ActionType says."""
        if action not in (FULL_LOAD, INSERT, UPDATE, DELETE):
            raise InputError(f"unknown ActionType {action!r}", location=str(path))
        entries = records if isinstance(records, Entries) else self._rebuilt(path, records)
        if action == FULL_LOAD:
            self.state.replace(entries)
            return
        if not self.state.known:
            self.state.known = True
            self.state.notes.append(
                f"{path} is an {action} request; the state before it is taken as empty"
            )
        if action == DELETE:
            self.state.delete(entries.unique().keys)
        else:
            self.state.put(entries)

    def _rebuilt(self, path: Path, records: list[Any], start: int = 0) -> Entries:
        """Records parsed from a file, rebuilt (PreviousReader), as lines in memory."""
        lines = MemoryLines()
        keys, places = [], []
        for index, record in enumerate(records, start):
            for key, rebuilt in self.reader._rebuild(path, [record], index).items():
                text = json.dumps(rebuilt, ensure_ascii=False, allow_nan=False).encode()
                keys.append(key)
                places.append(lines.add(text))
        return self._memory(lines, keys, places)

    def _memory(self, lines: MemoryLines, keys: list[str], places: list[tuple[int, int]]) -> Entries:
        body = lines.body()
        self.state.sources.append(body)
        offset = np.array([p[0] for p in places], dtype=np.int64)
        length = np.array([p[1] for p in places], dtype=np.int64)
        data = body.read()
        digest = xxhash.xxh3_128_digest
        hashes = b"".join(digest(data[a : a + n]) for a, n in places)
        return Entries(
            np.array(keys, dtype=object),
            np.full(len(keys), len(self.state.sources) - 1, dtype=np.int32),
            offset,
            length,
            np.frombuffer(hashes, dtype=np.uint64).reshape(-1, 2),
            np.ones(len(keys), dtype=bool),
        )

    def _stream(self, path: Path, expected: str | None, header: tuple[Any, ...]) -> bool:
        """A file in poicheck's layout, line by line; False when it is not (read whole then)."""
        action, operator_id, operator_name, start = header
        self.reader._operator(path, {"OperatorID": operator_id, "OperatorName": operator_name})
        scan = _Scan(path, len(self.state.sources), start)
        try:
            found = scan.run()
        except _NotStreamable:
            return False
        if expected and scan.sha256 != expected:
            raise InputError(
                "was changed after it was exported (its sha256 differs from the manifest's)",
                location=str(path),
            )
        self.state.sources.append(Body(os.path.getsize(path), scan.sha256, None, path))
        parts = [found]
        if scan.odd:
            noted = len(self.state.notes)
            try:
                parts.append(self._odd(path, scan))
            except _NotStreamable:
                self.state.sources.pop()
                del self.state.notes[noted:]
                return False
        order = np.argsort(np.concatenate([scan.index, scan.odd_index]), kind="stable")
        self._apply(path, action, Entries.concat(parts).take(order))
        return True

    def _odd(self, path: Path, scan: _Scan) -> Entries:
        """Lines that are not read by their start: parsed and rebuilt one by one."""
        lines = MemoryLines()
        keys, places, index = [], [], []
        for number, raw in zip(scan.odd_index.tolist(), scan.odd, strict=True):
            try:
                record = loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, RecursionError, json.JSONDecodeError, NotJSONError):
                raise _NotStreamable from None  # the whole file's read says it exactly
            for key, rebuilt in self.reader._rebuild(path, [record], number).items():
                text = json.dumps(rebuilt, ensure_ascii=False, allow_nan=False).encode()
                keys.append(key)
                places.append(lines.add(text))
                index.append(number)
        scan.odd_index = np.array(index, dtype=np.int64)
        return self._memory(lines, keys, places)


class _NotStreamable(Exception):
    pass


class KeyMismatch(Exception):  # noqa: N818 (a signal, caught by run.py)
    """A line read by its start turned out to be another record's (an escape, or a second
    EvseID key): the file is read whole instead."""


class _Hasher:
    """sha256 of a file's blocks in a thread of its own, beside the reading (hashlib lets
    go of the interpreter lock while it hashes)."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (block := self.queue.get()) is not None:
            self.hash.update(block)

    def update(self, block: bytes) -> None:
        self.queue.put(block)

    def hexdigest(self) -> str:
        self.queue.put(None)
        self.thread.join()
        return self.hash.hexdigest()


def _header(path: Path) -> tuple[Any, ...] | None:
    """ActionType, OperatorID, OperatorName and where the records start, if `path` is a
    regular file that starts as poicheck writes a request; else None."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        head = os.read(handle, 1 << 16)
    finally:
        os.close(handle)
    match = _HEADER.match(head)
    if match is None:
        return None
    try:
        values = [loads(match.group(i).decode("utf-8")) for i in (1, 2, 3)]
    except (UnicodeDecodeError, RecursionError, json.JSONDecodeError, NotJSONError):
        return None
    if not all(isinstance(v, str) for v in values) or match.group(4) == b"[]":
        return None
    return (*values, match.end())


class _Scan:
    """One pass over the record lines of a file in poicheck's layout: `{` and the envelope
    (read by `_header`), one record per line (six spaces, the record, a comma but after the
    last), then `    ]`, `  }`, `}`."""

    def __init__(self, path: Path, source: int, start: int) -> None:
        self.path, self.source, self.start = path, source, start
        self.sha256 = ""
        self.odd: list[bytes] = []
        self.odd_index = np.zeros(0, dtype=np.int64)
        self.index = np.zeros(0, dtype=np.int64)
        self._parts: list[Entries] = []
        self._numbers: list[np.ndarray] = []
        self._odd_numbers: list[int] = []
        self._records = 0
        self._comma: bool | None = None  # whether the last record line so far had a comma
        self._tail: list[bytes] | None = None

    def run(self) -> Entries:
        hasher = _Hasher()
        try:
            with open(self.path, "rb") as stream:
                hasher.update(stream.read(self.start))
                carry, base = b"", self.start
                while block := stream.read(CHUNK):
                    hasher.update(block)
                    first = block.find(b"\n") + 1
                    if not first:
                        carry += block
                        continue
                    joined = carry + block[:first]  # the line across the reads' end
                    self._block(joined, 0, len(joined), base)
                    last = block.rfind(b"\n") + 1
                    if last > first:
                        self._block(block, first, last, base + len(joined))
                    carry, base = block[last:], base + len(joined) + last - first
        finally:
            self.sha256 = hasher.hexdigest()
        if carry or self._tail != [b"    ]", b"  }", b"}"] or self._comma is not False:
            raise _NotStreamable
        self.index = np.concatenate(self._numbers) if self._numbers else np.zeros(0, np.int64)
        self.odd_index = np.array(self._odd_numbers, dtype=np.int64)
        return Entries.concat(self._parts)

    def _block(self, data: bytes, lo: int, hi: int, base: int) -> None:
        """The complete lines of data[lo:hi]; `base` is where data[lo] is in the file."""
        array = np.frombuffer(data, dtype=np.uint8)
        ends = _line_ends(data, lo, hi)
        starts = np.concatenate([[lo], ends[:-1] + 1]).astype(np.int64)
        if self._tail is None:
            records = _record_lines(array, starts, ends)
            count = int(records.argmin()) if not records.all() else len(starts)
            self._records_of(data, array, starts[:count], ends[:count], base - lo)
            if count == len(starts):
                return
            self._tail = []
            starts, ends = starts[count:], ends[count:]
        self._tail.extend(
            bytes(data[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        )
        if len(self._tail) > 3:
            raise _NotStreamable

    def _records_of(
        self, data: bytes, array: np.ndarray, starts: np.ndarray, ends: np.ndarray, base: int
    ) -> None:
        """Record lines; `base` + a place in `data` is the place in the file."""
        if not len(starts):
            return
        comma = array[ends - 1] == ord(",")
        if self._comma is False or not comma[:-1].all():
            raise _NotStreamable  # a record line without its comma before another record
        self._comma = bool(comma[-1])
        first, stop = starts + len(_INDENT), ends - comma
        numbers = self._records + np.arange(len(starts))
        self._records += len(starts)
        fast = _fast_lines(array, first, stop)
        keys, usable = _keys(data, array, first[fast], stop[fast])
        fast[np.flatnonzero(fast)[~usable]] = False
        for k in np.flatnonzero(~fast).tolist():
            self.odd.append(bytes(data[first[k] : stop[k]]))
            self._odd_numbers.append(int(numbers[k]))
        first, stop = first[fast], stop[fast]
        view = memoryview(data)
        digest = xxhash.xxh3_128_digest
        hashes = b"".join(
            [digest(view[a:b]) for a, b in zip(first.tolist(), stop.tolist(), strict=True)]
        )
        self._parts.append(
            Entries(
                keys,
                np.full(len(first), self.source, dtype=np.int32),
                base + first,
                stop - first,
                np.frombuffer(hashes, dtype=np.uint64).reshape(-1, 2),
                np.zeros(len(first), dtype=bool),
            )
        )
        self._numbers.append(numbers[fast])


def _line_ends(data: bytes, lo: int, hi: int) -> np.ndarray:
    """Where the lines of data[lo:hi] end (its "\\n"s): a search from one to the next finds
    them three times as fast as comparing every byte, on lines of kilobytes."""
    find = data.find
    found = []
    at = find(b"\n", lo, hi)
    while at >= 0:
        found.append(at)
        at = find(b"\n", at + 1, hi)
    return np.array(found, dtype=np.int64)


def _record_lines(array: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per line: six spaces, then something else than a space."""
    ok = ends - starts > len(_INDENT)
    at = np.where(ok, starts, 0)
    last = len(array) - 1
    for i in range(len(_INDENT)):
        ok &= array[np.minimum(at + i, last)] == 32
    return ok & (array[np.minimum(at + len(_INDENT), last)] != 32)


def _fast_lines(array: np.ndarray, first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Records read by their start: `{"EvseID": "` first. (Whether the text after it is
    what the record's EvseID is, an escape or a second EvseID key aside, is confirmed for
    every line that is not a new record's to the byte: see `Entries.verify`.)"""
    head = _FAST[len(_INDENT) :]
    fast = first + len(head) < stop
    at = np.where(fast, first, 0)
    last = len(array) - 1
    for i, byte in enumerate(head):
        fast &= array[np.minimum(at + i, last)] == byte
    return fast


def _keys(
    data: bytes, array: np.ndarray, first: np.ndarray, stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The normalised EvseIDs of records read by their start, and which can be used (a text
    that is not blank, valid UTF-8)."""
    begin = first + len(_FAST) - len(_INDENT)
    if not len(begin):
        return np.zeros(0, dtype=object), np.zeros(0, dtype=bool)
    # The closing quote, if within KEY_BYTES (a longer EvseID is read the long way).
    find = data.find
    end = np.array(
        [find(b'"', b, b + KEY_BYTES) for b in begin.tolist()], dtype=np.int64
    )
    closed = (end >= 0) & (end < stop)
    end = np.where(closed, end, begin)
    lengths = (end - begin).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    gather = np.repeat(begin - offsets[:-1], lengths) + np.arange(int(offsets[-1]))
    texts = pa.LargeStringArray.from_buffers(
        len(begin), pa.py_buffer(offsets.tobytes()), pa.py_buffer(array[gather].tobytes())
    )
    try:
        texts.validate(full=True)
    except pa.ArrowInvalid:
        return np.zeros(0, dtype=object), np.zeros(len(begin), dtype=bool)
    usable = closed & ~np.asarray(pc.match_substring_regex(texts, BLANK_TEXT))
    keys = np.asarray(normalise_ids(texts).to_numpy(zero_copy_only=False), dtype=object)
    return keys[usable], usable
