"""A folder as input: its data files in name order, what is left out said in a note each."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import export as _export  # noqa: F401
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.errors import UsageError
from poicheck.readers.folders import expand

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"
PULL = Path(__file__).resolve().parents[2] / "fixtures" / "pull"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A folder as people have one: data files, a lock file of an open workbook, a hidden
    file, notes of another type, an older folder, and the configuration."""
    folder = tmp_path / "data"
    (folder / "older").mkdir(parents=True)
    shutil.copy(SAMPLES / "valid/evse-valid.csv", folder / "b-stations.csv")
    shutil.copy(SAMPLES / "invalid/evse-invalid.json", folder / "a-request.JSON")
    shutil.copy(PULL / "national-evsedata.json", folder / "older" / "national.json")
    shutil.copy(SAMPLES / ".poicheck.yaml", folder / ".poicheck.yaml")
    (folder / "~$b-stations.xlsx").write_bytes(b"lock")
    (folder / ".stations.csv.swp").write_bytes(b"swap")
    (folder / "README.md").write_text("# our data\n", encoding="utf-8")
    return folder


def test_a_folder_stands_for_its_data_files_in_name_order(data: Path) -> None:
    files, notes = expand([data])
    assert files == [data / "a-request.JSON", data / "b-stations.csv"]
    assert notes == [
        f"{data / '.stations.csv.swp'}: skipped (a hidden file)",
        f"{data / 'README.md'}: skipped (not a data file: '.md'; poicheck reads .csv, .json, "
        ".jsonl, .ndjson, .tsv, .txt, .xlsm, .xlsx)",
        f"{data / 'older'}: skipped (a folder; --recursive reads the folders inside too)",
        f"{data / '~$b-stations.xlsx'}: skipped (an Office lock file, there while the file is "
        "open in Excel)",
    ]


def test_recursive_reads_the_folders_inside(data: Path) -> None:
    (data / ".git").mkdir()
    (data / ".git" / "x.csv").write_text("EvseID\n", encoding="utf-8")
    files, notes = expand([data], recursive=True)
    assert files == [data / "a-request.JSON", data / "b-stations.csv", data / "older/national.json"]
    assert f"{data / '.git'}: skipped (a hidden folder)" in notes
    assert not any(note.startswith(str(data / "older")) for note in notes)


