"""Human-readable text: findings grouped by file and row, a summary line at the end.

Every value from the data is shown through `poicheck.escape.printable` (before the colours are
added), so a line break or an escape sequence in a cell is shown, never interpreted.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from poicheck.escape import printable
from poicheck.render._common import envelope_place, file_formats, score_line
from poicheck.render.statistics import everywhere, statistics_lines
from poicheck.results.report import Finding, Report

STYLES = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m", "bold": "\x1b[1m"}
RESET = "\x1b[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{STYLES[style]}{text}{RESET}" if color else text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _location(finding: Finding, formats: dict[str, str | None]) -> str:
    if finding.row is None:
        return envelope_place(finding) or "file"
    noun = {"jsonl": "line", "ocpi": "EVSE"}.get(formats.get(finding.file) or "", "row")
    where = f"{noun} {finding.row}"
    return f"{where}  {printable(finding.evse_id)}" if finding.evse_id else where


def render(report: Report, *, color: bool = False, statistics: bool = False, **_: Any) -> str:
    """Findings by file and row, then the findings by rule, notes, counts and score; with
    `statistics`, only what follows the findings (ruff's --statistics)."""
    lines = [] if statistics else _findings(report, color)
    for result in report.unreadable:
        lines.append(_paint(printable(result.file), "bold", color))
        error = printable(result.error)
        lines.append(f"  {_paint('error  ', 'error', color)} unreadable: {error}")
        lines.append("")
    lines.extend(statistics_lines(report))
    lines.extend(printable(f"note: {note}") for note in report.notes)
    lines.append(summary_line(report))
    score = score_line(report)
    if score is not None:
        lines.append(score)
    return "\n".join(lines) + "\n"


def _findings(report: Report, color: bool) -> list[str]:
    """The findings by file and row; a finding every record of a file shares (a column
    missing from the file) is said once, at the top of its file."""
    lines: list[str] = []
    formats = file_formats(report)
    shared = everywhere(report)
    once = set(zip(shared["file"], shared["rule"], shared["field"], strict=True))
    counts = {(f, r, c): n for f, r, c, n in shared.itertuples(index=False)}
    for file, in_file in groupby(report.findings, key=lambda f: f.file):
        lines.append(_paint(printable(file), "bold", color))
        told: set[tuple[str, str, str]] = set()
        rest = []
        for finding in in_file:
            key = (finding.file, finding.rule, finding.field)
            if key not in once:
                rest.append(finding)
            elif key not in told:
                told.add(key)
                lines.append(f"  every record ({counts[key]:,})")
                lines.append(_line(finding, color, formats))
        for where, at_row in groupby(rest, key=lambda f: _location(f, formats)):
            lines.append(f"  {where}")
            lines.extend(_line(finding, color, formats) for finding in at_row)
        lines.append("")
    return lines


def _line(finding: Finding, color: bool, formats: dict[str, str | None]) -> str:
    severity = _paint(f"{finding.severity:<7}", finding.severity, color)
    cell = f"{finding.cell}  " if finding.cell else ""  # the user's own cell (a mapping)
    said = printable(f"{finding.rule}  {cell}{finding.field}: {finding.message}{_causes(finding)}")
    if finding.pointer and formats.get(finding.file) == "ocpi":  # where in the user's OCPI
        said += printable(f" [at {finding.pointer}]")
    return f"    {severity} {said}"


def _causes(finding: Finding) -> str:
    """The rules of the findings folded into this one (one cause, one finding)."""
    if not finding.related:
        return ""
    return f" (this also causes {', '.join(dict.fromkeys(r['rule'] for r in finding.related))})"


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
