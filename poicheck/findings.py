"""The finding: what every check reports, one row of the findings table, and how severe it is.

Severities follow from a rule's consequence (rules/oicp-2.3/ruleset.yaml); the engine fills
this table, the results keep it, the renderers and workbooks read it.
"""

from __future__ import annotations

import pandas as pd

FINDING_COLUMNS = [
    "rule",
    "severity",
    "consequence",
    "category",
    "file",
    "sheet",
    "row",
    # The cell of the user's own sheet the value was read from (`K7`), for input read
    # through a column mapping (poicheck.table.origin); else None.
    "cell",
    "record",
    "evse_id",
    "field",
    "pointer",
    "value",
    "message",
    # `safe` or `unsafe` when `poicheck fix` has a fix for the finding (poicheck.fix), else None.
    "fix",
    # The findings folded into this one, as {rule, field, message} (poicheck.engine.folding).
    "related",
]
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def empty_findings() -> pd.DataFrame:
    # A copy of one made once: typing an empty table takes 5 ms, and every checker of a
    # document's operator blocks asks (poicheck.engine.blocks).
    return _EMPTY.copy()


def typed_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings with nullable integer rows and records, and None for every missing text."""
    out = findings.copy()
    for name in ("row", "record"):
        out[name] = out[name].astype("Int64")
    if "related" not in out.columns:
        out["related"] = None
    for name in FINDING_COLUMNS:
        if name not in ("row", "record"):
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


_EMPTY = typed_findings(pd.DataFrame({name: [] for name in FINDING_COLUMNS}))