def test_files_and_folders_mix_and_a_file_is_read_once(data: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such.csv"
    files, _ = expand([data / "b-stations.csv", data, missing])
    assert files == [data / "b-stations.csv", data / "a-request.JSON", missing]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_back_to_a_folder_is_not_followed_round(data: Path) -> None:
    (data / "older" / "loop").symlink_to(data, target_is_directory=True)
    files, _ = expand([data], recursive=True)
    assert len(files) == len(set(files)) == 3


def test_a_folder_without_data_is_a_usage_error_saying_what_it_holds(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="empty: no data files in this folder") as told:
        expand([empty])
    assert "--recursive" not in told.value.message
    (empty / "~$x.xlsx").write_bytes(b"")
    (empty / "inner").mkdir()
    with pytest.raises(UsageError) as told:
        expand([empty])
    assert told.value.message.endswith("; --recursive reads the folders inside too)")
    assert [line.strip().split(": ")[1] for line in told.value.details] == [
        "skipped (a folder; --recursive reads the folders inside too)",
        "skipped (an Office lock file, there while the file is open in Excel)",
    ]


# --- the command line ----------------------------------------------------------------------------


def _json(result_text: str) -> dict[str, object]:
    return json.loads(result_text)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_validate_a_folder_as_its_files_named_one_by_one(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data.parent)
    runner = CliRunner()
    folder = runner.invoke(cli, ["validate", "data", "--format", "json"], catch_exceptions=False)
    named = runner.invoke(
        cli,
        ["validate", "data/a-request.JSON", "data/b-stations.csv", "--format", "json"],
        catch_exceptions=False,
    )
    assert folder.exit_code == named.exit_code == 1
    assert _json(folder.stdout) == _json(named.stdout)
    notes = [line for line in folder.stderr.splitlines() if line.startswith("poicheck: note:")]
    assert len(notes) == 4
    assert "poicheck: note: data/README.md: skipped (not a data file: '.md';" in folder.stderr
    # The configuration in the folder is read as such, not noted as a hidden file.
    assert ".poicheck.yaml" not in "\n".join(notes)
    assert "using configuration" in folder.stderr


@pytest.mark.slow
def test_validate_recursive_reads_the_national_dump_inside(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data.parent)
    result = CliRunner().invoke(
        cli, ["validate", "data", "-r", "--format", "json", "-q"], catch_exceptions=False
    )
    report = json.loads(result.stdout)
    assert [f["file"] for f in report["summary"]["files"]] == [
        "data/a-request.JSON",
        "data/b-stations.csv",
        "data/older/national.json",
    ]


def test_an_empty_folder_is_exit_2_with_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "empty"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("poicheck: error: empty: no data files in this folder")
    assert result.stdout == ""


@pytest.mark.slow
def test_export_takes_a_folder_too(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (data / "b-stations.csv").unlink()
    monkeypatch.chdir(data.parent)
    result = CliRunner().invoke(
        cli, ["export", "data", "-o", "out", "--allow-deletions", "-q"], catch_exceptions=False
    )
    assert result.exit_code == 1, result.stderr  # records with errors are left out
    manifest = json.loads((data.parent / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert {s["file"] for s in manifest["sources"]} == {"data/a-request.JSON"}


@pytest.mark.slow
def test_a_real_run_over_a_folder(data: Path) -> None:
    command = [sys.executable, "-m", "poicheck", "validate", "data", "--statistics"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=data.parent)
    assert done.returncode == 1, done.stderr
    assert "in 2 files (120 records)" in done.stdout
    assert "data/~$b-stations.xlsx: skipped (an Office lock file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_poichecks_own_outputs_in_the_folder_are_not_read_as_data(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`validate data -o data/findings.json`, then `export data -o data/push`: the next run
    reads the same data as before, not the findings or the exported requests."""
    monkeypatch.chdir(data.parent)
    runner = CliRunner()
    args = ["validate", "data", "-r", "--format", "json", "-q"]
    first = runner.invoke(cli, [*args, "-o", "data/findings.json"], catch_exceptions=False)
    assert first.exit_code == 1, first.stderr
    findings = json.loads((data / "findings.json").read_text(encoding="utf-8"))
    exported = runner.invoke(
        cli,
        ["export", "data/a-request.JSON", "-o", "data/push", "--allow-deletions", "-q"],
        catch_exceptions=False,
    )
    assert exported.exit_code == 1, exported.stderr
    again = runner.invoke(cli, [*args, "-o", "data/findings.json"], catch_exceptions=False)
    assert again.exit_code == 1, again.stderr
    # The same files, the same findings: neither the report nor the export was read.
    rewritten = json.loads((data / "findings.json").read_text(encoding="utf-8"))
    assert rewritten["findings"] == findings["findings"]
    assert rewritten["summary"]["files"] == findings["summary"]["files"]
    notes = again.stderr
    assert f"{Path('data/findings.json')}: skipped (a findings report written by poicheck" in notes
    assert f"{Path('data/push')}: skipped (a poicheck export folder" in notes
    # A request whose text names poicheck (an OperatorName) is data as before.
    request = json.loads((data / "a-request.JSON").read_text(encoding="utf-8"))
    request["OperatorEvseData"]["OperatorName"] = '"tool": {"name": "poicheck"}'
    (data / "c-named.json").write_text(json.dumps(request), encoding="utf-8")
    files, _ = expand([data])
    assert data / "findings.json" not in files
    assert data / "c-named.json" in files
