"""Request bodies, batches, the manifest: the bytes an export writes.

Serialisation is deterministic (same input, same bytes): UTF-8 without escapes, two-space
indentation, keys in data-model order, no timestamps anywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from poicheck.export.model import (
    FULL_LOAD,
    MANIFEST_VERSION,
    SNAPSHOT,
    Changes,
    Excluded,
    PayloadFile,
    Review,
)
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.schema import SchemaValidator
from poicheck.version import __version__

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
        body = [
            "      " + json.dumps(record, ensure_ascii=False, allow_nan=False) for record in records
        ]
        lines.append(",\n".join(body))
        lines.append("    ]")
    lines += ["  }", "}"]
    return ("\n".join(lines) + "\n").encode()


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


def batches(records: Sequence[Record], size: int) -> Iterator[Sequence[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def payload_files(
    parts: Sequence[tuple[str, Sequence[Record]]],
    operator: tuple[str, str],
    validator: SchemaValidator,
    source_of: Callable[[Record], tuple[str, int | None]] | None = None,
) -> tuple[PayloadFile, ...]:
    """One validated, serialised file per (action, records), numbered in sending order;
    `source_of` tells where a record came from (PayloadFile.sources)."""
    width = max(4, len(str(len(parts))))
    files = []
    for number, (action, records) in enumerate(parts, start=1):
        document = request(action, *operator, records)
        problems = validator.errors(document)
        if problems:  # every record was checked alone already: this is a bug, not bad data
            raise RuntimeError(
                f"payload {number} ({action}) does not fit poicheck's own schema: "
                + "; ".join(problems)
            )
        name = f"{number:0{width}d}-{action}.json"
        sources = tuple(source_of(r) for r in records) if source_of else ()
        files.append(PayloadFile(name, action, len(records), request_bytes(document), sources))
    return tuple(files)


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
    snapshot: bytes | None,
    snapshot_records: int,
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
                "sha256": hashlib.sha256(snapshot).hexdigest(),
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
