"""A Markdown summary that fits a pull-request comment or `$GITHUB_STEP_SUMMARY`: the score,
the counts, the top rules and the first findings, with a note on what was left out.

GitHub refuses comments over 65,536 characters; the summary stays under `max_chars`
(default 60,000) by showing fewer findings.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from poicheck.escape import printable
from poicheck.render._common import by_severity, file_formats, relative_path, where
from poicheck.render.statistics import rule_counts
from poicheck.render.text import summary_line
from poicheck.results.report import Finding, Report
from poicheck.version import __version__

MAX_FINDINGS = 50
TOP_RULES = 10
MAX_CHARS = 60_000
# Characters that mean something inside a GitHub table cell (the rest only at a line start).
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


# `@name` would notify a GitHub user or team: a word joiner after the `@` keeps it text.
_MENTION = re.compile(r"@(?=[\w-])")
WORD_JOINER = "\u2060"


def cell(text: object) -> str:
    """Text safe in a table cell: control characters and line breaks shown escaped
    (poicheck.escape), Markdown and HTML characters escaped, `@mentions` made plain text."""
    value = "" if text is None else printable(text)
    escaped = _SPECIAL.sub(r"\\\1", " ".join(value.split()))
    return _MENTION.sub("@" + WORD_JOINER, escaped)


def code(text: object) -> str:
    """An identifier (EvseID, field) as a code span in a table cell."""
    value = "" if text is None else " ".join(printable(text).split())
    if not value:
        return ""
    if "`" in value:
        return cell(value)
    return "`" + value.replace("|", "\\|") + "`"


def _status(report: Report) -> str:
    counts = report.counts()
    if report.unreadable or counts["error"]:
        return "❌"
    return "⚠️" if counts["warning"] else "✅"


def _score(report: Report) -> list[str]:
    score = report.score.summary() if report.score else None
    if score is None:
        return []
    parts = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in score["factors"].items())
    return [
        f"**Data score {score['overall']:g}/100**: completeness {score['completeness']:g}, "
        f"correctness {score['correctness']:g} ({parts}).",
        "",
    ]


def _files(report: Report) -> list[str]:
    lines = [
        "| file | records | errors | warnings | infos | score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for entry in report.summary()["files"]:
        score = entry["score"]["overall"] if entry.get("score") else None
        shown = f"{score:g}" if score is not None else "–"
        if entry.get("unreadable"):
            shown = f"unreadable: {cell(entry['unreadable'])}"
        lines.append(
            f"| {cell(relative_path(entry['file']))} | {entry['records']} | {entry['errors']} "
            f"| {entry['warnings']} | {entry['infos']} | {shown} |"
        )
    return [*lines, ""]


def _top_rules(report: Report) -> list[str]:
    """The rules that found most, with severity, consequence and one example."""
    counts = rule_counts(report)
    if not counts:
        return []
    lines = [
        "### Top rules",
        "",
        "| rule | name | severity | consequence | findings | EVSEs | example |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for count in counts[:TOP_RULES]:
        rule = report.ruleset.rules.get(count.rule)
        name = rule.name if rule is not None else ""
        lines.append(
            f"| {count.rule} | {code(name)} | {count.severity} | {count.consequence} "
            f"| {count.findings} | {count.records} | {cell(count.example)} |"
        )
    if len(counts) > TOP_RULES:
        rest = sum(count.findings for count in counts[TOP_RULES:])
        lines += ["", f"…and {len(counts) - TOP_RULES} more rules with {rest} findings."]
    return [*lines, ""]


def _finding_row(finding: Finding, formats: dict[str, str | None]) -> str:
    return (
        f"| {finding.severity} | {finding.rule} | {cell(relative_path(finding.file))} "
        f"| {cell(where(finding, formats))} | {code(finding.evse_id)} | {code(finding.field)} "
        f"| {cell(finding.message)} |"
    )


def _findings(report: Report, limit: int, budget: int) -> list[str]:
    findings = by_severity(report.findings)
    if not findings:
        return []
    formats = file_formats(report)
    head = [
        "| severity | rule | file | where | EvseID | field | message |",
        "|---|---|---|---|---|---|---|",
    ]
    rows: list[str] = []
    used = 0
    for finding in findings[:limit]:
        row = _finding_row(finding, formats)
        if used + len(row) + 1 > budget:
            break
        rows.append(row)
        used += len(row) + 1
    title = f"### Findings (the first {len(rows)} of {len(findings)})"
    if len(rows) == len(findings):
        title = f"### Findings ({len(findings)})"
    lines = [title, "", *head, *rows, ""]
    left = findings[len(rows) :]
    if left:
        counts = Counter(f.severity for f in left)
        detail = ", ".join(f"{n} {s}{'' if n == 1 else 's'}" for s, n in counts.items())
        lines += [
            f"*Truncated: {len(left)} more findings not shown ({detail}). The full list: "
            "`poicheck validate --format json`, or `poicheck report --html` for the "
            "browsable report.*",
            "",
        ]
    return lines


def render(
    report: Report,
    *,
    max_findings: int = MAX_FINDINGS,
    max_chars: int = MAX_CHARS,
    **_: Any,
) -> str:
    """The Markdown summary; at most `max_findings` findings, at most `max_chars` characters."""
    lines = [f"## {_status(report)} poicheck: {summary_line(report)}", ""]
    lines += _score(report)
    lines += _files(report)
    lines += [f"> **note:** {cell(note)}" for note in report.notes]
    if report.notes:
        lines.append("")
    lines += _top_rules(report)
    footer = [
        f"<sub>poicheck {__version__}, rules {report.ruleset.name} {report.ruleset.version}</sub>",
    ]
    budget = max_chars - sum(len(line) + 1 for line in lines + footer) - 600
    lines += _findings(report, max_findings, max(budget, 0))
    return "\n".join(lines + footer) + "\n"
