"""A CSV file read in chunks gives exactly the findings, notes and score of the file read at
once: rules across rows (duplicates, stations, pools), file-wide conventions and reader
findings included, whatever the chunk size and wherever the chunk borders fall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.errors import InputError
from poicheck.readers import read_tables
from poicheck.results.report import Report
from poicheck.ruleset.model import RuleSet
from tests.corpus import csv_bytes
from tests.records import VALID_CELLS
from tests.same import assert_same, json_findings_by_cli

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop

SUB_OPERATORS = ("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR")
SAMPLES = ["valid/evse-valid.csv", "invalid/evse-invalid.csv"]


def both(path: Path, ruleset: RuleSet, chunk_rows: int) -> tuple[Report, Report]:
    reports = [
        validate(
            path,
            ruleset=ruleset,
            chunk_rows=rows,
            operator_id="DE*PCK",
            sub_operator_ids=SUB_OPERATORS,
        )
        for rows in (0, chunk_rows)
    ]
    return reports[0], reports[1]


@pytest.mark.parametrize("chunk_rows", [1, 7, 16, 59, 10_000])
@pytest.mark.parametrize("sample", SAMPLES)
def test_samples_in_chunks(sample: str, chunk_rows: int, samples: Path, ruleset: RuleSet) -> None:
    at_once, chunked = both(samples / sample, ruleset, chunk_rows)
    assert_same(at_once, chunked)
    if "invalid" in sample:
        assert len(at_once.findings) > 50


def border_cases() -> list[list[str]]:
    """30 EVSEs with what only a view of the whole file can judge, spread over the file."""
    header = [*VALID_CELLS, ""]
    rows: list[list[str]] = []
    for i in range(30):
        cells = {**VALID_CELLS, "EvseID": f"DE*PCK*E{2000 + i}*1"}
        cells["ChargingStationId"] = f"ST-{i}"
        cells["ChargingPoolID"] = f"DE*PCK*P{2000 + i}"
        # A German export: decimal commas throughout, but the first rows have no position,
        # so the convention's first cell lies in a later chunk.
        for axis in ("GeoCoordinates.Latitude", "GeoCoordinates.Longitude"):
            cells[axis] = "" if i < 6 else cells[axis].replace(".", ",")
        # A boolean vocabulary used throughout, and one spoilt by a canonical word at the end.
        cells["DynamicPowerLevel"] = "WAHR" if i % 2 else "FALSCH"
        cells["IsOpen24Hours"] = "true" if i == 29 else "ja"
        rows.append([*cells.values(), "note" if i >= 27 else ""])
    rows[27][0] = rows[2][0].lower()  # a duplicate EvseID, far from its twin
    station = list(VALID_CELLS).index("ChargingStationId")
    # One station, two places 30 km apart: the second position has one decimal (GEO011).
    latitude = list(VALID_CELLS).index("GeoCoordinates.Latitude")
    rows[25][station] = rows[8][station]
    rows[25][latitude] = "52,8"
    plugs = list(VALID_CELLS).index("Plugs")
    rows[14][plugs] = rows[14][plugs] + " "  # a stray space, cleaned in its cell
    rows.insert(12, [""] * len(header))  # a blank row
    rows.insert(20, header)  # the header pasted again
    rows[22] = [*rows[22], "", "spill"]  # a row wider than the header
    return [header, *rows]


@pytest.fixture
def border_file(tmp_path: Path) -> Path:
    path = tmp_path / "borders.csv"
    path.write_bytes(csv_bytes(border_cases(), delimiter=";"))
    return path


@pytest.mark.parametrize("chunk_rows", [1, 4, 7, 11])
def test_findings_across_chunk_borders(
    border_file: Path, chunk_rows: int, ruleset: RuleSet
) -> None:
    at_once, chunked = both(border_file, ruleset, chunk_rows)
    assert_same(at_once, chunked)
    found = {(f.rule, f.field, f.row) for f in at_once.findings}
    # A group finding folded into the culprit's own finding (issue 15) is still its finding.
    found |= {(i["rule"], i["field"], f.row) for f in at_once.findings for i in f.related or []}
    # Every planted case is found at once, so equality is not the equality of two blanks.
    assert ("TBL008", "GeoCoordinates.Latitude", 8) in found
    assert ("TBL009", "DynamicPowerLevel", 2) in found
    assert not any(rule == "TBL009" and field == "IsOpen24Hours" for rule, field, _ in found)
    assert {("IDN003", "EvseID", 4), ("IDN003", "EvseID", 31)} <= found
    # Only the member whose own position is coarse is blamed, not its sibling (issue 15).
    assert ("IDN004", "ChargingStationId", 29) in found
    assert ("IDN004", "ChargingStationId", 10) not in found
    assert ("TBL007", "Plugs", 17) in found
    assert any(rule == "TBL004" for rule, _, _ in found)
    assert any(rule == "TBL006" for rule, _, _ in found)
    assert any(rule == "TBL001" for rule, _, _ in found)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chunk_rows=st.integers(min_value=1, max_value=70))
def test_any_chunk_size_gives_the_same_findings(
    chunk_rows: int, samples: Path, ruleset: RuleSet
) -> None:
    assert_same(*both(samples / "invalid/evse-invalid.csv", ruleset, chunk_rows))


def test_large_files_are_chunked_without_asking(
    border_file: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    import poicheck.readers.csv as csv_reader

    monkeypatch.setattr(csv_reader, "MAX_BYTES", 100)
    monkeypatch.setattr(csv_reader, "CHUNK_ROWS", 5)
    tables = list(read_tables(border_file, ruleset))
    assert len(tables) > 1
    with pytest.raises(InputError, match="--chunk-rows"):
        list(read_tables(border_file, ruleset, chunk_rows=0))


def test_chunk_rows_on_the_command_line(border_file: Path, tmp_path: Path) -> None:
    outputs = [
        json_findings_by_cli(
            border_file, tmp_path / f"{rows}.json", "--chunk-rows", rows, "--operator-id", "DE*PCK"
        )
        for rows in ("0", "3")
    ]
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["findings"]) > 10
