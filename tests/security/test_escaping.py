"""Data values reach people escaped (poicheck.escape): no forged workflow command, no terminal
escape sequence, no live @mention, no mathtext in a chart."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from poicheck.escape import printable
from poicheck.render.markdown import cell
from tests.security.conftest import OPERATOR, VALID_CSV, poicheck

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop

FORGED = "Type 2\n::error file=src/app.py,line=1::forged by the data @octocat\x1b]0;pwned\x07"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """Three DE*PCK records; the first with a forged workflow command in its Plugs and EvseID."""
    with VALID_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rows[1][header.index("Plugs")] = FORGED
    rows[1][header.index("EvseID")] = "DE*PCK*E1001*1\r\n::warning::forged\x1b[2J"
    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows[:4])
    return path


def _assert_inert(text: str) -> None:
    assert "forged" in text  # the value is shown...
    for control in ("\x1b", "\x07", "\r"):
        assert control not in text  # ...never run
    forged = ("::error file=src/app.py", "::warning::forged", "::error::forged")
    assert not [line for line in text.splitlines() if line.startswith(forged)]


def test_printable_escapes_controls_line_breaks_and_bidi_overrides() -> None:
    assert printable("a\nb\r\tc\x1b[31m\x7f\x9b\u2028\u202e") == (
        "a\\nb\\r\\tc\\x1b[31m\\x7f\\x9b\\u2028\\u202e"
    )
    assert printable("Grunerstraße 東京 ⚡") == "Grunerstraße 東京 ⚡"


@pytest.mark.parametrize("output_format", ["text", "github"])
def test_validate_output_forges_no_workflow_command(hostile: Path, output_format: str) -> None:
    result = poicheck("validate", hostile, "--format", output_format)
    assert result.returncode == 1, result.stderr
    _assert_inert(result.stdout)


def test_markdown_shows_values_escaped_and_mentions_inert(hostile: Path) -> None:
    result = poicheck("validate", hostile, "--format", "markdown")
    _assert_inert(result.stdout)
    assert "@octocat" not in result.stdout
    assert "@\u2060octocat" in result.stdout
    assert cell("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)\\>"


def test_the_export_summary_and_notes_are_escaped(hostile: Path) -> None:
    result = poicheck(
        "export", hostile, "--out", hostile.parent / "out", *OPERATOR, "--allow-deletions"
    )
    assert result.returncode == 1, result.stderr
    _assert_inert(result.stdout + result.stderr)


def test_an_error_message_is_escaped(tmp_path: Path) -> None:
    name = tmp_path / "x\n::error::forged\x1b[2J.csv"
    result = poicheck("validate", name)
    assert result.returncode == 2
    _assert_inert(result.stderr)


def test_a_mathtext_header_does_not_crash_the_html_report(tmp_path: Path) -> None:
    data = tmp_path / "Fee $_$ total $\\foo$.csv"
    data.write_bytes(VALID_CSV.read_bytes())
    result = poicheck("report", data, "--html", tmp_path / "report.html", "--quiet")
    assert result.returncode in (0, 1), result.stderr
    from poicheck.render.html.charts import percent_bars, severity_bars

    assert "foo" in severity_bars("Fee $_$ total", ["$\\foo$", "Fee $_$ total"], {"error": [1, 2]})
    assert "frac" in percent_bars("$\\frac$", {"$\\foo$": 5.0, "a $_$ b": 1.0}, xlabel="$x$")
