"""JUnit XML for CI dashboards: a test suite per file, a test case per rule and file, a failure
per group of findings (the findings of one rule in one file).

Findings at or above `--fail-on` (default error) make their test case fail; findings below it
are listed in the passing test case's `system-out`, so the dashboard agrees with the exit code.
An unreadable file is a test suite with one erroring test case.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from xml.etree import ElementTree as ET

from poicheck.findings import SEVERITY_RANK
from poicheck.render._common import context, file_formats, line_of, relative_path
from poicheck.results.report import FileResult, Finding, Report
from poicheck.ruleset.model import Rule

# XML 1.0 cannot carry most control characters, not even escaped; data can contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(str(v)) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _lines(findings: list[Finding], formats: dict[str, str | None]) -> str:
    return "\n".join(f"{f.severity} {context(f, formats)} {f.field}: {f.message}" for f in findings)


def _testcase(
    suite: ET.Element,
    rule: Rule,
    path: str,
    findings: list[Finding],
    threshold: int,
    formats: dict[str, str | None],
) -> bool:
    case = _element(
        suite, "testcase", classname=path, name=f"{rule.id} {rule.name}", file=path, time="0"
    )
    lines = [line_of(f, formats) for f in findings]
    if any(line is not None for line in lines):
        case.set("line", str(min(line for line in lines if line is not None)))
    failing = [f for f in findings if SEVERITY_RANK[f.severity] <= threshold]
    passing = [f for f in findings if SEVERITY_RANK[f.severity] > threshold]
    if failing:
        worst = min((f.severity for f in failing), key=SEVERITY_RANK.__getitem__)
        noun = "finding" if len(failing) == 1 else "findings"
        _element(
            case,
            "failure",
            _lines(failing, formats),
            message=f"{len(failing)} {noun} of {rule.id} {rule.name} in {path}",
            type=worst,
        )
    if passing:
        _element(case, "system-out", _lines(passing, formats))
    return bool(failing)


def _suite(
    root: ET.Element,
    result: FileResult,
    rules: list[Rule],
    groups: dict[str, list[Finding]],
    threshold: int,
    formats: dict[str, str | None],
) -> tuple[int, int, int]:
    path = relative_path(result.file)
    suite = _element(root, "testsuite", name=path, tests=0, failures=0, errors=0, skipped=0, time=0)
    if result.error is not None:
        case = _element(suite, "testcase", classname=path, name="read", file=path, time="0")
        _element(case, "error", result.error, message=result.error, type="unreadable")
        suite.attrib.update(tests="1", failures="0", errors="1", skipped="0")
        return 1, 0, 1
    properties = _element(suite, "properties")
    _element(properties, "property", name="records", value=result.records)
    failures = 0
    for rule in rules:
        failures += _testcase(suite, rule, path, groups.get(rule.id, []), threshold, formats)
    suite.attrib.update(tests=str(len(rules)), failures=str(failures), errors="0", skipped="0")
    return len(rules), failures, 0


def render(report: Report, *, fail_on: str = "error", **_: Any) -> str:
    """The JUnit XML document (UTF-8 text with an XML declaration)."""
    threshold = SEVERITY_RANK.get(fail_on, -1)  # "never": nothing fails
    rules = sorted(report.ruleset.rules.values(), key=lambda r: r.id)
    formats = file_formats(report)
    grouped: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in report.iter_findings():
        grouped[finding.file][finding.rule].append(finding)
    root = ET.Element(
        "testsuites", name="poicheck", tests="0", failures="0", errors="0", skipped="0", time="0"
    )
    totals = [0, 0, 0]
    for result in report.files:
        counts = _suite(root, result, rules, grouped.get(result.file, {}), threshold, formats)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    root.attrib.update(tests=str(totals[0]), failures=str(totals[1]), errors=str(totals[2]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
