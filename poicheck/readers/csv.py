"""CSV reader: encoding and delimiter detected, BOM handled, every cell read as text.

The fast path is pyarrow's CSV parser. A file whose rows do not all have as many cells as
the header falls back to Python's csv module, which pads short rows and reports long ones.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from poicheck.errors import InputError
from poicheck.readers.safety import sniff, wrong_content
from poicheck.readers.tabular import Note, Sheet, above_header, choose_header, finish, known_header
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable, Source

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping

MiB = 1 << 20
SAMPLE_BYTES = 64 * 1024
MAX_BYTES = 1024 * MiB
BLOCK_BYTES = 16 * MiB  # the largest cell pyarrow can hold; also the csv module's limit
DELIMITERS = ",;\t|"
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# NOTE: the csv module's default field limit (128 KiB) would make a long cell a parse error;
# poicheck reports overlong cells itself (TBL005), so the limit is pyarrow's block size.
csv.field_size_limit(max(csv.field_size_limit(), BLOCK_BYTES))


def detect_encoding(sample: bytes) -> str:
    """BOM first; UTF-16 without BOM by its zero bytes; UTF-8 if the sample decodes as such;
    else Windows-1252, or Latin-1 for the five bytes Windows-1252 leaves undefined."""
    for bom, name in BOMS:
        if sample.startswith(bom):
            return name
    even, odd = sample[0:200:2], sample[1:200:2]
    if len(sample) >= 4 and odd.count(0) > len(odd) // 2 and even.count(0) == 0:
        return "utf-16-le"
    if len(sample) >= 4 and even.count(0) > len(even) // 2 and odd.count(0) == 0:
        return "utf-16-be"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not an error.
        if exc.start < len(sample) - 3:
            try:
                sample.decode("cp1252")
            except UnicodeDecodeError:
                return "latin-1"
            return "cp1252"
    return "utf-8"


def detect_delimiter(text: str) -> str:
    """The delimiter of the first lines (`,` `;` tab or `|`)."""
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = max(lines[:10], key=lambda line: max(line.count(d) for d in DELIMITERS))
        return max(DELIMITERS, key=header.count)


def read_csv(
    path: Path,
    ruleset: RuleSet,
    *,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
) -> CanonicalTable:
    """Read a CSV file into the canonical table (see the module docstring)."""
    encoding, delimiter, head = sniff_csv(path, encoding)
    index = choose_header([r for r, _ in head], known_header(ruleset, mapping))
    if index is None:
        raise InputError("the file is empty", location=str(path))
    header = head[index][0]
    body, notes = _body(path, encoding, delimiter, len(header), head[index][1], index + 1)
    notes = above_header([r for r, _ in head], index) + notes
    sheet = Sheet(header, body, Source(str(path), "csv"), first_row=index + 2, notes=notes)
    return finish(sheet, ruleset, mapping)


def preview_csv(path: Path, encoding: str | None, limit: int) -> list[list[str]]:
    """The first `limit` records of a CSV file."""
    encoding, delimiter, _ = sniff_csv(path, encoding)
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


def sniff_csv(path: Path, encoding: str | None) -> tuple[str, str, list[tuple[list[str], int]]]:
    """Encoding, delimiter and the first records of a CSV file (each with the number of
    physical lines read up to its end)."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(
            f"the file has {size // MiB} MiB, more than the {MAX_BYTES // MiB} MiB poicheck "
            "reads; split it",
            location=str(path),
        )
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sniff(sample) in ("zip", "ole"):
        raise wrong_content(path, sniff(sample), "CSV")
    encoding = encoding or detect_encoding(sample)
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise InputError(f"unknown encoding '{encoding}'", location=str(path)) from exc
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    if not text.strip(" \t\r\n\x00"):
        raise InputError("the file is empty", location=str(path))
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    head: list[tuple[list[str], int]] = []
    filled = 0
    try:
        for record in reader:
            head.append((record, reader.line_num))
            filled += any(cell.strip() for cell in record)
            if filled >= 10:
                break
    except csv.Error:
        pass  # a record cut at the end of the sample: the header is found by then
    return encoding, delimiter, head


def _body(
    path: Path, encoding: str, delimiter: str, width: int, lines: int, records: int
) -> tuple[pd.DataFrame, list[Note]]:
    """The records below the header (`lines` physical lines, `records` records in)."""
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                column_names=names,
                skip_rows=lines,
                block_size=BLOCK_BYTES,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                # Blank lines stay (as empty rows, dropped later) so row numbers stay right.
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                # large_string is what pandas' "str" dtype holds: no conversion afterwards.
                column_types={n: pa.large_string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        reason = str(exc).splitlines()[0].replace("to large_string:", "to string:")
        if "Expected" in reason and "columns" in reason:
            return _ragged(path, encoding, delimiter, width, records)
        raise _parse_error(path, encoding, delimiter, reason) from exc
    except (pa.ArrowNotImplementedError, UnicodeError) as exc:
        raise _parse_error(path, encoding, delimiter, str(exc).splitlines()[0]) from exc
    frame = table.to_pandas()
    frame.columns = range(width)
    if len(frame) == 0:
        frame = pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    return frame.astype("str"), []


def _parse_error(path: Path, encoding: str, delimiter: str, reason: str) -> InputError:
    if "straddling" in reason:
        reason = f"a single value is larger than {BLOCK_BYTES // MiB} MiB"
    elif any(word in reason.lower() for word in ("decode", "codec", "utf8", "utf-8")):
        reason += "; give the file's encoding with --encoding (e.g. cp1252)"
    return InputError(
        f"cannot parse as CSV ({encoding}, delimiter {delimiter!r}): {reason}", location=str(path)
    )


def _ragged(
    path: Path, encoding: str, delimiter: str, width: int, skip: int
) -> tuple[pd.DataFrame, list[Note]]:
    """Rows with fewer cells are padded; cells beyond the header's width are reported."""
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
                    notes.append(Note("TBL006", number, width, value, details))
                rows.append(record[:width] + [""] * (width - len(record)))
    except (csv.Error, UnicodeError) as exc:
        raise _parse_error(path, encoding, delimiter, str(exc)) from exc
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    frame = pd.DataFrame({i: pd.Series(list(c), dtype="str") for i, c in enumerate(columns)})
    return frame, notes
