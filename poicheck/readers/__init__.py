"""Readers: bytes in, canonical table out. They never judge values; rules do.

The only judgements readers make are about damage only a reader can see (a formula without a
cached value, a number where Excel destroyed text, merged or hidden cells...); they report it
as findings of `reader` rules (rules-input.yaml, rules-spreadsheet.yaml).
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from poicheck.errors import InputError
from poicheck.readers.formats import FORMATS, READERS, ReadOptions
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping


def check_file(path: Path) -> str:
    """The format of an input file by its name; raise InputError unless it is a regular,
    readable file of a known type."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise InputError("no such file", location=str(path)) from exc
    except PermissionError as exc:
        raise InputError("permission denied", location=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", location=str(path)) from exc
    if stat.S_ISDIR(mode):
        raise InputError("is a directory, not a data file", location=str(path))
    if not stat.S_ISREG(mode):
        # A FIFO or device would block or never end.
        raise InputError("is not a regular file (a pipe or device?)", location=str(path))
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is not None:
        return fmt
    if path.suffix.lower() == ".xls":
        from poicheck.readers.xlsx.safety import sniff, wrong_content

        with path.open("rb") as handle:
            kind = sniff(handle.read(4096))
        raise wrong_content(path, kind, "XLSX")
    raise InputError(
        f"unknown file type '{path.suffix}'; expected .xlsx, .xlsm, .csv, .json or .jsonl",
        location=str(path),
    )


def read_table(
    path: str | Path,
    ruleset: RuleSet,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
) -> CanonicalTable:
    """Read one input file into the canonical table; raise InputError when it is unusable.

    `mapping` (spreadsheets only) reads a foreign layout as the canonical one. The file is
    only ever opened for reading.
    """
    path = Path(path)
    with _translated(path):
        fmt = check_file(path)
        return READERS[fmt].read(path, ruleset, ReadOptions(sheet, encoding, mapping))


def read_tables(
    path: str | Path,
    ruleset: RuleSet,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
    chunk_rows: int | None = None,
) -> Iterator[CanonicalTable]:
    """`read_table`, or for a CSV or JSON Lines file its chunks (`read_csv_chunks`,
    `read_jsonl_chunks`): with `chunk_rows` records each, or (None) automatically for a file
    too large to read at once. 0 reads every file at once. Other formats are always read at
    once."""
    path = Path(path)
    chunks = _chunks(path, ruleset, encoding, mapping, chunk_rows) if chunk_rows != 0 else None
    if chunks is None:
        yield read_table(path, ruleset, sheet=sheet, encoding=encoding, mapping=mapping)
        return
    with _translated(path):
        yield from chunks


def _chunks(
    path: Path,
    ruleset: RuleSet,
    encoding: str | None,
    mapping: ColumnMapping | None,
    chunk_rows: int | None,
) -> Iterator[CanonicalTable] | None:
    """The chunks of a file read in chunks, or None for a file read at once."""
    chunks = READERS[check_file(path)].chunks
    return (
        None
        if chunks is None
        else chunks(path, ruleset, ReadOptions(None, encoding, mapping), chunk_rows)
    )


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    """Every error of reading one file as an input error located at that file, so that the
    other files of a run are still checked: operating-system errors as what they are, and
    any other error (a reader's bug, or a case it does not know) as an unreadable file."""
    try:
        yield
    except InputError:
        raise
    except PermissionError as exc:
        raise InputError("permission denied", location=str(path)) from exc
    except MemoryError as exc:
        raise InputError("too large to read into memory", location=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", location=str(path)) from exc
    except RecursionError as exc:
        raise InputError("nested too deeply to read", location=str(path)) from exc
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        raise InputError(
            f"cannot be read ({reason}); the other files are checked. This is a bug in "
            "poicheck: please report it with the file",
            location=str(path),
        ) from exc


@dataclass(frozen=True)
class Preview:
    """The first rows of a spreadsheet as text, for proposing a mapping."""

    source: str
    rows: list[list[str]]


def preview(
    path: str | Path, *, sheet: str | None = None, encoding: str | None = None, limit: int = 500
) -> Preview:
    """The first `limit` rows of a CSV file or worksheet, as the user sees them."""
    path = Path(path)
    try:
        read_preview = READERS[check_file(path)].preview
        if read_preview is None:
            raise InputError(
                "OICP JSON needs no mapping: it is read by its property names", location=str(path)
            )
        return Preview(*read_preview(path, ReadOptions(sheet, encoding), limit))
    except PermissionError as exc:
        raise InputError("permission denied", location=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", location=str(path)) from exc
