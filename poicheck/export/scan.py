"""One pass over a request body in the layout poicheck writes, without parsing its records
(issue 22): per record line its key (the normalised EvseID at the line's start), where the
line is and a 128-bit hash of it; a line that does not start with a plain EvseID is kept to
be parsed (`poicheck.export.previous`). The file's sha256 is computed on the way.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from poicheck.export.values import BLANK_TEXT
from poicheck.files.user import read_head
from poicheck.oicp.identifiers import normalise_ids
from poicheck.readers.json import NotJSONError, loads

CHUNK = 32 << 20  # bytes read at once
KEY_BYTES = 64  # the longest EvseID read from a line's start
_HEADER = re.compile(
    rb'\{\n  "ActionType": ([^\n]*),\n  "OperatorEvseData": \{\n    "OperatorID": ([^\n]*),\n'
    rb'    "OperatorName": ([^\n]*),\n    "EvseDataRecord": (\[\]?)\n'
)
_INDENT = b"      "
_FAST = _INDENT + b'{"EvseID": "'


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
        return Entries(*(getattr(self, f)[index] for f in FIELDS))

    @classmethod
    def concat(cls, parts: Sequence[Entries]) -> Entries:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS))

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


FIELDS = ("keys", "source", "offset", "length", "hashes", "rebuilt")


class NotStreamableError(Exception):
    """The file is not in poicheck's layout (or a line of it is not JSON): read it whole."""


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


def header(path: Path) -> tuple[Any, ...] | None:
    """ActionType, OperatorID, OperatorName and where the records start, if `path` is a
    regular file that starts as poicheck writes a request; else None."""
    head = read_head(path, 1 << 16)
    if head is None:
        return None
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


class Scan:
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
            raise NotStreamableError
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
            raise NotStreamableError

    def _records_of(
        self, data: bytes, array: np.ndarray, starts: np.ndarray, ends: np.ndarray, base: int
    ) -> None:
        """Record lines; `base` + a place in `data` is the place in the file."""
        if not len(starts):
            return
        comma = array[ends - 1] == ord(",")
        if self._comma is False or not comma[:-1].all():
            raise NotStreamableError  # a record line without its comma before another record
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
    end = np.array([find(b'"', b, b + KEY_BYTES) for b in begin.tolist()], dtype=np.int64)
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
