"""OICP JSON reader: an eRoamingPushEvseData request, an OperatorEvseData object, or a list of
EvseDataRecords, flattened into the canonical table by the shared conversion module."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from poicheck.errors import InputError
from poicheck.oicp import FlatTable, Flattener, text_of
from poicheck.readers import collector
from poicheck.ruleset.model import RuleSet
from poicheck.table import TEXT, CanonicalTable, Source, canonical_order, empty_to_missing

# Decimal keeps numbers as written (22.50 stays 22.50), like json's parse_float=Decimal.
_DECODER = msgspec.json.Decoder(float_hook=Decimal)


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
    """Read an OICP JSON file: all records are flattened at once, column by column."""
    with collector.paused():
        records, envelope, _ = _unwrap(_parse(path), path)
        flat = Flattener(ruleset).flatten_all(records)
        # The parsed document goes now, while the collector is off: nothing for it to scan.
        del records
    return CanonicalTable(
        frame=_frame(flat, ruleset),
        source=Source(str(path), "json"),
        rows=np.arange(1, flat.size + 1, dtype=np.int64),
        envelope=envelope,
        reader_findings=flat.issues,
        notations=flat.notations,
    )


def _parse(path: Path) -> Any:
    data = path.read_bytes()
    try:
        return _DECODER.decode(data)
    except (ValueError, RecursionError):
        # msgspec takes strict UTF-8 JSON only; the standard library reads what it rejects
        # (a byte-order mark, UTF-16, ...) or says, by line and column, what is wrong.
        pass
    try:
        return loads(data)
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
    except NotJSONError as exc:
        raise InputError(f"invalid JSON: {exc} is not a JSON number", location=str(path)) from exc


def loads(data: bytes | str) -> Any:
    """JSON parsed by the standard library (for what msgspec refuses) as msgspec parses it:
    numbers as written, integers past Python's digit limit for int() as Decimal."""
    return json.loads(data, parse_float=Decimal, parse_int=_integer, parse_constant=_not_a_number)


def _integer(text: str) -> int | Decimal:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        return Decimal(text)


class NotJSONError(Exception):
    pass


def _not_a_number(name: str) -> Any:
    raise NotJSONError(name)


def _frame(flat: FlatTable, ruleset: RuleSet) -> pd.DataFrame:
    order = canonical_order(list(flat.columns), ruleset)
    if not flat.size:
        return empty_to_missing(pd.DataFrame(columns=order).astype(TEXT)).reset_index(drop=True)
    columns = {name: pd.array(flat.columns[name], dtype=TEXT) for name in order}
    return empty_to_missing(pd.DataFrame(columns, index=pd.RangeIndex(flat.size)))
