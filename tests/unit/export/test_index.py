"""The snapshot index (poicheck.export.index): what it says, and that a delta planned with it
is the delta planned without it, building only the records that changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck.api import _read
from poicheck.cli import cli
from poicheck.errors import InputError
from poicheck.export import build_export, write_export
from poicheck.export import columns as columns_module
from poicheck.export.index import cell_hashes
from poicheck.export.model import INDEX, MANIFEST, SNAPSHOT
from poicheck.table import Distinct
from tests.indexes import check_index
from tests.records import frame_of
from tests.unit.export.test_export import (
    CLI_OPERATOR,
    CLI_SUBS,
    INVALID,
    RULESET,
    VALID,
    options,
)
from tests.unit.export.test_export_scale import histories

SAMPLE = VALID.with_suffix(".csv")


def _export(source: Any, directory: Path, **changes: Any) -> dict[str, Any]:
    export = build_export(source, options(**changes), ruleset=RULESET)
    write_export(export, directory)
    return dict(export.outputs())


def _exported_sample(directory: Path) -> Any:
    """The valid sample as a frame, exported (a fullLoad) to `directory`: a copy to change."""
    frame = _read(SAMPLE, RULESET, sheet=None, encoding=None).frame.copy()
    _export(frame, directory)
    return frame.copy()


def _without_index(directory: Path) -> Path:
    """A copy of an export directory as an earlier poicheck wrote it: no index."""
    copy = directory.parent / (directory.name + "-plain")
    shutil.copytree(directory, copy)
    (copy / INDEX).unlink()
    manifest = json.loads((copy / MANIFEST).read_text())
    del manifest["snapshot"]["index"]
    (copy / MANIFEST).write_text(json.dumps(manifest))
    return copy


class Built:
    """Counts the records the export builds (the others took their previous line)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.records = 0
        real = columns_module._LocalLines.of

        def of(build: Any, records: np.ndarray) -> Any:
            self.records += len(records)
            return real(build, records)

        monkeypatch.setattr(columns_module._LocalLines, "of", of)


def test_a_snapshot_has_an_index_that_says_what_a_scan_reads(tmp_path: Path) -> None:
    outputs = _export(SAMPLE, tmp_path / "a")
    check_index(outputs)
    manifest = json.loads(outputs[MANIFEST])
    assert manifest["snapshot"]["index"]["file"] == INDEX
    # An earlier export directory with an index is replaced as a whole.
    _export(SAMPLE, tmp_path / "a")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "0001-fullLoad.json",
        MANIFEST,
        INDEX,
        SNAPSHOT,
    ]


def test_a_delta_builds_only_the_records_whose_cells_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = _exported_sample(tmp_path / "a")
    changed.loc[3, "Address.Street"] = "Neue Straße"
    changed.loc[7, "ChargingStationNames.de"] = "Neuer Name"
    counted = Built(monkeypatch)
    previous = (tmp_path / "a" / MANIFEST,)
    delta = build_export(changed, options(previous=previous), ruleset=RULESET)
    assert counted.records == 2
    assert delta.changes is not None
    assert (delta.changes.update, delta.changes.insert, delta.changes.delete) == (2, 0, 0)
    # The same without the index: every record is built, and the same is sent.
    plain = _without_index(tmp_path / "a")
    counted.records = 0
    again = build_export(changed, options(previous=(plain / MANIFEST,)), ruleset=RULESET)
    assert counted.records == again.records_read - len(again.left_out)
    assert [f.data for f in again.files] == [f.data for f in delta.files]
    assert again.snapshot == delta.snapshot


