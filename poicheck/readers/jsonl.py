"""OICP JSON Lines reader: one EvseDataRecord per line (.jsonl, .ndjson).

The records of an eRoamingPushEvseData request, one JSON object per line and no envelope (the
operator comes from --operator-id or the configuration, as for spreadsheets). Each line is
parsed on its own (msgspec, numbers kept as written, as the OICP JSON reader does) and the
records are flattened column-wise by the shared conversion (`poicheck.oicp.convert.Flattener`), so a
line gives the findings its record gives in a request. A record's row is its line number;
blank lines are skipped but counted. A line that holds no JSON object is reported (JSN006)
and skipped: one damaged line in a million does not stop the check of the others.

Read in chunks (`read_jsonl_chunks`), the file is streamed once, a chunk of lines at a time,
and each flattened chunk but the last is set aside in a temporary file: the table's columns (a
language of an InfoText list, a third ChargingFacility) are those of the whole file, known only
at its end, and every chunk needs them all, in the order the file read at once has them.
"""

from __future__ import annotations

import codecs
import json
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from poicheck.errors import InputError
from poicheck.files.limits import CHUNK_ROWS, MAX_CSV_BYTES, MiB
from poicheck.ocpi.detect import is_location
from poicheck.oicp.convert import FlatTable, Flattener
from poicheck.oicp.wire import found_type
from poicheck.readers import collector

# The OICP JSON reader's decoder (numbers as Decimal, as written) and frame: JSON Lines
# differ from a request only in how the records are laid out in the file.
from poicheck.readers.json import (
    _DECODER,
    NotJSONError,
    _frame,
    has_surrogate_escape,
    loads,
    repaired,
    surrogate_findings,
)
from poicheck.readers.xlsx.safety import sniff, wrong_content
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import JSONL_INVALID_LINE
from poicheck.table import CanonicalTable, RawFinding, Source

__all__ = ["CHUNK_ROWS", "MAX_BYTES", "read_jsonl", "read_jsonl_chunks"]

MAX_BYTES = MAX_CSV_BYTES  # read at once; larger files are read in chunks
PREVIEW = 80  # characters of a skipped line shown as the finding's value
SPILL_COMPRESSION = "lz4"  # set-aside chunks: text compresses well, lz4 costs little time
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


@dataclass
class _Lines:
    """The parsed non-blank lines of a part of the file: records with their line numbers, and
    findings about the lines themselves (no record in one, a lone surrogate in a record)."""

    records: list[Any] = dataclass_field(default_factory=list)
    rows: list[int] = dataclass_field(default_factory=list)
    skipped: list[RawFinding] = dataclass_field(default_factory=list)


@dataclass
class _Part:
    """A part of the file flattened."""

    flat: FlatTable
    rows: np.ndarray
    skipped: list[RawFinding]


