"""One assertion for "these two runs found exactly the same": chunks, workers, formats."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from poicheck.results.report import Report


def assert_same(expected: Report, found: Report) -> None:
    """Findings, notes, per-record scores and summary equal; both inputs readable."""
    assert expected.unreadable == found.unreadable == []
    assert found.frame.equals(expected.frame)
    assert found.notes == expected.notes
    assert found.records is not None
    assert expected.records is not None
    assert found.records.equals(expected.records)
    assert found.summary() == expected.summary()


def json_findings_by_cli(path: Path, out: Path, *options: str) -> bytes:
    """The JSON findings of `poicheck validate PATH OPTIONS` run as a real subprocess (exit
    code 1: the inputs tests give it have errors)."""
    command = [sys.executable, "-m", "poicheck", "validate", str(path), *options]
    command += ["--format", "json", "-o", str(out), "-q"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    return out.read_bytes()
