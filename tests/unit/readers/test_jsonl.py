"""OICP JSON Lines (.jsonl, .ndjson): one EvseDataRecord per line gives the findings the record
gives in a push request, read at once or in chunks of any size with identical findings;
damaged lines are reported at their line number and skipped, unusable files refused."""

from __future__ import annotations

import codecs
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.errors import InputError
from poicheck.export import ExportOptions, build_export
from poicheck.oicp.convert import Builder
from poicheck.readers import FORMATS, preview, read_table, read_tables
from poicheck.render import render
from poicheck.results.report import Report
from poicheck.ruleset.model import RuleSet
from tests.records import VALID_CELLS, json_record
from tests.same import assert_same, json_findings_by_cli

SUBS = ("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR")
OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck Demo Hub"}
SAMPLES = ["valid/evse-valid", "invalid/evse-invalid"]
# What a finding says, wherever its record sits in the file.
SAYS = ["rule", "severity", "record", "evse_id", "field", "pointer", "value", "message"]


def request_records(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))[
        "OperatorEvseData"
    ]["EvseDataRecord"]
    return records


def write_lines(path: Path, lines: list[Any]) -> Path:
    """One line per item: a record as JSON, a string as it is."""
    text = [i if isinstance(i, str) else json.dumps(i, ensure_ascii=False) for i in lines]
    path.write_text("".join(line + "\n" for line in text), encoding="utf-8")
    return path


def check(path: Path, chunk_rows: int | None = 0) -> Report:
    return validate(path, chunk_rows=chunk_rows, sub_operator_ids=SUBS, **OPERATOR)


def says(report: Report) -> list[list[Any]]:
    frame = report.frame[report.frame["record"].notna()]
    return frame[SAYS].astype(object).where(frame[SAYS].notna(), None).values.tolist()


@pytest.fixture(scope="module")
def sample_lines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("samples")
    root = Path(__file__).resolve().parents[3] / "samples"
    return {
        name: write_lines(
            directory / f"{Path(name).name}.jsonl", request_records(root / f"{name}.json")
        )
        for name in SAMPLES
    }


# --- the same records as a request and as lines --------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sample", SAMPLES)
def test_lines_give_the_findings_of_the_request(
    sample: str, samples: Path, sample_lines: dict[str, Path]
) -> None:
    request = validate(samples / f"{sample}.json", sub_operator_ids=SUBS)
    lines = check(sample_lines[sample])
    assert lines.unreadable == []
    assert says(lines) == says(request)
    # No envelope in the file: only the operator given, which is valid.
    assert lines.frame["record"].notna().all()
    # A record's row is its line: no blank lines here, so its position plus one.
    assert (lines.frame["row"] == lines.frame["record"] + 1).all()
    assert lines.files[0].format == "jsonl"
    assert lines.files[0].records == request.files[0].records == 60
    if "invalid" in sample:
        assert len(says(lines)) > 50
        assert {"JSN001", "IDN003", "IDN004"} <= set(lines.frame["rule"])
    else:
        assert says(lines) == []


@pytest.mark.slow
def test_rows_are_line_numbers_counting_blank_lines(
    samples: Path, sample_lines: dict[str, Path], tmp_path: Path
) -> None:
    records = request_records(samples / "invalid/evse-invalid.json")
    spaced: list[Any] = []
    for i, record in enumerate(records):
        spaced.extend(["", "   "] if i % 10 == 3 else [])
        spaced.append(record)
    path = write_lines(tmp_path / "spaced.jsonl", spaced)
    plain, blank = check(sample_lines["invalid/evse-invalid"]), check(path)
    # Messages about several records name their rows: the lines, which moved.
    same = [said[:-1] for said in says(plain)]
    assert [said[:-1] for said in says(blank)] == same
    assert any(said[-1] != was[-1] for said, was in zip(says(blank), says(plain), strict=True))
    line_of = {i: n for n, i in enumerate(_record_lines(spaced), start=1) if i is not None}
    assert blank.frame["row"].tolist() == [line_of[r] for r in blank.frame["record"]]
    assert blank.frame["row"].max() > plain.frame["row"].max()


