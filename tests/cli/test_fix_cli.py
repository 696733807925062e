"""`poicheck fix` on the command line: the copy, the change list, exit codes, the output policy,
the invalid samples in all three formats, and fixing twice (through CliRunner and a real
subprocess)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import fix as _fix  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "samples" / "invalid"
VALID = ROOT / "samples" / "valid"
CHANGE_KEYS = {
    "file",
    "sheet",
    "row",
    "record",
    "evse_id",
    "field",
    "pointer",
    "rule",
    "before",
    "after",
    "applicability",
}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["fix", *map(str, args)], catch_exceptions=False)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """The invalid samples with their configuration (operator and sub-operators)."""
    directory = tmp_path / "samples"
    directory.mkdir()
    shutil.copy(ROOT / "samples" / ".poicheck.yaml", directory / ".poicheck.yaml")
    for suffix in ("csv", "xlsx", "json"):
        shutil.copy(INVALID / f"evse-invalid.{suffix}", directory / f"evse-invalid.{suffix}")
    shutil.copy(VALID / "evse-valid.csv", directory / "evse-valid.csv")
    return directory


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["csv", "xlsx", "json"])
def test_invalid_samples_are_fixed_into_a_copy(samples: Path, suffix: str) -> None:
    source = samples / f"evse-invalid.{suffix}"
    before = digest(source)
    out = samples / f"fixed.{suffix}"
    result = run(source, "-o", out, "--format", "json")
    assert result.exit_code == 1  # errors the fixes cannot repair remain
    document = json.loads(result.stdout)
    summary = document["summary"]
    assert digest(source) == before
    assert summary["written"]
    assert out.exists()
    fixed = {(c["rule"], c["before"], c["after"]) for c in document["changes"]}
    assert fixed == {
        ("EVS003", "DE*Pck*E1001*2", "DE*PCK*E1001*2"),
        ("ADR002", "DE", "DEU"),
        ("PWR007", "22kW", "22"),
        ("PWR010", "Mode 3", "Mode_3"),
        ("TXT012", "Level 2,  bay 7 ", "Level 2, bay 7"),
        ("NRG002", "yes", "true"),
        ("ACC002", "local", "Local"),
        ("ACC013", "+41 44 520 88 00", "+41445208800"),
    }
    assert all(set(c) == CHANGE_KEYS for c in document["changes"])
    assert {c["applicability"] for c in document["changes"]} == {"safe"}
    assert summary["introduced"] == {"error": 0, "warning": 0, "info": 0}
    assert summary["score"]["after"] > summary["score"]["before"]
    assert {c["rule"] for c in document["unsafe_fixes"]} == {"ADR015", "PWR014", "ADR018", "GEO009"}
    # The decimal comma in a latitude 190 m from its station: reading it reveals that.
    assert [(c["rule"], c["reason"]) for c in document["held_back"]] == [
        ("GEO002", "would introduce IDN004 (ChargingStationId)")
    ]
    # Fixing the copy again changes nothing.
    again = run(out, "-o", samples / f"again.{suffix}", "--format", "json")
    assert json.loads(again.stdout)["changes"] == []
    assert (samples / f"again.{suffix}").read_bytes() == out.read_bytes()


@pytest.mark.slow
def test_unsafe_fixes_and_the_text_summary(samples: Path) -> None:
    out = samples / "fixed.csv"
    result = run(samples / "evse-invalid.csv", "-o", out, "--unsafe-fixes")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f"-> {out}")
    assert "  GEO009 coordinates-swapped: 2 cells (unsafe)" in lines
    assert "13 cell changes (8 safe, 5 unsafe) raise the data score from 88.7 to 90.6." in lines
    assert (
        lines[-1]
        == "Fixed: 7 errors, 4 warnings, 1 info. Remaining: 26 errors, 43 warnings, 0 infos."
    )


@pytest.mark.slow
def test_diff_lists_every_change_and_writes_nothing(samples: Path) -> None:
    result = run(samples / "evse-invalid.xlsx", "--diff")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{samples / 'evse-invalid.xlsx'}  nothing written (--diff)")
    assert "    ADR002  Address.Country: 'DE' -> 'DEU' (safe)" in result.stdout
    assert "  row 14  DE*PCK*E1005*4" in result.stdout
    assert "6 more cell changes with --unsafe-fixes" in result.stdout
    assert sorted(p.name for p in samples.iterdir() if p.name.startswith("fixed")) == []


def test_a_clean_file_needs_no_fix(samples: Path) -> None:
    result = run(samples / "evse-valid.csv", "-o", samples / "same.csv")
    assert result.exit_code == 0
    assert "0 cell changes (0 safe) leave the data score at 99.6." in result.stdout
    assert (samples / "same.csv").read_bytes() == (samples / "evse-valid.csv").read_bytes()


def test_exit_0_when_the_copy_has_no_error_left(tmp_path: Path) -> None:
    from tests.records import VALID_CELLS

    source = tmp_path / "evse.csv"
    values = {**VALID_CELLS, "CalibrationLawDataAvailability": "local", "Plugs": "type 2 outlet"}
    source.write_text(",".join(values) + "\n" + ",".join(values.values()) + "\n", encoding="utf-8")
    result = run(source, "-o", tmp_path / "out.csv", "--operator-id", "DE*PCK", "-q")
    assert (result.exit_code, result.stdout) == (0, "")
    assert ",Local," in (tmp_path / "out.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{input}"], "is also an input; poicheck never overwrites its input"),
        (["-o", "{dir}/out.json"], "the corrected copy keeps the input's format"),
        ([], "name the corrected copy with -o/--output"),
        (["-o", "{dir}/missing/out.csv"], "the directory does not exist"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    samples: Path, args: list[str], message: str
) -> None:
    source = samples / "evse-invalid.csv"
    before = digest(source)
    given = [a.format(input=source, dir=samples) for a in args]
    result = CliRunner().invoke(cli, ["fix", str(source), *given])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.splitlines()[-1].startswith("poicheck: error: ")
    assert digest(source) == before
    assert not any(p.name.startswith("out") for p in samples.iterdir())


def test_unusable_input_exits_2_without_output(tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text('{"no": "evse data"}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["fix", str(source), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 2
    assert "not OICP EVSE data" in result.stderr
    assert not (tmp_path / "out.json").exists()


@pytest.mark.slow
def test_input_options_apply(samples: Path) -> None:
    result = run(samples / "evse-invalid.csv", "--diff", "--format", "json", "--select", "ADR,ACC")
    rules = {c["rule"] for c in json.loads(result.stdout)["changes"]}
    assert rules == {"ADR002", "ACC002", "ACC013"}


@pytest.mark.slow
def test_real_subprocess(samples: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    out = samples / "fixed.json"
    done = subprocess.run(
        [sys.executable, "-m", "poicheck", "fix", "evse-invalid.json", "-o", out.name],
        cwd=samples,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "8 cell changes (8 safe) raise the data score from 88.7 to 90.1." in done.stdout
    record = json.loads(out.read_text(encoding="utf-8"))["OperatorEvseData"]["EvseDataRecord"][38]
    assert record["RenewableEnergy"] is True  # "yes" became the JSON Boolean true
    refused = subprocess.run(
        [sys.executable, "-m", "poicheck", "fix", "evse-invalid.json", "-o", "evse-invalid.json"],
        cwd=samples,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert refused.returncode == 2
    assert "never overwrites its input" in refused.stderr
