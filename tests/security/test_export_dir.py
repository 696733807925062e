"""The export directory is replaced crash-consistently (poicheck.files.outdir): old or new, or a
state
the next run completes; a concurrent run is a clean UsageError."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

import pytest

from poicheck.errors import UsageError
from poicheck.files import outdir
from poicheck.files.outdir import recover, replace_directory


def _export(version: int) -> dict[str, bytes]:
    manifest = {"manifest_version": 1, "files": [{"file": "0001-fullLoad.json"}], "v": version}
    return {
        "0001-fullLoad.json": json.dumps({"v": version}).encode(),
        "manifest.json": json.dumps(manifest).encode(),
    }


def _version(target: Path) -> int:
    return int(json.loads((target / "0001-fullLoad.json").read_text())["v"])


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even the rename back."""


def _kill_after_first_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace
    calls: list[Any] = []

    def replace(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) > 1:
            raise Killed
        real(*args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(outdir, "_exchange", lambda *_: False)  # the two-rename fallback


def _killed_replacement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Export 1 written, then the replacement by export 2 killed between its renames."""
    target = tmp_path / "out"
    replace_directory(target, _export(1))
    with monkeypatch.context() as patch:
        _kill_after_first_rename(patch)
        with pytest.raises(Killed):
            replace_directory(target, _export(2))
    return target


def test_a_run_killed_between_the_renames_is_completed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _killed_replacement(tmp_path, monkeypatch)
    assert not target.exists()  # the state a SIGKILL leaves...
    assert (tmp_path / ".out.poicheck-old").is_dir()  # ...with the old export beside it
    recover(target)
    assert _version(target) == 1  # the old export is back, whole
    replace_directory(target, _export(2))
    assert _version(target) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_next_run_recovers_before_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _killed_replacement(tmp_path, monkeypatch)
    replace_directory(target, _export(3))
    assert _version(target) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_existing_export_is_exchanged_in_one_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    if not outdir._exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("no renameat2 exchange here (the two-rename fallback is tested above)")
    target = tmp_path / "out"
    replace_directory(target, _export(1))
    renames: list[Any] = []
    monkeypatch.setattr(os, "replace", lambda *args: renames.append(args))
    replace_directory(target, _export(2))
    assert _version(target) == 2
    assert renames == []  # no moment without `out`: one renameat2 exchange, no two renames


def test_a_concurrent_run_into_the_same_directory_is_a_usage_error(tmp_path: Path) -> None:
    handle = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run, writing
        with pytest.raises(UsageError, match="another poicheck run is writing here"):
            replace_directory(tmp_path / "out", _export(1))
    finally:
        os.close(handle)
    replace_directory(tmp_path / "out", _export(1))
    assert _version(tmp_path / "out") == 1
