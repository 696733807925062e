"""The JSON report (documented in docs/output.md; bump SCHEMA_VERSION on incompatible changes)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.findings import FINDING_COLUMNS
from poicheck.results.report import Report
from poicheck.version import __version__

SCHEMA_VERSION = "1.3"  # 1.3: findings[].cell and findings[].fix
# Findings are written at depth 2 of the document (top level -> "findings" -> item).
_ITEM_INDENT, _KEY_INDENT = " " * 4, " " * 6
_NA = {"row", "record"}
_ENCODE = json.encoder.encode_basestring  # the C encoder where CPython has it


def head(report: Report) -> dict[str, Any]:
    """The document without its findings: schema version, tool and summary."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": "poicheck",
            "version": __version__,
            "ruleset": report.ruleset.name,
            "ruleset_version": report.ruleset.version,
        },
        "summary": report.summary(),
    }


def document(report: Report) -> dict[str, Any]:
    return {
        **head(report),
        "findings": [finding.as_dict() for finding in report.iter_findings()],
    }


def render(report: Report, **_: Any) -> str:
    """The document exactly as `json.dumps(document(report), ensure_ascii=False, indent=2)`
    writes it, with the findings encoded straight from the findings table.

    `json.dumps` with `indent` runs the pure-Python encoder, and with one Finding object per
    row took seconds for a million-row input (benchmarks/, issue 8); here each distinct value
    of a column is encoded once by the C string encoder and the indented objects are joined
    by pyarrow, column by column.
    """
    text = json.dumps({**head(report), "findings": []}, ensure_ascii=False, indent=2)
    items = _items(report.shown)
    if items is None:  # a value the fast path does not know: let json decide
        return json.dumps(document(report), ensure_ascii=False, indent=2) + "\n"
    if not items:
        return text + "\n"
    tail = '"findings": []\n}'
    return text[: -len(tail)] + '"findings": [\n' + ",\n".join(items) + "\n  ]\n}\n"


def _items(frame: pd.DataFrame) -> list[str] | None:
    """Each finding as its indented JSON object, or None when a value is not a str, int or
    None (the only values findings hold)."""
    if frame.empty:
        return []
    pieces: list[Any] = []
    literal = _ITEM_INDENT + "{\n"
    for name in FINDING_COLUMNS:
        if name == "related":
            encoded = _related(frame[name])
        else:
            encoded = _integers(frame[name]) if name in _NA else _texts(frame[name])
        if encoded is None:
            return None
        pieces += [_scalar(literal + _KEY_INDENT + _ENCODE(name) + ": "), encoded]
        literal = ",\n"
    pieces.append(_scalar("\n" + _ITEM_INDENT + "}"))
    joined: list[str] = pc.binary_join_element_wise(*pieces, _scalar("")).to_pylist()
    return joined


def _texts(column: pd.Series) -> pa.Array | None:
    """JSON of each value of a text column (str or None), as `json.dumps` writes it: each
    distinct text is encoded once (rules, fields, files and most messages repeat)."""
    values = column.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values)
    missing = values[codes < 0].tolist()
    if len(uniques) and pd.api.types.infer_dtype(uniques, skipna=False) != "string":
        return None
    if any(v is not None for v in missing):
        return None
    encoded = pa.array([*(_ENCODE(v) for v in uniques), "null"], type=pa.large_string())
    return encoded.take(pa.array(np.where(codes < 0, len(uniques), codes)))


def _related(column: pd.Series) -> pa.Array:
    """JSON of each finding's folded findings, a list (empty for most), indented as
    `json.dumps` writes it at this depth; only the few findings with a list are encoded."""
    values = column.to_numpy(dtype=object)
    out = np.full(len(values), "[]", dtype=object)
    for at in np.flatnonzero(column.notna().to_numpy()):
        text = json.dumps(list(values[at]), ensure_ascii=False, indent=2)
        out[at] = text.replace("\n", "\n" + _KEY_INDENT)
    return pa.array(out, type=pa.large_string())


def _integers(column: pd.Series) -> pa.Array | None:
    """JSON of each value of a row or record column (int or missing)."""
    try:
        numbers = pa.array(pd.array(column.to_numpy(dtype=object), dtype="Int64"), type=pa.int64())
    except (TypeError, ValueError):
        return None
    return pc.cast(numbers, pa.large_string()).fill_null("null")


def _scalar(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())
