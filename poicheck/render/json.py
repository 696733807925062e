"""The JSON report (documented in docs/output.md; bump SCHEMA_VERSION on incompatible changes)."""

from __future__ import annotations

import json
from typing import Any

from poicheck import __version__
from poicheck.report import Report

SCHEMA_VERSION = "1.0"


def document(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": "poicheck",
            "version": __version__,
            "ruleset": report.ruleset.name,
            "ruleset_version": report.ruleset.version,
        },
        "summary": report.summary(),
        "findings": [finding.as_dict() for finding in report.iter_findings()],
    }


def render(report: Report, **_: Any) -> str:
    return json.dumps(document(report), ensure_ascii=False, indent=2) + "\n"
