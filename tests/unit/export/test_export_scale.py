"""Export at hub scale (issue 22): the column-wise build, the split schema check and the line
planner give exactly what the record-by-record way gives, on data nobody tidied for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck.api import _read
from poicheck.errors import InputError
from poicheck.export import ExportOptions, build_export, plan_lines, write_export
from poicheck.export import body as body_module
from poicheck.export import check as check_module
from poicheck.export import previous as previous_module
from poicheck.export import scan as scan_module
from poicheck.export import values as values_module
from poicheck.export.check import RecordCheck
from poicheck.export.delta import Semantics
from poicheck.export.delta import apply as apply_plan
from poicheck.export.delta import plan as plan_records
from poicheck.export.fixed import FixedPoints
from poicheck.export.lines import LinePlan, TableLines
from poicheck.export.model import Candidate, hubject_assigned, source_runs
from poicheck.export.payload import request, request_bytes, runs, snapshot_bytes
from poicheck.export.previous import LinesReader
from poicheck.export.snapshot import PreviousReader
from poicheck.oicp.convert import Builder
from poicheck.oicp.coordinates import NOTATIONS
from poicheck.readers.json import loads
from poicheck.ruleset.schema import record_schema, validator_for
from poicheck.table import Distinct
from tests.indexes import LINE_COLUMNS, index_table, scanned, without_index
from tests.records import VALID_CELLS, frame_of
from tests.strategies import valid_records
from tests.unit.export.test_export import HUB, RULESET, document, options

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = record_schema(RULESET)
VALIDATOR = validator_for(SCHEMA)
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))

# Cell texts Builder reads in a way of its own: blanks, escapes, numbers of every kind, list
# separators, six decimals and more, words for booleans, broken opening times.
ODD_TEXTS = [
    "",
    " ",
    "\xa0",
    "\u3000x",
    " padded  text ",
    'quote " and \\ backslash',
    "tab\there",
    "line\nbreak",
    "\x1cseparator",
    "ünïcödé ✓",
    "007",
    "-0",
    "22.50",
    "1.0000000000000001",
    "1e5",
    "9" * 120,
    "12345678901234567890.5",
    "TRUE",
    " false ",
    "yes",
    " ; Type 2 Outlet;; Type 2 Connector (Cable Attached) ",
    ";",
    "52.1234567",
    " 52.5 ",
    "-0.0000001",
    "1e50",
    "abc",
    "Workdays 08:00-18:00; Saturday 09:00-13:00",
    "Workdays 8-18",
]


@st.composite
def messy_records(draw: st.DrawFn) -> list[dict[str, str]]:
    """A few records from the rule files, with some cells replaced by odd texts, some left
    out, and unique EvseIDs."""
    records = draw(st.lists(valid_records(RULESET), min_size=1, max_size=5))
    out = []
    for number, cells in enumerate(records):
        cells = dict(cells)
        columns = sorted(cells)
        for column in draw(st.lists(st.sampled_from(columns), max_size=6, unique=True)):
            if draw(st.booleans()):
                cells[column] = draw(st.sampled_from(ODD_TEXTS))
            else:
                del cells[column]
        if "EvseID" in cells and draw(st.integers(0, 4)):
            cells["EvseID"] = f"DE*PCK*E{number}*1"
        out.append(cells)
    return out


def _table_lines(records: list[dict[str, str]], notation: str) -> tuple[Any, ...]:
    table = _read(frame_of(*records), RULESET, sheet=None, encoding=None)
    assigned = set(hubject_assigned(RULESET))
    names = [str(c) for c in table.frame.columns if c not in assigned]
    cells = {c: Distinct.of(table.frame[c]) for c in names}
    builder = Builder(RULESET, geo_format=notation)
    plan = LinePlan.of(builder.model, names)
    assert plan is not None
    lines = TableLines(plan, builder, cells)
    frame = table.frame[names]
    rows = [
        {k: v for k, v in row.items() if isinstance(v, str)} for row in frame.to_dict("records")
    ]
    return builder, lines, rows


@SLOW
@given(messy_records(), st.sampled_from(NOTATIONS), st.booleans())
def test_lines_are_the_json_of_builders_records(
    records: list[dict[str, str]], notation: str, vectorised: bool
) -> None:
    old = values_module.VECTOR_FROM
    values_module.VECTOR_FROM = 0 if vectorised else 10**9  # pyarrow's quoting, or Python's
    try:
        builder, lines, rows = _table_lines(records, notation)
    finally:
        values_module.VECTOR_FROM = old
    built = lines.build(np.arange(len(rows))).to_pylist()
    framed = lines.build(np.arange(len(rows)), framed=True).to_pylist()
    for cells, line, with_separator in zip(rows, built, framed, strict=True):
        expected = json.dumps(builder.build(cells), ensure_ascii=False, allow_nan=False)
        assert line == expected, _difference(line, expected)
        assert with_separator == body_module.SEPARATOR.decode() + expected


def _difference(found: str, expected: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(found, expected, strict=False)) if a != b), 0)
    return (
        f"at {at}: {found[max(0, at - 60) : at + 40]!r} != {expected[max(0, at - 60) : at + 40]!r}"
    )


@SLOW
@given(messy_records(), st.sampled_from(NOTATIONS))
def test_the_split_check_accepts_and_refuses_what_the_schema_does(
    records: list[dict[str, str]], notation: str
) -> None:
    builder, lines, rows = _table_lines(records, notation)
    check = RecordCheck.of(SCHEMA)
    assert check is not None
    fits = check.fits(lines, np.arange(len(rows)))
    for cells, fit in zip(rows, fits, strict=True):
        assert fit == (not VALIDATOR.errors(builder.build(cells))), cells


def test_a_schema_that_does_not_split_gets_no_split_check() -> None:
    odd = json.loads(json.dumps(SCHEMA))
    odd["$defs"]["EvseDataRecord"]["patternProperties"] = {"^X": {"type": "string"}}
    assert RecordCheck.of(odd) is None
    assert check_module.splits_object({"type": "object", "oneOf": [{"const": 1}]}) is None
    assert check_module.splits_object({"type": "object", "if": {"required": ["A"]}}) == {"A"}


@SLOW
@given(messy_records(), st.sampled_from(NOTATIONS))
def test_records_marked_fixed_read_back_as_themselves(
    records: list[dict[str, str]], notation: str
) -> None:
    """The records that go out (they fit the schema) and are marked fixed are what
    PreviousReader rebuilds from their lines."""
    builder, lines, rows = _table_lines(records, notation)
    every = np.arange(len(rows))
    fixed = lines.fixed(every, FixedPoints(builder))
    reader = PreviousReader(builder)
    for cells, line, is_fixed in zip(rows, lines.build(every).to_pylist(), fixed, strict=True):
        if not is_fixed or VALIDATOR.errors(builder.build(cells)):
            continue
        rebuilt = list(reader._rebuild(Path("previous.json"), [loads(line)]).values())
        assert [json.dumps(r, ensure_ascii=False) for r in rebuilt] == [line]


def test_a_float_that_comes_back_as_an_integer_is_not_fixed() -> None:
    cells = {**VALID_CELLS, "EnvironmentalImpact.CO2Emission": "9007199254740993.5"}
    builder, lines, _ = _table_lines([cells, VALID_CELLS], "DecimalDegree")
    assert lines.fixed(np.arange(2), FixedPoints(builder)).tolist() == [False, True]


# --- whole exports: the column-wise way against the record-by-record way -------------------


def _outputs(export: Any) -> dict[str, Any]:
    return without_index(dict(export.outputs()))


def _both(monkeypatch: pytest.MonkeyPatch, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """An export built column by column, and the same built record by record (the way of
    records._Build, which every export took before issue 22); an error instead of either."""

    def attempt() -> Any:
        try:
            return build_export(*args, **kwargs)
        except InputError as exc:
            return exc

    fast = attempt()
    with monkeypatch.context() as patch:
        patch.setattr(RecordCheck, "of", classmethod(lambda cls, schema: None))
        slow = attempt()
    return fast, slow


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    messy_records(),
    st.sampled_from(NOTATIONS),
    st.sampled_from([None, "insert"]),
    st.booleans(),
)
def test_export_bytes_are_those_of_the_record_by_record_build(
    records: list[dict[str, str]], notation: str, action: str | None, include_invalid: bool
) -> None:
    chosen = options(geo_format=notation, action=action, include_invalid=include_invalid)
    with pytest.MonkeyPatch.context() as patch:
        fast, slow = _both(patch, frame_of(*records), chosen, ruleset=RULESET)
    if isinstance(fast, InputError) or isinstance(slow, InputError):  # no record to send
        assert str(fast) == str(slow)
        return
    assert _outputs(fast) == _outputs(slow)
    assert (fast.left_out, fast.included_invalid) == (slow.left_out, slow.included_invalid)
    assert fast.review == slow.review
    # And the bodies are request_bytes of their records, as before issue 22.
    for file in fast.files:
        sent = document(file.data)
        assert file.data == request_bytes(
            request(
                file.action,
                HUB.operator_id or "",
                HUB.operator_name or "",
                sent["OperatorEvseData"]["EvseDataRecord"],
            )
        )


@pytest.mark.slow
def test_the_samples_export_the_same_bytes_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    for sample in ("valid/evse-valid.csv", "invalid/evse-invalid.csv", "valid/evse-valid.json"):
        for notation in NOTATIONS:
            fast, slow = _both(
                monkeypatch,
                ROOT / "samples" / sample,
                options(geo_format=notation),
                ruleset=RULESET,
            )
            assert _outputs(fast) == _outputs(slow), (sample, notation)


# --- the delta planner on lines against delta.plan on dicts ---------------------------------


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    before = draw(messy_records())
    after = []
    for cells in before:
        fate = draw(st.sampled_from(["keep", "keep", "drop", "change"]))
        if fate == "keep":
            after.append(cells)
        elif fate == "change":
            column = draw(st.sampled_from(sorted(cells) or ["EvseID"]))
            after.append({**cells, column: draw(st.sampled_from(ODD_TEXTS[10:]))})
    extra = draw(st.lists(valid_records(RULESET), max_size=2))
    after.extend({**c, "EvseID": f"DE*PCK*E{90 + n}*1"} for n, c in enumerate(extra))
    return before, after


def _previous_file(tmp: Path, records: list[dict[str, Any]], style: str) -> Path:
    """The previous state as poicheck writes it, or as another system might (compact, key
    order reversed, numbers as floats, Hubject's own properties)."""
    path = tmp / f"previous-{style}.json"
    if style == "poicheck":
        path.write_bytes(snapshot_bytes(("DE*PCK", "PoiCheck Demo Hub"), records))
        return path
    odd = []
    for record in records:
        record = dict(reversed(list(record.items())))
        record["lastUpdate"] = "2026-01-23T14:04:29Z"
        odd.append(record)
    path.write_bytes(snapshot_bytes(("DE*PCK", "x"), odd))
    return path


def _state_and_sent(path: Path, after: list[dict[str, str]], notation: str) -> tuple[Any, ...]:
    """The previous state read both ways, and the new records collected into a spool."""
    from poicheck.export.body import Spool
    from poicheck.export.columns import Sink
    from poicheck.export.records import collect

    builder = Builder(RULESET, geo_format=notation)
    chosen = options(geo_format=notation, include_invalid=True)
    sink = Sink(Spool(), "delta")
    collected = collect([frame_of(*after)], chosen, RULESET, VALIDATOR, sink, FixedPoints(builder))
    bodies = [body for body, _ in sink.close()]
    lines = plan_lines.Lines(
        collected.sent, bodies, LinesReader(builder).read([path]), PreviousReader(builder)
    )
    state = PreviousReader(builder).read([path])
    return lines, state, collected, sink


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    histories(),
    st.sampled_from(NOTATIONS),
    st.sampled_from(["poicheck", "other"]),
    st.sampled_from([8, 1 << 20]),
)
def test_the_line_planner_plans_what_delta_plan_plans(
    history: tuple[list[dict[str, str]], list[dict[str, str]]],
    notation: str,
    style: str,
    chunk: int,
) -> None:
    import tempfile

    before, after = history
    with tempfile.TemporaryDirectory() as directory, pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan_module, "CHUNK", chunk)  # lines across the reads' ends too
        previous = [json.loads(line) for line in _lines_of(before, notation)]
        path = _previous_file(Path(directory), previous, style)
        lines, state, collected, sink = _state_and_sent(path, after, notation)
        # The state: the same records in the same order, rebuilt the same.
        keys = list(lines.previous.entries.keys)
        assert keys == list(state.records)
        rebuilt = lines.rebuild(np.arange(len(keys)))
        assert [rebuilt[n] for n in range(len(keys))] == list(state.records.values())
        # The plan and the state after it.
        sent = [json.loads(bytes(line)) for line in lines.new(np.arange(len(collected.sent)))]
        new_keys = lines.sent.texts("key").to_pylist()
        candidates = [
            Candidate(k, r["EvseID"], "x", 2, r) for k, r in zip(new_keys, sent, strict=True)
        ]
        semantics = Semantics(RULESET)
        keep = collected.left_out_keys
        expected = plan_records(state.records, candidates, semantics, keep=keep)
        found = plan_lines.plan(lines, semantics, keep=keep)
        assert found.changes == expected.changes
        assert [new_keys[n] for n in found.inserts] == [c.key for c in expected.inserts]
        assert [new_keys[n] for n in found.updates] == [c.key for c in expected.updates]
        assert [keys[n] for n in found.deletes] == [k for k, _ in expected.deletes]
        operator = ("DE*PCK", "PoiCheck Demo Hub")
        written, count, index = plan_lines.snapshot(lines, found, sink.spool, operator)
        after_state = list(apply_plan(state.records, expected).values())
        assert written.read() == snapshot_bytes(operator, after_state)
        assert index is not None
        assert index_table(index.read()).select(LINE_COLUMNS).to_pydict() == scanned(written.read())
        assert count == len(after_state)


