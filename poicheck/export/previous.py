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

import functools
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xxhash

from poicheck.engine import workers
from poicheck.errors import InputError
from poicheck.export.body import Body
from poicheck.export.index import Built, Loaded, file_sha256, load_index
from poicheck.export.model import DELETE, FULL_LOAD, INSERT, UPDATE
from poicheck.export.scan import FIELDS, Entries, NotStreamableError, Scan
from poicheck.export.scan import header as scan_header
from poicheck.export.snapshot import (
    PreviousReader,
    _load_json,
    _records,
    manifest_files,
    not_previous,
)
from poicheck.export.values import SEPARATOR
from poicheck.oicp.convert import Builder
from poicheck.readers.json import NotJSONError, loads

_SEPARATOR = SEPARATOR
SMALL = 16 << 20  # a previous file not in poicheck's layout that is read in a forked process


class Checks:
    """The sha256 of files, compared with what they should be, beside the export's own work:
    in a forked process that runs only on a core the export leaves idle (two gigabytes take
    a core for 1.5 s), or in a thread where there is no forking."""

    def __init__(self, files: Sequence[tuple[Path, str]]) -> None:
        self.files = list(files)
        compute = functools.partial(_changed_files, self.files)
        self.changed: list[Path] = []
        self._forked: workers.Forked[list[Path]] | None = None
        self._thread: threading.Thread | None = None
        if workers.can_fork():
            self._forked = workers.Forked(compute, nice=19)
        else:
            self._thread = threading.Thread(target=lambda: self.changed.extend(compute()))
            self._thread.start()

    def result(self) -> None:
        if self._forked is not None:
            self.changed = self._forked.result()
            self._forked = None
        elif self._thread is not None:
            self._thread.join()
        if self.changed:
            raise InputError(
                "was changed after it was exported (its sha256 differs from the manifest's)",
                location=str(self.changed[0]),
            )


def _changed_files(files: list[tuple[Path, str]]) -> list[Path]:
    return [path for path, sha256 in files if file_sha256(path) != sha256]


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
    built: Built | None = None  # what built each line, for a state read by its index
    # Files read by their index, and the sha256 the manifest gives them: checked in a thread
    # beside the building and planning (`check_later`), before the export is done (`checked`).
    unverified: list[tuple[Path, str]] = field(default_factory=list)
    _checking: Checks | None = field(default=None, repr=False, compare=False)
    _keys: pa.Array | None = field(default=None, repr=False, compare=False)

    def check_later(self, started: Checks | None = None) -> None:
        """Start checking the files read by their index against their sha256 (or take the
        checks `started` already, if they check these files)."""
        if self._checking is None and self.unverified:
            same = started is not None and started.files == self.unverified
            self._checking = started if same else Checks(self.unverified)

    def checked(self) -> None:
        """InputError where a file read by its index was changed after it was exported."""
        self.check_later()
        if self._checking is not None:
            self._checking.result()

    def __len__(self) -> int:
        return len(self.entries)

    def key_array(self) -> pa.Array:
        """The keys as a pyarrow array (made once per state: a million keys take 0.2 s)."""
        if self._keys is None or len(self._keys) != len(self.entries):
            self._keys = pa.array(self.entries.keys, type=pa.large_string())
        return self._keys

    def replace(self, entries: Entries, built: Built | None = None) -> None:
        self._keys = None
        self.entries = entries.unique()
        self.known = True
        self.built = built if len(self.entries) == len(entries) else None

    def put(self, entries: Entries) -> None:
        """Insert or update: a known key keeps its place, a new one goes last."""
        self._keys = None
        entries = entries.unique()
        self.built = None
        at = pd.Index(self.entries.keys).get_indexer(entries.keys)
        old = at >= 0
        state = self.entries
        for name in FIELDS[1:]:
            getattr(state, name)[at[old]] = getattr(entries, name)[old]
        self.entries = Entries.concat([state, entries.take(np.flatnonzero(~old))])

    def delete(self, keys: np.ndarray) -> None:
        self._keys = None
        gone = pd.Index(self.entries.keys).isin(keys)
        kept = np.flatnonzero(~gone)
        self.entries = self.entries.take(kept)
        self.built = self.built.take(kept) if self.built is not None else None


