"""What the CI renderers (SARIF, JUnit, GitHub, Markdown) share: paths, levels, locations."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path, PurePath

from poicheck.results.report import Finding, Report

# SARIF / GitHub levels of poicheck's severities.
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# Formats whose `row` is a line (CSV) or a sheet row (XLSX); for JSON it is the position of
# the record in its array, which is no place in the text.
ROW_FORMATS = frozenset({"csv", "xlsx", "jsonl"})  # a row is a line or a sheet row
POINTER_FORMATS = frozenset({"json", "jsonl", "ocpi"})  # a finding's pointer helps find it
ENVELOPE_PREFIXES = ("/ActionType", "/OperatorEvseData/Operator")
ENVELOPE_NAMES = ("ActionType", "OperatorID", "OperatorName")


def relative_path(path: str, cwd: Path | None = None) -> str:
    """`path` as a POSIX path relative to the working directory when it lies below it."""
    return _relative(path, str(cwd or Path.cwd()))


@lru_cache(maxsize=4096)  # every finding asks; the inputs are few
def _relative(path: str, cwd: str) -> str:
    if path.startswith("<"):  # "<dataframe>": no file
        return path
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(Path(cwd).resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return PurePath(os.path.normpath(path)).as_posix()


def file_formats(report: Report) -> dict[str, str | None]:
    """The format of every input, by the path the findings carry."""
    return {result.file: result.format for result in report.files}


def line_of(finding: Finding, formats: dict[str, str | None]) -> int | None:
    """The line (CSV, JSON Lines) or sheet row (XLSX) of a finding, or None where there is
    none."""
    if finding.row is None or formats.get(finding.file) not in ROW_FORMATS:
        return None
    return finding.row


def where(finding: Finding, formats: dict[str, str | None]) -> str:
    """Where a finding is, in the words of the text output: "row 34", "record 4", "line 7",
    "envelope"."""
    if finding.row is None:
        return envelope_place(finding) or "file"
    if formats.get(finding.file) == "json":
        return f"record {finding.row}"
    if formats.get(finding.file) == "jsonl":
        return f"line {finding.row}"
    if formats.get(finding.file) == "ocpi":  # an EVSE of OCPI Locations, by its number
        return f"EVSE {finding.row}"
    sheet = f" of sheet '{finding.sheet}'" if finding.sheet else ""
    return f"row {finding.row}{sheet}"


def envelope_place(finding: Finding) -> str | None:
    """ "envelope" for a finding about a push request's envelope, "envelope at /EVSEData/1"
    for one about an operator block of a pull response or national dump (poicheck.engine.blocks),
    None for any other finding."""
    if finding.pointer.startswith(ENVELOPE_PREFIXES):
        return "envelope"
    parent, _, name = finding.pointer.rpartition("/")
    if finding.record is None and name in ENVELOPE_NAMES and finding.field == name:
        return f"envelope at {parent}" if parent else "envelope"
    return None


def context(finding: Finding, formats: dict[str, str | None]) -> str:
    """The location words and EvseID of a finding: "row 34, EvseID FR*ELC*E3001*3"."""
    parts = [where(finding, formats)]
    if finding.evse_id:
        parts.append(f"EvseID {finding.evse_id}")
    if finding.pointer and formats.get(finding.file) in POINTER_FORMATS:
        parts.append(finding.pointer)
    return ", ".join(parts)


def rule_title(report: Report, rule_id: str) -> str:
    """ "PWR007 power-integer", or the bare id of a rule the rule set does not know."""
    rule = report.ruleset.rules.get(rule_id)
    return f"{rule_id} {rule.name}" if rule is not None else rule_id


def by_severity(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then infos; report order within a severity."""
    rank = {severity: i for i, severity in enumerate(LEVELS)}
    return sorted(findings, key=lambda f: rank.get(f.severity, len(rank)))


def score_line(report: Report) -> str | None:
    """ "Data score 88.2/100: completeness 99.3, correctness 77.1 (geolocation 73.3, ...)."
    as the text output ends; None when no record was read."""
    score = report.score.summary() if report.score else None
    if score is None:
        return None
    factors = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in score["factors"].items())
    return (
        f"Data score {score['overall']:g}/100: completeness {score['completeness']:g}, "
        f"correctness {score['correctness']:g} ({factors})."
    )
