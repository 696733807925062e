"""The summary of findings by rule (text, Markdown, --statistics) and findings a whole file
shares said once (issue 15)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import poicheck
from poicheck.cli import cli
from poicheck.cli import validate as _validate  # noqa: F401  (registers the command)
from poicheck.render.statistics import everywhere, rule_counts

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop

ROOT = Path(__file__).resolve().parents[3]
INVALID = ROOT / "samples/invalid/evse-invalid.csv"
VALID = ROOT / "samples/valid/evse-valid.csv"


def test_rules_are_counted_most_frequent_first_with_an_example() -> None:
    report = poicheck.validate(INVALID)
    counts = rule_counts(report)
    assert sum(c.findings for c in counts) == len(report.frame)
    assert [c.findings for c in counts] == sorted((c.findings for c in counts), reverse=True)
    by_rule = {c.rule: c for c in counts}
    assert by_rule["PWR007"].severity == "error"
    assert by_rule["PWR007"].consequence == "refused"
    assert by_rule["PWR007"].example.startswith("row 34: ChargingFacilities.1.Power '22kW'")
    assert by_rule["IDN004"].records == by_rule["IDN004"].findings


def test_statistics_prints_the_summary_alone() -> None:
    result = CliRunner().invoke(cli, ["validate", str(INVALID), "--statistics", "-q"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Findings by rule (most frequent first):"
    assert not any(line.lstrip().startswith("row ") for line in lines)
    assert "33 errors" in lines[-2]
    assert lines[-1].startswith("Data score")
    full = CliRunner().invoke(cli, ["validate", str(INVALID), "-q"]).stdout
    assert full.endswith(result.stdout)  # the same summary closes the full output


def test_statistics_is_text_only() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "poicheck",
            "validate",
            str(INVALID),
            "--statistics",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("poicheck: error: --statistics")


def test_a_column_missing_from_every_record_is_said_once(tmp_path: Path) -> None:
    with VALID.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = [name for name in rows[0] if name != "Address.City"]
    path = tmp_path / "no-city.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    report = poicheck.validate(path)
    assert len(report.frame[report.frame["rule"] == "ADR003"]) == len(rows)  # JSON keeps all
    shared = everywhere(report)
    assert list(zip(shared["rule"], shared["count"], strict=True)) == [("ADR003", len(rows))]
    text = CliRunner().invoke(cli, ["validate", str(path), "-q"]).stdout
    assert text.count("ADR003  Address.City") == 1
    assert f"  every record ({len(rows)})" in text
    machine = CliRunner().invoke(cli, ["validate", str(path), "--format", "json", "-q"]).stdout
    assert sum(f["rule"] == "ADR003" for f in json.loads(machine)["findings"]) == len(rows)


def test_markdown_top_rules_show_consequence_and_example() -> None:
    markdown = (
        CliRunner().invoke(cli, ["validate", str(INVALID), "--format", "markdown", "-q"]).stdout
    )
    assert "| rule | name | severity | consequence | findings | EVSEs | example |" in markdown
    top = "| GEO019 | `coordinates-shared-between-addresses` | warning | scored | 4 | 4 | row 2:"
    assert top in markdown
