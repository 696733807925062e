"""The geolocation rules on a generated German register (benchmarks/geolocation.py, issue 16):
planted defects are found on their field, correct records essentially never flagged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import geolocation  # noqa: E402


def check(result: geolocation.Result) -> None:
    assert result.recall >= 0.9, result
    assert result.false_alarm_rate <= 0.005, result
    for rule in geolocation.GEO_RULES:
        assert result.false_alarms[rule] <= 0.005 * result.clean, (rule, result.examples)


@pytest.mark.slow
def test_a_small_register_every_kind_of_defect_found() -> None:
    result, register = geolocation.measure(evses=2_000, defects=21, seed=5)
    check(result)
    assert set(result.planted) == set(geolocation.EXPECTED)
    assert len(register.rows) == 2_000


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_twenty_thousand_evses_recall_at_least_90_and_false_alarms_at_most_half_a_percent(
    seed: int,
) -> None:
    result, _ = geolocation.measure(evses=20_000, defects=105, seed=seed)
    check(result)


@pytest.mark.slow
def test_the_script_prints_its_figures() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/geolocation.py", "--evses", "1500", "--defects", "14"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "recall (found on the right field)" in done.stdout
    assert "any geolocation rule" in done.stdout
