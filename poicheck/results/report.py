"""Findings and the report the library returns: findings stay a table until someone asks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from poicheck.findings import FINDING_COLUMNS, SEVERITY_RANK, empty_findings
from poicheck.results.score import Score, compute
from poicheck.ruleset.model import SEVERITIES, RuleSet

FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Finding:
    """One violation of one rule, located in the input and in the record's OICP JSON."""

    rule: str
    severity: str
    consequence: str
    category: str
    file: str
    sheet: str | None
    row: int | None
    record: int | None
    evse_id: str | None
    field: str
    pointer: str
    value: str | None
    message: str
    # `safe` or `unsafe` when `poicheck fix` has a fix for it (its applicability), else None.
    fix: str | None = None
    # The findings folded into this one (same cell, one cause): {rule, field, message}.
    related: list[dict[str, Any]] | None = None
    # The cell of the user's own sheet, for input read through a column mapping (`K7`).
    cell: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found = {name: getattr(self, name) for name in FINDING_COLUMNS}
        found["related"] = list(self.related or [])
        return found


@dataclass(frozen=True)
class FileResult:
    """One input file: what it was and how many records it held, or why it could not be read."""

    file: str
    format: str | None
    sheet: str | None = None
    records: int = 0
    error: str | None = None


@dataclass
class Report:
    """The result of a validation run."""

    ruleset: RuleSet
    files: list[FileResult]
    frame: pd.DataFrame = field(default_factory=empty_findings)
    notes: list[str] = field(default_factory=list)
    records: pd.DataFrame | None = None
    max_findings: int | None = None

    @cached_property
    def score(self) -> Score | None:
        """The local EVSE data score (None when no records were read)."""
        if self.records is None or self.records.empty:
            return None
        return compute(self.records, self.frame, self.ruleset)

    @property
    def findings(self) -> list[Finding]:
        """Findings as dataclasses, in report order."""
        return list(self.iter_findings())

    def limit(self, max_findings: int | None) -> Report:
        """List at most `max_findings` findings, the most severe first (kept in report order);
        counts, scores and the exit code still cover every finding."""
        self.max_findings = max_findings
        if self.omitted:
            self.notes.append(
                f"{len(self.shown):,} of {len(self.frame):,} findings listed (--max-findings); "
                "the counts cover all of them"
            )
        return self

    @property
    def shown(self) -> pd.DataFrame:
        """The findings to list: all of them, or the first `max_findings` by severity."""
        if self.max_findings is None or len(self.frame) <= self.max_findings:
            return self.frame
        ranks = self.frame["severity"].map(SEVERITY_RANK).to_numpy()
        order = np.argsort(ranks, kind="stable")[: max(self.max_findings, 0)]
        return self.frame.iloc[np.sort(order)]

    @property
    def omitted(self) -> int:
        """How many findings `max_findings` leaves out of the listing."""
        return len(self.frame) - len(self.shown)

    def iter_findings(self) -> Iterator[Finding]:
        for raw in self.shown.to_dict(orient="records"):
            record = {str(key): value for key, value in raw.items()}
            yield Finding(
                **{
                    **record,
                    "row": None if pd.isna(record["row"]) else int(record["row"]),
                    "record": None if pd.isna(record["record"]) else int(record["record"]),
                }
            )

    def counts(self, file: str | None = None) -> dict[str, int]:
        frame = self.frame if file is None else self.frame[self.frame["file"] == file]
        counted = frame["severity"].value_counts()
        return {severity: int(counted.get(severity, 0)) for severity in SEVERITIES}

    @property
    def unreadable(self) -> list[FileResult]:
        return [f for f in self.files if f.error is not None]

    def summary(self) -> dict[str, Any]:
        """Counts per file and in total (the `summary` of the JSON output)."""
        files = []
        for result in self.files:
            counts = self.counts(result.file)
            files.append(
                {
                    "file": result.file,
                    "format": result.format,
                    "sheet": result.sheet,
                    "records": result.records,
                    "errors": counts["error"],
                    "warnings": counts["warning"],
                    "infos": counts["info"],
                    "score": self.score.summary(result.file) if self.score else None,
                    **({"unreadable": result.error} if result.error else {}),
                }
            )
        total = self.counts()
        return {
            "notes": list(self.notes),
            "files": files,
            "total": {
                "files": len(self.files),
                "unreadable_files": len(self.unreadable),
                "records": sum(f.records for f in self.files),
                "errors": total["error"],
                "warnings": total["warning"],
                "infos": total["info"],
                "score": self.score.summary() if self.score else None,
                **({"findings_omitted": self.omitted} if self.omitted else {}),
            },
        }

    def exit_code(self, fail_on: str = "error") -> int:
        """0 when nothing at or above `fail_on`, 1 when findings are, 2 when a file was unusable."""
        if self.unreadable:
            return 2
        if fail_on == "never" or self.frame.empty:
            return 0
        threshold = SEVERITY_RANK[fail_on]
        ranks = self.frame["severity"].map(SEVERITY_RANK)
        return 1 if bool((ranks <= threshold).any()) else 0
