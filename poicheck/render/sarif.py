"""SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for GitHub code scanning
and other SARIF viewers.

Rules carry their metadata from the rule files (id, name, description, help, default level).
Results are located by file (relative to the working directory) and, for CSV and XLSX, by
row as `region.startLine`; JSON records have no line of their own, so their results carry the
record's position and JSON pointer as a logical location instead. The physical column is not
known after reading, so no `startColumn` is given; the field is the logical location's name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from poicheck.render._common import LEVELS, context, file_formats, line_of, relative_path
from poicheck.results.report import Finding, Report
from poicheck.ruleset.docs import describe, explain_rule
from poicheck.ruleset.model import Rule, RuleSet
from poicheck.version import __version__

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
BASE_ID = "%SRCROOT%"  # the working directory of the run
MIME_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "jsonl": "application/jsonl",
    "ocpi": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def rule_descriptor(rule: Rule, ruleset: RuleSet) -> dict[str, Any]:
    """A SARIF reportingDescriptor for one rule, from the rule files."""
    description = describe(rule, ruleset)
    short = description.split(". ")[0].rstrip(".") + "." if description else rule.name
    full = " ".join(part for part in (description, rule.why) if part) or rule.name
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": _help(rule, ruleset)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "category": rule.category,
            "consequence": rule.consequence,
            "tags": [rule.category, rule.consequence, ruleset.name],
            "fields": list(rule.fields),
            "kind": rule.kind,
            **(
                {"fixes": [{"kind": f.kind, "applicability": f.applicability} for f in rule.fixes]}
                if rule.fixes
                else {}
            ),
        },
    }


def _help(rule: Rule, ruleset: RuleSet) -> str:
    # The rule file's absolute path on this machine means nothing to the reader of the log.
    lines = explain_rule(rule, ruleset).splitlines()
    return "\n".join(line for line in lines if not line.startswith("Defined in ")).rstrip()


def _uri(path: str) -> str:
    return quote(relative_path(path), safe="/")


def _fingerprint(finding: Finding) -> str:
    # Stable across reruns and row shifts: the record is named by its EvseID when it has one.
    anchor = finding.evse_id or str(finding.row)
    key = "|".join((finding.rule, relative_path(finding.file), anchor, finding.field))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _location(finding: Finding, formats: dict[str, str | None], index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": _uri(finding.file), "uriBaseId": BASE_ID, "index": index}
    }
    line = line_of(finding, formats)
    if line is not None:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    name = finding.field or finding.pointer
    if name:
        qualified = f"{finding.evse_id or ''}{finding.pointer}" or name
        location["logicalLocations"] = [
            {"name": name, "fullyQualifiedName": qualified, "kind": "member"}
        ]
    return location


@dataclass(frozen=True)
class _Indexes:
    formats: dict[str, str | None]
    rules: dict[str, int]
    artifacts: dict[str, int]


def _result(finding: Finding, indexes: _Indexes) -> dict[str, Any]:
    formats = indexes.formats
    result: dict[str, Any] = {"ruleId": finding.rule}
    rule_index = indexes.rules.get(finding.rule)
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    artifact = indexes.artifacts[finding.file]
    result.update(
        {
            "level": LEVELS[finding.severity],
            "message": {"text": f"{finding.message} ({context(finding, formats)})"},
            "locations": [_location(finding, formats, artifact)],
            "partialFingerprints": {"poicheckFinding/v1": _fingerprint(finding)},
            "properties": {
                key: value
                for key, value in {
                    "category": finding.category,
                    "consequence": finding.consequence,
                    "evse_id": finding.evse_id,
                    "field": finding.field,
                    "pointer": finding.pointer,
                    "value": finding.value,
                    "record": finding.record,
                    "sheet": finding.sheet,
                    "fix": finding.fix,  # poicheck fix has one: safe or unsafe
                }.items()
                if value not in (None, "")
            },
        }
    )
    return result


def _artifacts(report: Report) -> list[dict[str, Any]]:
    artifacts = []
    for result in report.files:
        artifact: dict[str, Any] = {
            "location": {"uri": _uri(result.file), "uriBaseId": BASE_ID},
            "roles": ["analysisTarget"],
            "properties": {"records": result.records},
        }
        if result.format in MIME_TYPES:
            artifact["mimeType"] = MIME_TYPES[result.format]
        if result.sheet:
            artifact["properties"]["sheet"] = result.sheet
        artifacts.append(artifact)
    return artifacts


def _invocation(report: Report) -> dict[str, Any]:
    notifications: list[dict[str, Any]] = [
        {
            "level": "error",
            "message": {"text": f"cannot read {relative_path(result.file)}: {result.error}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(result.file), "uriBaseId": BASE_ID}
                    }
                }
            ],
        }
        for result in report.unreadable
    ]
    notifications += [{"level": "note", "message": {"text": note}} for note in report.notes]
    invocation: dict[str, Any] = {"executionSuccessful": not report.unreadable}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def document(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict."""
    ruleset = report.ruleset
    rules = sorted(ruleset.rules.values(), key=lambda r: r.id)
    indexes = _Indexes(
        formats=file_formats(report),
        rules={rule.id: i for i, rule in enumerate(rules)},
        artifacts={result.file: i for i, result in enumerate(report.files)},
    )
    total = report.summary()["total"]
    run = {
        "tool": {
            "driver": {
                "name": "poicheck",
                "version": __version__,
                "semanticVersion": __version__,
                "fullName": f"poicheck {__version__} ({ruleset.name} {ruleset.version})",
                "rules": [rule_descriptor(rule, ruleset) for rule in rules],
                "properties": {"ruleset": ruleset.name, "ruleset_version": ruleset.version},
            }
        },
        "invocations": [_invocation(report)],
        "artifacts": _artifacts(report),
        "results": [_result(f, indexes) for f in report.iter_findings()],
        "columnKind": "unicodeCodePoints",
        "properties": {"records": total["records"], "score": total["score"]},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report, **_: Any) -> str:
    """The SARIF log as JSON text."""
    return json.dumps(document(report), ensure_ascii=False, indent=2) + "\n"
