"""The delta planner: minimal insert / update / delete requests against what was pushed before,
semantic comparison, ordered batches, and the snapshot for next time."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck.errors import InputError, UsageError
from poicheck.export import Export, ExportOptions, Operator018Error, build_export, write_export
from poicheck.export.delta import Semantics, plan
from poicheck.export.model import Candidate
from poicheck.oicp.identifiers import normalise_id
from tests.records import VALID_CELLS, frame_of
from tests.unit.export.test_export import (
    HUB,
    RULESET,
    VALID,
    assert_fits_schema,
    document,
    options,
    records_of,
)

FACILITY_POWER = "ChargingFacilities.1.Power"


def station(number: int, **changes: str) -> dict[str, str]:
    return {**VALID_CELLS, "EvseID": f"DE*PCK*E{number}*1", **changes}


def key(evse_id: str) -> str:
    return str(normalise_id(pd.Series([evse_id], dtype="str")).iloc[0])


def push(state: dict[str, Any], export: Export) -> dict[str, Any]:
    """What Hubject does with the files, in manifest order (an applier independent of the
    planner: fullLoad replaces, insert and update put, delete removes)."""
    manifest = document(export.manifest)
    files = {f.name: f for f in export.files}
    state = dict(state)
    for entry in manifest["files"]:
        request = document(files[entry["file"]].data)
        assert request["ActionType"] == entry["action"]
        records = request["OperatorEvseData"]["EvseDataRecord"]
        if entry["action"] == "fullLoad":
            state = {}
        for record in records:
            if entry["action"] == "delete":
                del state[key(record["EvseID"])]
            else:
                state[key(record["EvseID"])] = record
    return state


def snapshot_state(export: Export) -> dict[str, Any]:
    assert export.snapshot is not None
    records = document(export.snapshot)["OperatorEvseData"]["EvseDataRecord"]
    return {key(r["EvseID"]): r for r in records}


def export_to(tmp_path: Path, name: str, cells: list[dict[str, str]], **changes: Any) -> Export:
    export = build_export(frame_of(*cells), options(**changes), ruleset=RULESET)
    write_export(export, tmp_path / name)
    return export


# --- the property -------------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """A previous dataset and a new one: some stations dropped, some changed, some added."""
    before = [station(n) for n in draw(st.sets(st.integers(1, 40), min_size=1, max_size=12))]
    after = []
    for cells in before:
        fate = draw(st.sampled_from(["keep", "drop", "power", "name", "coordinates"]))
        if fate == "keep":
            after.append(cells)
        elif fate == "power":
            after.append({**cells, FACILITY_POWER: str(draw(st.integers(1, 350)))})
        elif fate == "name":
            after.append({**cells, "ChargingStationNames.en": draw(st.sampled_from("ABC"))})
        elif fate == "coordinates":
            after.append({**cells, "GeoCoordinates.Latitude": "52.52"})
    added = draw(st.sets(st.integers(41, 80), max_size=5))
    after.extend(station(n) for n in sorted(added))
    draw(st.randoms()).shuffle(after)
    return before, after


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.sampled_from(["DecimalDegree", "Google", "DegreeMinuteSeconds"]),
    st.integers(1, 4),
)
def test_pushing_the_plan_onto_the_previous_snapshot_gives_the_new_dataset(
    history: tuple[list[dict[str, str]], list[dict[str, str]]], notation: str, batch: int
) -> None:
    import tempfile

    before, after = history
    with tempfile.TemporaryDirectory() as directory:
        tmp_path = Path(directory)
        first = export_to(tmp_path, "first", before, geo_format=notation)
        plan = build_export(
            frame_of(*after) if after else frame_of(station(999)).iloc[0:0],
            options(
                previous=(tmp_path / "first" / "manifest.json",),
                batch_size=batch,
                geo_format=notation,
            ),
            ruleset=RULESET,
        )
    assert_fits_schema(plan)
    wanted = {key(r["EvseID"]): r for r in _full_load(after, notation)}
    assert push(snapshot_state(first), plan) == wanted
    assert snapshot_state(plan) == wanted
    # Ordered batches: inserts, then updates, then deletes, none larger than the batch size.
    actions = [f.action for f in plan.files]
    assert actions == sorted(actions, key=["insert", "update", "delete"].index)
    assert all(f.records <= batch for f in plan.files)
    # Minimal: nothing sent for a station that did not change.
    changes = plan.changes
    assert changes is not None
    unchanged = {key(c["EvseID"]) for c in before} & {key(c["EvseID"]) for c in after}
    sent = {key(r["EvseID"]) for r in records_of(plan)}
    same = [k for k in unchanged if _cells(before, k) == _cells(after, k)]
    assert not sent & set(same)
    assert changes.unchanged == len(same)


def _full_load(cells: list[dict[str, str]], notation: str) -> list[dict[str, Any]]:
    if not cells:
        return []
    return records_of(build_export(frame_of(*cells), options(geo_format=notation), ruleset=RULESET))


def _cells(dataset: list[dict[str, str]], wanted: str) -> dict[str, str]:
    return next(c for c in dataset if key(c["EvseID"]) == wanted)


# --- semantics ----------------------------------------------------------------------------


def test_formatting_notation_and_hubjects_properties_are_no_change() -> None:
    semantics = Semantics(RULESET)
    record = records_of(build_export(frame_of(station(1)), HUB, ruleset=RULESET))[0]
    same = copy.deepcopy(record)
    same = dict(reversed(list(same.items())))  # key order
    same["ChargingFacilities"][0]["Power"] = 22.0  # number formatting
    same["GeoCoordinates"] = {"Google": {"Coordinates": "52.521918, 13.413215"}}
    same["lastUpdate"] = "2026-01-23T14:04:29.377Z"
    same["deltaType"] = "insert"
    same["AuthenticationModes"] = list(reversed(record["AuthenticationModes"]))
    same["ChargingStationID"] = same.pop("ChargingStationId")
    assert semantics.key(same) == semantics.key(record)
    names = copy.deepcopy(record)
    names["ChargingStationNames"].reverse()  # the first language is the one shown first
    assert semantics.key(names) != semantics.key(record)
    power = copy.deepcopy(record)
    power["ChargingFacilities"][0]["Power"] = 11
    assert semantics.key(power) != semantics.key(record)


def test_a_record_equal_to_the_letter_is_unchanged_and_true_is_not_one() -> None:
    semantics = Semantics(RULESET)
    record = records_of(build_export(frame_of(station(1)), HUB, ruleset=RULESET))[0]
    evse = key(record["EvseID"])

    def planned(before: dict[str, Any], after: dict[str, Any]) -> tuple[int, int]:
        candidate = Candidate(evse, after["EvseID"], "new.csv", 2, after)
        done = plan({evse: before}, [candidate], semantics)
        return len(done.updates), done.unchanged

    assert planned(record, copy.deepcopy(record)) == (0, 1)
    reordered = dict(reversed(list(record.items())))  # == holds; the texts differ
    assert planned(record, reordered) == (0, 1)  # the same meaning, found by the semantic key
    one = {**record, "IsOpen24Hours": 1 if record["IsOpen24Hours"] else 0}
    assert one == record  # == takes True for 1: the JSON texts tell them apart
    assert planned(record, one) == (1, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("MaxCapacity", Decimal("1E+999999999")),  # + 0 overflowed the decimal context
        ("MaxCapacity", Decimal("9" * 5000)),
        ("MaxCapacity", "sNaN"),  # a signalling NaN raised on arithmetic
        ("MaxCapacity", "Infinity"),
        ("Latitude", "1e50"),  # quantized to 6 places: past the context's precision
    ],
)
def test_numbers_no_field_holds_are_compared_as_written(field: str, value: Any) -> None:
    semantics = Semantics(RULESET)
    record = records_of(build_export(frame_of(station(1)), HUB, ruleset=RULESET))[0]
    odd = copy.deepcopy(record)
    if field == "Latitude":
        odd["GeoCoordinates"]["DecimalDegree"]["Latitude"] = value
    else:
        odd[field] = value
    again = copy.deepcopy(odd)
    assert semantics.key(odd) == semantics.key(again)
    assert semantics.key(odd) != semantics.key(record)


def test_a_previous_payload_with_hubjects_properties_plans_nothing(tmp_path: Path) -> None:
    record = records_of(build_export(frame_of(station(1)), HUB, ruleset=RULESET))[0]
    pulled = {**record, "deltaType": "update", "lastUpdate": "2026-01-23T14:04:29Z"}
    pulled["ChargingStationID"] = pulled.pop("ChargingStationId")
    previous = tmp_path / "pushed.json"
    request = {
        "ActionType": "fullLoad",
        "OperatorEvseData": {
            "OperatorID": "DEPCK",
            "OperatorName": "x",
            "EvseDataRecord": [pulled],
        },
    }
    previous.write_text(json.dumps(request), encoding="utf-8")
    export = build_export(frame_of(station(1)), options(previous=(previous,)), ruleset=RULESET)
    assert export.files == ()
    assert export.changes is not None
    assert export.changes.unchanged == 1
    assert any("nothing to change" in note for note in export.notes)
    (snapshot,) = document(export.snapshot or b"")["OperatorEvseData"]["EvseDataRecord"]
    assert "lastUpdate" not in snapshot
    assert "ChargingStationId" in snapshot


# --- previous inputs ----------------------------------------------------------------------


def test_previous_payload_files_apply_in_order(tmp_path: Path) -> None:
    first = export_to(tmp_path, "a", [station(1), station(2)], action="insert", batch_size=1)
    assert first.snapshot is None
    files = [tmp_path / "a" / f.name for f in first.files]
    export = build_export(
        frame_of(station(2), station(3)), options(previous=tuple(files)), ruleset=RULESET
    )
    assert [(f.action, f.records) for f in export.files] == [("insert", 1), ("delete", 1)]
    assert any("taken as empty" in note for note in export.notes)
    deleted = document(export.files[1].data)["OperatorEvseData"]["EvseDataRecord"]
    assert [r["EvseID"] for r in deleted] == ["DE*PCK*E1*1"]


@pytest.mark.slow
def test_a_manifest_without_snapshot_replays_its_files_and_checks_them(tmp_path: Path) -> None:
    export_to(tmp_path, "a", [station(1)], action="insert")
    manifest = tmp_path / "a" / "manifest.json"
    export = build_export(frame_of(station(1)), options(previous=(manifest,)), ruleset=RULESET)
    assert export.files == ()
    (tmp_path / "a" / "0001-insert.json").write_bytes(b"{}")
    with pytest.raises(InputError, match="changed after it was exported"):
        build_export(frame_of(station(1)), options(previous=(manifest,)), ruleset=RULESET)


@pytest.mark.slow
def test_records_left_out_for_errors_are_neither_updated_nor_deleted(tmp_path: Path) -> None:
    export_to(tmp_path, "a", [station(1), station(2), station(3)])
    broken = station(2, **{"Address.City": ""})
    export = build_export(
        frame_of(station(1), broken),
        options(previous=(tmp_path / "a" / "snapshot.json",)),
        ruleset=RULESET,
    )
    assert [(f.action, f.records) for f in export.files] == [("delete", 1)]
    assert export.changes is not None
    assert export.changes.kept == 1
    kept = snapshot_state(export)
    assert set(kept) == {key("DE*PCK*E1*1"), key("DE*PCK*E2*1")}  # the old E2 stays
    assert export.exit_code() == 1


@pytest.mark.slow
def test_action_with_previous_sends_only_that_part_of_the_plan(tmp_path: Path) -> None:
    export_to(tmp_path, "a", [station(1), station(2)])
    previous = (tmp_path / "a" / "manifest.json",)
    new = frame_of(station(2, **{FACILITY_POWER: "11"}), station(3))
    deletes = build_export(new, options(previous=previous, action="delete"), ruleset=RULESET)
    assert [f.action for f in deletes.files] == ["delete"]
    assert set(snapshot_state(deletes)) == {key("DE*PCK*E2*1")}
    assert snapshot_state(deletes)[key("DE*PCK*E2*1")]["ChargingFacilities"][0]["Power"] == 22
    full = build_export(new, options(previous=previous, action="fullLoad"), ruleset=RULESET)
    assert [f.action for f in full.files] == ["fullLoad"]
    assert full.changes is not None
    assert (full.changes.insert, full.changes.update, full.changes.delete) == (1, 1, 1)


@pytest.mark.slow
def test_previous_data_of_another_operator_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="previous data is of OperatorID DE\\*PCK"):
        build_export(
            frame_of({**VALID_CELLS, "EvseID": "DE*ABC*E1*1"}),
            ExportOptions(
                operator_id="DE*ABC",
                operator_name="Other",
                previous=(VALID.with_suffix(".json"),),
            ),
            ruleset=RULESET,
        )


@pytest.mark.slow
def test_deleting_records_of_an_undeclared_sub_operator_is_refused(tmp_path: Path) -> None:
    export_to(tmp_path, "a", [station(1), {**VALID_CELLS, "EvseID": "AT*VLT*E1*1"}])
    with pytest.raises(Operator018Error, match="AT\\*VLT"):
        build_export(
            frame_of(station(1)),
            options(sub_operator_ids=("FR*ELC",), previous=(tmp_path / "a" / "manifest.json",)),
            ruleset=RULESET,
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "invalid JSON"),
        (b'{"hello": 1}', "not a previous export"),
        (b'{"ActionType": "replace", "OperatorEvseData": {"EvseDataRecord": []}}', "unknown Act"),
        (b"\xff\xfe", "UTF-8"),
        (b'[{"EvseID": "DE*PCK*E1", "MaxCapacity": NaN}]', "NaN is not a JSON number"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_unusable_previous_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "previous.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        build_export(frame_of(station(1)), options(previous=(path,)), ruleset=RULESET)
    with pytest.raises(InputError, match="no such file"):
        build_export(
            frame_of(station(1)), options(previous=(tmp_path / "nope.json",)), ruleset=RULESET
        )
