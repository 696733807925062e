"""Writing output files atomically: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from poicheck.errors import UsageError


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to `path`, so that an interrupted run never leaves half a file."""
    target = Path(path)
    if target.is_dir():
        raise UsageError("is a directory", location=str(target))
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError("the directory does not exist", location=str(target))
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