def read_jsonl(path: Path, ruleset: RuleSet) -> CanonicalTable:
    """Read a JSON Lines file at once (see the module docstring); a file larger than
    `MAX_BYTES` is refused with advice to read it in chunks."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(
            f"the file has {size // MiB} MiB, more than the {MAX_BYTES // MiB} MiB poicheck "
            "reads at once; read it in chunks (--chunk-rows)",
            location=str(path),
        )
    with collector.paused():
        (lines,) = _parsed(path, 0)
        part = _flatten(Flattener(ruleset), lines)
    return _table(path, part, ruleset, list(part.flat.columns), list(part.flat.notations))


def read_jsonl_chunks(
    path: Path, ruleset: RuleSet, *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[CanonicalTable]:
    """Read a JSON Lines file of any size as canonical tables of `chunk_rows` records each.

    Together the chunks hold what `read_jsonl` returns, record for record and column for
    column, and the records of a chunk follow those of the chunk before. The whole file is
    read before the first chunk is given (so that an unusable file raises InputError first).
    In memory at a time: the parsed records of one chunk, and the flattened last chunk besides
    the one being given.
    """
    flattener = Flattener(ruleset)
    with tempfile.TemporaryDirectory(prefix="poicheck-jsonl-") as directory:
        spill = _Spill(Path(directory), path)
        with collector.paused():
            for lines in _parsed(path, max(1, chunk_rows)):
                spill.add(lines, flattener)
        columns, notations = list(spill.columns), list(spill.notations)
        for part in spill.parts():
            yield _table(path, part, ruleset, columns, notations)


def _table(
    path: Path, part: _Part, ruleset: RuleSet, columns: list[str], notations: list[str]
) -> CanonicalTable:
    """A part as a canonical table with `columns` and geo `notations` (those of the whole
    file, in its order; a part without a column has it empty)."""
    size = part.flat.size
    empty = pa.nulls(size, pa.large_string())
    nowhere = np.full(size, "", dtype=object)
    flat = FlatTable(
        size=size,
        columns={name: part.flat.columns.get(name, empty) for name in columns},
        issues=part.flat.issues,
        notations={name: part.flat.notations.get(name, nowhere) for name in notations},
    )
    return CanonicalTable(
        frame=_frame(flat, ruleset),
        source=Source(str(path), "jsonl"),
        rows=part.rows,
        reader_findings=[*part.skipped, *flat.issues],
        notations=flat.notations,
    )


def _flatten(flattener: Flattener, lines: _Lines) -> _Part:
    flat = flattener.flatten_all(lines.records)
    # The parsed records go now: the caller's loop would keep them while the next part is read.
    lines.records.clear()
    return _Part(flat, np.asarray(lines.rows, dtype=np.int64), lines.skipped)


def _parsed(path: Path, chunk_rows: int) -> Iterator[_Lines]:
    """The file's non-blank lines parsed, `chunk_rows` records at a time (0: all at once).

    A line that holds no record goes with the records after it (after the last record: in a
    last part of its own, without records). Raises InputError, before anything is given, for
    a file without a line or without a record.
    """
    part, records, lines = _Lines(), 0, 0
    first_skipped: RawFinding | None = None
    for number, line in _lines(path):
        value, reason = _decode(line)
        if not lines:
            _check_first(path, number, line, value, reason)
        lines += 1
        if reason is None and type(value) is not dict:
            reason = f"is a JSON {found_type(value)}, not an object"
        if reason is not None:
            part.skipped.append(_skipped(number, line, reason))
            first_skipped = first_skipped or part.skipped[-1]
            continue
        if has_surrogate_escape(line):
            value, repairs = repaired(value)
            part.skipped.extend(
                replace(f, record=len(part.records)) for f in surrogate_findings(repairs, [])
            )
        part.records.append(value)
        part.rows.append(number)
        records += 1
        if len(part.records) == chunk_rows:
            yield part
            part = _Lines()
    if not lines:
        raise InputError("the file is empty", location=str(path))
    if first_skipped is not None and not records:
        details = first_skipped.details
        raise InputError(
            f"no line holds an EvseDataRecord: line {details['line']} {details['reason']}",
            location=str(path),
        )
    if part.records or part.skipped:
        yield part


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of the file with their numbers (blank lines are counted)."""
    with path.open("rb") as handle:
        _check_head(path, handle.read(4096))
        handle.seek(0)
        for number, line in enumerate(handle, start=1):
            if line.startswith(codecs.BOM_UTF8):  # at the start, or where files were joined
                line = line[len(codecs.BOM_UTF8) :]
            if line and not line.isspace():
                yield number, line.rstrip(b"\r\n")


def _check_head(path: Path, head: bytes) -> None:
    """Refuse what is no UTF-8 text by its first bytes."""
    kind = sniff(head)
    if kind in ("zip", "ole"):
        raise wrong_content(path, kind, "JSON Lines")
    if head.startswith(_WIDE_BOMS) or b"\x00" in head[:4]:
        raise InputError(
            "JSON Lines must be UTF-8 encoded, this file is UTF-16 or UTF-32; save it as UTF-8",
            location=str(path),
        )
    if kind == "binary":
        raise InputError("this is not a text file, so not JSON Lines", location=str(path))


def _check_first(path: Path, number: int, line: bytes, value: Any, reason: str | None) -> None:
    """Refuse a file whose first line shows it is not JSON Lines but one JSON document."""
    advice = "JSON Lines holds one EvseDataRecord per line; name a request or an array .json"
    stripped = line.strip()
    if reason is not None and stripped in (b"{", b"["):
        raise InputError(
            f"line {number} is '{stripped.decode()}' alone: this is JSON written over several "
            f"lines; {advice}",
            location=str(path),
        )
    if reason is None and isinstance(value, list):
        raise InputError(f"line {number} is a JSON array; {advice}", location=str(path))
    if is_location(value):  # OCPI: a .json file holds Locations (poicheck.ocpi)
        raise InputError(
            f"line {number} is an OCPI Location, not an EvseDataRecord; OCPI Locations are read "
            "from a .json file: an array of Locations or a Locations response",
            location=str(path),
        )
    if isinstance(value, dict) and ("OperatorEvseData" in value or "EvseDataRecord" in value):
        raise InputError(
            f"line {number} is an eRoamingPushEvseData request, not an EvseDataRecord; {advice}",
            location=str(path),
        )


