"""CSV reader: encoding and delimiter detected (`csvsniff`), BOM handled, every cell read as
text.

The fast path is pyarrow's CSV parser. A file whose rows do not all have as many cells as
the header falls back to Python's csv module, which pads short rows and reports long ones.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from poicheck.errors import InputError
from poicheck.files.limits import CHUNK_ROWS, MiB
from poicheck.readers import encoding as encodings
from poicheck.readers.conventions import Survey
from poicheck.readers.csvsniff import BLOCK_BYTES, MAX_BYTES, replaced_cells, sniff_csv
from poicheck.readers.sheet import Note, Sheet, above_header, choose_header, known_header
from poicheck.readers.tabular import finish, survey
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import CELLS_BEYOND_HEADER
from poicheck.table import CanonicalTable, Source

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping

# pyarrow parses blocks in parallel: 4 MiB blocks parse ~30 % faster than 16 MiB ones on two
# cores (measured, 750 MB); a file with a larger cell is parsed again with BLOCK_BYTES.
FAST_BLOCK = 4 * MiB


def read_csv(
    path: Path,
    ruleset: RuleSet,
    *,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
) -> CanonicalTable:
    """Read a CSV file into the canonical table (see the module docstring)."""
    layout = _Layout.of(path, ruleset, encoding, mapping, limit=MAX_BYTES)
    body, notes = _body(
        path, layout.encoding, layout.delimiter, len(layout.header), layout.lines, layout.records
    )
    notes += layout.damaged(body, layout.first_row)
    sheet = Sheet(
        layout.header, body, layout.source, first_row=layout.first_row, notes=layout.notes + notes
    )
    return finish(sheet, ruleset, mapping)


def read_csv_chunks(
    path: Path,
    ruleset: RuleSet,
    *,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[CanonicalTable]:
    """Read a CSV file of any size as canonical tables of about `chunk_rows` records each.

    The file is read twice: first for its file-wide conventions (a decimal comma used
    throughout, a boolean vocabulary), which decide how every chunk is read, then chunk by
    chunk. Together the chunks hold what `read_csv` returns, record for record, and the
    records of a chunk follow those of the chunk before.
    """
    layout = _Layout.of(path, ruleset, encoding, mapping, limit=None)
    total, records = Survey(), 0
    for sheet in layout.sheets(chunk_rows):
        found, count = survey(sheet, ruleset, mapping, records)
        total, records = total.merge(found), records + count
    if not records:
        raise InputError(
            f"there are column headers (row {layout.first_row - 1}) but no data rows below them",
            location=str(path),
        )
    offset = 0
    for sheet in layout.sheets(chunk_rows):
        table = finish(sheet, ruleset, mapping, survey=total, offset=offset)
        offset += len(table.frame)
        yield table


@dataclass(frozen=True)
class _Layout:
    """Where a CSV file's header is and how the file is written."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    lines: int  # physical lines up to the end of the header
    records: int  # records up to the end of the header
    notes: list[Note]

    @classmethod
    def of(
        cls,
        path: Path,
        ruleset: RuleSet,
        encoding: str | None,
        mapping: ColumnMapping | None,
        limit: int | None,
    ) -> _Layout:
        sniffed = sniff_csv(path, encoding, limit)
        head = sniffed.head
        index = choose_header([r for r, _ in head], known_header(ruleset, mapping))
        if index is None:
            raise InputError("the file is empty", location=str(path))
        notes = sniffed.notes + above_header([r for r, _ in head], index)
        header, lines = head[index]
        return cls(path, sniffed.encoding, sniffed.delimiter, header, lines, index + 1, notes)

    def damaged(self, body: pd.DataFrame, first_row: int) -> list[Note]:
        """TBL015 for the cells of `body` (from spreadsheet row `first_row`) in which an
        invalid byte was read as U+FFFD (a mostly UTF-8 file only)."""
        return replaced_cells(body, first_row) if self.encoding == encodings.REPLACING else []

    @property
    def source(self) -> Source:
        return Source(str(self.path), "csv")

    @property
    def first_row(self) -> int:
        return self.records + 1

    def sheets(self, chunk_rows: int) -> Iterator[Sheet]:
        """The records below the header, `chunk_rows` at a time."""
        row, notes = self.first_row, self.notes
        for body, more in _chunks(self, chunk_rows):
            more = more + self.damaged(body, row)
            yield Sheet(self.header, body, self.source, first_row=row, notes=notes + more)
            row, notes = row + len(body), []


def preview_csv(path: Path, encoding: str | None, limit: int) -> list[list[str]]:
    """The first `limit` records of a CSV file."""
    sniffed = sniff_csv(path, encoding)
    encoding, delimiter = sniffed.encoding, sniffed.delimiter
    rows: list[list[str]] = []
    try:
        with path.open(encoding=encoding, newline="", errors="replace") as handle:
            for record in csv.reader(handle, delimiter=delimiter):
                rows.append([cell.lstrip("\ufeff") if not rows else cell for cell in record])
                if len(rows) >= limit:
                    break
    except csv.Error as exc:
        raise _parse_error(path, encoding, delimiter, str(exc)) from exc
    return rows


