"""The index of a snapshot (issue 22): what a delta needs of the previous state, without
reading two gigabytes of record lines and without building the records that did not change.

Every export that writes `snapshot.json` writes `snapshot-index.arrow` beside it (an Arrow IPC
file, named with its sha256 in the manifest). Per record line of the snapshot, in order:
- what `poicheck.export.scan` reads from the line itself: its key (the normalised EvseID),
  offset, length and 128-bit hash (xxh3);
- what built it: a 128-bit hash of the cells the line was built from (`cell_hashes`; zero
  where the line was not built from cells, e.g. a previous record rebuilt), and whether the
  record reads back as itself (`poicheck.export.fixed`).

The cells decide the line: the same cells, built by the same poicheck with the same rule
files and notation (the `fingerprint`), give the same line, which fit the schema when it
was exported. So a new record whose key and cell hash are those of a previous line is that
line, to the byte: it is not built or checked again, and the delta takes its line from the
previous snapshot (`Borrowed`). Only new and changed records are built.

The index is a cache: it is used only when its sha256 and the snapshot's are those the
manifest names. Missing, or not matching, the snapshot is read line by line as before.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import xxhash

from poicheck.errors import InputError, PoicheckError
from poicheck.export.body import Body, _buffer
from poicheck.export.scan import Entries
from poicheck.files.user import read_regular, regular_sha256
from poicheck.table import Distinct
from poicheck.version import __version__

FORMAT = "poicheck snapshot index 1"
MAX_INDEX_BYTES = 1 << 30  # 4 GB of snapshot has an index of about 150 MB
MAX_SNAPSHOT_BYTES = 1 << 40  # a snapshot is read in pieces, as the scan reads it: no limit


def fingerprint(ruleset: Any, geo_format: str, schema: Mapping[str, Any]) -> str:
    """What besides the cells decides a line: poicheck (its version and code), the rule
    files (their bytes), the notation and the record schema."""
    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{geo_format}|{ruleset.name}|".encode())
    digest.update(_code())
    digest.update(str(ruleset.version).encode())
    for name in ruleset.files:
        try:
            digest.update(hashlib.sha256(Path(name).read_bytes()).digest())
        except OSError:
            digest.update(b"?" + str(name).encode())
    digest.update(json.dumps(schema, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@functools.cache
def _code() -> bytes:
    """A digest of poicheck's own modules: a development copy changed without a new version
    number makes other lines (some 200 files, a few milliseconds)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()


def cell_hashes(cells: Mapping[str, Distinct], size: int) -> np.ndarray:
    """Per row, a 128-bit hash of its cells (two uint64): the sum, per filled cell, of a hash
    of its text seeded by its column's name and place; plus a hash of the column list, so
    that the same cells in a table of other columns count as other cells."""
    out = np.zeros((size, 2), dtype=np.uint64)
    taken = np.empty(size, dtype="V16")  # both halves of a hash taken at once: twice as fast
    for place, (name, column) in enumerate(cells.items()):
        seed = xxhash.xxh3_64_intdigest(f"{place}\x1f{name}".encode())
        values = _value_hashes(column.values, seed)
        # One zero more at the end: an empty cell's number, -1, takes it.
        values = np.concatenate([values, np.zeros((1, 2), dtype=np.uint64)])
        np.take(values.view("V16").reshape(-1), column.codes, out=taken)
        out += taken.view(np.uint64).reshape(size, 2)
    names = "\x1f".join(cells).encode()
    return out + np.frombuffer(xxhash.xxh3_128_digest(names), dtype=np.uint64)