def _record_lines(lines: list[Any]) -> list[int | None]:
    """Per line, the index of the record on it (None for a blank line)."""
    out: list[int | None] = []
    count = 0
    for line in lines:
        if isinstance(line, str) and not line.strip():
            out.append(None)
        else:
            out.append(count)
            count += 1
    return out


def test_numbers_keep_their_text(ruleset: RuleSet, tmp_path: Path) -> None:
    record = json.dumps(json_record(ruleset)).replace('"Power": 22', '"Power": 22.50')
    assert '"Power": 22.50' in record
    lines = tmp_path / "numbers.jsonl"
    lines.write_text(record + "\n", encoding="utf-8")
    array = tmp_path / "numbers.json"
    array.write_text(f"[{record}]", encoding="utf-8")
    from_lines, from_array = read_table(lines, ruleset), read_table(array, ruleset)
    assert from_lines.frame["ChargingFacilities.1.Power"].tolist() == ["22.50"]
    assert from_lines.frame.equals(from_array.frame)


@pytest.mark.slow
def test_ndjson_is_json_lines(sample_lines: dict[str, Path], tmp_path: Path) -> None:
    assert FORMATS[".jsonl"] == FORMATS[".ndjson"] == "jsonl"
    source = sample_lines["invalid/evse-invalid"]
    other = tmp_path / "records.NDJSON"
    other.write_bytes(source.read_bytes())
    assert says(check(other)) == says(check(source))


@pytest.mark.slow
def test_export_reads_json_lines(samples: Path, sample_lines: dict[str, Path]) -> None:
    hub = ExportOptions(**OPERATOR, sub_operator_ids=SUBS)
    from_lines = build_export(sample_lines["valid/evse-valid"], hub)
    from_request = build_export(samples / "valid/evse-valid.json", hub)
    assert [f.data for f in from_lines.files] == [f.data for f in from_request.files]
    assert from_lines.records_read == 60


def test_no_mapping_for_json_lines(sample_lines: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="needs no mapping"):
        preview(sample_lines["valid/evse-valid"])


# --- in chunks ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "chunk_rows"),
    [("valid/evse-valid", n) for n in (7, 60)]
    + [("invalid/evse-invalid", n) for n in (1, 7, 16, 59, 60, 10_000)],
)
def test_samples_in_chunks(sample: str, chunk_rows: int, sample_lines: dict[str, Path]) -> None:
    assert_same(check(sample_lines[sample]), check(sample_lines[sample], chunk_rows))


def border_lines(ruleset: RuleSet) -> list[Any]:
    """30 EVSEs with what only the whole file shows, spread over it: duplicates and stations
    far apart, columns and notations first seen late, damaged, blank and CRLF lines."""
    lines: list[Any] = []
    for i in range(30):
        cells = {**VALID_CELLS, "EvseID": f"DE*PCK*E{3000 + i}*1"}
        cells["ChargingStationId"] = f"ST-{i}"
        cells["ChargingPoolID"] = f"DE*PCK*P{3000 + i}"
        if i == 21:  # a second and third charging facility, a French name: columns seen late
            cells["ChargingFacilities.2.PowerType"] = "DC"
            cells["ChargingFacilities.2.Power"] = "150"
            cells["ChargingFacilities.3.PowerType"] = "DC"
            cells["ChargingFacilities.3.Power"] = "abc"
            cells["ChargingStationNames.fr"] = "Alexanderplatz"
        if i == 24:  # an entrance, and a notation no record before used
            cells["GeoChargingPointEntrance.Latitude"] = "0"
            cells["GeoChargingPointEntrance.Longitude"] = "0"
        if i == 27:
            # One station, two places far apart: the second position is coarse (GEO011).
            cells["ChargingStationId"] = "ST-8"
            cells["GeoCoordinates.Latitude"] = "52.8"
        record = Builder(ruleset, geo_format="Google" if i == 24 else "DecimalDegree").build(cells)
        if i == 25:
            record["EvseID"] = "de*pck*e3002*1"  # a duplicate, far from its twin
        if i == 26:  # what only the wire shows
            record["IsOpen24Hours"] = "true"
            record["Foo"] = 1
            record["HardwareManufacturer"] = ""
        lines.append(record)
        if i == 5:
            lines.append(json.dumps(record)[:-30])  # cut off
        if i == 12:
            lines.extend(["", "  "])
        if i == 18:
            lines.append('["DE*PCK*E9999*1"]')
        if i == 19:
            lines.append(json.dumps(record) + "\r")  # CRLF, the record a second time
    lines.append("{")  # the end of the file cut off
    return lines