def _body(
    path: Path, encoding: str, delimiter: str, width: int, lines: int, records: int
) -> tuple[pd.DataFrame, list[Note]]:
    """The records below the header (`lines` physical lines, `records` records in)."""
    try:
        try:
            table = pacsv.read_csv(path, **_options(encoding, delimiter, width, lines, FAST_BLOCK))
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc):
                raise
            # A cell larger than the fast block: once more with blocks as large as allowed.
            table = pacsv.read_csv(path, **_options(encoding, delimiter, width, lines))
    except pa.ArrowInvalid as exc:
        if _is_ragged(exc):
            frames, notes = zip(*_ragged(path, encoding, delimiter, width, records), strict=True)
            return pd.concat(frames, ignore_index=True), [n for part in notes for n in part]
        raise _parse_error(path, encoding, delimiter, _reason(exc)) from exc
    except (pa.ArrowNotImplementedError, UnicodeError) as exc:
        raise _parse_error(path, encoding, delimiter, str(exc).splitlines()[0]) from exc
    return _frame(table.to_batches(), width), []


def _chunks(layout: _Layout, chunk_rows: int) -> Iterator[tuple[pd.DataFrame, list[Note]]]:
    """The records below the header in frames of about `chunk_rows` records, streamed: at
    most one chunk and pyarrow's read-ahead block are in memory at a time."""
    encoding, delimiter, width = layout.encoding, layout.delimiter, len(layout.header)
    options = _options(encoding, delimiter, width, layout.lines)
    done = 0
    try:
        reader = pacsv.open_csv(layout.path, **options)
        pending: list[pa.RecordBatch] = []
        for batch in reader:
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= chunk_rows:
                frame = _frame(pending, width)
                done, pending = done + len(frame), []
                yield frame, []
        if pending or not done:
            yield _frame(pending, width), []
    except pa.ArrowInvalid as exc:
        if not _is_ragged(exc):
            raise _parse_error(layout.path, encoding, delimiter, _reason(exc)) from exc
        # Rows of another width: the rest of the file goes through the csv module.
        yield from _ragged(
            layout.path, encoding, delimiter, width, layout.records + done, chunk_rows
        )
    except (pa.ArrowNotImplementedError, UnicodeError) as exc:
        raise _parse_error(layout.path, encoding, delimiter, str(exc).splitlines()[0]) from exc


def _options(
    encoding: str, delimiter: str, width: int, lines: int, block: int = BLOCK_BYTES
) -> dict[str, Any]:
    names = [f"c{i}" for i in range(width)]
    return {
        "read_options": pacsv.ReadOptions(
            encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
            column_names=names,
            skip_rows=lines,
            block_size=block,
        ),
        "parse_options": pacsv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=True,
            # Blank lines stay (as empty rows, dropped later) so row numbers stay right.
            ignore_empty_lines=False,
        ),
        "convert_options": pacsv.ConvertOptions(
            # large_string is what pandas' "str" dtype holds: no conversion afterwards.
            column_types={n: pa.large_string() for n in names},
            # An empty cell is a missing value; pyarrow's default null spellings (n/a, NULL,
            # NaN...) are text the placeholder rules judge, not missing values.
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    }


def _frame(batches: list[pa.RecordBatch], width: int) -> pd.DataFrame:
    if not batches or not sum(b.num_rows for b in batches):
        return pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    frame = pa.Table.from_batches(batches).to_pandas()
    frame.columns = range(width)
    return frame.astype("str")


def _is_ragged(exc: pa.ArrowInvalid) -> bool:
    reason = str(exc)
    return "Expected" in reason and "columns" in reason


def _reason(exc: pa.ArrowInvalid) -> str:
    return str(exc).splitlines()[0].replace("to large_string:", "to string:")


def _parse_error(path: Path, encoding: str, delimiter: str, reason: str) -> InputError:
    if "straddling" in reason:
        reason = f"a single value is larger than {BLOCK_BYTES // MiB} MiB"
    elif any(word in reason.lower() for word in ("decode", "codec", "utf8", "utf-8")):
        reason += "; give the file's encoding with --encoding (e.g. cp1252)"
    return InputError(
        f"cannot parse as CSV ({encoding}, delimiter {delimiter!r}): {reason}", location=str(path)
    )


def _ragged(
    path: Path, encoding: str, delimiter: str, width: int, skip: int, chunk_rows: int = 0
) -> Iterator[tuple[pd.DataFrame, list[Note]]]:
    """Rows with fewer cells are padded; cells beyond the header's width are reported.
    The records after the first `skip`, in frames of `chunk_rows` (all at once with 0)."""
    rows: list[list[str]] = []
    notes: list[Note] = []
    try:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            for number, record in enumerate(reader, start=1):
                if number <= skip:
                    continue
                extra = record[width:]
                if any(cell.strip() for cell in extra):
                    details = {"count": len(record), "width": width}
                    value = next(cell for cell in extra if cell.strip())[:80]
                    notes.append(Note(CELLS_BEYOND_HEADER, number, width, value, details))
                rows.append(record[:width] + [""] * (width - len(record)))
                if chunk_rows and len(rows) >= chunk_rows:
                    yield _text_frame(rows, width), notes
                    rows, notes = [], []
    except (csv.Error, UnicodeError) as exc:
        raise _parse_error(path, encoding, delimiter, str(exc)) from exc
    if rows or notes or not chunk_rows:
        yield _text_frame(rows, width), notes


def _text_frame(rows: list[list[str]], width: int) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    return pd.DataFrame({i: pd.Series(list(c), dtype="str") for i, c in enumerate(columns)})
