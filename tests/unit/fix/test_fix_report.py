"""Where findings say that `poicheck fix` has a fix: the JSON output, SARIF, the HTML report
(its column and the section "What fixing would change", ranked by points gained) and the
data-check form's notes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from poicheck import validate
from poicheck.fix.gains import fixing_gains
from poicheck.render import render
from poicheck.render.html import render_html
from poicheck.results.report import Report
from poicheck.results.score import compute
from poicheck.workbooks.answers import compute_answers, count_present
from tests.records import VALID_CELLS
from tests.unit.fix.test_fix import table_of

ROOT = Path(__file__).resolve().parents[3]
OPERATOR = {
    "operator_id": "DE*PCK",
    "operator_name": "PoiCheck Demo Hub",
    "sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"],
}


@pytest.fixture(scope="module")
def report() -> Report:
    return validate(ROOT / "samples" / "invalid" / "evse-invalid.csv", **OPERATOR)


def test_json_and_sarif_name_the_fix(report: Report) -> None:
    document = json.loads(render("json", report))
    assert document["schema_version"] == "1.3"
    fixes = {(f["rule"], f["fix"]) for f in document["findings"] if f["fix"]}
    assert ("ADR002", "safe") in fixes
    assert ("GEO009", "unsafe") in fixes
    assert all(list(f)[-2:] == ["fix", "related"] for f in document["findings"])
    sarif = json.loads(render("sarif", report))["runs"][0]
    by_rule = {r["ruleId"]: r for r in sarif["results"]}
    assert by_rule["ADR002"]["properties"]["fix"] == "safe"
    assert "fix" not in by_rule["IDN001"]["properties"]
    rules = {r["id"]: r for r in sarif["tool"]["driver"]["rules"]}
    assert rules["ACC013"]["properties"]["fixes"][0] == {
        "kind": "phone_format",
        "applicability": "safe",
    }
    assert "fixes" not in rules["IDN001"]["properties"]


def test_gains_are_the_score_without_the_fixable_findings(report: Report) -> None:
    gains = fixing_gains(report)
    rules = [row["rule"] for row in gains if row["rule"]]
    points = [row["points"] for row in gains if row["rule"]]
    assert points == sorted(points, reverse=True)
    assert set(rules) == set(report.frame.loc[report.frame["fix"].notna(), "rule"])
    assert report.score is not None
    assert report.records is not None
    before = report.score.records["overall"].mean()
    for row in gains:
        if row["rule"] is None:
            chosen = report.frame["fix"].notna()
            if row["name"] == "all safe fixes":
                chosen = report.frame["fix"] == "safe"
        else:
            chosen = (report.frame["rule"] == row["rule"]) & report.frame["fix"].notna()
        after = compute(report.records, report.frame[~chosen], report.ruleset)
        expected = after.records["overall"].mean() - before
        assert row["points"] == pytest.approx(round(expected, 2), abs=0.011), row
    totals = {row["name"]: row for row in gains if row["rule"] is None}
    assert totals["all fixes"]["points"] >= totals["all safe fixes"]["points"] > 0
    assert totals["all safe fixes"]["unsafe"] == 0


@pytest.mark.slow
def test_html_report_shows_what_fixing_would_change(report: Report) -> None:
    html = render_html(report)
    section = html[html.index('<section id="fixing">') : html.index('<section id="fields">')]
    assert "What fixing would change" in section
    assert '<td class="id">ADR002</td>' in section
    assert "all safe fixes" in section
    assert '<a href="#fixing">Fixing</a>' in html
    findings = html[html.index('<section id="findings">') :]
    assert "<th>fix</th>" in findings
    assert "<td>unsafe</td>" in findings


@pytest.mark.slow
def test_html_report_without_fixable_findings_has_no_section() -> None:
    clean = validate(table_of(VALID_CELLS), **OPERATOR)
    assert fixing_gains(clean) == []
    assert '<section id="fixing">' not in render_html(clean)


def test_form_notes_count_the_records_with_a_fix() -> None:
    table = table_of(
        {**VALID_CELLS, "CalibrationLawDataAvailability": "local"},
        {**VALID_CELLS, "EvseID": "DE*PCK*E1001*2", "CalibrationLawDataAvailability": "lokal"},
    )
    report = validate(table, **OPERATOR)
    answers = compute_answers(report.frame, report.ruleset, count_present([table], report.ruleset))
    note = answers.set_index("property").loc["CalibrationLawDataAvailability", "note"]
    assert "ACC002 (error, refused): 2 records (1 with a fix: poicheck fix)" in note


@pytest.mark.slow
def test_gains_of_several_files() -> None:
    csv = ROOT / "samples" / "invalid" / "evse-invalid.csv"
    json_file = ROOT / "samples" / "invalid" / "evse-invalid.json"
    both = validate([csv, json_file], **OPERATOR)
    gains = {row["name"]: row for row in fixing_gains(both) if row["rule"] is None}
    apart = [
        {row["name"]: row for row in fixing_gains(validate(f, **OPERATOR)) if not row["rule"]}
        for f in (csv, json_file)
    ]
    # EVSEs a fix helps are counted per file: the two files' together
    assert gains["all safe fixes"]["evses"] == sum(a["all safe fixes"]["evses"] for a in apart)
    assert gains["all safe fixes"]["evses"] > 0
    assert np.isfinite(gains["all fixes"]["points"])
