"""What every spreadsheet-like reader does after turning bytes into rows of text."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from poicheck.ruleset.model import RuleSet
from poicheck.table import (
    TEXT,
    CanonicalTable,
    RawFinding,
    Source,
    canonical_order,
    empty_to_missing,
)


def build_table(
    headers: Sequence[object],
    frame: pd.DataFrame,
    source: Source,
    ruleset: RuleSet,
    *,
    first_row: int = 2,
) -> CanonicalTable:
    """A canonical table from a header row and the text cells below it.

    `frame` has positional columns matching `headers`; `first_row` is the spreadsheet row
    number (1-based) of the first data row. Header aliases are resolved, duplicate and
    unknown columns reported, empty cells made missing and wholly empty rows dropped.
    """
    aliases = ruleset.alias_map()
    findings: list[RawFinding] = []
    keep: dict[str, int] = {}
    known = [p.path for p in ruleset.scope_properties("record") if not p.is_container]
    for position, header in enumerate(headers):
        name = "" if header is None else str(header).strip()
        if not name:
            if frame.iloc[:, position].replace("", None).notna().any():
                findings.append(
                    RawFinding(
                        "TBL001",
                        None,
                        f"(column {position + 1})",
                        "",
                        None,
                        {"hint": " (it has no header)"},
                    )
                )
            continue
        name = aliases.get(name, name)
        if name in keep:
            findings.append(RawFinding("TBL002", None, name, ""))
            continue
        if ruleset.property_for_column(name) is None:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
            hint = f"; did you mean {close[0]}?" if close else ""
            findings.append(RawFinding("TBL001", None, name, "", None, {"hint": hint}))
            continue
        keep[name] = position
    data = frame.iloc[:, list(keep.values())].copy()
    data.columns = list(keep)
    data = empty_to_missing(data) if len(data.columns) else pd.DataFrame(index=data.index)
    rows = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    if len(data.columns):
        filled = np.asarray(data.notna().any(axis=1), dtype=bool)
        data = data[filled].reset_index(drop=True)
        rows = rows[filled]
    data = data[canonical_order(list(data.columns), ruleset)].astype(TEXT)
    return CanonicalTable(frame=data, source=source, rows=rows, reader_findings=findings)