@pytest.fixture
def border_file(tmp_path: Path, ruleset: RuleSet) -> Path:
    return write_lines(tmp_path / "borders.jsonl", border_lines(ruleset))


@pytest.mark.slow
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5, 7, 11, 22, 30, 31, 32])
def test_findings_across_chunk_borders(border_file: Path, chunk_rows: int) -> None:
    at_once, chunked = check(border_file), check(border_file, chunk_rows)
    assert_same(at_once, chunked)
    found = {(f.rule, f.field, f.row) for f in at_once.findings}
    # A group finding folded into the culprit's own finding (issue 15) is still its finding.
    found |= {(i["rule"], i["field"], f.row) for f in at_once.findings for i in f.related or []}
    # Every planted case is found at once, so equality is not the equality of two blanks.
    assert at_once.files[0].records == 31
    assert {("IDN003", "EvseID", 3), ("IDN003", "EvseID", 31)} <= found
    assert {("IDN003", "EvseID", 24), ("IDN003", "EvseID", 25)} <= found  # the CRLF copy
    # Only the member with the coarse position is blamed, not its sibling (issue 15).
    assert ("IDN004", "ChargingStationId", 33) in found
    assert ("IDN004", "ChargingStationId", 10) not in found
    assert ("PWR007", "ChargingFacilities.3.Power", 27) in found
    assert ("GEO010", "GeoChargingPointEntrance", 30) in found
    assert {("JSN001", "IsOpen24Hours", 32), ("JSN002", "Foo", 32)} <= found
    assert ("JSN003", "HardwareManufacturer", 32) in found
    skipped = [f for f in at_once.findings if f.rule == "JSN006"]
    assert [f.message.split(" ")[1] for f in skipped] == ["7", "23", "36"]
    assert all(f.row is None and f.record is None for f in skipped)


