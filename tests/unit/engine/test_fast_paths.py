"""The fast paths of issue 8 give the results of the plain ones: JSON rendering, the report cap
(--max-findings), the rule-file cache and the vectorised group checks. No timings here: the
benchmark (benchmarks/run.py) is run by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from poicheck.api import validate
from poicheck.cli import cli
from poicheck.cli import validate as _validate  # noqa: F401  (registers the command)
from poicheck.errors import UsageError
from poicheck.findings import SEVERITY_RANK
from poicheck.render.json import document, render
from poicheck.results.score import record_positions
from poicheck.ruleset import cache, loader
from poicheck.ruleset.model import RuleSet
from tests.records import VALID_CELLS, frame_of

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"
OPERATORS = {
    "operator_id": "DE*PCK",
    "sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"],
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["invalid/evse-invalid.csv", "invalid/evse-invalid.json", "valid/evse-valid.csv"]
)
def test_json_renderer_writes_what_json_dumps_writes(samples: Path, name: str) -> None:
    report = validate(samples / name, **OPERATORS)
    expected = json.dumps(document(report), ensure_ascii=False, indent=2) + "\n"
    assert render(report) == expected


@pytest.mark.slow
def test_json_renderer_falls_back_for_values_it_does_not_know(samples: Path) -> None:
    report = validate(samples / "invalid/evse-invalid.csv", **OPERATORS)
    report.frame = report.frame.assign(value=report.frame["value"].astype(object))
    report.frame.loc[0, "value"] = 1.5  # not a value findings hold: json.dumps decides
    assert json.loads(render(report))["findings"][0]["value"] == 1.5


@pytest.mark.slow
def test_limit_lists_the_most_severe_first_and_keeps_every_count(samples: Path) -> None:
    report = validate(samples / "invalid/evse-invalid.csv", **OPERATORS)
    total, counts, code = len(report.frame), report.counts(), report.exit_code("warning")
    report.limit(5)
    shown = report.findings
    assert len(shown) == 5
    assert report.omitted == total - 5
    assert report.counts() == counts
    assert report.exit_code("warning") == code
    assert {f.severity for f in shown} == {"error"}
    positions = report.shown.index.to_list()
    assert positions == sorted(positions)  # report order kept
    assert report.summary()["total"]["findings_omitted"] == total - 5
    assert any("5 of" in note for note in report.notes)
    listed = json.loads(render(report))
    assert len(listed["findings"]) == 5
    assert listed["summary"]["total"]["errors"] == counts["error"]


@pytest.mark.slow
def test_limit_without_effect_changes_nothing(samples: Path) -> None:
    report = validate(samples / "invalid/evse-invalid.csv", **OPERATORS)
    before = render(report)
    report.limit(len(report.frame))
    assert render(report) == before
    assert report.omitted == 0


@pytest.mark.slow
def test_limit_zero_lists_nothing(samples: Path) -> None:
    report = validate(samples / "invalid/evse-invalid.csv", **OPERATORS)
    ranks = report.frame["severity"].map(SEVERITY_RANK)
    assert ranks.notna().all()
    report.limit(0)
    assert report.findings == []
    assert report.omitted == len(report.frame)


@pytest.mark.slow
def test_cli_max_findings(samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(samples)
    result = CliRunner().invoke(
        cli,
        ["validate", "invalid/evse-invalid.csv", "--format", "json", "--max-findings", "2"],
    )
    assert result.exit_code == 1, result.output
    listed = json.loads(result.stdout)
    assert len(listed["findings"]) == 2
    assert listed["summary"]["total"]["findings_omitted"] > 0
    refused = CliRunner().invoke(cli, ["validate", "x.csv", "--max-findings", "-1"])
    assert refused.exit_code == 2


def test_rule_file_cache_is_keyed_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POICHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("POICHECK_NO_CACHE", raising=False)
    source = loader.default_rules_dir() / "types.yaml"
    rule_file = tmp_path / "types.yaml"
    shutil.copy(source, rule_file)
    first = loader._read(rule_file)
    cached = list((tmp_path / "cache" / "poicheck" / "rules").glob("*.json"))
    assert len(cached) == 1
    assert loader._read(rule_file) == first  # from the cache
    cached[0].write_text("{not json", encoding="utf-8")  # a broken cache is read anew
    assert loader._read(rule_file) == first
    changed = rule_file.read_text(encoding="utf-8").replace("digits only.", "digits only!", 1)
    rule_file.write_text(changed, encoding="utf-8")
    assert loader._read(rule_file) != first
    assert len(list((tmp_path / "cache" / "poicheck" / "rules").glob("*.json"))) == 2


def test_rule_file_cache_never_hides_an_invalid_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from poicheck.errors import RuleFileError

    monkeypatch.setenv("POICHECK_CACHE_DIR", str(tmp_path / "cache"))
    broken = tmp_path / "rules.yaml"
    broken.write_text("rules: 3\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RuleFileError):
            loader._read(broken)
    monkeypatch.setenv("POICHECK_NO_CACHE", "1")
    assert cache.cache_dir() is None


def _group_findings(ruleset: RuleSet, stations: list[tuple[str, str]]) -> list[int]:
    """Records reported by IDN004 for rows of (station id, street)."""
    rows = []
    for number, (station, street) in enumerate(stations, start=1):
        cells = dict(VALID_CELLS)
        cells.update(
            {"EvseID": f"DE*PCK*E{number}", "ChargingStationId": station, "Address.Street": street}
        )
        rows.append(cells)
    report = validate(frame_of(*rows), ruleset=ruleset, select=["IDN004"])
    return sorted(int(r) for r in report.frame["record"])


@pytest.mark.slow
def test_station_address_majority_and_ties(ruleset: RuleSet) -> None:
    # A majority address: only the odd one out is reported.
    assert _group_findings(ruleset, [("S1", "A"), ("S1", "A"), ("S1", "B"), ("S2", "B")]) == [2]
    # A tie: every member of the station is reported; other stations are untouched.
    assert _group_findings(ruleset, [("S1", "A"), ("S1", "B"), ("S2", "C"), ("S2", "C")]) == [0, 1]
    # Rows without a station ID are never grouped.
    assert _group_findings(ruleset, [("", "A"), ("", "B")]) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["invalid/evse-invalid.csv", "invalid/evse-invalid.json", "invalid/evse-invalid-wire.json"],
)
def test_the_pandera_engine_finds_exactly_what_the_arrow_engine_finds(name: str) -> None:
    """The rules compile to a pandera schema too (poicheck.engine.binding.compile_pandera); run that
    way, the cell checks must fail on exactly the same cells."""
    path = SAMPLES / name
    options = {"operator_id": "DE*PCK", "sub_operator_ids": ["AT*VLT", "FR*ELC", "NL*GRN"]}
    arrow = validate(path, engine="arrow", **options).frame
    pandera = validate(path, engine="pandera", **options).frame
    assert len(arrow) > 0
    pd.testing.assert_frame_equal(arrow, pandera)


def test_an_unknown_engine_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        validate(SAMPLES / "valid" / "evse-valid.csv", engine="polars")


def test_record_positions_find_each_files_record_and_refuse_a_record_twice() -> None:
    records = pd.DataFrame(
        {"file": pd.Series(["a", "a", "b", "b"], dtype="str"), "record": [0, 1, 1, 0]}
    )
    files = np.array(["b", "a", "c", "a", "b"], dtype=object)
    assert record_positions(records, files, np.array([0, 1, 0, 5, 1])).tolist() == [
        3,
        1,
        -1,
        -1,
        2,
    ]
    assert record_positions(records.iloc[:0], files[:1], np.array([0])).tolist() == [-1]
    with pytest.raises(KeyError, match="twice"):
        record_positions(pd.concat([records, records.iloc[:1]]), files, np.zeros(5, dtype=int))