def _lines_of(records: list[dict[str, str]], notation: str) -> list[str]:
    """The record lines of a fullLoad of `records` (none when no record fits)."""
    try:
        export = build_export(
            frame_of(*records), options(geo_format=notation, include_invalid=True), ruleset=RULESET
        )
    except InputError:
        return []
    data = document(export.files[0].data)["OperatorEvseData"]["EvseDataRecord"]
    return [json.dumps(record, ensure_ascii=False) for record in data]


def test_a_previous_snapshot_in_poicheck_layout_is_read_without_parsing_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = build_export(ROOT / "samples/valid/evse-valid.csv", HUB, ruleset=RULESET)
    write_export(export, tmp_path / "a")
    parsed: list[Any] = []
    monkeypatch.setattr(previous_module, "loads", lambda text: parsed.append(text) or loads(text))
    state = LinesReader(Builder(RULESET)).read([tmp_path / "a" / "manifest.json"])
    records = [text for text in parsed if text.startswith("{")]  # not the envelope's values
    assert len(state) == 60
    assert not records
    assert not state.entries.rebuilt.any()
    # A changed file is refused as before; a line that does not start with its EvseID is
    # parsed (and rebuilt) as it is read.
    snapshot = tmp_path / "a" / "snapshot.json"
    data = snapshot.read_bytes().replace(b'{"EvseID": ', b'{"deltaType": "insert", "EvseID": ', 1)
    snapshot.write_bytes(data)
    with pytest.raises(InputError, match="changed after it was exported"):
        LinesReader(Builder(RULESET)).read([tmp_path / "a" / "manifest.json"])
    parsed.clear()
    state = LinesReader(Builder(RULESET)).read([snapshot])
    records = [text for text in parsed if text.startswith("{")]
    assert len(records) == 1
    assert records[0].startswith('{"deltaType"')
    assert int(state.entries.rebuilt.sum()) == 1
    assert len(state) == 60


