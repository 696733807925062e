"""Checks of a snapshot index (poicheck.export.index) against its snapshot."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from poicheck.export.model import INDEX, MANIFEST, SNAPSHOT
from poicheck.export.scan import Scan, header

LINE_COLUMNS = ["key", "offset", "length", "hash0", "hash1"]


def index_table(data: bytes) -> pa.Table:
    return ipc.open_file(pa.py_buffer(data)).read_all()


def scanned(snapshot: bytes) -> dict[str, list[Any]]:
    """What a scan of the snapshot reads per line (key, place, hash), as index columns."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / SNAPSHOT
        path.write_bytes(snapshot)
        found = header(path)
        if found is None:  # a request without records: "[]"
            return {name: [] for name in LINE_COLUMNS}
        scan = Scan(path, 0, found[-1])
        entries = scan.run()
        assert not scan.odd, "every line of poicheck's snapshot is read by its start"
    return {
        "key": list(entries.keys),
        "offset": entries.offset.tolist(),
        "length": entries.length.tolist(),
        "hash0": entries.hashes[:, 0].tolist(),
        "hash1": entries.hashes[:, 1].tolist(),
    }


def check_index(outputs: dict[str, bytes]) -> None:
    """The index says of each line what a scan of the snapshot reads, and the manifest
    names it with its sha256."""
    index = index_table(outputs[INDEX])
    assert index.select(LINE_COLUMNS).to_pydict() == scanned(outputs[SNAPSHOT])
    meta = index.schema.metadata
    manifest = json.loads(outputs[MANIFEST])
    assert meta[b"snapshot_sha256"].decode() == manifest["snapshot"]["sha256"]
    assert manifest["snapshot"]["index"]["sha256"] == hashlib.sha256(outputs[INDEX]).hexdigest()
    cells = np.stack([index["cells0"].to_numpy(), index["cells1"].to_numpy()], axis=1)
    assert cells.shape == (len(index), 2)


def without_index(outputs: dict[str, bytes]) -> dict[str, Any]:
    """The outputs with the index checked and set aside: what built each line (known
    only to some ways of building) aside, two exports are compared by their bytes."""
    out: dict[str, Any] = dict(outputs)
    if INDEX in out:
        check_index(outputs)
        out[INDEX] = index_table(out[INDEX]).select(LINE_COLUMNS).to_pydict()
        manifest = json.loads(out[MANIFEST])
        manifest["snapshot"].pop("index")
        out[MANIFEST] = manifest
    return out
