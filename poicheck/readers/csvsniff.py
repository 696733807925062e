"""How a CSV file is written: its encoding (decided on the whole file, see
`poicheck.readers.encoding`), its delimiter, and its first records, among which the header is.

Everything here runs in time linear in what it reads: the header row is read whole however
wide (up to MAX_HEAD_BYTES), and the delimiter is chosen by one pass of the csv module per
candidate (csv.Sniffer's regular expressions backtrack quadratically on crafted lines).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from poicheck.errors import InputError
from poicheck.files.limits import MAX_CSV_BYTES, MiB
from poicheck.readers import encoding as encodings
from poicheck.readers.sheet import Note
from poicheck.readers.xlsx.safety import sniff, wrong_content
from poicheck.ruleset.reader_ids import INVALID_UTF8_BYTES, NOT_UTF8

SAMPLE_BYTES = 64 * 1024
HEAD_LINES = 50  # non-empty lines the delimiter is decided on
HEAD_ROWS = 10  # non-empty records the header is chosen among
MAX_HEAD_BYTES = 16 * MiB  # the longest header row read
MAX_BYTES = MAX_CSV_BYTES  # read at once; larger files are read in chunks
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


def detect_encoding(data: bytes) -> str:
    """The encoding of `data`, a whole file's bytes (see `poicheck.readers.encoding`)."""
    return wide_encoding(data) or _narrow(lambda: [data])[0]


def wide_encoding(sample: bytes) -> str | None:
    """By the first bytes: the encoding of a BOM, or UTF-16 without BOM by its zero bytes."""
    for bom, name in BOMS:
        if sample.startswith(bom):
            return name
    even, odd = sample[0:200:2], sample[1:200:2]
    if len(sample) >= 4 and odd.count(0) > len(odd) // 2 and even.count(0) == 0:
        return "utf-16-le"
    if len(sample) >= 4 and even.count(0) > len(even) // 2 and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _narrow(blocks: Callable[[], Iterable[bytes]]) -> tuple[str, encodings.Survey | None]:
    """UTF-8 when all `blocks()` decode as such; else what a survey of them says."""
    if encodings.is_utf8(blocks()):
        return "utf-8", None
    found = encodings.survey(blocks())
    return encodings.choose(found), found


def _detected(path: Path, sample: bytes) -> tuple[str, list[Note]]:
    """The encoding of the whole file, and a note when it is not read as strict UTF-8."""
    wide = wide_encoding(sample)
    if wide is not None:
        return wide, []
    if len(sample) < SAMPLE_BYTES:  # the whole file is in the sample
        encoding, found = _narrow(lambda: [sample])
    else:
        encoding, found = _narrow(lambda: encodings.blocks_of(path))
    if found is None or encoding == encodings.REPLACING:
        return encoding, []  # damaged cells are noted once read (TBL015)
    with path.open("rb") as handle:
        handle.seek(_line_start(path, found.first))
        line = handle.readline(1024).decode(encoding, errors="replace").strip()
    details = {"encoding": encodings.NAMES[encoding], "byte": f"0x{found.byte:02X}"}
    return encoding, [Note(NOT_UTF8, value=line[:80], details={**details, "line": found.line})]


def _line_start(path: Path, offset: int) -> int:
    """The offset of the line holding byte `offset` (looked for in the 64 KiB before it)."""
    start = max(0, offset - SAMPLE_BYTES)
    with path.open("rb") as handle:
        handle.seek(start)
        before = handle.read(offset - start)
    return start + before.rfind(b"\n") + 1


def replaced_cells(body: pd.DataFrame, first_row: int) -> list[Note]:
    """TBL015 for the cells of a mostly UTF-8 file that hold a byte read as U+FFFD."""
    notes: list[Note] = []
    for position in body.columns:
        column = body[position]
        hits = column.str.contains("\ufffd", regex=False).fillna(False).to_numpy(dtype=bool)
        for index in np.flatnonzero(hits):
            text = str(column.iloc[index])
            notes.append(Note(INVALID_UTF8_BYTES, first_row + int(index), int(position), text[:80]))
    return notes


