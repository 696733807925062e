"""Request bodies, batches, the manifest: the bytes an export writes.

Serialisation is deterministic (same input, same bytes): UTF-8 without escapes, two-space
indentation, keys in data-model order, no timestamps anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from poicheck.export.model import (
    FULL_LOAD,
    INDEX,
    MANIFEST_VERSION,
    SNAPSHOT,
    Changes,
    Excluded,
    PayloadFile,
    Review,
)
from poicheck.ruleset.model import RuleSet
from poicheck.version import __version__

if TYPE_CHECKING:
    from poicheck.export.body import Body

Record = dict[str, Any]
SEND = (
    "Push the files in the order listed, one at a time: each only after Hubject acknowledged "
    "the previous one (02 eRoamingPushEvseData: pushes MUST be sequential, never parallel)."
)


def to_bytes(document: Any) -> bytes:
    """JSON as poicheck writes it: UTF-8, indented, a final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()


def request_bytes(document: dict[str, Any]) -> bytes:
    """A request body with one EvseDataRecord per line.

    The envelope is indented like `to_bytes`; each record is one line (json's C encoder, about
    20 times faster than indented output, which matters at 100,000 records), so a changed
    record is a changed line in a diff and `grep` finds an EVSE with its whole record.
    """
    data = document["OperatorEvseData"]
    records = data["EvseDataRecord"]
    lines = [
        "{",
        f'  "ActionType": {_scalar(document["ActionType"])},',
        '  "OperatorEvseData": {',
        f'    "OperatorID": {_scalar(data["OperatorID"])},',
        f'    "OperatorName": {_scalar(data["OperatorName"])},',
    ]
    if not records:
        lines.append('    "EvseDataRecord": []')
    else:
        lines.append('    "EvseDataRecord": [')
        body = ["      " + record_text(record) for record in records]
        lines.append(",\n".join(body))
        lines.append("    ]")
    lines += ["  }", "}"]
    return ("\n".join(lines) + "\n").encode()


def record_text(record: Record) -> str:
    """One EvseDataRecord as its line in a request (without the indentation)."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def request(
    action: str, operator_id: str, operator_name: str, records: Sequence[Record]
) -> dict[str, Any]:
    """An eRoamingPushEvseData request body (02 eRoamingPushEvseData Message)."""
    return {
        "ActionType": action,
        "OperatorEvseData": {
            "OperatorID": operator_id,
            "OperatorName": operator_name,
            "EvseDataRecord": list(records),
        },
    }


def runs(files: Sequence[str], table: np.ndarray, rows: np.ndarray) -> tuple[dict[str, Any], ...]:
    """`source_runs` of records given by their file (a number into `files`) and row: records
    from consecutive rows of one file are one run."""
    if not len(table):
        return ()
    names = {name: number for number, name in enumerate(dict.fromkeys(files))}
    file = np.array([names[name] for name in files], dtype=np.int64)[np.asarray(table)]
    rows = np.asarray(rows)
    new = np.ones(len(file), dtype=bool)
    new[1:] = (file[1:] != file[:-1]) | (rows[1:] != rows[:-1] + 1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(table)))
    return tuple(
        {"file": files[int(t)], "row": int(r), "records": int(n)}
        for t, r, n in zip(np.asarray(table)[starts], rows[starts], counts, strict=True)
    )


def previous_runs(records: int) -> tuple[dict[str, Any], ...]:
    """The runs of `records` deletes planned from the previous state."""
    return ({"file": "(previous)", "row": None, "records": records},) if records else ()


def snapshot_bytes(operator: tuple[str, str], records: Sequence[Record]) -> bytes:
    """The state after the push, as the fullLoad request that would produce it."""
    return request_bytes(request(FULL_LOAD, *operator, records))


def manifest_bytes(
    *,
    ruleset: RuleSet,
    operator: tuple[str, str],
    sub_operator_ids: Sequence[str],
    geo_format: str,
    mode: str,
    files: Sequence[PayloadFile],
    snapshot: Body | None,
    snapshot_records: int,
    index: Body | None = None,
    counts: dict[str, int],
    changes: Changes | None,
    sources: Sequence[dict[str, Any]],
    previous: Sequence[str],
    left_out: Sequence[Excluded],
    included_invalid: Sequence[Excluded],
    notes: Sequence[str],
    review: Review,
) -> bytes:
    """manifest.json: the files in sending order, what was left out, and the snapshot."""
    document = {
        "manifest_version": MANIFEST_VERSION,
        "tool": {
            "name": "poicheck",
            "version": __version__,
            "ruleset": ruleset.name,
            "ruleset_version": ruleset.version,
        },
        "operator": {
            "OperatorID": operator[0],
            "OperatorName": operator[1],
            "sub_operator_ids": list(sub_operator_ids),
        },
        "geo_format": geo_format,
        "mode": mode,
        "send": SEND,
        "files": [f.entry() for f in files],
        "records": counts,
        "changes": changes.as_dict() if changes else None,
        "snapshot": (
            {
                "file": SNAPSHOT,
                "records": snapshot_records,
                "sha256": snapshot.sha256,
                **({"index": {"file": INDEX, "sha256": index.sha256}} if index else {}),
            }
            if snapshot is not None
            else None
        ),
        "sources": list(sources),
        "previous": list(previous),
        "left_out": [e.as_dict() for e in left_out],
        "included_with_errors": [e.as_dict() for e in included_invalid],
        "review": review.as_dict(),
        "notes": list(notes),
    }
    return to_bytes(document)
