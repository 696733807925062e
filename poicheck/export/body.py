"""Request bodies written as a stream, with their sha256, into a spool (issue 22).

A fullLoad of a million records is some 2 GB of JSON: it is written record line by record line
as the records are built, never held whole. The bytes are those of
`poicheck.export.payload.request_bytes` (the envelope indented, one EvseDataRecord per line).
Each record's place in its file is kept (`Lines`), so that a record can be read back (a delta
compares the few records that changed) and a file assembled from records of others.

Bodies live in a spool directory that goes away with the export that holds it; a small body is
kept in memory instead. `poicheck.files.outdir` links (or copies) a spooled body into the output.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import queue
import shutil
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.export.values import SEPARATOR, TEXT

IN_MEMORY = 8 << 20  # the bodies of one export up to this size together stay in memory
# Pieces written are handed to the writing and hashing threads in blocks of at least this
# many bytes: a delta's snapshot is some 20,000 runs and separators, each handed on alone
# before (two thread wake-ups each, 0.5 s).
HAND_ON = 4 << 20
_SEPARATOR = SEPARATOR


class Spool:
    """A private directory for bodies too large to keep in memory; removed with this object
    (or at exit)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self._directory = directory
        self._path: Path | None = None
        self._count = 0
        self.in_memory = 0  # bytes of this export's bodies held in memory

    def new_file(self) -> Path:
        if self._path is None:
            try:
                path = tempfile.mkdtemp(prefix=".poicheck-export-", dir=self._directory)
            except OSError:  # not writable there: writing the output says so, later
                path = tempfile.mkdtemp(prefix=".poicheck-export-")
            self._path = Path(path)
            weakref.finalize(self, shutil.rmtree, self._path, ignore_errors=True)
        self._count += 1
        return self._path / f"{self._count:06d}.json"


@dataclass(eq=False)
class Body:
    """The bytes of one written file: in memory, or in a spool file (kept alive by `spool`)."""

    size: int
    sha256: str
    data_: bytes | None = None
    path: Path | None = None
    spool: Spool | None = field(default=None, repr=False)

    def read(self) -> bytes:
        if self.data_ is not None:
            return self.data_
        assert self.path is not None
        return self.path.read_bytes()

    def read_range(self, offset: int, length: int) -> bytes:
        if self.data_ is not None:
            return self.data_[offset : offset + length]
        assert self.path is not None
        with self.path.open("rb") as stream:
            stream.seek(offset)
            return stream.read(length)

    def source(self) -> bytes | Path:
        """What poicheck.files.outdir writes: the bytes, or the spool file to link or copy."""
        if self.data_ is not None:
            return self.data_
        assert self.path is not None
        return self.path

    @classmethod
    def of(cls, data: bytes) -> Body:
        return cls(len(data), hashlib.sha256(data).hexdigest(), data)


class _Stage:
    """`use(data)` for each piece of data, in a thread of its own (hashing and writing let go
    of the interpreter lock: they run beside the building of the next records, and beside
    each other)."""

    def __init__(self, use: Callable[[bytes | memoryview], Any]) -> None:
        self._use = use
        self._queue: queue.Queue[bytes | memoryview | None] = queue.Queue(maxsize=4)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._failed is None:
                try:
                    self._use(data)
                except BaseException as exc:  # re-raised in the writing thread
                    self._failed = exc

    def put(self, data: bytes | memoryview) -> None:
        if self._failed is not None:
            raise self._failed
        self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._failed is not None:
            raise self._failed


class _Writer:
    """Bytes to a spool file (or memory, while they are few), hashed on the way."""

    def __init__(self, spool: Spool, *, hashed: bool = True) -> None:
        self.spool = spool
        self.hash: Any = hashlib.sha256() if hashed else _NoHash()
        self.size = 0
        self._memory: list[bytes] | None = []
        self._path: Path | None = None
        self._stream: Any = None
        self._stages: list[_Stage] = []
        self._pending: list[bytes | memoryview] = []  # small pieces, handed on together
        self._pending_size = 0

    def write(self, data: bytes | memoryview) -> None:
        if not data:
            return
        self.size += len(data)
        if self._memory is not None:
            self.hash.update(data)
            self._memory.append(bytes(data))
            self.spool.in_memory += len(data)
            if self.spool.in_memory > IN_MEMORY:
                self._spill()
            return
        if not self._pending and len(data) >= HAND_ON:
            self._hand_on(data)
            return
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= HAND_ON:
            self._hand_on(b"".join(self._pending))

    def _hand_on(self, data: bytes | memoryview) -> None:
        self._pending, self._pending_size = [], 0
        for stage in self._stages:
            stage.put(data)

    def _spill(self) -> None:
        assert self._memory is not None
        self._path = self.spool.new_file()
        self._stream = self._path.open("wb")
        self._stream.write(b"".join(self._memory))
        self.spool.in_memory -= sum(map(len, self._memory))
        self._memory = None
        self._stages = [_Stage(_WriteBack(self._stream).write)]
        if not isinstance(self.hash, _NoHash):
            self._stages.append(_Stage(self.hash.update))

    def close(self) -> Body:
        if self._memory is not None:
            return Body(self.size, self.hash.hexdigest(), b"".join(self._memory))
        if self._pending:
            self._hand_on(b"".join(self._pending))
        try:
            for stage in self._stages:
                stage.close()
        finally:
            self._stream.close()
        return Body(self.size, self.hash.hexdigest(), None, self._path, self.spool)


