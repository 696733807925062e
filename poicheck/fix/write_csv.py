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
_LINE_END = re.compile(r"[\r\n]")
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
    from poicheck.readers.tabular import choose_header, known_header

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


def _records(text: str, delimiter: str, wanted: set[int]) -> Iterator[tuple[int, list[Span]]]:
    """(row number, field spans) of the wanted records, rows counted from 1 as the reader
    counts them (a quoted line break stays inside its record; a blank line is a record)."""
    position, number, size = 0, 0, len(text)
    last = max(wanted, default=0)
    while position < size and number < last:
        number += 1
        end = _LINE_END.search(text, position)
        stop = end.start() if end else size
        if '"' not in text[position:stop]:
            if number in wanted:
                yield number, _plain(text, position, stop, delimiter)
            position = _after_line_end(text, stop)
            continue
        fields, position = _quoted(text, position, delimiter)
        if number in wanted:
            yield number, fields


def _after_line_end(text: str, at: int) -> int:
    if at >= len(text):
        return at
    return at + 2 if text.startswith("\r\n", at) else at + 1


def _plain(text: str, start: int, stop: int, delimiter: str) -> list[Span]:
    spans = []
    for part in text[start:stop].split(delimiter):
        spans.append((start, start + len(part), False))
        start += len(part) + len(delimiter)
    return spans


def _quoted(text: str, position: int, delimiter: str) -> tuple[list[Span], int]:
    """The fields of a record with quotes, from `position`; and where the next one starts.
    A quote opens a quoted field only at the field's start; `""` inside is a quote."""
    spans: list[Span] = []
    size = len(text)
    start = position
    while True:
        quoted = position < size and text[position] == '"'
        if quoted:
            position += 1
            while position < size:
                if text[position] == '"':
                    if text.startswith('""', position):
                        position += 2
                        continue
                    position += 1
                    break
                position += 1
        while position < size and text[position] not in (delimiter, "\r", "\n"):
            position += 1
        spans.append((start, position, quoted))
        if position < size and text[position] == delimiter:
            position += 1
            start = position
            continue
        return spans, _after_line_end(text, position)