def _value_hashes(values: pa.Array, seed: int) -> np.ndarray:
    """xxh3-128 of each value's UTF-8 bytes (seeded), as two uint64; zero for a null."""
    if not len(values):
        return np.zeros((0, 2), dtype=np.uint64)
    values = values.cast(pa.large_string())
    data, starts = _buffer(values)
    ends = np.append(starts[1:], len(data))
    view = memoryview(data)
    digest = xxhash.xxh3_128_digest
    joined = b"".join(
        [digest(view[a:b], seed) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    )
    out = np.frombuffer(joined, dtype=np.uint64).reshape(-1, 2).copy()
    if values.null_count:
        out[np.asarray(values.is_null())] = 0
    return out


@dataclass
class Built:
    """What built each line of a state, in the state's order."""

    cells: np.ndarray  # (n, 2) uint64, zero where unknown
    fixed: np.ndarray  # bool
    fingerprint: str

    def take(self, index: np.ndarray) -> Built:
        return Built(self.cells[index], self.fixed[index], self.fingerprint)


@dataclass
class Borrowed:
    """The previous lines a new record may take as its own: by key, the line's place and
    hash, and what built it."""

    keys: pa.Array
    entries: Entries
    built: Built
    sources: list[Body]

    def match(self, keys: pa.Array, cells: np.ndarray) -> np.ndarray:
        """Per new record (its key and cell hash), the previous entry whose line it is, or -1."""
        at = pc.index_in(keys, value_set=self.keys).fill_null(-1).to_numpy()
        found = np.flatnonzero(at >= 0)
        previous = self.built.cells[at[found]]
        same = (previous == cells[found]).all(1) & previous.any(1)
        out = np.full(len(keys), -1, dtype=np.int64)
        out[found[same]] = at[found[same]]
        return out


def index_table(
    keys: pa.Array | np.ndarray,
    places: tuple[np.ndarray, np.ndarray],
    hashes: np.ndarray,
    built: Built,
) -> pa.Table:
    """Per line of a snapshot its key, place (offset, length), hash, and what built it."""
    offset, length = places
    return pa.table(
        {
            "key": pa.array(keys, type=pa.large_string()),
            "offset": pa.array(offset, type=pa.int64()),
            "length": pa.array(length, type=pa.int64()),
            "hash0": pa.array(hashes[:, 0], type=pa.uint64()),
            "hash1": pa.array(hashes[:, 1], type=pa.uint64()),
            "cells0": pa.array(built.cells[:, 0], type=pa.uint64()),
            "cells1": pa.array(built.cells[:, 1], type=pa.uint64()),
            "fixed": pa.array(built.fixed, type=pa.bool_()),
        }
    )


def index_body(table: pa.Table, made: str, snapshot: Body) -> Body:
    """The index file of `snapshot`: `index_table`, and what it was made by and for."""
    metadata = {
        "format": FORMAT,
        "fingerprint": made,
        "snapshot_sha256": snapshot.sha256,
        "snapshot_size": str(snapshot.size),
    }
    sink = io.BytesIO()
    with ipc.new_file(sink, table.schema.with_metadata(metadata)) as writer:
        writer.write_table(table, max_chunksize=1 << 20)
    return Body.of(sink.getvalue())


@dataclass
class Loaded:
    """A snapshot read through its index."""

    path: Path
    entries: Entries  # source 0: the snapshot
    built: Built
    size: int
    keys: pa.Array  # entries.keys as read


def load_index(base: Path, manifest: Mapping[str, Any]) -> Loaded | str | None:
    """The snapshot a manifest names, by its index: None without an index, a note when the
    index cannot be used (the snapshot is then read line by line)."""
    snapshot = manifest.get("snapshot")
    entry = snapshot.get("index") if isinstance(snapshot, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        return None
    assert isinstance(snapshot, dict)
    path = base / entry["file"]
    try:
        data = read_regular(path, MAX_INDEX_BYTES, error=InputError)
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            return f"{path} was changed after it was exported; the snapshot is read in full"
        table = ipc.open_file(pa.py_buffer(data)).read_all()
    except (PoicheckError, pa.ArrowException):
        return f"{path} cannot be read; the snapshot is read in full"
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    target = base / str(snapshot.get("file"))
    if (
        meta.get("format") != FORMAT
        or meta.get("snapshot_sha256") != snapshot.get("sha256")
        or not _plausible(table, meta, target)
    ):
        return f"{path} does not describe {target.name}; the snapshot is read in full"
    hashes = np.stack([_numbers(table, "hash0"), _numbers(table, "hash1")], axis=1)
    cells = np.stack([_numbers(table, "cells0"), _numbers(table, "cells1")], axis=1)
    size = len(table)
    keys = table["key"].combine_chunks()
    entries = Entries(
        np.asarray(keys.to_numpy(zero_copy_only=False), dtype=object),
        np.zeros(size, dtype=np.int32),
        table["offset"].to_numpy().astype(np.int64),
        table["length"].to_numpy().astype(np.int64),
        hashes,
        np.zeros(size, dtype=bool),
    )
    fixed = np.asarray(table["fixed"].to_numpy(zero_copy_only=False), dtype=bool)
    built = Built(cells, fixed, meta.get("fingerprint", ""))
    return Loaded(target, entries, built, int(meta["snapshot_size"]), keys)


def _numbers(table: pa.Table, name: str) -> np.ndarray:
    return table[name].to_numpy().astype(np.uint64)


def _plausible(table: pa.Table, meta: dict[str, str], snapshot: Path) -> bool:
    """The columns are there, and every line lies within the snapshot, which has the size
    the index says (its sha256 is checked as it is read)."""
    wanted = {"key", "offset", "length", "hash0", "hash1", "cells0", "cells1", "fixed"}
    if not wanted <= set(table.column_names) or table["key"].null_count:
        return False
    try:
        size = int(meta.get("snapshot_size", ""))
        if os.path.getsize(snapshot) != size:
            return False
    except (OSError, ValueError):
        return False
    offset = table["offset"].to_numpy()
    length = table["length"].to_numpy()
    inside = (offset >= 0) & (length > 0) & (offset + length <= size)
    return bool(inside.all())


def file_sha256(path: Path) -> str | None:
    """The sha256 of a regular file, read in pieces (None if it cannot be read)."""
    try:
        return regular_sha256(path, MAX_SNAPSHOT_BYTES, error=InputError)
    except PoicheckError:
        return None
