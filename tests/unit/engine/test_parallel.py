"""Checking with several processes gives the findings of one process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from poicheck import validate
from poicheck.engine import workers as parallel
from poicheck.ruleset.model import RuleSet
from tests.same import assert_same

SUB_OPERATORS = ("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR")

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="forking is used on Linux only")


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["invalid/evse-invalid.csv", "invalid/evse-invalid.json"])
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_find_what_one_process_finds(
    sample: str, workers: int, samples: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)
    reports = [
        validate(
            samples / sample,
            ruleset=ruleset,
            operator_id="DE*PCK",
            sub_operator_ids=SUB_OPERATORS,
            workers=count,
            chunk_rows=chunk_rows,
        )
        for count, chunk_rows in ((1, 0), (workers, 0), (workers, 13))
    ]
    assert len(reports[0].findings) > 50
    for report in reports[1:]:
        assert_same(reports[0], report)


def _only_here(parent: int) -> int:
    if os.getpid() != parent:
        raise RuntimeError("fails in the child")
    return 42


def test_a_child_that_fails_costs_time_not_the_result() -> None:
    parent = os.getpid()
    assert parallel.Forked(lambda: _only_here(parent)).result() == 42


def test_a_child_delivers_its_value() -> None:
    assert parallel.Forked(lambda: os.getpid()).result() != os.getpid()