@pytest.mark.slow
def test_chunks_are_set_aside_and_cleaned_up(
    border_file: Path, ruleset: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    chunks = read_tables(border_file, ruleset, chunk_rows=4)
    first = next(chunks)
    assert len(first.frame) == 4
    assert first.rows.tolist() == [1, 2, 3, 4]
    # 8 chunks: the first is given, the last in memory, the 6 between wait on disk.
    assert len(list(spill.glob("*/*.arrow"))) == 6
    rest = list(chunks)
    assert [len(c.frame) for c in rest] == [4] * 6 + [3]
    # Every chunk has the columns and notations of the whole file, even those seen late.
    whole = read_table(border_file, ruleset)
    assert {"ChargingFacilities.3.Power", "ChargingStationNames.fr"} <= set(whole.frame.columns)
    assert list(whole.notations) == ["GeoCoordinates", "GeoChargingPointEntrance"]
    for chunk in [first, *rest]:
        assert list(chunk.frame.columns) == list(whole.frame.columns)
        assert list(chunk.notations) == list(whole.notations)
    assert list(spill.iterdir()) == []
    abandoned = read_tables(border_file, ruleset, chunk_rows=4)
    next(abandoned)
    abandoned.close()
    assert list(spill.iterdir()) == []


def test_large_files_are_chunked_without_asking(
    border_file: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    import poicheck.readers.jsonl as jsonl_reader

    monkeypatch.setattr(jsonl_reader, "MAX_BYTES", 100)
    monkeypatch.setattr(jsonl_reader, "CHUNK_ROWS", 5)
    tables = list(read_tables(border_file, ruleset))
    assert [len(t.frame) for t in tables] == [5] * 6 + [1]
    with pytest.raises(InputError, match="--chunk-rows"):
        list(read_tables(border_file, ruleset, chunk_rows=0))


@pytest.mark.slow
def test_chunk_rows_on_the_command_line(border_file: Path, tmp_path: Path) -> None:
    operator = ("--operator-id", "DE*PCK", "--operator-name", "PoiCheck")
    outputs = [
        json_findings_by_cli(
            border_file, tmp_path / f"{rows}.json", "--chunk-rows", rows, *operator
        )
        for rows in ("0", "3")
    ]
    assert outputs[0] == outputs[1]
    findings = json.loads(outputs[0])["findings"]
    assert sum(f["rule"] == "JSN006" for f in findings) == 3
    assert len(findings) > 10


# --- damaged lines and unusable files -------------------------------------------------------


def test_a_damaged_line_is_reported_at_its_line(ruleset: RuleSet, tmp_path: Path) -> None:
    record = json_record(ruleset)
    second = {**record, "EvseID": "DE*PCK*E1002*1"}
    path = tmp_path / "damaged.jsonl"
    body = [json.dumps(record), json.dumps(second)[:-1], json.dumps(second), '{"x": NaN}']
    path.write_bytes(
        "\n".join(body).encode() + b'\n{"EvseID": "DE*PCK*E1\xe4"}\n"DE*PCK*E1003*1"\n'
    )
    report = check(path)
    assert report.files[0].records == 2
    assert [(f.rule, f.row, f.record) for f in report.findings] == [("JSN006", None, None)] * 4
    messages = [f.message for f in report.findings]
    assert messages[0].startswith("Line 2 is not valid JSON: Expecting ',' delimiter at column")
    assert messages[0].endswith("; the line is skipped")
    assert messages[1] == "Line 4 is not valid JSON: NaN is not a JSON number; the line is skipped"
    assert messages[2] == "Line 5 is not UTF-8 (byte 0xE4 at position 22); the line is skipped"
    assert messages[3] == "Line 6 is a JSON string, not an object; the line is skipped"
    assert report.findings[0].value == json.dumps(second)[:80]
    table = read_table(path, ruleset)
    assert table.rows.tolist() == [1, 3]
    assert table.frame["EvseID"].tolist() == ["DE*PCK*E1001*1", "DE*PCK*E1002*1"]


def test_byte_order_mark_and_line_ends(ruleset: RuleSet, tmp_path: Path) -> None:
    record = json.dumps(json_record(ruleset))
    plain = tmp_path / "plain.jsonl"
    plain.write_text(record + "\n", encoding="utf-8")
    marked = tmp_path / "marked.jsonl"
    marked.write_bytes(codecs.BOM_UTF8 + record.encode() + b"\r\n\r\n" + record.encode())
    once, twice = read_table(plain, ruleset), read_table(marked, ruleset)
    assert twice.rows.tolist() == [1, 3]
    assert twice.frame.iloc[[0]].equals(once.frame)
    assert twice.reader_findings == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n  \n\t\n", "the file is empty"),
        (codecs.BOM_UTF8 + b"\r\n", "the file is empty"),
        (b'[\n  {"EvseID": "DE*PCK*E1"}\n]\n', "line 1 is '\\[' alone: this is JSON written"),
        (b'\n[{"EvseID": "DE*PCK*E1"}]\n', "line 2 is a JSON array; JSON Lines holds one"),
        (
            b'{"ActionType": "fullLoad", "OperatorEvseData": {"EvseDataRecord": []}}',
            "line 1 is an eRoamingPushEvseData request, not an EvseDataRecord",
        ),
        (b"EvseID;Address.City\nDE*PCK*E1;Berlin\n", "no line holds an EvseDataRecord: line 1"),
        ('{"EvseID": "DE*PCK*E1"}\n'.encode("utf-16"), "must be UTF-8 encoded"),
        (b"PK\x03\x04" + bytes(60), "rename it to .xlsx"),
    ],
)
def test_unusable_files_are_refused(
    content: bytes, message: str, ruleset: RuleSet, tmp_path: Path
) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path, ruleset)
    with pytest.raises(InputError, match=message):
        list(read_tables(path, ruleset, chunk_rows=1))
    report = check(path)
    assert report.files[0].error is not None
    assert report.exit_code() == 2


def test_text_output_locates_findings_by_line(tmp_path: Path, samples: Path) -> None:
    request = json.loads((samples / "invalid" / "evse-invalid.json").read_text(encoding="utf-8"))
    records = request["OperatorEvseData"]["EvseDataRecord"][:3]
    path = tmp_path / "three.jsonl"
    path.write_text("\n\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    text = render("text", validate(path, operator_id="DE*PCK"), color=False)
    assert "  line 1  FR*XYZ*E1001*1" in text
    assert "  line 3  " in text  # a blank line between records still counts
