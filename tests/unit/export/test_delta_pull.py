"""A delta pull (records with Hubject's deltaType) as export input: never a fullLoad or a
planned delta, whose missing EVSEs Hubject would delete; its `delete` records never sent
(rule EVS010, an error in validate too)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from poicheck import validate
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import export as _export  # noqa: F401
from poicheck.errors import UsageError
from poicheck.export import ExportOptions, build_export
from tests.pull_documents import HUB, ROOT, page, push_request, write

VALID = json.loads((ROOT / "samples/valid/evse-valid.json").read_text(encoding="utf-8"))
# The valid sample's first records, all of DE*PCK's own (no sub-operator to declare).
POOL = VALID["OperatorEvseData"]["EvseDataRecord"][:12]


@pytest.fixture
def delta(tmp_path: Path) -> Path:
    """Three records Hubject reported since LastCall: one deleted, one changed, one new."""
    records = [
        {**POOL[1], "deltaType": "delete"},
        {**POOL[2], "deltaType": "update", "lastUpdate": "2026-11-30T10:00:00Z"},
        {**POOL[3], "deltaType": " Insert "},
    ]
    return write(tmp_path / "delta.json", page([(HUB, r) for r in records]))


def _export_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["export", *args], catch_exceptions=False)
    return result.exit_code, result.stderr


def test_a_fullload_of_a_delta_pull_is_refused_before_anything_is_written(
    delta: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    for extra in ((), ("--action", "fullLoad"), ("--allow-deletions",)):
        code, stderr = _export_cli(str(delta), "-o", str(out), *extra)
        assert code == 2, extra
        assert f"poicheck: error: {delta}: a delta pull: 3 record(s) carry a deltaType" in stderr
        assert "a fullLoad of it would make Hubject delete every EVSE it does not list" in stderr
        assert not out.exists()


def test_a_planned_delta_of_a_delta_pull_is_refused(delta: Path, tmp_path: Path) -> None:
    full = write(tmp_path / "full.json", push_request(HUB, POOL[:10]))
    first = tmp_path / "first"
    code, stderr = _export_cli(str(full), "-o", str(first), "-q")
    assert code == 0, stderr
    code, stderr = _export_cli(
        str(delta), "-o", str(tmp_path / "next"), "--previous", str(first / "manifest.json")
    )
    assert code == 2
    assert "a delta against --previous of it would make Hubject delete" in stderr


def test_insert_or_update_sends_the_records_that_exist_and_never_the_deleted(
    delta: Path,
) -> None:
    for action in ("insert", "update"):
        export = build_export(delta, ExportOptions(action=action))
        sent = [json.loads(f.data) for f in export.files]
        ids = [r["EvseID"] for body in sent for r in body["OperatorEvseData"]["EvseDataRecord"]]
        assert ids == [POOL[2]["EvseID"], POOL[3]["EvseID"]]
        assert all("deltaType" not in json.dumps(body) for body in sent)
        (left_out,) = export.left_out
        assert left_out.evse_id == POOL[1]["EvseID"]
        assert [r.rule for r in left_out.reasons] == ["EVS010"]


def test_validate_says_the_same_about_the_deleted_record(delta: Path) -> None:
    """One verdict: the record export leaves out is the one validate gives an error."""
    report = validate(delta, operator_id=HUB[0])
    errors = [f for f in report.findings if f.severity == "error"]
    assert [(f.rule, f.record) for f in errors] == [("EVS010", 0)]
    assert "Hubject reported this EVSE as deleted" in errors[0].message


def test_a_full_pull_without_delta_types_is_a_fullload_as_before(tmp_path: Path) -> None:
    whole = write(tmp_path / "whole.json", page([(HUB, r) for r in POOL[:5]]))
    export = build_export(whole, ExportOptions())
    assert [f.action for f in export.files] == ["fullLoad"]


def test_the_library_raises_a_usage_error(delta: Path) -> None:
    with pytest.raises(UsageError, match="a delta pull"):
        build_export(delta, ExportOptions())


@pytest.mark.slow
def test_a_real_subprocess_refuses_with_exit_2(delta: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "poicheck", "export", str(delta), "-o", str(tmp_path / "o")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "a delta pull" in done.stderr
    assert "Traceback" not in done.stderr