def test_an_index_made_another_way_is_not_borrowed_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines made in another notation (or by another poicheck, or other rule files) are
    other lines: every record is built again."""
    _export(SAMPLE, tmp_path / "a", geo_format="Google")
    counted = Built(monkeypatch)
    chosen = options(previous=(tmp_path / "a" / MANIFEST,))
    delta = build_export(SAMPLE, chosen, ruleset=RULESET)
    assert counted.records == delta.records_read - len(delta.left_out)
    plain = _without_index(tmp_path / "a")
    again = build_export(SAMPLE, options(previous=(plain / MANIFEST,)), ruleset=RULESET)
    assert [f.data for f in again.files] == [f.data for f in delta.files]
    assert again.snapshot == delta.snapshot


def test_a_snapshot_changed_after_its_export_is_refused_though_its_index_fits(
    tmp_path: Path,
) -> None:
    _export(SAMPLE, tmp_path / "a")
    snapshot = tmp_path / "a" / SNAPSHOT
    data = snapshot.read_bytes()
    at = data.index(b'"Address"')
    snapshot.write_bytes(data[:at] + b'"Xddress"' + data[at + len(b'"Address"') :])  # same size
    chosen = options(previous=(tmp_path / "a" / MANIFEST,))
    with pytest.raises(InputError, match="changed after it was exported"):
        build_export(SAMPLE, chosen, ruleset=RULESET)
    out = tmp_path / "out"
    previous = str(tmp_path / "a" / MANIFEST)
    arguments = ["export", str(SAMPLE), *CLI_OPERATOR, *CLI_SUBS, "--previous", previous]
    result = CliRunner().invoke(cli, [*arguments, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "changed after it was exported" in result.stderr
    assert not out.exists()


def test_an_index_that_does_not_fit_is_set_aside_with_a_note(tmp_path: Path) -> None:
    _export(SAMPLE, tmp_path / "a")
    index = tmp_path / "a" / INDEX
    index.write_bytes(index.read_bytes()[:-1] + b"x")
    chosen = options(previous=(tmp_path / "a" / MANIFEST,))
    delta = build_export(SAMPLE, chosen, ruleset=RULESET)
    note = "was changed after it was exported; the snapshot is read in full"
    assert any(note in n for n in delta.notes)
    plain = build_export(SAMPLE, options(previous=(tmp_path / "a" / SNAPSHOT,)), ruleset=RULESET)
    assert [f.data for f in delta.files] == [f.data for f in plain.files]
    assert delta.snapshot == plain.snapshot
    index.unlink()
    delta = build_export(SAMPLE, chosen, ruleset=RULESET)
    assert any("cannot be read; the snapshot is read in full" in n for n in delta.notes)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(histories(), st.sampled_from(["DecimalDegree", "Google"]))
def test_deltas_with_the_index_are_the_deltas_without_it(
    history: tuple[list[dict[str, str]], list[dict[str, str]]], notation: str
) -> None:
    """A fullLoad, then two deltas, each planned against the last export with its index and
    against the same export without one: the same requests, snapshots and changes."""
    import tempfile

    before, after = history
    again = [dict(cells) for cells in reversed(after)]  # a second delta: the order changes
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        chosen = options(geo_format=notation, include_invalid=True)
        try:
            first = build_export(frame_of(*before), chosen, ruleset=RULESET)
        except InputError:
            return  # no record to send
        write_export(first, root / "0")
        previous = root / "0"
        for step, records in enumerate([after, again], start=1):
            plain = _without_index(previous)
            planned = options(
                geo_format=notation, include_invalid=True, previous=(previous / MANIFEST,)
            )
            unindexed = options(
                geo_format=notation, include_invalid=True, previous=(plain / MANIFEST,)
            )
            try:
                indexed = build_export(frame_of(*records), planned, ruleset=RULESET)
            except InputError as exc:
                with pytest.raises(InputError, match=str(exc)[:20]):
                    build_export(frame_of(*records), unindexed, ruleset=RULESET)
                return
            other = build_export(frame_of(*records), unindexed, ruleset=RULESET)
            assert [f.data for f in indexed.files] == [f.data for f in other.files]
            assert indexed.snapshot == other.snapshot
            assert indexed.changes == other.changes
            assert indexed.left_out == other.left_out
            check_index(dict(indexed.outputs()))
            write_export(indexed, root / str(step))
            previous = root / str(step)


# --- the cells' hash -------------------------------------------------------------------------


def _column(*cells: str | None) -> Distinct:
    return Distinct.encode(pa.array(list(cells), type=pa.large_string()))


def test_the_cells_hash_depends_on_the_cells_alone() -> None:
    one = {"EvseID": _column("A", "B", None), "Plugs": _column("x", None, "x")}
    hashes = cell_hashes(one, 3)
    # The same cells, numbered otherwise and among other values: the same hashes.
    other = {
        "EvseID": Distinct(pa.array(["Z", "B", "A"], pa.large_string()), np.array([2, 1, -1])),
        "Plugs": Distinct(pa.array(["y", "x"], type=pa.large_string()), np.array([1, -1, 1])),
    }
    assert (cell_hashes(other, 3) == hashes).all()
    # Another value, the value in another column, or the columns in another order differ.
    assert not (cell_hashes({**one, "Plugs": _column("y", None, "x")}, 3)[0] == hashes[0]).all()
    swapped = {"EvseID": _column("x", "B", None), "Plugs": _column("A", None, "x")}
    assert not (cell_hashes(swapped, 3)[0] == hashes[0]).all()
    reordered = {"Plugs": one["Plugs"], "EvseID": one["EvseID"]}
    assert not (cell_hashes(reordered, 3) == hashes).all(1).any()
    # Rows with the same cells have the same hash; every other pair differs.
    same = {"EvseID": _column("A", "A", "B"), "Plugs": _column("x", "x", "x")}
    found = cell_hashes(same, 3)
    assert (found[0] == found[1]).all()
    assert not (found[0] == found[2]).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), min_size=1, max_size=30))
def test_rows_have_the_same_cells_hash_exactly_when_they_have_the_same_cells(
    rows: list[tuple[str, str]],
) -> None:
    cells = {
        "a": _column(*(a or None for a, _ in rows)),
        "b": _column(*(b or None for _, b in rows)),
    }
    hashes = cell_hashes(cells, len(rows))
    for i, left in enumerate(rows):
        for j, right in enumerate(rows):
            key = tuple(v or None for v in left), tuple(v or None for v in right)
            assert (hashes[i] == hashes[j]).all() == (key[0] == key[1])


def test_pairs_compared_in_two_processes_plan_what_one_process_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from poicheck.export import plan_lines

    changed = _exported_sample(tmp_path / "a")
    changed.loc[::3, "Address.Street"] = "Neue Straße"  # 20 updates
    changed.loc[1::6, "Address.Street"] = changed.loc[1::6, "Address.Street"] + " "  # the same
    chosen = options(previous=(tmp_path / "a" / MANIFEST,))
    alone = build_export(changed, chosen, ruleset=RULESET)
    monkeypatch.setattr(plan_lines, "PARALLEL_FROM", 1)
    shared = build_export(changed, chosen, ruleset=RULESET)
    assert alone.outputs() == shared.outputs()
    assert shared.changes is not None
    assert shared.changes.update == 20


def test_the_fingerprint_names_what_besides_the_cells_makes_a_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from poicheck.export import index
    from poicheck.ruleset.schema import record_schema

    schema = record_schema(RULESET)
    made = index.fingerprint(RULESET, "DecimalDegree", schema)
    assert made == index.fingerprint(RULESET, "DecimalDegree", schema)
    assert made != index.fingerprint(RULESET, "Google", schema)
    assert made != index.fingerprint(RULESET, "DecimalDegree", {**schema, "x": 1})
    monkeypatch.setattr(index, "_code", lambda: b"another poicheck")
    assert made != index.fingerprint(RULESET, "DecimalDegree", schema)


def test_cells_hashed_beside_the_checking_are_those_hashed_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For a delta, a large table's cells are hashed in a forked process while it is
    checked, as read; records whose values are dropped afterwards are hashed again. The
    export is the one whose hashes are all made after the checking."""
    from poicheck.engine import workers
    from poicheck.export import columns, records

    source = INVALID.with_suffix(".csv")  # values beyond OICP are dropped from some records
    _export(source, tmp_path / "a")
    chosen = options(previous=(tmp_path / "a" / MANIFEST,))
    inline = build_export(source, chosen, ruleset=RULESET)
    assert inline.review.dropped  # the case this is about
    monkeypatch.setattr(workers, "MIN_RECORDS", 1)
    seen: list[bool] = []
    real = columns.ColumnBuild._cell_hashes

    def hashes(build: Any, touched: np.ndarray) -> np.ndarray:
        seen.append(build.read_hashes is not None and len(touched) > 0)
        return real(build, touched)

    monkeypatch.setattr(columns.ColumnBuild, "_cell_hashes", hashes)
    monkeypatch.setattr(records, "_ready", lambda forked: forked.result() if forked else None)
    forked = build_export(source, chosen, ruleset=RULESET)
    assert seen == [True]
    assert dict(inline.outputs()) == dict(forked.outputs())


def test_the_summary_says_to_give_the_manifest_next_time(tmp_path: Path) -> None:
    out = tmp_path / "push"
    arguments = ["export", str(SAMPLE), *CLI_OPERATOR, *CLI_SUBS, "--allow-deletions"]
    result = CliRunner().invoke(cli, [*arguments, "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert f"give {out}/{MANIFEST} as --previous next time" in result.output
