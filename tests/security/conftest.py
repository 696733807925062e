"""Shared helpers of the security suite: poicheck run as a real process, bounded in memory and
time, and small data files to attack it with."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALID_CSV = ROOT / "samples" / "valid" / "evse-valid.csv"
OPERATOR = ["--operator-id", "DE*PCK", "--operator-name", "PoiCheck Demo Hub"]
MEMORY = 2 << 30  # address space: an alias bomb or /dev/zero read whole would hit it


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def poicheck(
    *args: str | Path, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`poicheck ARGS` in a child process; stdout and stderr captured as text."""
    env = {**os.environ, "POICHECK_NO_CACHE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "poicheck", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        preexec_fn=_limit_memory,
        check=False,
    )


def assert_clean_exit_2(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2 with one `poicheck: error:` line (no traceback) that says each of `needles`."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture
def one_operator_csv(tmp_path: Path) -> Path:
    """The valid sample's DE*PCK records only (an export of them needs no sub-operators)."""
    lines = VALID_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "evse.csv"
    path.write_text("".join(lines[:23]), encoding="utf-8")
    return path
