"""Crafted inputs against the readers' promises: no data silently changed, one bad file never
ends the run (exit 3), a clean error where a limit is reached. One test per attack class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import poicheck
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.readers import json as json_reader
from poicheck.readers.csvsniff import MAX_HEAD_BYTES

HEADER = "EvseID;Address.Street;Address.City\n"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def utf8_rows(count: int) -> list[bytes]:
    return [f"DE*PCK*E{i};Grunerstraße {i};Köln\n".encode() for i in range(count)]


def test_one_invalid_byte_does_not_turn_a_utf8_file_into_cp1252(tmp_path: Path) -> None:
    """Attack: one Windows-1252 line in the first 64 KiB of a UTF-8 file. Before, the whole
    file was read as Windows-1252 without a word (GrunerstraÃŸe)."""
    rows = utf8_rows(100)
    rows[5] = "DE*PCK*E5;Grunerstraße 5;Köln\n".encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(HEADER.encode() + b"".join(rows))
    report = poicheck.validate(path, select=["TBL"])
    damaged = sorted((f.rule, f.record, f.field) for f in report.findings)
    assert damaged == [("TBL015", 5, "Address.City"), ("TBL015", 5, "Address.Street")]
    table = poicheck.readers.read_table(path, report.ruleset)
    assert table.frame["Address.Street"][0] == "Grunerstraße 0"
    assert table.frame["Address.Street"][5] == "Grunerstra\ufffde 5"


def test_an_invalid_byte_after_the_first_64_kib_is_found(tmp_path: Path) -> None:
    """The whole file is checked, not a prefix: a bad byte at 1 MiB is still seen."""
    rows = utf8_rows(30_000)
    rows[-1] = b"DE*PCK*Ex;Grunerstra\xdfe;K\xf6ln\n"
    path = tmp_path / "late.csv"
    path.write_bytes(HEADER.encode() + b"".join(rows))
    report = poicheck.validate(path, select=["TBL"])
    assert not report.unreadable
    assert {(f.rule, f.record) for f in report.findings} == {("TBL015", 29_999)}


def test_a_windows_1252_file_is_read_as_such_and_said(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + "DE*PCK*E1;Grunerstraße 1;Köln\n").encode("cp1252"))
    report = poicheck.validate(path, select=["TBL"])
    assert [(f.rule, f.severity) for f in report.findings] == [("TBL014", "warning")]
    assert "Windows-1252" in report.findings[0].message
    table = poicheck.readers.read_table(path, report.ruleset)
    assert table.frame["Address.Street"][0] == "Grunerstraße 1"


@pytest.mark.slow
def test_a_header_wider_than_64_kib_is_read_whole(tmp_path: Path) -> None:
    """Attack: a header row of 100 KB. Before, it was cut at 64 KiB and every row lost the
    columns after the cut."""
    extra = [f"Extra{i:05d}" for i in range(9_000)]
    path = tmp_path / "wide.csv"
    header = ",".join(["EvseID", *extra, "Address.City"])
    path.write_text(header + "\n" + ",".join(["DE*PCK*E1", *["x"] * 9_000, "Berlin"]) + "\n")
    assert len(header) > 64 * 1024
    table = poicheck.readers.read_table(path, poicheck.validate(path, select=["X"]).ruleset)
    assert table.frame["Address.City"].tolist() == ["Berlin"]


@pytest.mark.slow
def test_a_header_longer_than_the_limit_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "endless.csv"
    path.write_bytes(b"EvseID," + b"x" * MAX_HEAD_BYTES + b"\nDE*PCK*E1,1\n")
    result = run("validate", path)
    assert result.exit_code == 2, result.output
    assert "header row is longer" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_lone_surrogate_is_a_finding_at_its_cell(suffix: str, tmp_path: Path) -> None:
    """Attack: "\\ud800" in a string. Before, the whole multi-file run ended with exit 3."""
    record = '{"EvseID": "DE*PCK*E1", "Address": {"City": "Berlin \\ud800"}}'
    bad = tmp_path / f"records{suffix}"
    bad.write_text(f"[{record}]" if suffix == ".json" else record + "\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("EvseID,Address.City\nDE*PCK*E2,Berlin\n", encoding="utf-8")
    result = run("validate", bad, good)
    assert result.exit_code == 1, result.output
    report = poicheck.validate([bad, good])
    hits = [(f.rule, f.record, f.field, f.pointer) for f in report.findings if f.rule == "JSN007"]
    assert hits == [("JSN007", 0, "Address.City", "/Address/City")]
    assert [f.records for f in report.files] == [1, 1]


def test_a_reader_error_costs_one_file_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any error reading one file (here a simulated bug) makes that file unreadable (exit 2);
    the other files are checked."""

    def broken(*args: object) -> None:
        raise TypeError("simulated bug")

    monkeypatch.setattr(json_reader, "_unwrap", broken)
    bad = tmp_path / "records.json"
    bad.write_text('[{"EvseID": "DE*PCK*E1"}]', encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("EvseID,Address.City\nDE*PCK*E2,Berlin\n", encoding="utf-8")
    report = poicheck.validate([bad, good])
    assert report.exit_code() == 2
    assert "simulated bug" in (report.files[0].error or "")
    assert report.files[1].records == 1
    assert run("validate", bad, good).exit_code == 2


def test_a_codec_that_is_no_text_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("EvseID\nDE*PCK*E1\n", encoding="utf-8")
    result = run("validate", "--encoding", "rot13", path)
    assert result.exit_code == 2, result.output
    assert "not a text encoding" in result.output
