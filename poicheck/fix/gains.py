"""What fixing would change: per rule, the findings `poicheck fix` has a fix for and the points
of the data score the dataset would gain without them (the HTML report's section).

The gain is the score computed again without those findings, on the EVSEs that have them
(the others' scores do not change), averaged over all EVSEs. It is what the score says once
the findings are gone; a fixed value may reveal another finding (`poicheck fix` re-validates
its copy and says so), so it is an estimate, not a promise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from poicheck.results.report import Report
from poicheck.results.score import compute, record_positions


def _gain(report: Report, drop: np.ndarray) -> float:
    """Points of the overall score gained without the findings where `drop` is True."""
    score = report.score
    if score is None or not drop.any():
        return 0.0
    records, frame = score.records, report.frame
    located = frame["record"].notna().to_numpy()
    where = np.full(len(frame), -1, dtype=np.int64)
    files = frame["file"].to_numpy(dtype=object)[located]
    numbers = frame["record"][located].to_numpy(dtype=np.int64)
    where[located] = record_positions(records, files, numbers)
    touched = np.unique(where[drop & (where >= 0)])
    if not len(touched):
        return 0.0
    kept = np.isin(where, touched) & ~drop
    base = report.records
    assert base is not None  # a report with a score has its records
    again = compute(base.iloc[touched].reset_index(drop=True), frame[kept], report.ruleset)
    before = float(records["overall"].to_numpy()[touched].sum())
    after = float(again.records["overall"].sum())
    return (after - before) / len(records)


def fixing_gains(report: Report) -> list[dict[str, Any]]:
    """Per rule with fixable findings (most points first): id, name, findings with a safe
    and with an unsafe fix, EVSEs, and points gained; then the totals for all safe fixes and
    for all fixes (`rule` None)."""
    frame = report.frame
    if frame.empty or "fix" not in frame.columns:
        return []
    fix = frame["fix"].to_numpy(dtype=object)
    fixable = pd.notna(fix)
    if not fixable.any():
        return []
    rules = frame["rule"].to_numpy(dtype=object)
    rows: list[dict[str, Any]] = []
    for rule_id in dict.fromkeys(rules[fixable]):
        mine = fixable & (rules == rule_id)
        rule = report.ruleset.rules.get(str(rule_id))
        rows.append(
            {
                "rule": str(rule_id),
                "name": rule.name if rule else "",
                "safe": int((mine & (fix == "safe")).sum()),
                "unsafe": int((mine & (fix == "unsafe")).sum()),
                "evses": _evses(frame, mine),
                "points": round(_gain(report, mine), 2),
            }
        )
    rows.sort(key=lambda row: (-row["points"], row["rule"]))
    for label, chosen in (("all safe fixes", fix == "safe"), ("all fixes", fixable)):
        rows.append(
            {
                "rule": None,
                "name": label,
                "safe": int((chosen & (fix == "safe")).sum()),
                "unsafe": int((chosen & (fix == "unsafe")).sum()),
                "evses": _evses(frame, chosen),
                "points": round(_gain(report, chosen), 2),
            }
        )
    return rows


def _evses(frame: pd.DataFrame, chosen: np.ndarray) -> int:
    return len(frame.loc[chosen, ["file", "record"]].dropna().drop_duplicates())