class _WriteBack:
    """Writes to a file, and has the kernel start writing each 64 MB to disk as it comes
    (Linux sync_file_range): the output is made durable (fsync) before it is put in place,
    and two gigabytes left dirty until then took a second of waiting at the end."""

    STEP = 64 << 20
    WRITE = 2  # SYNC_FILE_RANGE_WRITE: start writing, do not wait

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.written = 0
        self.started = 0  # bytes whose writing to disk was asked for

    def write(self, data: bytes | memoryview) -> None:
        self.stream.write(data)
        self.written += len(data)
        start = _sync_file_range()
        if self.written - self.started >= self.STEP and start is not None:
            self.stream.flush()
            start(self.stream.fileno(), self.started, self.written - self.started, self.WRITE)
            self.started = self.written  # an error is ignored: fsync does it all at the end


@functools.cache
def _sync_file_range() -> Any:
    """libc's sync_file_range (Python's os has none), or None where there is none."""
    if sys.platform != "linux":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


class _NoHash:
    """For a spool nobody reads the sha256 of (a delta's new records)."""

    def update(self, data: bytes | memoryview) -> None:
        pass

    def hexdigest(self) -> str:
        return ""


def envelope(action: str, operator_id: str, operator_name: str) -> bytes:
    """The start of a request body, up to the record list (as request_bytes writes it)."""
    from poicheck.export.payload import _scalar

    lines = [
        "{",
        f'  "ActionType": {_scalar(action)},',
        '  "OperatorEvseData": {',
        f'    "OperatorID": {_scalar(operator_id)},',
        f'    "OperatorName": {_scalar(operator_name)},',
        '    "EvseDataRecord": ',
    ]
    return "\n".join(lines).encode()


