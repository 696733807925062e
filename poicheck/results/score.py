"""The local EVSE data score, mirroring Hubject's published method (rules/oicp-2.3/score.yaml).

Completeness: the share of the listed optional properties an EVSE fills. Correctness: the mean
of factor scores (geolocation, power data, additional info, conformity), each 100 minus the
penalty of the EVSE's worst finding of the factor's rules. Overall: the mean of both, 0..100;
per EVSE, per file (mean over its EVSEs) and in total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from poicheck.ruleset.model import RuleSet
from poicheck.table import Layout

RECORD_COLUMNS = ["file", "record", "row", "evse_id", "completeness"]
# Report.records also holds one bool column per completeness property: "filled:<path>".
FILLED_PREFIX = "filled:"


def filled(frame: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Per record (row) and completeness property (column), whether the record fills it."""
    paths = list(ruleset.score.get("completeness", {}).get("properties", []))
    layout = Layout(frame.columns, ruleset)
    flags = np.zeros((len(paths), len(frame)), dtype=bool)  # one contiguous row per property
    for i, path in enumerate(paths):
        prop = ruleset.properties[path]
        for column in layout.members(path) if prop.is_container else layout.matching(path):
            flags[i] |= frame[column].notna().to_numpy(dtype=bool)
    return pd.DataFrame(flags.T, columns=paths, index=pd.RangeIndex(len(frame)))


def completeness(
    frame: pd.DataFrame, ruleset: RuleSet, flags: pd.DataFrame | None = None
) -> np.ndarray:
    """Per record, the percentage of the score's completeness properties that are filled
    (from `flags`, the `filled` of the frame, when the caller has it)."""
    flags = filled(frame, ruleset) if flags is None else flags
    if flags.shape[1] == 0 or frame.empty:
        return np.full(len(frame), 100.0)
    return np.asarray(flags.to_numpy().mean(axis=1) * 100, dtype=float)


def completeness_shares(records: pd.DataFrame) -> dict[str, float]:
    """Per completeness property, the percentage of records filling it (0..100), from the
    `filled:<path>` columns of `Report.records`."""
    columns = [c for c in records.columns if str(c).startswith(FILLED_PREFIX)]
    if records.empty:
        return {}
    return {c[len(FILLED_PREFIX) :]: float(records[c].mean()) * 100 for c in columns}


def factor_of(rule_id: str, ruleset: RuleSet) -> str | None:
    """The correctness factor whose rule prefixes match a rule id (the longest prefix wins)."""
    best: tuple[int, str | None] = (-1, None)
    for name, spec in ruleset.score.get("correctness", {}).get("factors", {}).items():
        for prefix in spec["rules"]:
            if rule_id.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), name)
    return best[1]


@dataclass(frozen=True)
class Score:
    """Scores per EVSE (`records`), per file and in total."""

    records: pd.DataFrame
    factors: tuple[str, ...]

    def summary(self, file: str | None = None) -> dict[str, Any] | None:
        columns = ["overall", "completeness", "correctness", *self.factors]
        records = self.records[columns]
        if file is not None:
            records = records[(self.records["file"] == file).to_numpy()]
        if records.empty:
            return None
        return {
            "overall": round(float(records["overall"].mean()), 1),
            "completeness": round(float(records["completeness"].mean()), 1),
            "correctness": round(float(records["correctness"].mean()), 1),
            "factors": {f: round(float(records[f].mean()), 1) for f in self.factors},
            "records": len(records),
        }


def record_positions(records: pd.DataFrame, files: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """The row of `records` (a record frame: `file`, `record`) of each (file, record) pair,
    -1 for a pair it does not have; a pair it has twice is a bug, raised as a KeyError.
    Integer keys sorted once, where MultiIndexes of a million pairs took ~0.4 s."""
    codes, names = pd.factorize(records["file"])
    wanted_codes = pd.Index(names).get_indexer(files)
    known = records["record"].to_numpy(dtype=np.int64)
    span = int(max(known.max(initial=0), numbers.max(initial=0))) + 1
    keys = codes.astype(np.int64) * span + known
    wanted = wanted_codes.astype(np.int64) * span + numbers.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    if (np.diff(ordered) == 0).any():
        raise KeyError("the record frame has a record twice")
    if not len(ordered):
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
    return np.where(ordered[at] == wanted, order[at], -1)


def compute(records: pd.DataFrame, findings: pd.DataFrame, ruleset: RuleSet) -> Score:
    """Scores from per-record completeness and the findings table (vectorised)."""
    correctness = ruleset.score.get("correctness", {})
    factors = tuple(correctness.get("factors", {}))
    penalties = {"error": 100.0, "warning": 50.0, "info": 0.0, **correctness.get("penalties", {})}
    out = records.copy(deep=False)  # copy-on-write: the new columns do not reach `records`
    for factor in factors:
        out[factor] = 100.0
    located = findings[findings["record"].notna()]
    if len(located) and factors:
        rule_factor = {rule: factor_of(rule, ruleset) for rule in located["rule"].unique()}
        scored = pd.DataFrame(
            {
                "file": located["file"].to_numpy(),
                "record": located["record"].astype("int64").to_numpy(),
                "factor": located["rule"].map(rule_factor).to_numpy(),
                "penalty": located["severity"].map(penalties).to_numpy(dtype=float),
            }
        ).dropna(subset=["factor"])
        position = record_positions(out, scored["file"].to_numpy(), scored["record"].to_numpy())
        if (position < 0).any():
            raise KeyError("findings of records the record frame does not have")
        for factor in scored["factor"].unique():
            mine = (scored["factor"] == factor).to_numpy()
            penalty = np.zeros(len(out))
            np.maximum.at(penalty, position[mine], scored["penalty"].to_numpy()[mine])
            out[factor] = 100.0 - penalty
    out["correctness"] = out[list(factors)].mean(axis=1) if factors else 100.0
    out["overall"] = (out["completeness"] + out["correctness"]) / 2
    return Score(records=out, factors=factors)
