"""Replacing an output directory (the export) whole, crash-consistently.

The new files are written to a staging directory beside the target (`.NAME.poicheck-new`),
then take its place:

- a new or empty target: one rename;
- an existing target, on Linux: one atomic exchange of the two directories (renameat2 with
  RENAME_EXCHANGE), after which the old files are removed. At every moment the target is the
  old directory or the new one;
- where the exchange is not available: the old target is renamed to `.NAME.poicheck-old`, then
  the staging directory to the target. A run killed between the two renames leaves the old
  directory as `.NAME.poicheck-old`; the next run into the same target puts it back first
  (and `mv .NAME.poicheck-old NAME` does the same by hand).

Runs into the same parent directory hold an exclusive lock on it while they write; a second one
is a UsageError ("another poicheck run is writing here"), not a clash of renames.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from poicheck.errors import UsageError
from poicheck.files.output import is_input, umask

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def replace_directory(
    target: str | Path,
    files: Mapping[str, bytes | Path],
    *,
    inputs: Iterable[str | Path] = (),
    check: Callable[[Path], None] | None = None,
) -> None:
    """Make `target` a directory holding exactly `files` (name -> bytes, or a file whose bytes
    it gets: a hard link where possible, else a copy), all or nothing.

    `check(target)` runs under the lock, after an interrupted earlier run was completed, to
    refuse a target that must not be replaced.
    """
    target = check_directory(target, inputs)
    with _locked(target.parent):
        try:
            recover(target)
            if check is not None and target.is_dir():
                check(target)
            _fill(_staging(target), files)
            _swap(_aside(target, "new"), target)
        except OSError as exc:
            raise UsageError(f"cannot write: {exc.strerror or exc}", location=str(target)) from exc
        finally:
            with contextlib.suppress(OSError):
                recover(target)  # the old directory back if the swap failed half-way


def recover(target: Path) -> None:
    """Complete what a killed run left: put a renamed-away old directory back, drop staging."""
    old = _aside(target, "old")
    if old.is_dir() and not os.path.lexists(target):
        os.replace(old, target)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(_aside(target, "new"), ignore_errors=True)


def check_directory(target: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """The real path of `target`, an output directory that may be replaced; a UsageError for
    a file, the current directory or one above it, a missing parent, or one holding an input."""
    target = Path(target)
    if os.path.lexists(target) and not target.is_dir():
        raise UsageError("exists and is not a directory", location=str(target))
    real = Path(os.path.realpath(target))
    here = Path(os.path.realpath(Path.cwd()))
    if real == here or real in here.parents:
        raise UsageError(
            "is the current directory (or above it), which cannot be replaced; give a "
            "directory for the output, e.g. --out export",
            location=str(target),
        )
    if not real.parent.is_dir():
        raise UsageError("the parent directory does not exist", location=str(target))
    inputs = list(inputs)
    if is_input(real, inputs) or any(
        Path(os.path.realpath(p)).is_relative_to(real) for p in inputs
    ):
        raise UsageError(
            "holds an input; poicheck never overwrites its input, choose another directory",
            location=str(target),
        )
    return real


@contextlib.contextmanager
def _locked(parent: Path) -> Iterator[None]:
    """An exclusive lock on `parent` while one run writes into it (none without fcntl)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    try:
        handle = os.open(parent, os.O_RDONLY)
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror or exc}", location=str(parent)) from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise UsageError(
                "another poicheck run is writing here; try again when it has finished",
                location=str(parent),
            ) from exc
        yield
    finally:
        os.close(handle)  # releases the lock


def _aside(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}.poicheck-{kind}"


def _staging(target: Path) -> Path:
    staging = _aside(target, "new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o777 & ~umask())
    return staging


def _fill(staging: Path, files: Mapping[str, bytes | Path]) -> None:
    linked: set[Path] = set()
    for name, data in files.items():
        if isinstance(data, Path):
            _place(data, staging / name, copy=data in linked)
            linked.add(data)
            with open(staging / name, "rb") as stream:
                os.fsync(stream.fileno())
            continue
        with open(staging / name, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())


def _place(source: Path, target: Path, *, copy: bool) -> None:
    """`target` with the bytes of `source`: a hard link (a large export is not written twice)
    where the file system allows one and `source` is not placed already, a copy otherwise."""
    if not copy:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)


def _swap(staging: Path, target: Path) -> None:
    """Put `staging` in the place of `target`; the old target ends up as `staging`."""
    if not target.exists() or not any(target.iterdir()):
        os.replace(staging, target)  # a new or empty directory: one rename
        return
    if _exchange(staging, target):
        return
    old = _aside(target, "old")
    os.replace(target, old)
    os.replace(staging, target)  # killed before this: `recover` puts `old` back


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where that is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):  # no such C library function here
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # a file system without the exchange
    raise OSError(code, os.strerror(code), str(second))
