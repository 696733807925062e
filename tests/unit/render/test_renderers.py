"""The CI renderers: SARIF (against the official schema), JUnit, GitHub workflow commands and
the Markdown summary (golden snapshots), and the `--format` registry."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from poicheck import validate
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.render import render, renderer_names, renderers
from poicheck.render.github import command, escape_data, escape_property
from poicheck.render.markdown import cell
from poicheck.results.report import Report
from tests.conftest import check_golden
from tests.records import VALID_CELLS, frame_of

ROOT = Path(__file__).resolve().parents[3]
SARIF_SCHEMA = Path(__file__).parents[2] / "schemas" / "sarif-schema-2.1.0.json"
INVALID = "samples/invalid/evse-invalid.csv"
INVALID_JSON = "samples/invalid/evse-invalid.json"
OPERATOR = {
    "operator_id": "DE*PCK",
    "operator_name": "PoiCheck Demo Hub",
    "sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"],
}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def invalid() -> Report:
    return validate(INVALID, **OPERATOR)


@pytest.fixture(scope="module")
def mixed() -> Report:
    """CSV and JSON findings and an unreadable file, in one report."""
    return validate([INVALID, INVALID_JSON, "no/such/file.csv"], **OPERATOR)


def test_registry_names_every_renderer_and_validate_offers_them() -> None:
    assert renderer_names()[0] == "text"
    assert set(renderer_names()) == {"text", "json", "sarif", "junit", "github", "markdown"}
    assert set(renderers()) == set(renderer_names())
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert "[text|json|sarif|junit|github|markdown]" in result.output


# --- SARIF ---------------------------------------------------------------------------------


def sarif_of(report: Report) -> dict:
    return json.loads(render("sarif", report))


@pytest.mark.slow
def test_sarif_is_valid_against_the_sarif_2_1_0_schema(mixed: Report) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    document = sarif_of(mixed)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    assert document["version"] == "2.1.0"


@pytest.mark.slow
def test_sarif_rules_carry_the_rule_files_metadata(invalid: Report) -> None:
    driver = sarif_of(invalid)["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == sorted(invalid.ruleset.rules)
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for descriptor in driver["rules"]:
        rule = invalid.ruleset.rules[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["defaultConfiguration"]["level"] == levels[rule.severity]
        assert descriptor["shortDescription"]["text"]
        assert descriptor["help"]["text"].startswith(f"{rule.id} {rule.name}")
        assert "Defined in" not in descriptor["help"]["text"]  # no machine-local paths
        if rule.why:
            assert rule.why in descriptor["fullDescription"]["text"]
        assert descriptor["properties"]["category"] == rule.category


def test_sarif_results_are_located_by_file_and_row(mixed: Report) -> None:
    run = sarif_of(mixed)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(mixed.frame)
    for result, finding in zip(run["results"], mixed.iter_findings(), strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule
        location = result["locations"][0]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == finding.file  # relative, as given
        assert run["artifacts"][physical["artifactLocation"]["index"]]["location"]["uri"] == (
            finding.file
        )
        if finding.file.endswith(".csv") and finding.row is not None:
            assert physical["region"] == {"startLine": finding.row}
        else:  # a JSON record's position is no line: it is located by its pointer instead
            assert "region" not in physical
        if finding.pointer:
            name = location["logicalLocations"][0]["fullyQualifiedName"]
            assert name == f"{finding.evse_id or ''}{finding.pointer}"
        assert finding.message in result["message"]["text"]
    fingerprints = Counter(r["partialFingerprints"]["poicheckFinding/v1"] for r in run["results"])
    assert max(fingerprints.values()) <= 2  # a few findings repeat on one field of one EVSE
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "no such file" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_sarif_paths_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    report = validate(ROOT / INVALID, select=["ADR003"], **OPERATOR)
    results = sarif_of(report)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {INVALID}
    spaced = tmp_path / "my data" / "evse file.csv"
    spaced.parent.mkdir()
    spaced.write_bytes((ROOT / INVALID).read_bytes())
    document = sarif_of(validate(spaced, select=["ADR003"], **OPERATOR))
    uri = document["runs"][0]["artifacts"][0]["location"]["uri"]
    assert " " not in uri
    assert urlsplit(uri).path.endswith("my%20data/evse%20file.csv")


# --- JUnit ---------------------------------------------------------------------------------


def junit_of(report: Report, **options: str) -> ET.Element:
    return ET.fromstring(render("junit", report, **options).encode("utf-8"))


def test_junit_has_a_testcase_per_rule_and_file_and_a_failure_per_group(mixed: Report) -> None:
    root = junit_of(mixed)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [INVALID, INVALID_JSON, "no/such/file.csv"]
    rules = len(mixed.ruleset.rules)
    frame = mixed.frame
    for suite in suites[:2]:
        cases = suite.findall("testcase")
        assert len(cases) == rules == int(suite.get("tests", "0"))
        in_file = frame[frame["file"] == suite.get("name")]
        errors = in_file[in_file["severity"] == "error"]
        failed = {c.get("name", "").split()[0] for c in cases if c.find("failure") is not None}
        assert failed == set(errors["rule"])
        assert int(suite.get("failures", "-1")) == len(failed)
        for case in cases:
            failure = case.find("failure")
            if failure is not None:
                rule = case.get("name", "").split()[0]
                assert len((failure.text or "").splitlines()) == int((errors["rule"] == rule).sum())
    unreadable = suites[2]
    assert unreadable.get("errors") == "1"
    assert unreadable.find("testcase/error") is not None
    assert root.get("failures") == str(sum(int(s.get("failures", "0")) for s in suites))
    warnings = [c for c in suites[0].findall("testcase") if c.find("system-out") is not None]
    assert warnings  # warnings are reported, below --fail-on they do not fail


def test_junit_failures_follow_fail_on(invalid: Report) -> None:
    root = junit_of(invalid, fail_on="warning")
    frame = invalid.frame
    expected = set(frame[frame["severity"].isin(["error", "warning"])]["rule"])
    failed = {
        c.get("name", "").split()[0] for c in root.iter("testcase") if c.find("failure") is not None
    }
    assert failed == expected
    assert junit_of(invalid, fail_on="never").get("failures") == "0"


def test_junit_survives_control_characters_in_the_data() -> None:
    report = validate(frame_of({**VALID_CELLS, "Plugs": "Type 2\x01Outlet"}), select=["PWR002"])
    assert report.findings, "the planted value must produce a finding"
    root = junit_of(report)  # would raise on an invalid XML character
    assert "\\x01" in "".join(root.itertext())


def test_junit_matches_golden(invalid: Report) -> None:
    check_golden("render/invalid-csv.junit.xml", render("junit", invalid))


# --- GitHub workflow commands ---------------------------------------------------------------


def test_github_commands_match_golden(invalid: Report) -> None:
    check_golden("render/invalid-csv.github.txt", render("github", invalid))


def test_github_commands_are_escaped_and_located(mixed: Report) -> None:
    lines = render("github", mixed).splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == len(mixed.frame) + 1 + len(mixed.notes)  # + the unreadable file
    pattern = re.compile(r"^::(error|warning|notice) (file=[^,]+(,line=\d+)?,title=[^:]+)::.+$")
    for line, finding in zip(annotations, mixed.iter_findings(), strict=False):
        match = pattern.match(line)
        assert match, line
        assert (
            match.group(1)
            == {"error": "error", "warning": "warning", "info": "notice"}[finding.severity]
        )
        has_line = finding.file.endswith(".csv") and finding.row is not None
        assert (f",line={finding.row}," in line) == has_line
    assert escape_data("50%\nnext") == "50%25%0Anext"
    assert escape_property("a,b: c") == "a%2Cb%3A c"
    assert command("warning", "x", file="a.csv", line=None, title="T") == (
        "::warning file=a.csv,title=T::x"
    )


# --- Markdown -------------------------------------------------------------------------------


def normalised(text: str) -> str:
    return re.sub(r"poicheck \S+, rules (\S+) \S+</sub>", r"poicheck X, rules \1 X</sub>", text)


def test_markdown_summary_matches_golden(invalid: Report) -> None:
    text = render("markdown", invalid)
    check_golden("render/invalid-csv.md", normalised(text))
    assert text.startswith("## ❌ poicheck: 33 errors, 47 warnings, 1 info")
    assert "**Data score 88.7/100**" in text
    assert "### Findings (the first 50 of 81)" in text
    assert "*Truncated: 31 more findings not shown (30 warnings, 1 info)." in text


def test_markdown_stays_within_a_pull_request_comment(invalid: Report) -> None:
    short = render("markdown", invalid, max_findings=500, max_chars=4_000)
    assert len(short) <= 4_000
    assert "*Truncated:" in short
    everything = render("markdown", invalid, max_findings=500)
    assert f"### Findings ({len(invalid.findings)})" in everything
    assert "*Truncated" not in everything


def test_markdown_of_clean_data_says_so() -> None:
    report = validate("samples/valid/evse-valid.csv", **OPERATOR)
    text = render("markdown", report)
    assert text.startswith("## ✅ poicheck: 0 errors, 0 warnings, 0 infos")
    assert "### Findings" not in text


def test_markdown_cells_cannot_break_the_table_or_inject_html() -> None:
    assert cell("a|b") == "a\\|b"
    assert cell("<script>x</script>") == "\\<script\\>x\\</script\\>"
    assert cell("two\nlines") == "two\\\\nlines"  # shows as two\nlines: escaped, one line
    assert cell("two  spaced") == "two spaced"
    report = validate(frame_of({**VALID_CELLS, "Plugs": "<b>|Type 2"}), select=["PWR002"])
    lines = render("markdown", report).splitlines()
    rows = [line for line in lines if line.startswith("| error | PWR002 |")]
    assert rows
    assert all(line.count(" | ") == 6 for line in rows)  # seven cells, none split
    assert "<b>" not in rows[0]


# --- through the command line ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("output_format", ["sarif", "junit", "github", "markdown"])
def test_validate_writes_every_format(tmp_path: Path, output_format: str) -> None:
    out = tmp_path / f"out.{output_format}"
    result = CliRunner().invoke(
        cli,
        ["validate", INVALID, "--format", output_format, "--output", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == render(
        output_format, validate(INVALID, **OPERATOR), fail_on="error"
    )
