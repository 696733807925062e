"""Findings and the report the library returns: findings stay a table until someone asks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from poicheck.engine import FINDING_COLUMNS, SEVERITY_RANK, empty_findings
from poicheck.ruleset.model import SEVERITIES, RuleSet

FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Finding:
    """One violation of one rule, located in the input and in the record's OICP JSON."""

    rule: str
    severity: str
    file: str
    sheet: str | None
    row: int | None
    record: int | None
    evse_id: str | None
    field: str
    pointer: str
    value: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FINDING_COLUMNS}


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

    @property
    def findings(self) -> list[Finding]:
        """Findings as dataclasses, in report order."""
        return list(self.iter_findings())

    def iter_findings(self) -> Iterator[Finding]:
        for raw in self.frame.to_dict(orient="records"):
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
                    **({"unreadable": result.error} if result.error else {}),
                }
            )
        total = self.counts()
        return {
            "files": files,
            "total": {
                "files": len(self.files),
                "unreadable_files": len(self.unreadable),
                "records": sum(f.records for f in self.files),
                "errors": total["error"],
                "warnings": total["warning"],
                "infos": total["info"],
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