def indexed(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """The snapshots that manifests among the previous files name with an index, with the
    sha256 the manifest gives them."""
    found = []
    for path in paths:
        if scan_header(path) is not None or not os.path.isfile(path):
            continue
        try:
            if os.path.getsize(path) > SMALL:
                continue
            document = json.loads(Path(path).read_bytes())
        except (OSError, ValueError, RecursionError):
            continue
        snapshot = document.get("snapshot") if isinstance(document, dict) else None
        if isinstance(snapshot, dict) and isinstance(snapshot.get("index"), dict):
            found.append(
                (Path(path).parent / str(snapshot.get("file")), str(snapshot.get("sha256")))
            )
    return found


def streamed(paths: Sequence[Path], depth: int = 0) -> bool:
    """Whether the previous files are read line by line (poicheck's layout), or are small;
    a manifest counts as the files it names."""
    for path in paths:
        if scan_header(path) is not None:
            continue
        if not os.path.isfile(path):  # not a regular file: reported where it is read
            continue
        try:
            if os.path.getsize(path) > SMALL:
                return False
            document = json.loads(Path(path).read_bytes())
        except (OSError, ValueError, RecursionError):
            continue  # reported where it is read
        if isinstance(document, dict) and "files" in document and depth == 0:
            named = [document.get("snapshot") or {}, *document.get("files", [])]
            files = [
                path.parent / str(entry["file"])
                for entry in named
                if isinstance(entry, dict) and isinstance(entry.get("file"), str)
            ]
            if not streamed(files[:1] if named[0] else files, depth + 1):
                return False
    return True


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
        header = scan_header(path) if self.stream else None
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
            raise not_previous(path)

    def _manifest(self, path: Path, manifest: dict[str, Any]) -> None:
        if self.stream and self._indexed(path, manifest):
            return
        for file, sha256 in manifest_files(path, manifest, self.state.notes):
            self._read_path(file, sha256)

    def _indexed(self, path: Path, manifest: dict[str, Any]) -> bool:
        """The manifest's snapshot read by its index (`poicheck.export.index`); False where
        the index is not there or not usable. Its sha256 is checked later (`unverified`)."""
        loaded = load_index(path.parent, manifest)
        if isinstance(loaded, str):
            self.state.notes.append(loaded)
        if not isinstance(loaded, Loaded):
            return False
        header = scan_header(loaded.path)
        snapshot = manifest["snapshot"]
        if header is None or header[0] != FULL_LOAD:
            return False  # read line by line, which says what is wrong
        self.state.unverified.append((loaded.path, str(snapshot["sha256"])))
        self.reader._operator(loaded.path, {"OperatorID": header[1], "OperatorName": header[2]})
        entries = loaded.entries
        entries.source[:] = len(self.state.sources)
        self.state.sources.append(Body(loaded.size, snapshot["sha256"], None, loaded.path))
        self._apply(loaded.path, FULL_LOAD, entries)
        if len(self.state.entries) == len(entries):  # no key twice: as the index has them
            self.state.built = loaded.built
            self.state._keys = loaded.keys
        return True

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

    def _memory(
        self, lines: MemoryLines, keys: list[str], places: list[tuple[int, int]]
    ) -> Entries:
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
        scan = Scan(path, len(self.state.sources), start)
        try:
            found = scan.run()
        except NotStreamableError:
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
            except NotStreamableError:
                self.state.sources.pop()
                del self.state.notes[noted:]
                return False
        order = np.argsort(np.concatenate([scan.index, scan.odd_index]), kind="stable")
        self._apply(path, action, Entries.concat(parts).take(order))
        return True

    def _odd(self, path: Path, scan: Scan) -> Entries:
        """Lines that are not read by their start: parsed and rebuilt one by one."""
        lines = MemoryLines()
        keys, places, index = [], [], []
        for number, raw in zip(scan.odd_index.tolist(), scan.odd, strict=True):
            try:
                record = loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, RecursionError, json.JSONDecodeError, NotJSONError):
                raise NotStreamableError from None  # the whole file's read says it exactly
            for key, rebuilt in self.reader._rebuild(path, [record], number).items():
                text = json.dumps(rebuilt, ensure_ascii=False, allow_nan=False).encode()
                keys.append(key)
                places.append(lines.add(text))
                index.append(number)
        scan.odd_index = np.array(index, dtype=np.int64)
        return self._memory(lines, keys, places)
