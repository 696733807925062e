"""Reading the small files a user hands poicheck whole (configuration, rule and mapping files,
`--previous` state): regular files only, and never more than a bound.

A FIFO would block the read forever, `/dev/zero` would fill the memory; both are refused
before a byte is read (the file is opened non-blocking, then looked at).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from poicheck.errors import PoicheckError, UsageError
from poicheck.files.limits import MiB

# The project configuration files poicheck looks for (poicheck.cli.config), by name.
CONFIG_NAMES = (".poicheck.yaml", ".poicheck.yml")


def read_regular(
    path: str | Path, limit: int, *, error: type[PoicheckError] = PoicheckError
) -> bytes:
    """The bytes of the regular file `path`; `error` (exit 2) for anything else or too much."""
    return b"".join(regular_chunks(path, limit, error=error, chunk=limit + 1))


def regular_sha256(
    path: str | Path, limit: int, *, error: type[PoicheckError] = PoicheckError
) -> str:
    """The sha256 of the regular file `path`, read in pieces; `error` as `regular_chunks`."""
    digest = hashlib.sha256()
    for chunk in regular_chunks(path, limit, error=error):
        digest.update(chunk)
    return digest.hexdigest()


def regular_chunks(
    path: str | Path,
    limit: int,
    *,
    error: type[PoicheckError] = PoicheckError,
    chunk: int = 8 << 20,
) -> Iterator[bytes]:
    """The bytes of the regular file `path` in pieces of at most `chunk` bytes; `error`
    (exit 2) for anything else (a FIFO is never opened for reading) or more than `limit`."""
    where = str(path)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        raise error("no such file", location=where) from exc
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", location=where) from exc
    mode = os.fstat(handle).st_mode
    if not stat.S_ISREG(mode):
        os.close(handle)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise error(f"is {kind}; give a file", location=where)
    size = 0
    with os.fdopen(handle, "rb") as stream:
        while True:
            try:
                data = stream.read(min(chunk, limit + 1 - size))
            except OSError as exc:
                raise error(f"cannot read: {exc.strerror or exc}", location=where) from exc
            if not data:
                return
            size += len(data)
            if size > limit:
                raise error(
                    f"is larger than {limit // MiB:,} MiB, too large for this file", location=where
                )
            yield data


def read_head(path: str | Path, size: int) -> bytes | None:
    """The first `size` bytes of `path` when it is a regular file, else None (a FIFO is never
    opened for reading); for a look at what a file is before it is read."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None
        return os.read(handle, size)
    except OSError:
        return None
    finally:
        os.close(handle)


def check_encoding(name: str) -> str:
    """`name` if it is a text encoding Python knows; a UsageError for `rot13`, `base64` (codecs
    that are not text encodings) and unknown names."""
    import codecs

    try:
        info = codecs.lookup(name)
    except LookupError as exc:
        raise UsageError(f"unknown encoding '{name}'", location="--encoding") from exc
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"'{name}' is not a text encoding", location="--encoding")
    return name
