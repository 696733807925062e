"""GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` per finding, so
that findings show as annotations on the pull request, then the summary as plain lines.

`poicheck validate data/ --format github` in a workflow step is all it takes. CSV and XLSX
findings carry their row as `line`; JSON records have no line of their own, so their
annotations name the record and JSON pointer in the message instead.
"""

from __future__ import annotations

from typing import Any

from poicheck.escape import printable
from poicheck.render._common import (
    LEVELS,
    context,
    file_formats,
    line_of,
    relative_path,
    rule_title,
    score_line,
)
from poicheck.render.text import summary_line
from poicheck.results.report import Finding, Report

COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """The message of a workflow command (GitHub's toolkit escaping: line breaks as %0A, which
    the annotation shows as a line break), then every other control character escaped."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """A property value of a workflow command: also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line: `::name key=value,...::message`."""
    given = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value not in (None, "")
    )
    return f"::{name}{' ' + given if given else ''}::{escape_data(message)}"


def _annotation(finding: Finding, report: Report, formats: dict[str, str | None]) -> str:
    title = rule_title(report, finding.rule)
    if finding.evse_id:
        title += f" ({finding.evse_id})"
    return command(
        COMMANDS[LEVELS[finding.severity]],
        f"{finding.message} [{context(finding, formats)}]",
        file=relative_path(finding.file),
        line=line_of(finding, formats),
        title=title,
    )


def render(report: Report, **_: Any) -> str:
    """Workflow commands, then the summary and score as plain log lines."""
    formats = file_formats(report)
    lines = [_annotation(finding, report, formats) for finding in report.iter_findings()]
    lines += [
        command("error", f"cannot read: {result.error}", file=relative_path(result.file))
        for result in report.unreadable
    ]
    lines += [command("notice", note) for note in report.notes]
    lines.append(summary_line(report))
    score = score_line(report)
    if score is not None:
        lines.append(score)
    return "\n".join(lines) + "\n"