@pytest.mark.parametrize(
    "odd",
    [
        b', "EvseID": "DE*PCK*E9999*1"}',  # a second EvseID key: the last one counts
        b', "Floor": "\\"EvseID\\": \\"x\\""}',  # escapes that spell a key in a text
    ],
)
@pytest.mark.slow
def test_a_line_whose_start_misleads_is_read_the_long_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: bytes
) -> None:
    """A line is read by its start only where that start is the record's EvseID; a line
    where it is not (found when the line differs from every new line) makes the planner
    read the file whole, and the export is what reading it whole gives."""
    source = ROOT / "samples/valid/evse-valid.csv"
    write_export(build_export(source, HUB, ruleset=RULESET), tmp_path / "a")
    snapshot = tmp_path / "a" / "snapshot.json"
    lines = snapshot.read_bytes().split(b"\n")
    lines[6] = lines[6][: -len(b"},")] + odd + b","
    snapshot.write_bytes(b"\n".join(lines))
    chosen = options(previous=(snapshot,))
    streamed = build_export(source, chosen, ruleset=RULESET)
    monkeypatch.setattr(previous_module, "scan_header", lambda path: None)
    whole = build_export(source, chosen, ruleset=RULESET)
    assert _outputs(streamed) == _outputs(whole)
    assert streamed.changes == whole.changes


