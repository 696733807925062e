"""A large input is checked in slices inside the export, its frame let go (issue 22, memory):
the payloads, manifest and snapshot are byte for byte those of the input checked whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from poicheck.api import _read
from poicheck.errors import InputError
from poicheck.export import build_export, records, write_export
from poicheck.table import CanonicalTable
from poicheck.table.slices import Slices
from tests.records import frame_of
from tests.unit.export.test_export import RULESET, options
from tests.unit.export.test_export_scale import messy_records

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"


def whole_and_sliced(monkeypatch: pytest.MonkeyPatch, *args: Any, **kwargs: Any) -> list[Any]:
    """The export of an input checked whole, then in slices of 7 records (an error instead
    of either)."""
    done = []
    made: list[Slices] = []
    of = Slices.of

    def spied(table: CanonicalTable, rows: int) -> Slices:
        made.append(of(table, rows))
        return made[-1]

    for sliced_from, rows in ((10**9, 10**9), (1, 7)):
        with monkeypatch.context() as patch:
            patch.setattr(records, "SLICED_FROM", sliced_from)
            patch.setattr(records, "SLICE_ROWS", rows)
            patch.setattr(records.Slices, "of", spied)
            try:
                done.append(build_export(*args, **kwargs))
            except InputError as exc:
                done.append(exc)
        # Checked in slices only when asked (an input refused before its check is not).
        assert bool(made) == (sliced_from == 1) or isinstance(done[-1], InputError)
    return done


def assert_same_export(whole: Any, sliced: Any) -> None:
    if isinstance(whole, InputError) or isinstance(sliced, InputError):
        assert str(whole) == str(sliced)
        return
    assert whole.outputs() == sliced.outputs()
    assert (whole.left_out, whole.included_invalid) == (sliced.left_out, sliced.included_invalid)
    assert whole.review == sliced.review


@pytest.mark.slow
@pytest.mark.parametrize(
    "sample", ["invalid/evse-invalid.csv", "invalid/evse-invalid.xlsx", "valid/evse-valid.json"]
)
@pytest.mark.parametrize("action", [None, "insert"])
def test_samples_export_the_same_bytes_checked_in_slices(
    sample: str, action: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, sliced = whole_and_sliced(
        monkeypatch, SAMPLES / sample, options(action=action), ruleset=RULESET
    )
    assert_same_export(whole, sliced)
    if "invalid" in sample:
        assert whole.left_out  # records left out for their findings: the findings count


def test_a_delta_checked_in_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = build_export(SAMPLES / "valid/evse-valid.csv", options(), ruleset=RULESET)
    write_export(first, tmp_path / "first")
    chosen = options(previous=(tmp_path / "first" / "manifest.json",), include_invalid=True)
    whole, sliced = whole_and_sliced(
        monkeypatch, SAMPLES / "invalid/evse-invalid.csv", chosen, ruleset=RULESET
    )
    assert_same_export(whole, sliced)
    assert whole.changes  # a delta with something in it


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(messy_records())
def test_messy_records_export_the_same_checked_in_slices(records: list[dict[str, str]]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        whole, sliced = whole_and_sliced(patch, frame_of(*records), options(), ruleset=RULESET)
    assert_same_export(whole, sliced)


def test_a_table_the_caller_gives_is_checked_whole_and_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table: CanonicalTable = _read(
        SAMPLES / "valid/evse-valid.csv", RULESET, sheet=None, encoding=None
    )
    columns = list(table.frame.columns)
    monkeypatch.setattr(records, "SLICED_FROM", 1)
    monkeypatch.setattr(records, "SLICE_ROWS", 3)
    export = build_export(table, options(), ruleset=RULESET)
    assert list(table.frame.columns) == columns  # not let go: the caller still holds it
    assert export.files
