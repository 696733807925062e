"""Where poicheck writes: one policy for every output file, used by every command.

- An output is never one of the inputs (compared by real path and by `os.path.samefile`, so a
  symbolic or hard link, `./x` and `x` are all caught).
- A regular file (or a new one) is written atomically: a temporary file beside it, then a
  rename, so that an interrupted run never leaves half a file. A symbolic link is written
  through: the file it points to is replaced, the link stays.
- `-` (standard output) and special files (a terminal or another character device such as
  `/dev/stdout`, a FIFO) are written directly: a rename would replace the device node.
- A target that cannot be written (a directory, a missing or read-only directory) is a
  UsageError (exit 2), raised by `check_output` before a long run where possible.

Directories (the export) are written by `poicheck.files.outdir`.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from poicheck.errors import UsageError

STDOUT = "-"
# Paths under these are devices or links to open files (/dev/stdout -> /proc/self/fd/1):
# written to directly even where they resolve to a regular file.
_SPECIAL_ROOTS = ("/dev/", "/proc/")


def check_output(path: str | Path, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse an output that is an input, a directory, or in a directory that is not there."""
    if str(path) == STDOUT:
        return
    target = Path(path)
    if is_input(target, inputs):
        raise UsageError(
            "is also an input; poicheck never overwrites its input, choose another output",
            location=str(path),
        )
    if target.is_dir():
        raise UsageError("is a directory", location=str(path))
    if _is_special(target):
        return
    directory = Path(os.path.realpath(target)).parent
    if not directory.is_dir():
        raise UsageError("the directory does not exist", location=str(path))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError("the directory is not writable", location=str(path))


def is_input(path: str | Path, inputs: Iterable[str | Path]) -> bool:
    """Whether `path` names the same file as one of `inputs` (through links, too)."""
    real = os.path.realpath(path)
    for given in inputs:
        if str(given) == STDOUT:
            continue
        if os.path.realpath(given) == real:
            return True
        with contextlib.suppress(OSError):
            if os.path.samefile(given, path):
                return True
    return False


def write_text(path: str | Path, text: str, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write `text` (UTF-8) to `path` by the policy above."""
    write_bytes(path, text.encode("utf-8"), inputs=inputs)


def write_bytes(path: str | Path, data: bytes, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write `data` to `path` by the policy above."""
    check_output(path, inputs)
    try:
        if str(path) == STDOUT:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        elif _is_special(Path(path)):
            with open(path, "wb") as stream:
                stream.write(data)
        else:
            _replace_file(Path(os.path.realpath(path)), data)
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror or exc}", location=str(path)) from exc


def _is_special(path: Path) -> bool:
    """A character device, FIFO or socket, or a path under /dev or /proc."""
    if os.path.abspath(path).startswith(_SPECIAL_ROOTS):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # a new file
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _replace_file(target: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        os.chmod(temporary, 0o666 & ~umask())  # mkstemp makes it private; an output is not
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process's umask (read without changing it for longer than a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_new_private(path: str | Path, data: bytes, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write a secret (a private key) to a new file readable by its owner only (0600).

    Never overwrites: an existing `path` is a UsageError. The bytes go to a private temporary
    file first, which is then linked to `path` (a link fails where a file exists, even one
    made a moment ago), so a crash never leaves half a key.
    """
    check_output(path, inputs)
    target = Path(os.path.realpath(path))
    if os.path.lexists(path):
        raise UsageError("exists already; poicheck never overwrites a key", location=str(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, target)
    except FileExistsError as exc:
        raise UsageError(
            "exists already; poicheck never overwrites a key", location=str(path)
        ) from exc
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror or exc}", location=str(path)) from exc
    finally:
        Path(temporary).unlink(missing_ok=True)