def test_source_runs_of_arrays_are_those_of_tuples() -> None:
    rng = np.random.default_rng(22)
    files = ["a.csv", "b.csv", "a.csv"]
    table = rng.integers(0, 3, 300)
    rows = np.cumsum(rng.integers(0, 3, 300)) + 2
    tuples = [(files[t], int(r)) for t, r in zip(table, rows, strict=True)]
    assert list(runs(files, table, rows)) == source_runs(tuples)


def test_large_bodies_are_spooled_linked_and_removed_with_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(body_module, "IN_MEMORY", 1000)
    spool_parent = tmp_path / "spool"
    spool_parent.mkdir()
    source = ROOT / "samples/valid/evse-valid.csv"
    export = build_export(source, HUB, ruleset=RULESET, workdir=spool_parent)
    (payload,) = export.files
    assert payload.body.path is not None
    assert payload.body.path.parent.parent == spool_parent
    write_export(export, tmp_path / "out")
    written = tmp_path / "out" / payload.name
    snapshot = tmp_path / "out" / "snapshot.json"
    assert written.read_bytes() == snapshot.read_bytes() == payload.data
    assert os.stat(written).st_ino == os.stat(payload.body.path).st_ino  # linked, not copied
    assert os.stat(snapshot).st_ino != os.stat(written).st_ino  # the snapshot is a file of its own
    manifest = document((tmp_path / "out" / "manifest.json").read_bytes())
    import hashlib

    assert manifest["files"][0]["sha256"] == hashlib.sha256(written.read_bytes()).hexdigest()
    del export, payload
    import gc

    gc.collect()
    assert list(spool_parent.iterdir()) == []


