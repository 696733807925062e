"""Findings summarised by rule (the text output's closing table, `--statistics`, Markdown's
top rules), and the findings a whole file shares (a column missing from every record).

Both work on the findings table, never on one Finding object per row, so that a summary of a
million findings costs a group-by.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from poicheck.escape import printable
from poicheck.findings import SEVERITY_RANK
from poicheck.results.report import Report

EXAMPLE_CHARS = 110


@dataclass(frozen=True)
class RuleCount:
    """One rule's findings: how many, on how many EVSEs, and the first as an example."""

    rule: str
    severity: str
    consequence: str
    findings: int
    records: int
    example: str


def rule_counts(report: Report) -> list[RuleCount]:
    """Every rule that found something, the most frequent first (then the most severe)."""
    frame = report.frame
    if frame.empty:
        return []
    keyed = frame.assign(
        _key=frame["file"].astype(str) + "\x00" + frame["record"].astype("string").fillna(""),
        _rank=frame["severity"].map(SEVERITY_RANK),
    )
    grouped = keyed.groupby("rule", sort=False)
    counted = pd.DataFrame(
        {
            "findings": grouped.size(),
            "records": grouped["_key"].nunique(),
            "rank": grouped["_rank"].min(),
        }
    )
    first = keyed.drop_duplicates("rule").set_index("rule")
    counted = (
        counted.rename_axis("rule_id")
        .reset_index()
        .sort_values(["findings", "rank", "rule_id"], ascending=[False, True, True])
    )
    out = []
    for rule_id, findings, records in zip(
        counted["rule_id"], counted["findings"], counted["records"], strict=True
    ):
        example = first.loc[rule_id]
        where = f"row {example['row']}: " if pd.notna(example["row"]) else ""
        text = printable(f"{where}{example['message']}")
        if len(text) > EXAMPLE_CHARS:
            text = text[: EXAMPLE_CHARS - 1] + "…"
        out.append(
            RuleCount(
                str(rule_id),
                str(example["severity"]),
                str(example["consequence"]),
                int(findings),
                int(records),
                text,
            )
        )
    return out


def statistics_lines(report: Report) -> list[str]:
    """The closing table of the text output: findings by rule, most frequent first."""
    counts = rule_counts(report)
    if not counts:
        return []
    lines = [
        "Findings by rule (most frequent first):",
        "  findings  EVSEs  severity  rule    consequence  example",
    ]
    for count in counts:
        lines.append(
            f"  {count.findings:>8,}  {count.records:>5,}  {count.severity:<8}  {count.rule:<6}  "
            f"{count.consequence:<11}  {count.example}"
        )
    return [*lines, ""]


def everywhere(report: Report) -> pd.DataFrame:
    """Findings a whole file shares: the same rule on the same field with no value in every
    record of a file of at least two records (a column missing from the file). One row per
    (file, rule, field) with its count; the text output says them once per file."""
    frame = report.shown
    records = {f.file: f.records for f in report.files}
    if frame.empty:
        return pd.DataFrame(columns=["file", "rule", "field", "count"])
    placed = frame[frame["record"].notna() & frame["value"].isna()]
    grouped = placed.groupby(["file", "rule", "field"], sort=False)["record"].nunique()
    counted = grouped.reset_index(name="count")
    total = counted["file"].map(records)
    return counted[(counted["count"] == total) & (total >= 2)].reset_index(drop=True)
