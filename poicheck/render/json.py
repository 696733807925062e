"""The JSON report (documented in docs/output.md; bump SCHEMA_VERSION on incompatible changes)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from poicheck import __version__
from poicheck.engine import FINDING_COLUMNS
from poicheck.report import Report

SCHEMA_VERSION = "1.0"
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
    row took seconds for a million-row input (benchmarks/, issue 8); here each column is
    encoded by the C string encoder and the indented objects are joined as text.
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
    columns = []
    for name in FINDING_COLUMNS:
        values = frame[name].tolist()
        if name in _NA:
            values = [None if pd.isna(v) else int(v) for v in values]
        encoded = _encoded(values)
        if encoded is None:
            return None
        columns.append(encoded)
    template = (
        _ITEM_INDENT
        + "{\n"
        + ",\n".join(f"{_KEY_INDENT}{_ENCODE(name)}: %s" for name in FINDING_COLUMNS)
        + "\n"
        + _ITEM_INDENT
        + "}"
    )
    return [template % cells for cells in zip(*columns, strict=True)]


def _encoded(values: list[Any]) -> list[str] | None:
    """JSON of each value of one column, as `json.dumps` writes it."""
    kinds = {type(v) for v in values}
    if kinds <= {str, type(None)}:
        # Rules, fields, files and most messages repeat: each distinct text is encoded once.
        known: dict[str | None, str] = {None: "null"}
        return [known.get(v) or known.setdefault(v, _ENCODE(v)) for v in values]
    if kinds <= {int, type(None)}:
        return ["null" if v is None else int.__repr__(v) for v in values]
    return None
