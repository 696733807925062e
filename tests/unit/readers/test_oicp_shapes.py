"""Hubject's pull responses and national OICP dumps: read into the canonical table, each
operator block checked exactly as that operator's own push request, findings located in the
document, and the same export as the push."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import export as _export  # noqa: F401
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.engine import workers as parallel
from poicheck.readers.oicp_shapes import shape_of
from poicheck.results.report import Finding, Report
from tests.pull_documents import (
    FIXTURES,
    HUB,
    OPERATORS,
    POOL,
    ROOT,
    finding_key,
    national,
    page,
    pull_22,
    push_request,
    write,
)


def rules_of(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


def at(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


# --- which documents are which shape --------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "shape"),
    [
        ({"EvseData": {"OperatorEvseData": []}, "StatusCode": {"Code": "000"}}, "pull-2.2"),
        ({"EVSEData": []}, "national"),
        ({"evseData": [{"operatorId": "CH*CCC", "evseDataRecord": []}]}, "national"),
        ({"content": [], "last": True}, "page"),
        ({"content": [{"EvseID": "DE*PCK*E1"}]}, "page"),
        ({"content": ["some", "text"], "title": "not EVSE data"}, None),
        ([{"content": [], "number": 0}, {"content": [], "number": 1}], "pages"),
        ([{"content": []}, {"content": []}], None),
        ({"OperatorEvseData": []}, "operator-blocks"),
        ({"ActionType": "fullLoad", "OperatorEvseData": {"EvseDataRecord": []}}, None),
        ({"ActionType": "fullLoad", "OperatorEvseData": []}, None),  # a push gone wrong
        ({"OperatorID": "DE*PCK", "EvseDataRecord": []}, None),
        ([{"EvseID": "DE*PCK*E1"}], None),
        ([], None),
        ({"EvseID": "DE*PCK*E1"}, None),
        ("text", None),
    ],
)
def test_shape_of_tells_pull_and_national_documents_from_push_requests(
    document: Any, shape: str | None
) -> None:
    assert shape_of(document) == shape


# --- the fixtures, one of each shape ----------------------------------------------------------


def test_an_oicp_22_pull_response_is_read_block_by_block() -> None:
    report = validate(FIXTURES / "pull-2.2.json")
    assert report.files[0].records == 6
    assert report.files[0].format == "json"
    (foreign,) = at(report, "IDN001")
    # The record of the second block is judged against that block's OperatorID.
    assert (foreign.row, foreign.evse_id) == (5, "DE*XYZ*E2001*3")
    assert foreign.pointer == "/EvseData/OperatorEvseData/1/EvseDataRecord/1/EvseID"
    assert "not to DE*MUC" in foreign.message
    old = {f.pointer for f in at(report, "JSN002")}
    assert old == {
        "/EvseData/OperatorEvseData/1/EvseDataRecord/2/ChargingStationName",
        "/EvseData/OperatorEvseData/1/EvseDataRecord/2/EnChargingStationName",
    }
    assert any("OICP 2.2 fields" in note for note in report.notes)
    # A pull response is no push: no ActionType to find missing.
    assert not rules_of(report) & {"ENV001", "ENV006"}


def test_a_23_page_that_is_not_the_last_says_so_once() -> None:
    report = validate(FIXTURES / "pull-2.3-page-1-of-2.json")
    incomplete = [n for n in report.notes if "incomplete eRoamingPullEvseData" in n]
    assert len(incomplete) == 1
    assert "page 1 of 2 (6 records in all)" in incomplete[0]
    (postal,) = at(report, "ADR007")
    assert (postal.row, postal.pointer) == (4, "/content/3/Address/PostalCode")
    # OperatorID and OperatorName of a pulled record are its envelope, not unknown properties.
    assert "JSN002" not in rules_of(report)
    assert not rules_of(report) & {"ENV001", "ENV002", "ENV004", "ENV006"}


def test_an_empty_page_is_read_as_no_records() -> None:
    report = validate(FIXTURES / "pull-2.3-empty-page.json")
    assert report.unreadable == []
    assert report.files[0].records == 0
    assert report.findings == []
    assert report.exit_code("error") == 0


def test_national_data_names_the_operator_block_of_each_finding() -> None:
    report = validate(FIXTURES / "national-evsedata.json")
    (name,) = at(report, "ENV004")
    assert (name.row, name.pointer) == (None, "/EVSEData/1/OperatorName")
    (foreign,) = at(report, "IDN001")
    assert foreign.pointer == "/EVSEData/0/EVSEDataRecord/2/EvseID"
    assert "belongs to operator CH*CCI, not to CH*CCC" in foreign.message
    (google,) = at(report, "JSN001")
    assert google.pointer == "/EVSEData/0/EVSEDataRecord/1/GeoCoordinates/Google"
    (power,) = at(report, "JSN008")
    assert power.pointer == "/EVSEData/0/EVSEDataRecord/1/ChargingFacilities/0/power"
    (listing,) = [n for n in report.notes if "operator blocks" in n]
    assert "CH*CCC (3 records, at /EVSEData/0); CH*ZHE (1 record, at /EVSEData/1)" in listing


def test_the_text_output_places_an_envelope_finding_at_its_block() -> None:
    from poicheck.render import render

    text = render("text", validate(FIXTURES / "national-evsedata.json"))
    assert "  envelope at /EVSEData/1\n    error   ENV004  OperatorName" in text


# --- each block is checked as its operator's own push ----------------------------------------


Placed = list[tuple[tuple[str, str], list[int], str]]


def _same_as_pushes(
    report: Report, blocks: Placed, records: list[Any], origins: list[str], folder: Path
) -> None:
    """Per block (operator, its records' indices in the document, its pointer): the
    document's findings on those `records` are the findings of a push request of them, with
    the pointers prefixed by the record's pointer in the document (`origins`)."""
    found = report.findings
    for number, (operator, indices, pointer) in enumerate(blocks):
        pushed = [records[i] for i in indices]
        push = validate(write(folder / f"push-{number}.json", push_request(operator, pushed)))
        expected = sorted(
            (finding_key(f), indices[f.record] if f.record is not None else None, f.pointer)
            for f in push.findings
        )
        mine = [
            f
            for f in found
            if (f.record in indices) or (f.record is None and f.pointer.startswith(pointer + "/"))
        ]
        got = []
        for f in mine:
            if f.record is None:
                assert f.pointer == f"{pointer}/{f.field}"
                got.append((finding_key(f), None, "/OperatorEvseData/" + f.field))
            else:
                origin = origins[f.record]
                assert f.pointer.startswith(origin)
                got.append((finding_key(f), f.record, f.pointer[len(origin) :]))
        assert sorted(got) == expected


SHAPE_SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def blocks_of_records(draw: st.DrawFn) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """One to three operator blocks (an operator may have two) of one to six pooled records."""
    count = draw(st.integers(1, 3))
    return [
        (
            draw(st.sampled_from(OPERATORS)),
            draw(st.lists(st.sampled_from(POOL), min_size=0 if count > 1 else 1, max_size=6)),
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize("shape", ["national", "pull-2.2"])
@SHAPE_SETTINGS
@given(blocks=blocks_of_records())
def test_each_operator_block_gets_the_findings_of_its_own_push(
    shape: str, blocks: list[tuple[tuple[str, str], list[dict[str, Any]]]]
) -> None:
    build = national if shape == "national" else pull_22
    outer = "/EVSEData" if shape == "national" else "/EvseData/OperatorEvseData"
    inner = "EVSEDataRecord" if shape == "national" else "EvseDataRecord"
    records: list[Any] = []
    origins: list[str] = []
    placed: Placed = []
    for b, (operator, block) in enumerate(blocks):
        start = len(records)
        records.extend(block)
        origins.extend(f"{outer}/{b}/{inner}/{i}" for i in range(len(block)))
        placed.append((operator, list(range(start, len(records))), f"{outer}/{b}"))
    with tempfile.TemporaryDirectory() as folder:
        report = validate(write(Path(folder) / "doc.json", build(copy.deepcopy(blocks))))
        assert report.unreadable == []
        assert not rules_of(report) & {"ENV001", "ENV006"}
        _same_as_pushes(report, placed, records, origins, Path(folder))


@SHAPE_SETTINGS
@given(
    content=st.lists(
        st.tuples(st.sampled_from(OPERATORS), st.sampled_from(POOL)), min_size=1, max_size=8
    )
)
def test_a_page_is_checked_per_operator_of_its_records(
    content: list[tuple[tuple[str, str], dict[str, Any]]],
) -> None:
    records = [r for _, r in content]
    origins = [f"/content/{i}" for i in range(len(content))]
    operators = list(dict.fromkeys(o for o, _ in content))
    placed: Placed = []
    for operator in operators:
        indices = [i for i, (o, _) in enumerate(content) if o == operator]
        placed.append((operator, indices, f"/content/{indices[0]}"))
    with tempfile.TemporaryDirectory() as folder:
        report = validate(write(Path(folder) / "page.json", page(copy.deepcopy(content))))
        assert not any("incomplete" in n for n in report.notes)
        _same_as_pushes(report, placed, records, origins, Path(folder))


# --- the operator given on the command line -------------------------------------------------


def test_the_operator_given_applies_to_its_own_block_only() -> None:
    report = validate(
        FIXTURES / "national-evsedata.json",
        operator_id="CH*CCC",
        operator_name="Given Name",
        sub_operator_ids=["CH*CCI"],
    )
    # CH*CCI is a declared sub-operator of CH*CCC: its EvseID is that block's to push.
    assert "IDN001" not in rules_of(report)
    # The name given is CH*CCC's; CH*ZHE's block still has none.
    assert [f.pointer for f in at(report, "ENV004")] == ["/EVSEData/1/OperatorName"]


def test_a_record_without_an_operator_takes_the_one_given(tmp_path: Path) -> None:
    record = dict(POOL[1])
    document = {"content": [record], "number": 0, "totalPages": 1, "last": True, "first": True}
    path = write(tmp_path / "page.json", document)
    (missing,) = at(validate(path), "ENV002")
    assert missing.pointer == "/content/0/OperatorID"
    given = validate(path, operator_id="DE*PCK", operator_name="PoiCheck Demo Hub")
    assert not rules_of(given) & {"ENV002", "ENV004", "IDN001"}


# --- what only the document shows -------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "said"),
    [
        ({"numberOfElements": 3}, "numberOfElements says 3 records, but content holds 1"),
        ({"StatusCode": {"Code": "017", "Description": "Unauthorized"}}, "StatusCode is 017"),
        ({"number": 2, "totalPages": 3, "last": True, "first": False}, "page 3 of 3"),
        ({"last": False, "totalPages": None}, "incomplete eRoamingPullEvseData response"),
    ],
)
def test_a_page_says_what_is_wrong_with_it(tmp_path: Path, meta: dict[str, Any], said: str) -> None:
    document = page([(HUB, POOL[1])], **meta)
    document = {k: v for k, v in document.items() if v is not None}
    report = validate(write(tmp_path / "page.json", document))
    assert report.unreadable == []
    assert sum(said in note for note in report.notes) == 1


def test_pages_that_make_the_whole_response_need_no_note(tmp_path: Path) -> None:
    first = page([(HUB, POOL[1])], number=0, totalPages=2, last=False, totalElements=2)
    second = page([(HUB, POOL[2])], number=1, totalPages=2, first=False, totalElements=2)
    report = validate(write(tmp_path / "pages.json", [first, second]))
    assert report.files[0].records == 2
    assert not any("incomplete" in note for note in report.notes)
    pointers = {f.pointer.split("/")[1] for f in report.findings if f.record is not None}
    assert pointers <= {"0", "1"}
    half = validate(write(tmp_path / "half.json", [second]))
    assert any("page 2 of 2" in n for n in half.notes)


def test_a_delta_pull_says_it_holds_changes_only(tmp_path: Path) -> None:
    records = [{**POOL[1], "deltaType": "delete"}, {**POOL[2], "deltaType": "update"}]
    report = validate(write(tmp_path / "delta.json", national([(HUB, records)])))
    assert any("2 records carry a deltaType (1 'delete')" in n for n in report.notes)


def test_broken_blocks_are_unusable_input_located_by_pointer(tmp_path: Path) -> None:
    cases = {
        "item.json": ({"EVSEData": [1]}, "/EVSEData/0 is not an operator block"),
        "list.json": (
            {"EVSEData": [{"OperatorID": "CH*CCC", "EVSEDataRecord": {}}]},
            "/EVSEData/0/EVSEDataRecord is not an array",
        ),
    }
    for name, (document, said) in cases.items():
        report = validate(write(tmp_path / name, document))
        assert said in (report.unreadable[0].error or "")
        assert report.exit_code("error") == 2


def test_a_record_that_is_no_object_is_found_at_its_place(tmp_path: Path) -> None:
    report = validate(write(tmp_path / "page.json", page([(HUB, POOL[1])]) | {"content": [7]}))
    (wrong,) = at(report, "JSN001")
    assert wrong.pointer == "/content/0"


def test_a_repaired_surrogate_is_found_inside_its_record(tmp_path: Path) -> None:
    record = json.dumps(POOL[1]).replace('"Grunerstra', '"Gruner\\udc00stra', 1)
    text = '{"EVSEData": [{"OperatorID": "DE*PCK", "OperatorName": "x", "EVSEDataRecord": ['
    path = tmp_path / "national.json"
    path.write_text(text + record + "]}]}", encoding="utf-8")
    (repaired,) = at(validate(path), "JSN007")
    assert repaired.pointer == "/EVSEData/0/EVSEDataRecord/0/Address/Street"
    assert repaired.row == 1


@pytest.mark.slow
@pytest.mark.skipif(not parallel.can_fork(), reason="blocks are shared among forked workers")
def test_many_blocks_in_workers_give_the_same_findings(tmp_path: Path) -> None:
    blocks = [(OPERATORS[i % 3], POOL[i * 3 : i * 3 + 3]) for i in range(12)]
    path = write(tmp_path / "national.json", national(blocks))
    alone = validate(path, workers=1)
    shared = validate(path, workers=3)
    assert shared.frame.equals(alone.frame)
    assert shared.notes == alone.notes


# --- the command line ----------------------------------------------------------------------------


def test_cli_reports_the_document_pointers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        cli,
        ["validate", "tests/fixtures/pull/national-evsedata.json", "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert {f["pointer"] for f in findings if f["rule"] == "IDN001"} == {
        "/EVSEData/0/EVSEDataRecord/2/EvseID"
    }


def test_cli_export_of_a_pull_response_needs_the_operator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = str(FIXTURES / "pull-2.2.json")
    runner = CliRunner()
    refused = runner.invoke(cli, ["export", source, "-o", "out"], catch_exceptions=False)
    assert refused.exit_code == 2
    assert "give --operator-id" in refused.stderr
    done = runner.invoke(
        cli, ["export", source, "-o", "out", "--operator-id", "DE*PCK"], catch_exceptions=False
    )
    assert done.exit_code == 0, done.stderr
    assert (tmp_path / "out" / "0001-fullLoad.json").is_file()


@pytest.mark.slow
def test_a_real_run_reads_a_23_page() -> None:
    command = [sys.executable, "-m", "poicheck", "validate", "--format", "json", "-q"]
    command.append(str(FIXTURES / "pull-2.3-page-1-of-2.json"))
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["total"]["records"] == 4
    assert any("incomplete" in note for note in report["summary"]["notes"])
    assert "Traceback" not in done.stderr


def test_e028_a_pulled_record_is_checked_as_a_pushed_one(tmp_path: Path) -> None:
    # PullEvseDataRecordType leaves GeoCoordinates optional, and Hubject sends null for an
    # OICP 2.2 Unspecified; a push of the record needs both (errata E030).
    record = {**POOL[0], "Accessibility": None}
    del record["GeoCoordinates"]
    pushed = validate(write(tmp_path / "push.json", push_request(HUB, [record])))
    pulled = validate(write(tmp_path / "page.json", page([(HUB, record)])))
    assert sorted(map(finding_key, pulled.findings)) == sorted(map(finding_key, pushed.findings))
    fields = {f.field for f in pulled.findings}
    assert {"GeoCoordinates.Latitude", "Accessibility"} <= fields
    assert "JSN002" not in rules_of(pulled)