@pytest.mark.slow
def test_cli_export_of_a_generated_file_in_a_subprocess(tmp_path: Path) -> None:
    """A few thousand benchmark records (a body above the in-memory limit, so spooled and
    linked) through the real command: the same bytes as the record-by-record build."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import datasets

    source = tmp_path / "evse.csv"
    datasets.write_csv(source, 5000)
    (tmp_path / ".poicheck.yaml").write_text(datasets.CONFIG, encoding="utf-8")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "poicheck",
            "export",
            str(source),
            "--out",
            str(out),
            "--allow-deletions",
            "-q",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 1, result.stderr  # records left out (the planted mistakes)
    assert "Traceback" not in result.stderr
    assert (out / "0001-fullLoad.json").stat().st_size > body_module.IN_MEMORY
    chosen = ExportOptions(
        operator_id="DE*PCK",
        operator_name="PoiCheck Demo Hub",
        sub_operator_ids=("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"),
        allow_deletions=True,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RecordCheck, "of", classmethod(lambda cls, schema: None))
        slow = build_export(source, chosen, ruleset=RULESET)
    assert (out / "0001-fullLoad.json").read_bytes() == slow.files[0].data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".poicheck-export")] == []


def test_an_unusable_input_is_reported_before_an_unusable_previous_file(tmp_path: Path) -> None:
    """The previous state is read beside the building (poicheck.export.ahead), but its
    problems come after the inputs', as when it was read after them; nothing lingers."""
    import multiprocessing
    import time

    previous = tmp_path / "previous.json"
    previous.write_bytes(b"{")
    with pytest.raises(InputError) as caught:
        build_export(tmp_path / "missing.csv", options(previous=(previous,)), ruleset=RULESET)
    assert "missing.csv" in str(caught.value.location)
    with pytest.raises(InputError, match="invalid JSON"):
        build_export(frame_of(VALID_CELLS), options(previous=(previous,)), ruleset=RULESET)
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []
