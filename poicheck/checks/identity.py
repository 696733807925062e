"""Row kinds about identity: who owns an EvseID, and uniqueness across rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks.context import CheckContext
from poicheck.checks.frame import normalised
from poicheck.checks.params import BOOLEAN, Param
from poicheck.checks.registry import Params, RowResult, check_kind
from poicheck.oicp.identifiers import display_operator, operator_part, owned


@check_kind(
    "operator_owns",
    "row",
    describe=lambda params: "must belong to the pushing operator or a declared sub-operator",
    message="{field} '{value}' belongs to operator {owner}, not to {allowed}",
)
def _operator_owns(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
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
    return ok, {"owner": owners, "allowed": ", ".join(layout.operator_ids)}


def _some_rows(rows: pd.Series, shown: int = 10) -> str:
    """`2, 4, 5`, or the first ten and how many more (a message stays readable)."""
    head = ", ".join(rows.iloc[:shown])
    return head if len(rows) <= shown else f"{head} and {len(rows) - shown} more"


@check_kind(
    "unique",
    "row",
    params=(
        Param(
            "normalise",
            BOOLEAN,
            "compare the values without separators and case",
            default=True,
        ),
    ),
    across_rows=True,
    describe=lambda params: "must be unique in the file (compared without separators and case)",
    message="{field} '{value}' is used {count} times, in rows {rows}; EvseIDs must be unique",
)
def _unique(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> RowResult:
    if field not in frame.columns:
        return np.ones(len(frame), dtype=bool), {}
    # Compared as integers: one per distinct (normalised) value, counted with bincount.
    distinct = layout.distinct(frame, field)
    if params.get("normalise", True):
        normal = pc.dictionary_encode(normalised(frame, field, layout, strip=False))
        normal = normal.indices.fill_null(-1)
        per_value = np.asarray(normal.to_numpy(zero_copy_only=False), dtype=np.int64)
    else:
        per_value = np.arange(len(distinct.values), dtype=np.int64)
    keys = np.append(per_value, -1)[distinct.codes]  # an empty cell (-1) picks -1
    counted = np.bincount(keys[keys >= 0], minlength=int(per_value.max(initial=-1)) + 1)
    duplicated = (keys >= 0) & (np.append(counted, 0)[keys] > 1)
    if not duplicated.any():
        return ~duplicated, {}
    rows = layout.rows if layout.rows is not None else np.arange(1, len(frame) + 1)
    members = pd.DataFrame({"key": keys[duplicated], "row": rows[duplicated].astype(str)})
    grouped = members.groupby("key")["row"]
    # Worded for the duplicated rows only: the engine reads details there and nowhere else.
    listed = np.full(len(frame), "", dtype=object)
    counts = np.full(len(frame), 0, dtype=object)
    listed[duplicated] = members["key"].map(grouped.agg(_some_rows)).to_numpy(dtype=object)
    counts[duplicated] = counted[keys[duplicated]].astype(object)
    return ~duplicated, {"rows": listed, "count": counts}
