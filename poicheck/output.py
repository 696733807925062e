"""Writing output files atomically: a temporary file (or directory) beside the target, then a
rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from poicheck.errors import UsageError


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path`, so that an interrupted run never leaves half a file."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` like `write_text_atomic`: a temporary file, then a rename."""
    target = Path(path)
    if target.is_dir():
        raise UsageError("is a directory", location=str(target))
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError("the directory does not exist", location=str(target))
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; an output is not
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replace_directory(target: str | Path, files: Mapping[str, bytes]) -> None:
    """Make `target` a directory holding exactly `files` (name -> bytes), all or nothing.

    The files are written to a temporary directory beside `target`, which then takes its
    place (a rename; an existing `target` is renamed away first and removed afterwards). An
    interrupted run leaves either the old directory or the new one, never a mix.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError("the parent directory does not exist", location=str(target))
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    old: Path | None = None
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a directory is not
        for name, data in files.items():
            with open(staging / name, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.replace(target, old / target.name)
        os.replace(staging, target)
    except BaseException:
        if old is not None and not target.exists():
            os.replace(old / target.name, target)
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
