"""Evidence for the rules across rows: which records the readers flagged per rule and field,
and which columns the rules a binding names as evidence read (checks.groups asks for them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from poicheck.checks import get_kind
from poicheck.checks.context import CheckContext
from poicheck.engine.binding import Binding
from poicheck.ruleset.model import RuleSet


def flagged(parts: list[pd.DataFrame]) -> dict[str, np.ndarray]:
    """Per `<reader rule id>|<field>`, the records it reported (the readers' findings of
    every chunk)."""
    found = [p[["rule", "field", "record"]] for p in parts if len(p)]
    if not found:
        return {}
    joined = pd.concat(found, ignore_index=True).dropna(subset=["record"])
    records = joined["record"].astype("int64")
    names = joined["rule"].astype(str) + "|" + joined["field"].fillna("").astype(str)
    return {str(name): group.to_numpy() for name, group in records.groupby(names)}


def evidence_columns(binding: Binding, layout: CheckContext, ruleset: RuleSet) -> set[str]:
    """The columns the rules named by a binding's `evidence` read: their fields (a
    container's members) and the columns their parameters name (Address.Country)."""
    columns: set[str] = set()
    for rule_id in binding.params.get("evidence", ()):
        rule = ruleset.rules.get(rule_id)
        if rule is None:
            continue
        named = [v for v in rule.params.values() if isinstance(v, str) and v in layout.columns]
        columns.update(named)
        for read in get_kind(rule.kind).reads:  # what a rule across rows compares
            columns.update(layout.members(read) or layout.matching(read) or [read])
        for field in rule.fields:
            if field == "*":
                continue
            columns.update(layout.members(field) or layout.matching(field))
    return columns
