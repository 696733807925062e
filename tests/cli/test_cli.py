"""The command line, through click's CliRunner and as a real subprocess of the console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from poicheck import validate
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import rules as _rules  # noqa: F401
from poicheck.cli import validate as _validate  # noqa: F401
from tests.conftest import check_golden

ROOT = Path(__file__).resolve().parents[2]
VALID = "samples/valid/evse-valid.csv"
INVALID = "samples/invalid/evse-invalid.csv"
OPERATOR = ["--operator-id", "DE*PCK", "--operator-name", "PoiCheck Demo Hub"]
SAMPLE_OPERATOR = {
    "operator_id": "DE*PCK",
    "operator_name": "PoiCheck Demo Hub",
    "sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"],
}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return CliRunner()


def test_valid_sample_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", VALID, *OPERATOR], catch_exceptions=False)
    assert result.exit_code == 0
    summary, score = result.stdout.strip().splitlines()
    assert summary == "0 errors, 0 warnings, 0 infos in 1 file (60 records)."
    assert score.startswith("Data score 99.6/100: completeness 99.3, correctness 100")


@pytest.mark.slow
def test_invalid_sample_text_output_matches_golden(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", INVALID, *OPERATOR], catch_exceptions=False)
    assert result.exit_code == 1
    assert "\x1b[" not in result.stdout  # no colours when not on a terminal
    check_golden("invalid-csv.txt", result.stdout)


@pytest.mark.slow
def test_invalid_sample_json_output_matches_golden(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", INVALID, *OPERATOR, "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    document["tool"]["version"] = "X"
    document["tool"]["ruleset_version"] = "X"
    check_golden("invalid-csv.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    assert set(document) == {"schema_version", "tool", "summary", "findings"}
    assert (
        document["summary"]["files"][0]["errors"]
        == validate(ROOT / INVALID, **SAMPLE_OPERATOR).counts()["error"]
    )


@pytest.mark.slow
def test_wire_json_output_matches_golden(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", "samples/invalid/evse-invalid-wire.json"], catch_exceptions=False
    )
    assert result.exit_code == 1
    check_golden("invalid-wire-json.txt", result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "code"),
    [
        ([], 1),
        (["--fail-on", "never"], 0),
        (["--select", "EVS003"], 0),
        (["--select", "EVS003", "--fail-on", "warning"], 1),
        (["--ignore", "EVS,TXT,ADR,GEO,PWR,NRG,ACC,IDN,OPN,STD"], 0),
        (["--select", "ADR002,ADR003"], 1),
    ],
)
def test_exit_code_follows_fail_on_select_and_ignore(
    runner: CliRunner, options: list[str], code: int
) -> None:
    result = runner.invoke(cli, ["validate", INVALID, *options], catch_exceptions=False)
    assert result.exit_code == code, result.output


def test_select_limits_the_rules_that_run(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", INVALID, "--select", "ADR", "--format", "json"], catch_exceptions=False
    )
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    planted = json.loads((ROOT / "samples/invalid/planted.json").read_text(encoding="utf-8"))
    expected = {f["rule"] for p in planted for f in p["findings"] if f["rule"].startswith("ADR")}
    assert rules == expected


@pytest.mark.slow
def test_output_file_is_written_and_stdout_stays_empty(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(
        cli, ["validate", INVALID, "--format", "json", "--output", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["total"]["records"] == 60
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "no/such/file.csv"], "no/such/file.csv: no such file"),
        (["validate", "samples"], "samples: no data files in this folder"),
        (["validate", "README.md"], "unknown file type '.md'"),
        (["validate", VALID, "--rules", "no/such/rules.yaml"], "no such rule file"),
        (["validate", VALID, "--output", "no/such/dir/out.txt"], "the directory does not exist"),
        (["rules", "explain", "XYZ999"], "no rule 'XYZ999'"),
    ],
)
def test_bad_input_gives_one_clear_message_and_exit_2(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_bad_file_does_not_stop_the_others(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", "missing.csv", VALID, *OPERATOR], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "missing.csv: no such file" in result.stderr
    assert "(60 records)" in result.stdout


def test_broken_rule_file_names_file_and_key(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "extra.yaml"
    broken.write_text("rules:\n  - id: XX1\n    name: bad\n", encoding="utf-8")
    result = runner.invoke(cli, ["validate", VALID, "--rules", str(broken)], catch_exceptions=False)
    assert result.exit_code == 2
    assert str(broken) in result.stderr
    assert "rules/0" in result.stderr


def test_rules_list_and_explain(runner: CliRunner) -> None:
    listed = runner.invoke(cli, ["rules", "list"], catch_exceptions=False)
    assert listed.exit_code == 0
    assert "ADR004  error    city-length" in listed.output
    as_json = json.loads(runner.invoke(cli, ["rules", "list", "--format", "json"]).output)
    assert {r["id"] for r in as_json} >= {"EVS002", "GEO002", "ACC017"}
    explained = runner.invoke(cli, ["rules", "explain", "acc013"], catch_exceptions=False)
    assert explained.exit_code == 0
    for part in (
        "ACC013 hotline-format",
        "Fails:",
        "'+49 30 1234567'",
        "Passes:",
        "'+4930123456789'",
    ):
        assert part in explained.output


def _console_script() -> str:
    found = shutil.which("poicheck", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the poicheck console script is not installed next to this interpreter")
    return found


@pytest.mark.slow
def test_console_script_runs_as_a_real_subprocess() -> None:
    script = _console_script()
    env = {**os.environ, "NO_COLOR": "1"}
    ok = subprocess.run(
        [script, "validate", VALID, *OPERATOR],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [script, "validate", INVALID, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 1
    errors = json.loads(bad.stdout)["summary"]["total"]["errors"]
    assert errors == validate(ROOT / INVALID, **SAMPLE_OPERATOR).counts()["error"]
    broken = subprocess.run(
        [script, "validate", "nowhere.xlsx"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert broken.returncode == 2
    assert broken.stderr.strip() == "poicheck: error: nowhere.xlsx: no such file"


def test_python_dash_m_works_and_help_does_not_import_pandas() -> None:
    probe = (
        "import sys, runpy; sys.argv=['poicheck','--help'];\n"
        "try:\n    runpy.run_module('poicheck', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0\n"
        "assert 'pandas' not in sys.modules and 'pandera' not in sys.modules, 'heavy import'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "validate" in result.stdout
