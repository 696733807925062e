"""OICP JSON reader: an eRoamingPushEvseData request, an OperatorEvseData object, or a list of
EvseDataRecords, flattened into the canonical table by the shared conversion module."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from poicheck.errors import InputError
from poicheck.oicp import Flattener, text_of
from poicheck.ruleset.model import RuleSet
from poicheck.table import (
    TEXT,
    CanonicalTable,
    RawFinding,
    Source,
    canonical_order,
    empty_to_missing,
)


def _unwrap(document: Any, path: Path) -> tuple[list[Any], dict[str, str | None] | None, str]:
    """(records, envelope, pointer prefix of the record list)."""
    if isinstance(document, list):
        return document, None, ""
    if not isinstance(document, dict):
        raise InputError("expected a JSON object or array of EvseDataRecords", location=str(path))
    if "OperatorEvseData" in document:
        data = document["OperatorEvseData"]
        if isinstance(data, list):  # PullEvseData-like: several operators; take them all
            raise InputError(
                "OperatorEvseData must be one object in an eRoamingPushEvseData request",
                location=str(path),
            )
        if not isinstance(data, dict):
            raise InputError("OperatorEvseData is not an object", location=str(path))
        envelope = {"ActionType": document.get("ActionType"), **_operator(data)}
        return _records(data, path), envelope, "/OperatorEvseData/EvseDataRecord"
    if "EvseDataRecord" in document:
        return _records(document, path), _operator(document), "/EvseDataRecord"
    if "EvseID" in document:
        return [document], None, ""
    raise InputError(
        "not OICP EVSE data: expected an eRoamingPushEvseData request, an OperatorEvseData "
        "object or an array of EvseDataRecords",
        location=str(path),
    )


def _operator(data: dict[str, Any]) -> dict[str, str | None]:
    return {
        key: (text_of(data[key]) if data.get(key) not in (None, "") else None)
        for key in ("OperatorID", "OperatorName")
    }


def _records(data: dict[str, Any], path: Path) -> list[Any]:
    records = data.get("EvseDataRecord", [])
    if not isinstance(records, list):
        raise InputError("EvseDataRecord is not an array", location=str(path))
    return records


def read_json(path: Path, ruleset: RuleSet) -> CanonicalTable:
    try:
        with path.open("rb") as handle:
            document = json.load(handle, parse_float=Decimal)
    except UnicodeDecodeError as exc:
        raise InputError("OICP JSON must be UTF-8 encoded", location=str(path)) from exc
    except RecursionError as exc:
        raise InputError(
            "the JSON is nested too deeply to be EVSE data", location=str(path)
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", location=str(path)
        ) from exc
    records, envelope, _ = _unwrap(document, path)
    flattener = Flattener(ruleset)
    cells: list[dict[str, str]] = []
    findings: list[RawFinding] = []
    notations: dict[str, list[str]] = {}
    for index, record in enumerate(records):
        flat = flattener.flatten(record)
        cells.append(flat.cells)
        # Pointers stay relative to the record, like those of every other finding.
        findings.extend(replace(issue, record=index) for issue in flat.issues)
        for prop, notation in flat.notations.items():
            notations.setdefault(prop, [""] * len(records))[index] = notation
    columns: dict[str, None] = {}
    for row in cells:
        columns.update(dict.fromkeys(row))
    order = canonical_order(list(columns), ruleset)
    frame = (
        pd.DataFrame.from_records(cells, columns=order) if cells else pd.DataFrame(columns=order)
    )
    frame = empty_to_missing(frame.astype(TEXT)).reset_index(drop=True)
    return CanonicalTable(
        frame=frame,
        source=Source(str(path), "json"),
        rows=np.arange(1, len(records) + 1, dtype=np.int64),
        envelope=envelope,
        reader_findings=findings,
        notations={k: np.asarray(v, dtype=object) for k, v in notations.items()},
    )
