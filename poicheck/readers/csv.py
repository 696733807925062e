"""CSV reader: encoding and delimiter detected, BOM handled, every cell read as text."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from poicheck.errors import InputError
from poicheck.readers.tabular import build_table
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable, Source

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(sample: bytes) -> str:
    """BOM first; then UTF-8 if the sample decodes as such; else Windows-1252."""
    for bom, name in BOMS:
        if sample.startswith(bom):
            return name
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not an error.
        if exc.start < len(sample) - 3:
            return "cp1252"
    return "utf-8"


def detect_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0]
        return max(DELIMITERS, key=header.count)


def read_csv(path: Path, ruleset: RuleSet, *, encoding: str | None = None) -> CanonicalTable:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise InputError("the file is empty", location=str(path))
    encoding = encoding or detect_encoding(sample)
    try:
        text = sample.decode(encoding, errors="ignore")
        codecs.lookup(encoding)
    except LookupError as exc:
        raise InputError(f"unknown encoding '{encoding}'", location=str(path)) from exc
    text = text.lstrip("\ufeff")
    delimiter = detect_delimiter(text)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    if not any(cell.strip() for cell in header):
        raise InputError("the first line holds no column headers", location=str(path))
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                column_names=names,
                skip_rows=1,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                # Blank lines stay (as empty rows, dropped later) so row numbers stay right.
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(
            f"cannot parse as CSV ({encoding}, delimiter {delimiter!r}): {reason}",
            location=str(path),
        ) from exc
    frame = table.to_pandas()
    if len(frame) == 0:
        frame = pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    return build_table(header, frame, Source(str(path), "csv"), ruleset)
