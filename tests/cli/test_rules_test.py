"""`poicheck rules test FILE`: a custom rule file's own examples, run as the project's tests
run the shipped rules' (poicheck.ruleset.examples); exit 0 all behave, 1 some do not, 2 the
file is unusable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from poicheck.cli import cli
from poicheck.cli import rules as _rules  # noqa: F401  (registers the commands)
from poicheck.ruleset.examples import EXAMPLE_RECORD, check_examples
from poicheck.ruleset.loader import load_ruleset

GOOD = """\
rules:
  - id: HSE001
    name: known-manufacturer
    kind: enum
    consequence: scored
    field: HardwareManufacturer
    params: {enum: [ABB, Alpitronic, Compleo]}
    message: "{field} '{value}' is none of our suppliers ({allowed})"
    examples:
      fail: [Tesla, abb]
      pass: [ABB, Compleo]
  - id: HSE002
    name: opening-times-for-garages
    kind: required_if
    consequence: scored
    field: OpeningTimes
    params: {when: {AccessibilityLocation: ParkingGarage}}
    examples:
      fail:
        - cells: {AccessibilityLocation: ParkingGarage, IsOpen24Hours: 'false'}
      pass:
        - cells: {AccessibilityLocation: OnStreet}
        - json: {AccessibilityLocation: ParkingGarage, IsOpen24Hours: false,
                 OpeningTimes: [{on: Everyday, Period: [{begin: '06:00', end: '22:00'}]}]}
"""

WRONG = """\
rules:
  - id: HSE003
    name: short-city
    kind: length
    consequence: scored
    field: Address.City
    params: {max: 10}
    message: "{field} is too long for our {printer}"
    examples:
      fail: [Berlin, Frankfurt am Main]
      pass: [Frankfurt am Main, Köln]
"""


def rule_file(tmp_path: Path, text: str, name: str = "house.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["rules", "test", *args])
    return result.exit_code, result.stdout, result.stderr


def test_every_example_behaves_exit_0(tmp_path: Path) -> None:
    code, out, err = run(str(rule_file(tmp_path, GOOD)))
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == ["HSE001  ok    4 examples", "HSE002  ok    3 examples"]
    assert out.rstrip().endswith(
        "2 rules, 0 failed (7 examples, 0 failed) in " + str(tmp_path / "house.yaml")
    )


def test_examples_that_misbehave_exit_1_and_say_how(tmp_path: Path) -> None:
    code, out, _ = run(str(rule_file(tmp_path, WRONG)))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "HSE003  FAIL  4 examples"
    assert lines[1] == "        failing example 1 'Berlin': the rule did not fire"
    # The second failing example fires, but its message names a parameter that does not exist.
    assert lines[2].startswith("        failing example 2 'Frankfurt am Main': its message leaves")
    assert "{printer}" in lines[2]
    assert lines[3].startswith("        passing example 1 'Frankfurt am Main': the rule fired: ")
    assert "1 rules, 1 failed (4 examples, 3 failed)" in out


def test_json_output(tmp_path: Path) -> None:
    code, out, _ = run(
        str(rule_file(tmp_path, GOOD + WRONG.removeprefix("rules:\n"))), "--format", "json"
    )
    assert code == 1
    rows = json.loads(out)
    assert [(r["rule"], r["ok"]) for r in rows] == [
        ("HSE001", True),
        ("HSE002", True),
        ("HSE003", False),
    ]
    wrong = [e for e in rows[2]["examples"] if not e["ok"]]
    assert [(e["outcome"], e["index"]) for e in wrong] == [("fail", 1), ("fail", 2), ("pass", 1)]
    assert all(e["problem"] for e in wrong)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace("enum: [ABB", "enmu: [ABB"), "params.enmu: kind 'enum' has no parameter"),
        ("types: {}\n", "defines no rules, so there are no examples to run"),
        ("rules:\n  - id: HSE001\n", "at key 'rules/0'"),
    ],
    ids=["misspelt-parameter", "no-rules", "schema"],
)
def test_an_unusable_file_exits_2(tmp_path: Path, text: str, fragment: str) -> None:
    path = rule_file(tmp_path, text)
    code, out, err = run(str(path))
    assert code == 2
    assert out == ""
    assert err.startswith(f"poicheck: error: {path}")
    assert fragment in err


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such rule file or directory" in err


def test_a_directory_runs_the_rules_of_its_files(tmp_path: Path) -> None:
    rule_file(tmp_path, GOOD, "a.yaml")
    rule_file(tmp_path, WRONG, "b.yaml")
    code, out, _ = run(str(tmp_path))
    assert code == 1
    assert [line[:12] for line in out.splitlines()[:1]] == ["HSE001  ok  "]
    assert "3 rules, 1 failed" in out


@pytest.mark.slow
def test_the_shipped_rule_examples_run_through_the_same_functions() -> None:
    """One shipped rule of each example form the library writes (a value, cells, rows, JSON,
    JSON Lines, columns, CSV bytes in another encoding, a workbook with a formula)."""
    ruleset = load_ruleset()
    chosen = [
        ruleset.rules[i]
        for i in ("ADR004", "ACC016", "IDN001", "JSN001", "JSN006", "TBL001", "TBL014", "XLS003")
    ]
    results = check_examples(ruleset, chosen)
    assert {r.rule for r in results} == {rule.id for rule in chosen}
    assert [r for r in results if not r.ok] == []


def test_the_example_record_passes_every_shipped_rule() -> None:
    from poicheck import validate
    from poicheck.ruleset.examples import frame_of

    assert validate(frame_of(EXAMPLE_RECORD)).findings == []


@pytest.mark.slow
def test_subprocess(tmp_path: Path) -> None:
    path = rule_file(tmp_path, WRONG)
    done = subprocess.run(
        [sys.executable, "-m", "poicheck", "rules", "test", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("HSE003  FAIL  4 examples\n")
    assert done.stderr == ""


@pytest.mark.slow
def test_a_shipped_rule_file_runs_with_the_shipped_rule_set() -> None:
    """A file of the shipped directory is not added a second time (its ids would clash)."""
    from poicheck.ruleset.loader import default_rules_dir

    code, out, err = run(str(default_rules_dir() / "rules-energy.yaml"))
    assert (code, err) == (0, "")
    assert [line[:6] for line in out.splitlines() if line[:3] == "NRG"] == [
        "NRG001",
        "NRG002",
        "NRG003",
        "NRG004",
        "NRG005",
    ]
    assert "5 rules, 0 failed" in out