def _decode(line: bytes) -> tuple[Any, str | None]:
    """The line's JSON value, or None and why it is none."""
    try:
        return _DECODER.decode(line), None
    except (ValueError, RecursionError):
        pass
    # msgspec says where in bytes; the standard library says in characters, and what is wrong.
    try:
        return loads(line), None
    except UnicodeDecodeError as exc:
        return None, f"is not UTF-8 (byte 0x{line[exc.start]:02X} at position {exc.start + 1})"
    except RecursionError:
        return None, "is nested too deeply to be an EvseDataRecord"
    except json.JSONDecodeError as exc:
        # "Unterminated string starting at" and a few others end in "at" already.
        return None, f"is not valid JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}"
    except NotJSONError as exc:
        return None, f"is not valid JSON: {exc} is not a JSON number"


def _skipped(number: int, line: bytes, reason: str) -> RawFinding:
    text = line.decode("utf-8", errors="replace").strip()
    return RawFinding(
        JSONL_INVALID_LINE, None, "*", "", text[:PREVIEW], {"line": number, "reason": reason}
    )


class _Spill:
    """The flattened parts of a file, each but the last set aside in `directory`, and the
    columns and geo notations of them all, in first-seen order (the order of the file read at
    once: its columns are ordered by the record that first has them)."""

    def __init__(self, directory: Path, source: Path) -> None:
        self.directory = directory
        self.source = source
        self.columns: dict[str, None] = {}
        self.notations: dict[str, None] = {}
        self._files: list[Path] = []
        self._last: _Part | None = None

    def add(self, lines: _Lines, flattener: Flattener) -> None:
        """The next part of the file (lines after the last record go with that record)."""
        if not lines.records:
            assert self._last is not None  # _parsed gives no part without a record first
            self._last.skipped.extend(lines.skipped)
            return
        if self._last is not None:
            self._write(self._last)
            self._last = None
        part = _flatten(flattener, lines)
        self.columns.update(dict.fromkeys(part.flat.columns))
        self.notations.update(dict.fromkeys(part.flat.notations))
        self._last = part

    def parts(self) -> Iterator[_Part]:
        """The parts in file order, each read back (and its files removed) when asked for."""
        for stem in self._files:
            yield self._read(stem)
        if self._last is not None:
            last, self._last = self._last, None
            yield last

    def _write(self, part: _Part) -> None:
        stem = self.directory / str(len(self._files))
        table = pa.table(part.flat.columns)
        options = pa.ipc.IpcWriteOptions(compression=SPILL_COMPRESSION)
        rest = (part.flat.size, part.flat.issues, part.flat.notations, part.rows, part.skipped)
        try:
            with (
                pa.OSFile(f"{stem}.arrow", "wb") as sink,
                pa.ipc.new_file(sink, table.schema, options=options) as writer,
            ):
                writer.write_table(table)
            with open(f"{stem}.pickle", "wb") as handle:
                pickle.dump(rest, handle, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise InputError(
                f"cannot set a chunk aside in {self.directory}: {exc.strerror or exc} (TMPDIR "
                "chooses where)",
                location=str(self.source),
            ) from exc
        self._files.append(stem)

    @staticmethod
    def _read(stem: Path) -> _Part:
        with pa.OSFile(f"{stem}.arrow", "rb") as source, pa.ipc.open_file(source) as reader:
            table = reader.read_all()
        with open(f"{stem}.pickle", "rb") as handle:  # written by this process, just now
            size, issues, notations, rows, skipped = pickle.load(handle)
        Path(f"{stem}.arrow").unlink()
        Path(f"{stem}.pickle").unlink()
        columns = {name: table.column(name).combine_chunks() for name in table.column_names}
        return _Part(FlatTable(size, columns, issues, notations), rows, skipped)
