"""Whose records an export may send: EvseIDs of the operator or a declared sub-operator
only (Hubject refuses the whole push with status 018 otherwise; 03 CPO Data Types, status
codes), and each EvseID once (two records of one EVSE cannot both be right)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.errors import UsageError
from poicheck.export.model import Reason
from poicheck.oicp.identifiers import display_operator, normalise_ids, operator_part, owned
from poicheck.table import CanonicalTable, Distinct


class Operator018Error(UsageError):
    """EvseIDs of a foreign operator: Hubject would refuse the whole push (status 018)."""


def check_ownership(
    tables: Sequence[CanonicalTable], operator_id: str, sub_operator_ids: Sequence[str]
) -> dict[tuple[int, int], Reason]:
    """EvseIDs that belong to neither the operator nor a declared sub-operator.

    With no sub-operator declared, any such EvseID stops the export: most often a hub forgot
    to declare its sub-operators, and leaving their records out of a fullLoad would make Hubject
    delete them. Once sub-operators are declared, the allowed operators are known, and a record
    of any other operator is a data error: it is left out (never sent, even with
    --include-invalid), so that the push is not refused with status 018.
    """
    owners = (operator_id, *sub_operator_ids)
    foreign: dict[str, list[str]] = {}
    reasons: dict[tuple[int, int], Reason] = {}
    for index, table in enumerate(tables):
        if "EvseID" not in table.frame.columns:
            continue
        # One regular expression pass over all IDs; the operator parts of the few others only.
        bad = np.flatnonzero(~owned(pa.array(table.frame["EvseID"].array), owners))
        ids = table.frame["EvseID"].iloc[bad].reset_index(drop=True)
        parts = operator_part(ids)
        for at, record in enumerate(bad.tolist()):
            shown = display_operator(str(parts.iloc[at]))
            reasons[(index, record)] = Reason(
                None,
                "EvseID",
                f"EvseID '{ids.iloc[at]}' belongs to operator {shown}, neither "
                f"{operator_id} nor a declared sub-operator; Hubject would refuse the whole "
                "push with status 018",
            )
        for part, group in pd.Series(table.rows[bad]).groupby(parts.to_numpy(), sort=True):
            rows = _ranges([int(r) for r in group])
            where = f"{table.source.path} {'row' if len(group) == 1 else 'rows'} {rows}"
            foreign.setdefault(display_operator(str(part)), []).append(where)
    if foreign and not sub_operator_ids:
        listed = [f"  {part}: {'; '.join(where)}" for part, where in sorted(foreign.items())]
        raise Operator018Error(
            f"EvseIDs of operators other than {operator_id}; Hubject would refuse the whole "
            "push with status 018:",
            details=[
                *listed,
                "If these are sub-operators configured for you at Hubject, declare them with "
                "--sub-operator-id (or sub_operator_ids in .poicheck.yaml); otherwise export "
                "them with their own operator.",
            ],
        )
    return reasons


def _ranges(rows: list[int]) -> str:
    """[2, 3, 4, 9] -> '2-4, 9'."""
    spans: list[list[int]] = []
    for row in sorted(rows):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def normalised_keys(evse: Distinct) -> pa.Array:
    """The normalised EvseID of each distinct value of an EvseID column (computed once per
    column: the duplicate check and the building both ask)."""
    if "normalised" not in evse.derived:
        evse.derived["normalised"] = normalise_ids(evse.values)
    normal: pa.Array = evse.derived["normalised"]
    return normal


def duplicates(tables: Sequence[CanonicalTable]) -> dict[tuple[int, int], Reason]:
    """Every record whose EvseID another record uses too (the same EVSE for Hubject once
    separators and case are ignored): which one is right cannot be told, so none is sent."""
    columns = {
        index: table.encoded.get("EvseID") or Distinct.of(table.frame["EvseID"])
        for index, table in enumerate(tables)
        if "EvseID" in table.frame.columns
    }
    if not columns:
        return {}
    # The keys of all tables numbered together; then, per record, its key's number.
    normal = [normalised_keys(c) for c in columns.values()]
    numbered = pc.dictionary_encode(pa.concat_arrays(normal))
    numbers = np.asarray(numbered.indices).astype(np.int64)
    bounds = np.cumsum([0, *(len(n) for n in normal)])
    found = []
    for at, (index, column) in enumerate(columns.items()):
        mine = numbers[bounds[at] : bounds[at + 1]]
        found.append((index, np.where(column.codes < 0, -1, mine[column.codes])))
    every = np.concatenate([keys for _, keys in found])
    counts = np.bincount(every[every >= 0], minlength=len(numbered.dictionary))
    shared: dict[int, list[tuple[int, int]]] = {}
    for index, keys in found:
        for record in np.flatnonzero((keys >= 0) & (counts[np.maximum(keys, 0)] > 1)).tolist():
            shared.setdefault(int(keys[record]), []).append((index, record))
    out: dict[tuple[int, int], Reason] = {}
    for group in shared.values():
        places = [f"{tables[t].source.path} row {tables[t].rows[r]}" for t, r in group]
        for (table, record), here in zip(group, places, strict=True):
            evse_id = _text(columns[table], record)
            others = ", ".join(p for p in places if p != here)
            message = f"EvseID '{evse_id}' is also used in {others}"
            out[(table, record)] = Reason(None, "EvseID", message)
    return out


def _text(column: Distinct, record: int) -> str:
    return str(column.values[int(column.codes[record])].as_py())
