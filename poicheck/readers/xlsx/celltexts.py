"""Worksheet cells as text: calamine's native values (numbers, booleans, dates) formatted as
the user sees them, column by column into pyarrow arrays, with the native values kept for
the checks that need them (numbers in text columns, Excel dates...).

A big sheet is read in pieces (`pieces`); `BodyTexts` converts each piece as soon as it is
read, while calamine still reads the pieces after it, and gives what converting the joined
sheet at once gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import chain, compress
from typing import Any

import pyarrow as pa

from poicheck.readers.xlsx.pieces import Piece

# Types of the cells calamine reads that are neither text nor booleans.
NATIVE = frozenset({int, float, dt.datetime, dt.date, dt.time, dt.timedelta})
HEAD_ROWS = 10  # the header is looked for up to the tenth non-empty row

# Per column its texts (an array, or the pieces' arrays in one chunked array), and the
# native values by column and row.
Texts = tuple[list[pa.Array | pa.ChunkedArray], dict[int, dict[int, Any]]]


def cell_text(value: Any) -> str:
    """A native cell value as the text the user sees (numbers without a spurious `.0`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def head_texts(rows: list[list[Any]]) -> list[list[str]]:
    """Text of the rows up to the tenth non-empty one (where the header is looked for)."""
    out: list[list[str]] = []
    filled = 0
    for row in rows:
        texts = [cell_text(c) for c in row]
        out.append(texts)
        filled += any(t.strip() for t in texts)
        if filled >= HEAD_ROWS:
            break
    return out


def padded(row: list[Any], width: int) -> list[Any]:
    return row + [""] * (width - len(row)) if len(row) < width else row


def body_texts(rows: list[list[Any]], width: int, first: int = 0) -> Texts:
    """Every column of `rows` as text (a pyarrow array, which pandas takes as is), and the
    native numbers and dates by column and row (numbered from `first`)."""
    return _texts(_columns(rows, width), first)


def _columns(rows: list[list[Any]], width: int) -> list[list[Any]]:
    """The cells of `rows` by column (calamine's rows all have the sheet's width)."""
    if any(len(row) != width for row in rows):
        rows = [padded(row, width) for row in rows]
    cells = list(chain.from_iterable(rows))
    return [cells[position::width] for position in range(width)]


def _texts(columns: list[list[Any]], first: int) -> Texts:
    texts: list[pa.Array] = []
    natives: dict[int, dict[int, Any]] = {}
    for position, values in enumerate(columns):
        try:  # the common case, text only: converted and checked at C speed
            text = pa.array(values, type=pa.large_string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            text = None
        if text is None or text.null_count:
            text = pa.array(_column_texts(values), type=pa.large_string())
            natives_at = map(NATIVE.__contains__, map(type, values))
            odd = dict(compress(enumerate(values, first), natives_at))
            if odd:
                natives[position] = odd
        texts.append(text)
    return texts, natives


def _column_texts(values: list[Any]) -> list[str]:
    """The text of a column's cells, each distinct value formatted once."""
    kinds = set(map(type, values))
    if len(kinds & {bool, int, float}) > 1:  # True == 1 == 1.0 would share a key
        keys: list[Any] = list(zip(map(type, values), values, strict=True))
        text_of = {key: cell_text(key[1]) for key in set(keys)}
    else:
        keys = values
        text_of = {key: cell_text(key) for key in set(keys)}
    return list(map(text_of.__getitem__, keys))


class BodyTexts:
    """The body's column texts, converted piece by piece as the pieces of a sheet are read.

    The main thread would otherwise wait while calamine reads the last pieces, then convert
    the whole sheet. The header is chosen (`header`: the head rows' texts to the header's
    index or None) on the first piece, which starts at A1 and holds the head rows of any
    sheet big enough to be read in pieces; when it does not, nothing is converted early.
    """

    def __init__(self, header: Callable[[list[list[str]]], int | None]) -> None:
        self.header = header
        self.index: int | None = None
        self.usable = True
        self.reached = 0  # sheet rows covered by the pieces so far
        # Per converted piece: its first body row in the sheet, rows, first column, texts.
        self.parts: list[tuple[int, int, int, Texts]] = []

    def add(self, piece: Piece) -> None:
        (top, left), rows, _ = piece
        if not self.usable or not rows:
            return
        if top < self.reached or (self.index is None and not self._choose(top, rows)):
            self.usable = False
            return
        assert self.index is not None
        skip = max(0, self.index + 1 - top)
        body = rows[skip:]
        if body:
            width = max(len(row) for row in body)
            start = top + skip  # natives numbered by body row, as in the joined sheet
            texts = body_texts(body, width, start - self.index - 1)
            self.parts.append((start, len(body), left, texts))
        self.reached = top + len(rows)

    def _choose(self, top: int, rows: list[list[Any]]) -> bool:
        head = head_texts(rows)
        if top != 0 or sum(any(t.strip() for t in row) for row in head) < HEAD_ROWS:
            return False
        self.index = self.header(head)
        return self.index is not None

    def texts(self, index: int, rows: int, width: int) -> Texts | None:
        """The texts of sheet rows index+1 .. rows-1 in `width` columns, as `body_texts`
        gives them for the joined sheet; None when the pieces cannot tell."""
        if not self.usable or self.index != index:
            return None
        first = index + 1
        columns: list[list[pa.Array]] = [[] for _ in range(width)]
        natives: dict[int, dict[int, Any]] = {}
        reached = first
        for start, count, left, (texts, odd) in self.parts:
            if start < reached or left + len(texts) > width:
                return None
            _blank(columns, start - reached)  # rows between pieces: empty cells
            for position, column in enumerate(columns):
                inside = 0 <= position - left < len(texts)
                column.append(texts[position - left] if inside else _empty(count))
            for position, cells in odd.items():
                natives.setdefault(left + position, {}).update(cells)
            reached = start + count
        if reached > rows:
            return None
        _blank(columns, rows - reached)
        # Chunked, not concatenated: pandas and the encoding take the pieces as they are.
        texts = [pa.chunked_array(parts, type=pa.large_string()) for parts in columns]
        return texts, natives


def _blank(columns: list[list[pa.Array]], count: int) -> None:
    if count > 0:
        for column in columns:
            column.append(_empty(count))


def _empty(count: int) -> pa.Array:
    return pa.array([""] * count, type=pa.large_string())
