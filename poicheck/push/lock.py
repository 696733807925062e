"""One push per export directory at a time, across processes: two runs pushing the same
files in parallel is what 01 Data push operations forbids."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from poicheck.errors import UsageError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks on directories; one run at a time by hand
    fcntl = None  # type: ignore[assignment]


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (POSIX flock on the directory itself, so that
    the export gains no file); refuse if another run holds it."""
    if fcntl is None:
        yield
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise UsageError(
                "another poicheck push is sending this export; wait for it", location=str(directory)
            ) from exc
        yield
    finally:
        os.close(handle)