def detect_delimiter(text: str) -> str:
    """The delimiter of the first records (`,` `;` tab or `|`): the one that splits them into
    the same number (> 1) of cells most consistently; on a tie, the one the header holds
    most often, then in that order.

    Each candidate is one pass of the csv module (C) over the text: linear time, where
    csv.Sniffer's regular expressions backtrack quadratically on a crafted line.
    """
    lines = [line for line in text.splitlines() if line.strip()][:HEAD_LINES]
    if not lines:
        return ","
    sample = "\n".join(lines)

    def score(delimiter: str) -> tuple[bool, float, int, int]:
        widths = _widths(sample, delimiter)
        mode = max(set(widths), key=lambda width: (widths.count(width), width)) if widths else 1
        share = widths.count(mode) / len(widths) if widths else 0.0
        return mode > 1, share, lines[0].count(delimiter), -DELIMITERS.index(delimiter)

    return max(DELIMITERS, key=score)


def _widths(sample: str, delimiter: str) -> list[int]:
    """The number of cells of each record of `sample` split at `delimiter`."""
    widths: list[int] = []
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            widths.append(len(record))
    except csv.Error:
        pass  # a quote left open: the records before it decide
    return widths


@dataclass(frozen=True)
class Sniffed:
    """How a CSV file is written, and its first records (each with the number of physical
    lines read up to its end)."""

    encoding: str
    delimiter: str
    head: list[tuple[list[str], int]]
    notes: list[Note]


def sniff_csv(path: Path, encoding: str | None, limit: int | None = MAX_BYTES) -> Sniffed:
    """Encoding (decided on the whole file), delimiter and first records of a CSV file; a
    file larger than `limit` bytes is refused."""
    size = path.stat().st_size
    if limit is not None and size > limit:
        raise InputError(
            f"the file has {size // MiB} MiB, more than the {limit // MiB} MiB poicheck "
            "reads at once; read it in chunks (--chunk-rows)",
            location=str(path),
        )
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sniff(sample) in ("zip", "ole"):
        raise wrong_content(path, sniff(sample), "CSV")
    notes: list[Note] = []
    if encoding is None:
        encoding, notes = _detected(path, sample)
    _check_encoding(path, encoding)
    delimiter, head = _head(path, encoding, size)
    return Sniffed(encoding, delimiter, head, notes)


def _check_encoding(path: Path, encoding: str) -> None:
    try:
        info = codecs.lookup(encoding)
    except LookupError as exc:
        raise InputError(f"unknown encoding '{encoding}'", location=str(path)) from exc
    if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib...
        raise InputError(f"'{encoding}' is not a text encoding", location=str(path))


def _head(path: Path, encoding: str, size: int) -> tuple[str, list[tuple[list[str], int]]]:
    """The delimiter and the first records, up to the tenth non-empty one: read from the
    first 64 KiB, or from as many bytes as it takes (a header wider than that is read
    whole), up to MAX_HEAD_BYTES."""
    amount = SAMPLE_BYTES
    while True:
        with path.open("rb") as handle:
            data = handle.read(amount)
        whole = len(data) >= size
        text = data.decode(encoding, errors="replace").lstrip("\ufeff")
        if whole and not text.strip(" \t\r\n\x00"):
            raise InputError("the file is empty", location=str(path))
        delimiter = detect_delimiter(text)
        head, complete = _records(text, delimiter, whole)
        if complete or amount >= MAX_HEAD_BYTES:
            break
        amount *= 4
    if not any(any(cell.strip() for cell in record) for record, _ in head):
        raise InputError(
            f"no complete row in the first {MAX_HEAD_BYTES // MiB} MiB: the header row is "
            "longer than poicheck reads",
            location=str(path),
        )
    return delimiter, head


def _records(text: str, delimiter: str, whole: bool) -> tuple[list[tuple[list[str], int]], bool]:
    """The records of `text` up to the tenth non-empty one, and whether that many (or, in a
    `whole` file, all) are complete. A record reaching the end of a text cut from a longer
    file may be cut itself: it is left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    head: list[tuple[list[str], int]] = []
    filled = 0
    try:
        for record in reader:
            if filled >= HEAD_ROWS:
                return head, True  # a record follows the tenth: that one is complete
            head.append((record, reader.line_num))
            filled += any(cell.strip() for cell in record)
    except csv.Error:
        return head, whole  # a quoted value open at the end of the text
    if whole:
        return head, True
    return head[:-1], False
