"""Human-readable text: findings grouped by file and row, a summary line at the end."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from poicheck.render._common import file_formats, score_line
from poicheck.report import Finding, Report

STYLES = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m", "bold": "\x1b[1m"}
RESET = "\x1b[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{STYLES[style]}{text}{RESET}" if color else text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _location(finding: Finding, formats: dict[str, str | None]) -> str:
    if finding.row is None:
        return (
            "envelope"
            if finding.pointer.startswith(("/ActionType", "/OperatorEvseData/Operator"))
            else "file"
        )
    noun = "line" if formats.get(finding.file) == "jsonl" else "row"
    where = f"{noun} {finding.row}"
    return f"{where}  {finding.evse_id}" if finding.evse_id else where


def _causes(finding: Finding) -> str:
    """The rules of the findings folded into this one (one cause, one finding)."""
    if not finding.related:
        return ""
    return f" (this also causes {', '.join(dict.fromkeys(r['rule'] for r in finding.related))})"


def render(report: Report, *, color: bool = False, **_: Any) -> str:
    lines: list[str] = []
    findings = report.findings
    formats = file_formats(report)
    for file, in_file in groupby(findings, key=lambda f: f.file):
        lines.append(_paint(file, "bold", color))
        for where, at_row in groupby(in_file, key=lambda f: _location(f, formats)):
            lines.append(f"  {where}")
            for finding in at_row:
                severity = _paint(f"{finding.severity:<7}", finding.severity, color)
                lines.append(
                    f"    {severity} {finding.rule}  {finding.field}: {finding.message}"
                    + _causes(finding)
                )
        lines.append("")
    for result in report.unreadable:
        lines.append(_paint(result.file, "bold", color))
        lines.append(f"  {_paint('error  ', 'error', color)} unreadable: {result.error}")
        lines.append("")
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(summary_line(report))
    score = score_line(report)
    if score is not None:
        lines.append(score)
    return "\n".join(lines) + "\n"


def summary_line(report: Report) -> str:
    counts = report.counts()
    total = report.summary()["total"]
    parts = [
        _plural(counts["error"], "error"),
        _plural(counts["warning"], "warning"),
        _plural(counts["info"], "info"),
    ]
    files, records = _plural(total["files"], "file"), _plural(total["records"], "record")
    line = f"{', '.join(parts)} in {files} ({records})"
    if total["unreadable_files"]:
        line += f"; {_plural(total['unreadable_files'], 'file')} could not be read"
    return line + "."
