"""The previous state for the delta planner, from what was pushed before.

`--previous` takes, in the order given and applied one after another:
- a poicheck manifest (`manifest.json`): the snapshot it names (the state after its files were
  pushed), or else its payload files in order, each checked against its sha256;
- a snapshot (`snapshot.json`, a fullLoad-shaped request) or any fullLoad request: replaces
  the state;
- an insert / update / delete request: applied to the state (the state before the first one
  is taken as empty, and a note says so);
- an OperatorEvseData object or an array of EvseDataRecords: replaces the state.

Every record is rebuilt through the shared conversion (Flattener, then Builder in the chosen
notation), so aliases such as ChargingStationID, the Hubject-assigned deltaType / lastUpdate
and number formatting do not survive into the delete requests or the new snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from poicheck.errors import InputError
from poicheck.export.model import DELETE, FULL_LOAD, INSERT, UPDATE, hubject_assigned
from poicheck.files.limits import MAX_PREVIOUS_BYTES
from poicheck.files.user import read_regular
from poicheck.oicp.convert import Builder, Flattener
from poicheck.oicp.identifiers import normalise_id, normalise_operator_id
from poicheck.readers.json import NotJSONError, loads

Record = dict[str, Any]


@dataclass
class PreviousState:
    """What Hubject holds after the previous pushes: records by normalised EvseID, in order."""

    records: dict[str, Record] = field(default_factory=dict)
    operator_id: str | None = None
    notes: list[str] = field(default_factory=list)
    known: bool = False  # True once a full state (snapshot, fullLoad, record list) was read


class PreviousReader:
    """Reads previous payloads, manifests and snapshots into one PreviousState."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.flattener = Flattener(builder.model.ruleset)
        self.state = PreviousState()

    def read(self, paths: Sequence[Path]) -> PreviousState:
        for path in paths:
            self._read_path(path)
        return self.state

    def _read_path(self, path: Path, expected_sha256: str | None = None) -> None:
        document = _load_json(path, expected_sha256)
        if isinstance(document, dict) and "manifest_version" in document and "files" in document:
            self._manifest(path, document)
        elif isinstance(document, dict) and "OperatorEvseData" in document:
            self._request(path, document)
        elif isinstance(document, dict) and "EvseDataRecord" in document:
            self._operator(path, document)
            self._replace(path, _records(path, document))
        elif isinstance(document, list):
            self._replace(path, document)
        else:
            raise not_previous(path)

    def _manifest(self, path: Path, manifest: dict[str, Any]) -> None:
        for file, sha256 in manifest_files(path, manifest, self.state.notes):
            self._read_path(file, sha256)

    def _request(self, path: Path, document: dict[str, Any]) -> None:
        data = document["OperatorEvseData"]
        if not isinstance(data, dict):
            raise InputError("OperatorEvseData is not an object", location=str(path))
        self._operator(path, data)
        records = _records(path, data)
        action = document.get("ActionType", FULL_LOAD)
        if action == FULL_LOAD:
            self._replace(path, records)
            return
        if action not in (INSERT, UPDATE, DELETE):
            raise InputError(f"unknown ActionType {action!r}", location=str(path))
        if not self.state.known:
            self.state.known = True
            self.state.notes.append(
                f"{path} is an {action} request; the state before it is taken as empty"
            )
        for key, record in self._rebuild(path, records).items():
            if action == DELETE:
                self.state.records.pop(key, None)
            else:
                self.state.records[key] = record

    def _operator(self, path: Path, data: dict[str, Any]) -> None:
        operator_id = data.get("OperatorID")
        if not isinstance(operator_id, str) or not operator_id:
            return
        known = self.state.operator_id
        if known and normalise_operator_id(known) != normalise_operator_id(operator_id):
            raise InputError(
                f"is data of OperatorID {operator_id}, the earlier previous data of {known}",
                location=str(path),
            )
        self.state.operator_id = operator_id

    def _replace(self, path: Path, records: list[Any]) -> None:
        self.state.records = self._rebuild(path, records)
        self.state.known = True

    def _rebuild(self, path: Path, records: list[Any], start: int = 0) -> dict[str, Record]:
        """The records rebuilt, by normalised EvseID (`start`: the index of the first in its
        file, for the note about a record without EvseID)."""
        rebuilt: list[Record] = []
        for index, record in enumerate(records, start):
            cells = self.flattener.flatten(record).cells
            for name in hubject_assigned(self.flattener.model.ruleset):
                cells.pop(name, None)
            if not cells.get("EvseID", "").strip():
                self.state.notes.append(f"{path}: record {index} has no EvseID and is ignored")
                continue
            rebuilt.append(self.builder.build(cells))
        keys = normalise_id(pd.Series([r["EvseID"] for r in rebuilt], dtype="str"))
        return dict(zip((str(k) for k in keys), rebuilt, strict=True))


def not_previous(path: Path) -> InputError:
    return InputError(
        "not a previous export: expected a poicheck manifest or snapshot, an "
        "eRoamingPushEvseData request, an OperatorEvseData object or an array of "
        "EvseDataRecords",
        location=str(path),
    )


def manifest_files(
    path: Path, manifest: dict[str, Any], notes: list[str]
) -> list[tuple[Path, str | None]]:
    """The files a manifest stands for as the previous state, with their sha256: its snapshot,
    or (an export without one) its payload files in order, said in a note."""
    base = path.parent
    snapshot = manifest.get("snapshot")
    if isinstance(snapshot, dict) and snapshot.get("file"):
        return [(base / str(snapshot["file"]), snapshot.get("sha256"))]
    notes.append(f"{path} names no snapshot; the state is rebuilt from its payload files")
    files = []
    for entry in manifest.get("files", []):
        if not isinstance(entry, dict) or "file" not in entry:
            raise InputError("a 'files' entry has no 'file'", location=str(path))
        files.append((base / str(entry["file"]), entry.get("sha256")))
    return files


def _load_json(path: Path, expected_sha256: str | None) -> Any:
    data = read_regular(path, MAX_PREVIOUS_BYTES, error=InputError)
    if expected_sha256 and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise InputError(
            "was changed after it was exported (its sha256 differs from the manifest's)",
            location=str(path),
        )
    try:
        return loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError("OICP JSON must be UTF-8 encoded", location=str(path)) from exc
    except RecursionError as exc:
        raise InputError("the JSON is nested too deeply", location=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", location=str(path)
        ) from exc
    except NotJSONError as exc:
        raise InputError(f"invalid JSON: {exc} is not a JSON number", location=str(path)) from exc


def _records(path: Path, data: dict[str, Any]) -> list[Any]:
    records = data.get("EvseDataRecord", [])
    if not isinstance(records, list):
        raise InputError("EvseDataRecord is not an array", location=str(path))
    return records
