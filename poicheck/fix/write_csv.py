"""The corrected copy of a CSV file: only the changed fields are rewritten.

The file is decoded in the encoding the reader detected (its byte-order mark kept), split
into records as the reader splits them (quoted fields may hold line breaks; every record,
blank ones too, counts as a row), and each edited field is replaced in place: a field that
was quoted stays quoted, one that needs quotes (a delimiter, a quote, a line break) gets
them. Delimiter, quoting of every other field, line endings and encoding are left as they
were; a file that does not decode and encode back to the same bytes is refused rather than
changed unseen.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from poicheck.errors import InputError
from poicheck.fix.edits import Edit, Written, places
from poicheck.readers import encoding as encodings
from poicheck.ruleset.model import RuleSet

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+", re.ASCII)
Span = tuple[int, int, bool]  # start, end, quoted


def write_csv(
    path: Path,
    edits: list[Edit],
    ruleset: RuleSet,
    *,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
    comma_columns: frozenset[str] = frozenset(),
) -> Written:
    """The bytes of `path` with `edits` made. `comma_columns` write decimals with a comma
    (the file's convention for them, TBL008)."""
    from poicheck.readers.csvsniff import sniff_csv
    from poicheck.readers.sheet import choose_header, known_header

    sniffed = sniff_csv(path, encoding, None)
    heads = [cells for cells, _ in sniffed.head]
    index = choose_header(heads, known_header(ruleset, mapping))
    if index is None:
        raise InputError("the file is empty", location=str(path))
    where = places(heads[index], ruleset, mapping)
    data = path.read_bytes()
    bom, codec = _codec(data, sniffed.encoding)
    text = _decoded(data[len(bom) :], codec, path)
    by_row: dict[int, list[Edit]] = {}
    skipped: list[tuple[Edit, str]] = []
    for edit in edits:
        place = where.get(edit.column)
        if place is None or place.position is None:
            skipped.append((edit, place.why_not if place else "the file has no such column"))
        else:
            by_row.setdefault(edit.row, []).append(edit)
    pieces: list[str] = []
    done = 0
    for number, fields in _records(text, sniffed.delimiter, set(by_row)):
        for edit in sorted(by_row[number], key=lambda e: where[e.column].position or 0):
            position = where[edit.column].position or 0
            if position >= len(fields):
                skipped.append((edit, f"row {number} has fewer fields than the header"))
                continue
            start, end, quoted = fields[position]
            value = edit.text
            if edit.column in comma_columns and _DECIMAL.fullmatch(value):
                value = value.replace(".", ",")
            pieces += [text[done:start], _field(value, sniffed.delimiter, quoted)]
            done = end
    pieces.append(text[done:])
    out = "".join(pieces)
    return Written(bom + out.encode(codec, errors="surrogateescape"), skipped)


def _codec(data: bytes, encoding: str) -> tuple[bytes, str]:
    """The file's byte-order mark (kept as it is) and the codec of the rest."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return bom, codec
    if encoding in (encodings.REPLACING, "utf-8-sig"):
        return b"", "utf-8"
    return b"", encoding


def _decoded(data: bytes, codec: str, path: Path) -> str:
    try:
        text = data.decode(codec, errors="surrogateescape")
        same = text.encode(codec, errors="surrogateescape") == data
    except (UnicodeError, LookupError):
        same = False
    if not same:
        raise InputError(
            f"cannot rewrite this file without changing other bytes ({codec}); "
            "convert it to UTF-8 first",
            location=str(path),
        )
    return text


def _field(value: str, delimiter: str, quoted: bool) -> str:
    """A field's text: quoted as it was, or when the value needs quotes."""
    needs = any(ch in value for ch in (delimiter, '"', "\r", "\n"))
    if quoted or needs:
        return '"' + value.replace('"', '""') + '"'
    return value


def _field_pattern(delimiter: str) -> str:
    """A field as the reader reads it: quoted only when a quote opens it (`""` is a quote
    inside; text after the closing quote belongs to the field), else up to the delimiter."""
    d = re.escape(delimiter)
    return f'(?:"[^"]*(?:""[^"]*)*"[^{d}\\r\\n]*|(?:[^{d}"\\r\\n][^{d}\\r\\n]*)?)'


def _records(text: str, delimiter: str, wanted: set[int]) -> Iterator[tuple[int, list[Span]]]:
    """(row number, field spans) of the wanted records, rows counted from 1 as the reader
    counts them (a quoted line break stays inside its record; a blank line is a record).
    The other records are skipped whole, by one regular expression each."""
    one = _field_pattern(delimiter)
    field = re.compile(one)
    record = re.compile(f"{one}(?:{re.escape(delimiter)}{one})*")
    position, number, size = 0, 0, len(text)
    last = max(wanted, default=0)
    while position < size and number < last:
        number += 1
        if number in wanted:
            spans, position = _spans(text, position, delimiter, field)
            yield number, spans
            continue
        end = record.match(text, position)
        position = _after_line_end(text, end.end() if end else position)


def _after_line_end(text: str, at: int) -> int:
    if at >= len(text):
        return at
    return at + 2 if text.startswith("\r\n", at) else at + 1


def _spans(
    text: str, position: int, delimiter: str, field: re.Pattern[str]
) -> tuple[list[Span], int]:
    """The fields of the record at `position`, and where the next record starts."""
    spans: list[Span] = []
    while True:
        match = field.match(text, position)
        end = match.end() if match else position
        spans.append((position, end, text.startswith('"', position)))
        if text.startswith(delimiter, end):
            position = end + len(delimiter)
            continue
        return spans, _after_line_end(text, end)
