"""`poicheck export`: exact OICP JSON, only valid records, ActionType semantics, batches, the
manifest, the 018 check, and a table -> payload -> table round trip."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from poicheck import validate
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import export as _export  # noqa: F401
from poicheck.errors import InputError, UsageError
from poicheck.export import Export, ExportOptions, Operator018Error, build_export, write_export
from poicheck.export.payload import snapshot_bytes
from poicheck.files.yaml_loader import load_yaml
from poicheck.oicp.cells import tidy
from poicheck.oicp.coordinates import NOTATIONS
from poicheck.oicp.identifiers import normalise_id, operator_part
from poicheck.readers import read_table
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.schema import request_schema
from tests.conftest import check_golden
from tests.records import VALID_CELLS, frame_of, json_record, write_json
from tests.strategies import valid_records

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop

ROOT = Path(__file__).resolve().parents[3]
VALID = ROOT / "samples/valid/evse-valid"
INVALID = ROOT / "samples/invalid/evse-invalid"
HUBJECT_EXAMPLE = (
    ROOT.parent / "shared/reference/oicp-2.3/openapi-cpo/schemas/eRoamingPushEvseData.yaml"
)
SUBS = ("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR")
OPERATOR = ExportOptions(operator_id="DE*PCK", operator_name="PoiCheck Demo Hub")
# Most tests here look at what is left out of a fullLoad: they confirm the deletions (the
# guard itself is tested with GUARDED).
HUB = ExportOptions(
    operator_id="DE*PCK",
    operator_name="PoiCheck Demo Hub",
    sub_operator_ids=SUBS,
    allow_deletions=True,
)
GUARDED = ExportOptions(**{**HUB.__dict__, "allow_deletions": False})
CLI_OPERATOR = ["--operator-id", "DE*PCK", "--operator-name", "PoiCheck Demo Hub"]
CLI_SUBS = [arg for sub in SUBS for arg in ("--sub-operator-id", sub)]
RULESET = load_ruleset()
TIDIED = {f for r in RULESET.rules.values() if r.kind == "spacing" for f in r.fields}


def options(**changes: Any) -> ExportOptions:
    return ExportOptions(**{**HUB.__dict__, **changes})


def document(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def records_of(export: Export) -> list[dict[str, Any]]:
    return [r for f in export.files for r in document(f.data)["OperatorEvseData"]["EvseDataRecord"]]


def assert_fits_schema(export: Export) -> None:
    """Every payload and the snapshot, against the schema, by the reference implementation."""
    validator = Draft202012Validator(request_schema(RULESET))
    for data in [*(f.data for f in export.files), export.snapshot or b""]:
        if data:
            errors = [e.message for e in validator.iter_errors(document(data))]
            assert errors == []


@pytest.fixture
def no_config(tmp_path: Path) -> Path:
    """The samples copied away from samples/.poicheck.yaml, which declares the sub-operators,
    and an empty configuration file to give as --config (so that none is searched for)."""
    for path in (VALID.with_suffix(".csv"), INVALID.with_suffix(".csv")):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "empty.yaml").write_text("# no configuration\n", encoding="utf-8")
    return tmp_path


# --- wire format ------------------------------------------------------------------------


@pytest.mark.parametrize("notation", NOTATIONS)
def test_valid_sample_payload_matches_golden(notation: str) -> None:
    export = build_export(VALID.with_suffix(".csv"), options(geo_format=notation), ruleset=RULESET)
    assert [(f.name, f.action, f.records) for f in export.files] == [
        ("0001-fullLoad.json", "fullLoad", 60)
    ]
    assert export.left_out == ()
    assert export.exit_code() == 0
    check_golden(f"export/valid-{notation}.json", export.files[0].data)
    assert_fits_schema(export)


def test_every_input_format_gives_the_same_bytes() -> None:
    payloads = {
        suffix: build_export(VALID.with_suffix(suffix), HUB, ruleset=RULESET).files[0].data
        for suffix in (".csv", ".xlsx", ".json")
    }
    assert payloads[".csv"] == payloads[".xlsx"] == payloads[".json"]
    # The JSON sample is itself a fullLoad request: the export says the same thing.
    sample = json.loads(VALID.with_suffix(".json").read_text(encoding="utf-8"))
    assert document(payloads[".csv"]) == sample


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _same_shape(ours: Any, theirs: Any, path: str = "") -> None:
    if isinstance(ours, dict):
        assert isinstance(theirs, dict), path
        for key, value in ours.items():
            other = "ChargingStationID" if key == "ChargingStationId" else key  # errata E001
            if other not in theirs:  # the example leaves out a few optional properties
                column = f"{path}/{key}".strip("/").replace("/", ".")
                assert RULESET.property_for_column(column.replace(".0.", ".1.")), column
                continue
            _same_shape(value, theirs[other], f"{path}/{key}")
    elif isinstance(ours, list):
        assert isinstance(theirs, list), path
        assert theirs, path
        _same_shape(ours[0], theirs[0], f"{path}/0")
    else:
        assert ours == theirs, f"{path}: {ours} where Hubject's example has {theirs}"


@pytest.mark.skipif(not HUBJECT_EXAMPLE.exists(), reason="shared reference not beside the repo")
@pytest.mark.parametrize("notation", NOTATIONS)
def test_payload_has_the_shape_of_hubjects_request_example(notation: str) -> None:
    example = load_yaml(HUBJECT_EXAMPLE)["example"]
    export = build_export(VALID.with_suffix(".csv"), options(geo_format=notation), ruleset=RULESET)
    ours = document(export.files[0].data)
    assert set(ours) == set(example)
    assert set(ours["OperatorEvseData"]) == set(example["OperatorEvseData"])
    (theirs,) = _shape(example["OperatorEvseData"]["EvseDataRecord"])
    google = {"Google": {"Coordinates": "str"}}  # the example's notation
    for record in ours["OperatorEvseData"]["EvseDataRecord"]:
        shape = _shape(record)
        for name in ("GeoCoordinates", "GeoChargingPointEntrance"):
            if name in shape:
                (body,) = shape[name].values()
                assert set(body.values()) == {"str"}
                shape[name] = google
        _same_shape(shape, theirs)


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(path, value)] + [i for k, v in value.items() for i in _walk(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [(path, value)] + [i for n, v in enumerate(value) for i in _walk(v, f"{path}/{n}")]
    return [(path, value)]


@pytest.mark.parametrize("notation", NOTATIONS)
def test_wire_types_are_oicps_and_empty_optionals_are_left_out(notation: str) -> None:
    export = build_export(VALID.with_suffix(".csv"), options(geo_format=notation), ruleset=RULESET)
    for record in records_of(export):
        for path, value in _walk(record):
            assert value not in (None, "", [], {}), path
        assert isinstance(record["IsOpen24Hours"], bool)
        assert isinstance(record["RenewableEnergy"], bool)
        assert isinstance(record["Address"]["ParkingFacility"], bool)
        assert record["DynamicInfoAvailable"] in ("true", "false", "auto")
        assert all(type(f["Power"]) is int for f in record["ChargingFacilities"])
        assert list(record["GeoCoordinates"]) == [notation]
        assert "ChargingStationID" not in record
        assert "deltaType" not in record
        assert "lastUpdate" not in record


@pytest.mark.parametrize(
    ("latitude", "longitude", "dms"),
    [
        ("-33.868800", "-70.650000", ("-33°52'7.68''", "-70°39'0.00''")),
        ("-0.5", "0.000001", ("-0°30'0.00''", "0°0'0.0036''")),
        ("52.521918", "179.999999", ("52°31'18.9048''", "179°59'59.9964''")),
    ],
)
def test_degree_minute_seconds_are_exact_and_signed(
    tmp_path: Path, latitude: str, longitude: str, dms: tuple[str, str]
) -> None:
    cells = {
        **VALID_CELLS,
        "GeoCoordinates.Latitude": latitude,
        "GeoCoordinates.Longitude": longitude,
    }
    # include_invalid: the coordinates may lie outside Germany (other rules' concern).
    export = build_export(
        frame_of(cells),
        options(geo_format="DegreeMinuteSeconds", include_invalid=True),
        ruleset=RULESET,
    )
    (record,) = records_of(export)
    body = record["GeoCoordinates"]["DegreeMinuteSeconds"]
    assert (body["Latitude"], body["Longitude"]) == dms
    path = tmp_path / "p.json"
    path.write_bytes(export.files[0].data)
    back = read_table(path, RULESET).frame.iloc[0]
    assert Decimal(back["GeoCoordinates.Latitude"]) == Decimal(latitude)
    assert Decimal(back["GeoCoordinates.Longitude"]) == Decimal(longitude)


@pytest.mark.parametrize("include_invalid", [False, True])
@pytest.mark.parametrize("notation", NOTATIONS)
def test_dms_beyond_sixty_minutes_is_left_out_not_converted(
    tmp_path: Path, notation: str, include_invalid: bool
) -> None:
    """`52°75'99.0''` matches OICP's expression but names no position (GEO014): the export
    neither converts it (to 53.2775) nor writes it as it is, whatever the options."""
    bad = {
        **json_record(RULESET),
        "GeoCoordinates": {
            "DegreeMinuteSeconds": {"Latitude": "52°75'99.0''", "Longitude": "13°24'47.57''"}
        },
    }
    good = {**json_record(RULESET), "EvseID": "DE*PCK*E1001*2"}
    path = write_json(tmp_path / "records.json", [bad, good])
    export = build_export(
        path, options(geo_format=notation, include_invalid=include_invalid), ruleset=RULESET
    )
    assert [r["EvseID"] for r in records_of(export)] == ["DE*PCK*E1001*2"]
    (left_out,) = export.left_out
    assert left_out.evse_id == VALID_CELLS["EvseID"]
    assert "GEO014" in {r.rule for r in left_out.reasons}
    written = b"".join(f.data for f in export.files)
    assert b"53.2775" not in written
    assert "52°75'".encode() not in written


@pytest.mark.parametrize("notation", ["DegreeMinuteSeconds", "Google"])
@pytest.mark.parametrize("latitude", ["1" * 30 + ".5", "9" * 5000, "1e50", "sNaN", "Infinity"])
def test_degrees_no_notation_holds_stay_as_written(notation: str, latitude: str) -> None:
    """Converting 30 digits to six decimals overflowed the decimal context (an internal
    error); such a value stays as written in decimal notation and is left out (schema)."""
    cells = {**VALID_CELLS, "GeoCoordinates.Latitude": latitude}
    other = {**VALID_CELLS, "EvseID": "DE*PCK*E2*1"}
    export = build_export(
        frame_of(cells, other),
        options(geo_format=notation, include_invalid=True),
        ruleset=RULESET,
    )
    assert [r["EvseID"] for r in records_of(export)] == ["DE*PCK*E2*1"]
    (left_out,) = export.left_out
    assert (left_out.evse_id, left_out.row) == (VALID_CELLS["EvseID"], 2)
    assert "GeoCoordinates.Latitude" in {r.field for r in left_out.reasons}


def test_hubject_assigned_properties_are_not_sent() -> None:
    cells = {**VALID_CELLS, "lastUpdate": "2026-01-23T14:04:29Z", "deltaType": "insert"}
    # A record with a deltaType is of a delta pull: an insert of it, never a fullLoad
    # (tests/unit/export/test_delta_pull.py).
    export = build_export(frame_of(cells), replace(HUB, action="insert"), ruleset=RULESET)
    (record,) = records_of(export)
    assert "lastUpdate" not in record
    assert "deltaType" not in record
    assert any("assigned by Hubject" in note for note in export.notes)


# --- only valid records go out -------------------------------------------------------------


def test_invalid_sample_exports_only_its_valid_records_and_lists_the_rest() -> None:
    source = INVALID.with_suffix(".csv")
    export = build_export(source, HUB, ruleset=RULESET)
    report = validate(source, operator_id="DE*PCK", sub_operator_ids=SUBS)
    with_errors = set(report.frame.loc[report.frame["severity"] == "error", "row"].dropna())
    left_rows = {e.row for e in export.left_out}
    assert with_errors <= left_rows  # every record with an error finding stays out
    sent = {r["EvseID"] for r in records_of(export)}
    table = read_table(source, RULESET)
    rows = dict(zip(table.frame["EvseID"], table.rows, strict=True))
    assert all(rows[evse_id] not in with_errors for evse_id in sent)
    assert len(sent) + len(export.left_out) == 60
    for item in export.left_out:
        assert item.reasons
        assert item.file == str(source)
        extra = {r.message for r in item.reasons if r.rule is None}
        if item.row not in with_errors:  # left out by the payload schema alone
            assert any("schema" in message for message in extra)
    assert export.exit_code() == 1
    manifest = document(export.manifest)
    assert [e["row"] for e in manifest["left_out"]] == [e.row for e in export.left_out]
    assert manifest["records"]["sent"] == len(sent)
    assert_fits_schema(export)


def test_include_invalid_sends_errors_that_fit_the_schema_and_lists_them() -> None:
    export = build_export(
        INVALID.with_suffix(".csv"), options(include_invalid=True), ruleset=RULESET
    )
    assert export.included_invalid
    sent = {r["EvseID"] for r in records_of(export)}
    assert {e.evse_id for e in export.included_invalid} <= sent
    # What the schema refuses (Hubject would refuse the whole request) still stays out.
    assert export.left_out
    assert all(
        any(r.rule is None or r.field == "EvseID" for r in e.reasons) for e in export.left_out
    )
    assert document(export.manifest)["included_with_errors"]
    assert_fits_schema(export)


def test_duplicate_evse_ids_are_all_left_out() -> None:
    second = {**VALID_CELLS, "EvseID": "DEPCKE10011"}  # the same EVSE as DE*PCK*E1001*1
    third = {**VALID_CELLS, "EvseID": "DE*PCK*E1001*2"}
    export = build_export(
        frame_of(VALID_CELLS, second, third), options(include_invalid=True), ruleset=RULESET
    )
    assert [r["EvseID"] for r in records_of(export)] == ["DE*PCK*E1001*2"]
    assert [e.evse_id for e in export.left_out] == ["DE*PCK*E1001*1", "DEPCKE10011"]


def test_an_evse_id_used_in_two_inputs_is_left_out_of_both_with_both_places(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    frame_of(VALID_CELLS, {**VALID_CELLS, "EvseID": "DE*PCK*E1001*2"}).to_csv(first, index=False)
    frame_of({**VALID_CELLS, "EvseID": "DEPCKE10011"}).to_csv(second, index=False)
    export = build_export([first, second], options(include_invalid=True), ruleset=RULESET)
    assert [r["EvseID"] for r in records_of(export)] == ["DE*PCK*E1001*2"]
    messages = {e.evse_id: [r.message for r in e.reasons] for e in export.left_out}
    assert f"is also used in {second} row 2" in " ".join(messages["DE*PCK*E1001*1"])
    assert f"is also used in {first} row 2" in " ".join(messages["DEPCKE10011"])


def test_no_valid_record_no_fullload() -> None:
    broken = {**VALID_CELLS, "Address.City": ""}
    with pytest.raises(InputError, match="would delete every EVSE"):
        build_export(frame_of(broken), HUB, ruleset=RULESET)


# --- status 018 ----------------------------------------------------------------------------


def test_foreign_operators_stop_the_export_with_the_018_explanation(no_config: Path) -> None:
    source = no_config / "evse-valid.csv"
    with pytest.raises(Operator018Error) as caught:
        build_export(source, OPERATOR, ruleset=RULESET)
    message = str(caught.value)
    assert "status 018" in message
    assert "--sub-operator-id" in message
    for sub in SUBS:
        assert f"  {sub}: {source} rows " in message
    assert build_export(source, HUB, ruleset=RULESET).exit_code() == 0

    runner = CliRunner()
    out = no_config / "out"
    config = ["--config", str(no_config / "empty.yaml")]
    result = runner.invoke(
        cli,
        ["export", str(source), *CLI_OPERATOR, *config, "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "AT*VLT" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    result = runner.invoke(
        cli,
        ["export", str(source), *CLI_OPERATOR, *CLI_SUBS, *config, "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "0001-fullLoad.json",
        "manifest.json",
        "snapshot-index.arrow",
        "snapshot.json",
    ]


def test_with_sub_operators_declared_another_operator_is_a_record_error() -> None:
    stray = {**VALID_CELLS, "EvseID": "FR*XYZ*E1001*1"}
    for include_invalid in (False, True):
        export = build_export(
            frame_of(VALID_CELLS, stray), options(include_invalid=include_invalid), ruleset=RULESET
        )
        assert [r["EvseID"] for r in records_of(export)] == ["DE*PCK*E1001*1"]
        (left,) = export.left_out
        assert left.evse_id == "FR*XYZ*E1001*1"
        assert any("018" in r.message for r in left.reasons)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"operator_id": None}, "no OperatorID"),
        ({"operator_name": None}, "no OperatorName"),
        ({"operator_id": "DE*PC"}, "is not an ISO"),
        ({"sub_operator_ids": ("AT-VLT",)}, "--sub-operator-id 'AT-VLT'"),
        ({"geo_format": "UTM"}, "unknown geo format"),
        ({"action": "replace"}, "unknown ActionType"),
        ({"operator_name": "x" * 101, "ignore": ("ENV",)}, "envelope does not fit the schema"),
    ],
)
def test_unusable_options_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build_export(frame_of(VALID_CELLS), options(**changes), ruleset=RULESET)


def test_the_operator_comes_from_the_json_envelope_and_must_agree() -> None:
    source = VALID.with_suffix(".json")
    export = build_export(source, ExportOptions(sub_operator_ids=SUBS), ruleset=RULESET)
    assert (export.operator_id, export.operator_name) == ("DE*PCK", "PoiCheck Demo Hub")
    same = build_export(source, options(operator_id="DEPCK", operator_name="Hub"), ruleset=RULESET)
    assert document(same.files[0].data)["OperatorEvseData"]["OperatorName"] == "Hub"
    assert any("names the operator" in note for note in same.notes)
    with pytest.raises(UsageError, match="is data of OperatorID DE\\*PCK"):
        build_export(source, options(operator_id="DE*ABC"), ruleset=RULESET)


# --- ActionType semantics, batches, manifest ------------------------------------------------


def test_fullload_refuses_batch_size_and_says_why() -> None:
    for action in ("fullLoad", None):
        with pytest.raises(UsageError, match=r"only the last\s+would remain"):
            build_export(
                frame_of(VALID_CELLS), options(action=action, batch_size=10), ruleset=RULESET
            )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 45), st.sampled_from([None, "fullLoad"]))
def test_a_fullload_is_never_split(count: int, action: str | None) -> None:
    rows = [{**VALID_CELLS, "EvseID": f"DE*PCK*E{n}*1"} for n in range(count)]
    export = build_export(frame_of(*rows), options(action=action), ruleset=RULESET)
    assert [(f.action, f.records) for f in export.files] == [("fullLoad", count)]
    assert (action is None) == any("no --action and no --previous" in n for n in export.notes)


def test_insert_update_delete_are_batched_in_order_with_a_manifest() -> None:
    export = build_export(
        VALID.with_suffix(".csv"), options(action="update", batch_size=25), ruleset=RULESET
    )
    assert [(f.name, f.records) for f in export.files] == [
        ("0001-update.json", 25),
        ("0002-update.json", 25),
        ("0003-update.json", 10),
    ]
    manifest = document(export.manifest)
    assert manifest["files"] == [
        {
            "file": f.name,
            "action": "update",
            "records": f.records,
            "sha256": hashlib.sha256(f.data).hexdigest(),
            # rows 2-26, 27-51, 52-61 of the sample: one run each
            "record_sources": [
                {"file": str(VALID.with_suffix(".csv")), "row": 2 + start, "records": f.records}
            ],
        }
        for start, f in zip((0, 25, 50), export.files, strict=True)
    ]
    assert "one at a time" in manifest["send"]
    assert manifest["snapshot"] is None
    assert export.snapshot is None
    sent = [r["EvseID"] for r in records_of(export)]
    assert sent == list(read_table(VALID.with_suffix(".csv"), RULESET).frame["EvseID"])
    default = build_export(VALID.with_suffix(".csv"), options(action="delete"), ruleset=RULESET)
    assert [f.records for f in default.files] == [60]  # default batch size 1000
    assert_fits_schema(export)


def test_cli_writes_the_directory_byte_identically_and_replaces_an_earlier_export(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    args = [
        "export",
        str(INVALID.with_suffix(".csv")),
        *CLI_OPERATOR,
        *CLI_SUBS,
        "--allow-deletions",
    ]
    before = INVALID.with_suffix(".csv").read_bytes()
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = runner.invoke(cli, [*args, "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 1  # written, but records were left out
        assert "Left out:" in result.stdout
        assert "poicheck: note: no --action and no --previous" in result.stderr
        outputs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert outputs[0] == outputs[1]
    assert INVALID.with_suffix(".csv").read_bytes() == before  # the input is never modified

    out = tmp_path / "a"
    result = runner.invoke(
        cli, [*args, "--out", str(out), "--action", "insert", "--batch-size", "5"]
    )
    assert result.exit_code == 1
    names = sorted(p.name for p in out.iterdir())
    assert "0001-fullLoad.json" not in names
    assert "snapshot.json" not in names
    assert names[-1] == "manifest.json"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_directory_of_other_files_is_not_overwritten(tmp_path: Path) -> None:
    export = build_export(frame_of(VALID_CELLS), HUB, ruleset=RULESET)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="holds no poicheck export"):
        write_export(export, tmp_path)
    write_export(export, tmp_path / "out")
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="not part of its export"):
        write_export(export, tmp_path / "out")
    with pytest.raises(UsageError, match="not a directory"):
        write_export(export, tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


# --- table -> payload -> table --------------------------------------------------------------


@st.composite
def fleets(draw: st.DrawFn) -> list[dict[str, str]]:
    records = draw(st.lists(valid_records(RULESET), min_size=1, max_size=3))
    keys = normalise_id(pd.Series([r["EvseID"] for r in records], dtype="str"))
    return [r for r, dup in zip(records, keys.duplicated(), strict=True) if not dup]


def owners_of(records: list[dict[str, str]]) -> tuple[str, ...]:
    parts = operator_part(pd.Series([r["EvseID"] for r in records], dtype="str"))
    return tuple(
        sorted({p[:2] + "*" + p[2:] if p[:2].isalpha() else f"+{p[:-3]}*{p[-3:]}" for p in parts})
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(), st.sampled_from(NOTATIONS))
def test_table_to_payload_to_table_round_trips(
    records: list[dict[str, str]], notation: str
) -> None:
    owners = owners_of(records)
    export = build_export(
        frame_of(*records),
        ExportOptions(
            operator_id=owners[0],
            operator_name="Round Trip",
            sub_operator_ids=owners[1:] or (owners[0],),
            geo_format=notation,
            include_invalid=True,  # other rules' opinions do not matter here, the wire does
        ),
        ruleset=RULESET,
    )
    assert export.left_out == ()
    (payload,) = export.files
    back = _read_back(payload.data)
    assert len(back) == len(records)
    for original, read in zip(records, back, strict=True):
        expected = {k: v for k, v in original.items() if v.strip()}
        assert set(read) == set(expected)
        for column, value in expected.items():
            if ".Latitude" in column or ".Longitude" in column:
                assert Decimal(read[column]) == Decimal(value), column
            else:
                # The free texts of TXT012 go out trimmed, with single spaces.
                prop = RULESET.property_for_column(column)
                tidied = prop is not None and prop.path in TIDIED
                assert read[column] == (tidy(value) if tidied else value), column


def _read_back(data: bytes) -> list[dict[str, str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "payload.json"
        path.write_bytes(data)
        table = read_table(path, RULESET)
    assert [f.rule for f in table.reader_findings] == []
    return [
        {str(k): v for k, v in row.items() if isinstance(v, str)}
        for row in table.frame.to_dict(orient="records")
    ]


def test_ruleset_fixture_is_the_shipped_one(ruleset: RuleSet) -> None:
    assert ruleset.version == RULESET.version


HOSTILE_NUMBERS = ["1e999999999", "9" * 5000, "-1e-999999999", "sNaN", "1" * 30 + ".5"]


@pytest.mark.parametrize("notation", NOTATIONS)
def test_hostile_numbers_in_any_column_are_checked_and_exported_without_a_crash(
    notation: str,
) -> None:
    """Numbers no field holds, in every column (the decimal context overflowed, int() of a
    billion digits hung): validate reports each one in a numeric column, and export (invalid
    records included where they fit the schema) accounts for every record."""
    rows = [{**VALID_CELLS, "EvseID": "DE*PCK*E1*1"}]
    cases = [(c, t) for c in VALID_CELLS if c != "EvseID" for t in HOSTILE_NUMBERS]
    for number, (column, text) in enumerate(cases, 2):
        rows.append({**VALID_CELLS, "EvseID": f"DE*PCK*E{number}*1", column: text})
    frame = frame_of(*rows)
    findings = validate(frame, ruleset=RULESET, operator_id="DE*PCK").frame
    for number, (column, _) in enumerate(cases, 2):
        prop = RULESET.property_for_column(column)
        if prop is not None and prop.base in ("integer", "decimal"):
            assert column in set(findings.loc[findings["record"] == number - 1, "field"])
    export = build_export(
        frame, options(geo_format=notation, include_invalid=True), ruleset=RULESET
    )
    sent = {r["EvseID"] for r in records_of(export)}
    assert "DE*PCK*E1*1" in sent
    assert len(sent) + len(export.left_out) == len(rows)


def test_a_full_loads_snapshot_is_the_request_it_sends() -> None:
    export = build_export(VALID.with_suffix(".csv"), HUB, ruleset=RULESET)
    (sent,) = export.files
    records = document(sent.data)["OperatorEvseData"]["EvseDataRecord"]
    operator = (HUB.operator_id or "", HUB.operator_name or "")
    assert export.snapshot == sent.data == snapshot_bytes(operator, records)


def test_record_sources_are_runs_of_rows_and_previous_for_deletes(tmp_path: Path) -> None:
    """Manifest 1.2: where each sent record came from (poicheck push names the row)."""
    lines = VALID.with_suffix(".csv").read_text(encoding="utf-8").splitlines(keepends=True)
    part = tmp_path / "part.csv"
    part.write_text("".join(line for n, line in enumerate(lines, 1) if n not in (4, 10)))
    write_export(build_export(part, options(), ruleset=RULESET), tmp_path / "before")
    grown = build_export(
        VALID.with_suffix(".csv"),
        options(previous=(tmp_path / "before" / "snapshot.json",)),
        ruleset=RULESET,
    )
    sample = str(VALID.with_suffix(".csv"))
    assert [f["record_sources"] for f in document(grown.manifest)["files"]] == [
        [{"file": sample, "row": 4, "records": 1}, {"file": sample, "row": 10, "records": 1}]
    ]
    write_export(
        build_export(VALID.with_suffix(".csv"), options(), ruleset=RULESET), tmp_path / "all"
    )
    shrunk = build_export(
        part, options(previous=(tmp_path / "all" / "snapshot.json",)), ruleset=RULESET
    )
    assert [(f["action"], f["record_sources"]) for f in document(shrunk.manifest)["files"]] == [
        ("delete", [{"file": "(previous)", "row": None, "records": 2}])
    ]
