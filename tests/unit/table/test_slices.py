"""A table in memory checked slice by slice (poicheck.table.slices) gives exactly the
findings, notes and scores of the table checked whole: reader findings, file-wide
conventions and rules across rows included, wherever the slice borders fall."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.api import _read
from poicheck.engine import workers as parallel
from poicheck.results.report import Report
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable
from poicheck.table.slices import Slices
from tests.corpus import csv_bytes
from tests.same import assert_same
from tests.unit.engine.test_chunked import SUB_OPERATORS, border_cases


def read(path: Path, ruleset: RuleSet) -> CanonicalTable:
    return _read(path, ruleset, sheet=None, encoding=None)


def check(source: CanonicalTable | Slices, ruleset: RuleSet, workers: int = 1) -> Report:
    return validate(
        source,
        ruleset=ruleset,
        operator_id="DE*PCK",
        sub_operator_ids=SUB_OPERATORS,
        workers=workers,
    )


def both(path: Path, ruleset: RuleSet, rows: int) -> tuple[Report, Report]:
    whole = check(read(path, ruleset), ruleset)
    table = read(path, ruleset)
    slices = Slices.of(table, rows)
    table.frame = table.frame[[]]  # what the export does: only the encoding is left
    return whole, check(slices, ruleset)


@pytest.mark.slow
@pytest.mark.parametrize("rows", [1, 7, 16, 59, 10_000])
@pytest.mark.parametrize(
    "sample", ["invalid/evse-invalid.csv", "invalid/evse-invalid.xlsx", "valid/evse-valid.json"]
)
def test_samples_in_slices(sample: str, rows: int, samples: Path, ruleset: RuleSet) -> None:
    whole, sliced = both(samples / sample, ruleset, rows)
    assert_same(whole, sliced)
    if "invalid" in sample:
        assert len(whole.findings) > 50


@pytest.mark.parametrize("rows", [1, 4, 11])
def test_reader_findings_and_groups_across_slice_borders(
    tmp_path: Path, rows: int, ruleset: RuleSet
) -> None:
    path = tmp_path / "borders.csv"
    path.write_bytes(csv_bytes(border_cases(), delimiter=";"))
    whole, sliced = both(path, ruleset, rows)
    assert_same(whole, sliced)
    found = {f.rule for f in whole.findings}
    # The file's reader findings (a blank row, a repeated header, a row beyond the header)
    # and the rules across rows (a duplicate EvseID far from its twin) are all there.
    assert {"TBL001", "TBL004", "TBL006", "IDN003"} <= found


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.integers(min_value=1, max_value=70))
def test_any_slice_size_gives_the_same_findings(rows: int, samples: Path, ruleset: RuleSet) -> None:
    assert_same(*both(samples / "invalid/evse-invalid.csv", ruleset, rows))


def test_slices_hold_the_cells_of_the_table(samples: Path, ruleset: RuleSet) -> None:
    table = read(samples / "invalid/evse-invalid.csv", ruleset)
    frame = table.frame.copy()
    slices = Slices.of(table, 13)
    parts = list(slices)
    assert [len(p.frame) for p in parts] == [13] * (len(frame) // 13) + [len(frame) % 13]
    assert pd.concat([p.frame for p in parts], ignore_index=True).equals(frame)
    # Every column is encoded now, for the caller who lets the frame go.
    assert set(table.encoded) == set(frame.columns)


def test_slices_checked_by_forked_workers(
    samples: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)  # every slice shared with a worker
    table = read(samples / "invalid/evse-invalid.csv", ruleset)
    whole = check(read(samples / "invalid/evse-invalid.csv", ruleset), ruleset)
    assert_same(whole, check(Slices.of(table, 9), ruleset, workers=2))


def test_a_document_of_operator_blocks_is_not_sliced(ruleset: RuleSet) -> None:
    table = read(Path(__file__).parents[3] / "samples/valid/evse-valid.csv", ruleset)
    table.origins = table.rows.astype(str)
    with pytest.raises(ValueError, match="operator blocks"):
        Slices.of(table, 5)
