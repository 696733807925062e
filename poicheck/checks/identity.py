"""Row kinds about identity: who owns an EvseID, and uniqueness across rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from poicheck.checks.registry import Kind, Params, register
from poicheck.identity import normalise_id, operator_part, owned
from poicheck.table import Layout

RowResult = tuple[np.ndarray, dict[str, np.ndarray]]


def normalised(frame: pd.DataFrame, column: str, layout: Layout, *, strip: bool) -> pd.Series:
    """`normalise_id` of a column (stripped first with `strip`), once per table: several rules
    compare the same columns."""
    key = f"normalised:{column}:{strip}"
    if key not in layout.cache:
        values = frame[column].str.strip() if strip else frame[column]
        layout.cache[key] = normalise_id(values)
    cached: pd.Series = layout.cache[key]
    return cached


def display_operator(part: str | float) -> str:
    """`DEABC` -> `DE*ABC`, `49810` -> `+49*810` (for messages)."""
    if not isinstance(part, str):
        return "(none)"
    return f"{part[:2]}*{part[2:]}" if part[:2].isalpha() else f"+{part[:-3]}*{part[-3:]}"


def _operator_owns(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> RowResult:
    ok = np.ones(len(frame), dtype=bool)
    if field not in frame.columns:
        return ok, {}
    if not layout.operator_ids:
        note = (
            f"{field} ownership (status 018) not checked: no OperatorID known; give "
            "--operator-id, an OICP request with its envelope, or operator_id in .poicheck.yaml"
        )
        if note not in layout.notes:
            layout.notes.append(note)
        return ok, {}
    # An ID without a recognisable operator part is the format rule's finding, not this one's.
    ok = owned(pa.array(frame[field].array), layout.operator_ids)
    # Details are read for failing rows only: worded for those, not for a million good ones.
    owners = np.full(len(frame), "", dtype=object)
    failing = np.flatnonzero(~ok)
    parts = operator_part(frame[field].iloc[failing])
    owners[failing] = [display_operator(p) for p in parts.to_numpy(dtype=object)]
    allowed = ", ".join(layout.operator_ids)
    return ok, {"owner": owners, "allowed": np.full(len(frame), allowed, dtype=object)}


register(
    Kind(
        name="operator_owns",
        scope="row",
        func=_operator_owns,
        describe=lambda params: "must belong to the pushing operator or a declared sub-operator",
        message="{field} '{value}' belongs to operator {owner}, not to {allowed}",
    )
)


def _some_rows(rows: pd.Series, shown: int = 10) -> str:
    """`2, 4, 5`, or the first ten and how many more (a message stays readable)."""
    head = ", ".join(rows.iloc[:shown])
    return head if len(rows) <= shown else f"{head} and {len(rows) - shown} more"


def _unique(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> RowResult:
    if field not in frame.columns:
        return np.ones(len(frame), dtype=bool), {}
    keys = (
        normalised(frame, field, layout, strip=False)
        if params.get("normalise", True)
        else frame[field]
    )
    duplicated = np.asarray(keys.duplicated(keep=False) & keys.notna(), dtype=bool)
    if not duplicated.any():
        return ~duplicated, {}
    rows = layout.rows if layout.rows is not None else np.arange(1, len(frame) + 1)
    members = pd.DataFrame({"key": keys[duplicated], "row": rows[duplicated].astype(str)})
    grouped = members.groupby("key")["row"]
    # Worded for the duplicated rows only: the engine reads details there and nowhere else.
    listed = np.full(len(frame), "", dtype=object)
    counts = np.full(len(frame), 0, dtype=object)
    listed[duplicated] = members["key"].map(grouped.agg(_some_rows)).to_numpy(dtype=object)
    counts[duplicated] = members["key"].map(grouped.size()).astype(int).to_numpy(dtype=object)
    return ~duplicated, {"rows": listed, "count": counts}


register(
    Kind(
        name="unique",
        scope="row",
        func=_unique,
        across_rows=True,
        describe=lambda params: "must be unique in the file (compared without separators and case)",
        message="{field} '{value}' is used {count} times, in rows {rows}; EvseIDs must be unique",
    )
)
