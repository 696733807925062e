"""OICP JSON reader: an eRoamingPushEvseData request, an OperatorEvseData object, or a list of
EvseDataRecords, flattened into the canonical table by the shared conversion module."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from poicheck.errors import InputError
from poicheck.ocpi.detect import is_ocpi
from poicheck.oicp.convert import FlatTable, Flattener, text_of
from poicheck.oicp.pointers import escape
from poicheck.readers import collector
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import JSON_LONE_SURROGATE
from poicheck.table import (
    TEXT,
    CanonicalTable,
    RawFinding,
    Source,
    canonical_order,
    empty_to_missing,
)

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
        "object, an array of EvseDataRecords, an eRoamingPullEvseData response (OICP 2.2 "
        "EvseData, OICP 2.3 pages) or national data of operator blocks (EVSEData)",
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
        document, repairs = _parse(path)
        # Other roaming protocols' shapes, converted to EvseDataRecords by their own package.
        if is_ocpi(document):  # OCPI 2.2.1 Locations
            from poicheck.ocpi.reader import read_ocpi

            return read_ocpi(document, path, ruleset, repairs)
        # Pull responses and national dumps: several operators' blocks (oicp_shapes).
        from poicheck.readers import oicp_shapes

        if oicp_shapes.shape_of(document) is not None:
            return oicp_shapes.read(document, repairs, path, ruleset)
        records, envelope, prefix = _unwrap(document, path)
        single = isinstance(document, dict) and not prefix
        base: list[str | int] | None = None if single else list(prefix.split("/")[1:])
        flat = Flattener(ruleset).flatten_all(records)
        # The parsed document goes now, while the collector is off: nothing for it to scan.
        del records
    return CanonicalTable(
        frame=_frame(flat, ruleset),
        source=Source(str(path), "json"),
        rows=np.arange(1, flat.size + 1, dtype=np.int64),
        envelope=envelope,
        reader_findings=surrogate_findings(repairs, base) + flat.issues,
        notations=flat.notations,
    )


def _parse(path: Path) -> tuple[Any, list[tuple[list[str | int], str]]]:
    """The document, and the strings in it whose lone surrogates were repaired."""
    data = path.read_bytes()
    try:
        return _DECODER.decode(data), []
    except (ValueError, RecursionError):
        # msgspec takes strict UTF-8 JSON only; the standard library reads what it rejects
        # (a byte-order mark, UTF-16, a lone surrogate...) or says what is wrong, and where.
        pass
    try:
        document = loads(data)
        return repaired(document) if has_surrogate_escape(data) else (document, [])
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


# A \uD800-\uDFFF escape: half a surrogate pair, a lone one unless its other half follows.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate_escape(data: bytes) -> bool:
    return _SURROGATE_ESCAPE.search(data) is not None


def repaired(value: Any) -> tuple[Any, list[tuple[list[str | int], str]]]:
    """`value` with every lone surrogate in its strings and keys (which the standard library
    lets through and no UTF-8 can hold) read as U+FFFD, and where each was: (path of keys and
    item indexes, the repaired text). Walked without recursion, however deep."""
    found: list[tuple[list[str | int], str]] = []

    def fix(text: str, path: list[str | int]) -> str:
        if not _SURROGATE.search(text):
            return text
        text = _SURROGATE.sub("\ufffd", text)
        found.append((path, text))
        return text

    root: list[Any] = [value]
    stack: list[tuple[Any, list[str | int]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        if isinstance(node, dict) and any(_SURROGATE.search(k) for k in node):
            pairs = [(fix(k, [*path, _SURROGATE.sub("\ufffd", k)]), v) for k, v in node.items()]
            node.clear()
            node.update(pairs)
            keys = list(node)
        for key in keys:
            here = [*path, key] if node is not root else []
            item = node[key]
            if isinstance(item, str):
                node[key] = fix(item, here)
            elif isinstance(item, (dict, list)):
                stack.append((item, here))
    return root[0], found


def surrogate_findings(
    found: list[tuple[list[str | int], str]], base: list[str | int] | None
) -> list[RawFinding]:
    """JSN007 for each repaired string, at its record when it is inside one of the record
    list at `base` (None: the document is a single record)."""
    out: list[RawFinding] = []
    for path, text in found:
        record: int | None = 0 if base is None else None
        inside = path
        if base is not None and path[: len(base)] == base and len(path) > len(base):
            step = path[len(base)]
            if isinstance(step, int):
                record, inside = step, path[len(base) + 1 :]
        pointer = "".join("/" + escape(str(step)) for step in inside)
        field = ".".join(str(s + 1) if isinstance(s, int) else s for s in inside) or "*"
        out.append(RawFinding(JSON_LONE_SURROGATE, record, field, pointer, text[:80]))
    return out


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