@dataclass
class Lines:
    """Where records are: per record its body (a number into `bodies`), offset and length."""

    bodies: list[Body] = field(default_factory=list)
    body: list[np.ndarray] = field(default_factory=list)
    offset: list[np.ndarray] = field(default_factory=list)
    length: list[np.ndarray] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def whole(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        return (
            whole(self.body, np.int32),
            whole(self.offset, np.int64),
            whole(self.length, np.int64),
        )


class RequestWriter:
    """One eRoamingPushEvseData request body, written as its records come."""

    def __init__(
        self, spool: Spool, action: str, operator: tuple[str, str], *, hashed: bool = True
    ) -> None:
        self.writer = _Writer(spool, hashed=hashed)
        self.writer.write(envelope(action, *operator))
        self.records = 0

    def add(self, lines: pa.Array, *, framed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Append records (their JSON texts, each after SEPARATOR if `framed`); their
        offsets and lengths in the body."""
        if not len(lines):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if not framed:
            lines = pc.binary_join_element_wise(
                pa.scalar(_SEPARATOR.decode(), TEXT), lines, pa.scalar("", TEXT)
            )
        data, starts = _buffer(lines)
        if self.records == 0:  # "[\n      " before the first record, ",\n      " after others
            data = b"[" + data[1:]
        at = self.writer.size + starts + len(_SEPARATOR)
        lengths = np.diff(starts, append=len(data)) - len(_SEPARATOR)
        self.writer.write(data)
        self.records += len(lines)
        return at, lengths

    def add_run(self, data: bytes, records: int) -> None:
        """Append `records` records given as one run of their lines, separators between."""
        self.writer.write(b"[\n      " if self.records == 0 else _SEPARATOR)
        self.writer.write(data)
        self.records += records

    def add_bytes(self, records: Sequence[bytes]) -> None:
        """Append records given as bytes (read back from other bodies)."""
        for record in records:
            self.writer.write(b"[\n      " if self.records == 0 else _SEPARATOR)
            self.writer.write(record)
            self.records += 1

    def close(self) -> Body:
        end = b"[]\n  }\n}\n" if self.records == 0 else b"\n    ]\n  }\n}\n"
        self.writer.write(end)
        return self.writer.close()


def _buffer(array: pa.Array) -> tuple[bytes | memoryview, np.ndarray]:
    """The bytes of all values of a string array one after another, and where each starts."""
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    data = memoryview(array.buffers()[2])[start:end]
    return data, offsets[:-1] - start


RUN = 8192  # records read from a body at once


def _runs(body: np.ndarray, offset: np.ndarray, length: np.ndarray) -> Iterator[tuple[int, int]]:
    """(first, stop) of the runs of records that follow each other in one body (at most RUN
    records each)."""
    breaks = np.flatnonzero(
        (body[1:] != body[:-1]) | (offset[1:] != offset[:-1] + length[:-1] + len(_SEPARATOR))
    )
    starts = np.concatenate([[0], breaks + 1]).tolist()
    stops = np.concatenate([breaks + 1, [len(body)]]).tolist()
    for first, stop in zip(starts, stops, strict=True):
        for at in range(first, stop, RUN):
            yield at, min(at + RUN, stop)


class _Opened:
    """Reads ranges of bodies, each spool file opened once (a delta's snapshot is read in
    some ten thousand runs)."""

    def __init__(self, bodies: Sequence[Body]) -> None:
        self.bodies = bodies
        self.handles: dict[int, int] = {}

    def read(self, number: int, offset: int, length: int) -> bytes:
        body = self.bodies[number]
        if body.data_ is not None or body.path is None:
            return body.read_range(offset, length)
        handle = self.handles.get(number)
        if handle is None:
            handle = self.handles[number] = os.open(body.path, os.O_RDONLY)
        data = os.pread(handle, length, offset)
        while len(data) < length:  # a short read, which regular files seldom give
            more = os.pread(handle, length - len(data), offset + len(data))
            if not more:
                raise OSError(f"{body.path} ends before its records")
            data += more
        return data

    def close(self) -> None:
        for handle in self.handles.values():
            os.close(handle)
        self.handles.clear()

    def run(
        self, body: np.ndarray, offset: np.ndarray, length: np.ndarray, run: tuple[int, int]
    ) -> bytes:
        """The bytes of a run of records, with the separators between them."""
        first, stop = run
        base = int(offset[first])
        size = int(offset[stop - 1] + length[stop - 1]) - base
        return self.read(int(body[first]), base, size)


def read_lines(
    bodies: Sequence[Body], body: np.ndarray, offset: np.ndarray, length: np.ndarray
) -> Iterator[bytes]:
    """The records at these places, in this order; a run of records that follow each other
    in one body is read at once."""
    if not len(body):
        return
    opened = _Opened(bodies)
    try:
        for first, stop in _runs(body, offset, length):
            chunk = opened.run(body, offset, length, (first, stop))
            base = int(offset[first])
            for k in range(first, stop):
                at = int(offset[k]) - base
                yield chunk[at : at + int(length[k])]
    finally:
        opened.close()


def write_ranges(
    spool: Spool,
    action: str,
    operator: tuple[str, str],
    places: tuple[Sequence[Body], np.ndarray, np.ndarray, np.ndarray],
) -> tuple[Body, int]:
    """A request of the records at these places (bodies, and per record its body, offset
    and length): runs of records that follow each other are copied whole, separators and
    all."""
    bodies, body, offset, length = places
    writer = RequestWriter(spool, action, operator)
    opened = _Opened(bodies)
    try:
        if len(body):
            for run in _runs(body, offset, length):
                writer.add_run(opened.run(body, offset, length, run), run[1] - run[0])
    finally:
        opened.close()
    return writer.close(), writer.records


def write_records(
    spool: Spool, action: str, operator: tuple[str, str], records: Iterable[bytes]
) -> tuple[Body, int]:
    """A request of records given as bytes; the body and how many records it has."""
    writer = RequestWriter(spool, action, operator)
    batch: list[bytes] = []
    for record in records:
        batch.append(record)
        if len(batch) >= 4096:
            writer.add_bytes(batch)
            batch = []
    writer.add_bytes(batch)
    return writer.close(), writer.records


def link_or_copy(source: Path, target: Path) -> None:
    """`target` with the bytes of `source`: a hard link where the file system has one for
    it, a copy otherwise."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
