"""The byte scan of a worksheet's XML, before any parser sees it: how far its cells reach
(the rectangle calamine will allocate), how many cells and rows lack a reference, and whether
it has formulas, error values or hidden rows or columns worth a closer look.

Vectorised with numpy over each chunk's bytes: tags, `=` signs and references are found and
read as arrays, a few passes per chunk (a sheet of 100,000 rows, 280 MB, in about a second
with inflating, where regular expressions over every reference took four to five). Only
what the arrays cannot read (whitespace around `=`, single quotes, long references) is read
one by one, as calamine reads it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

MAX_CELLS = 20_000_000  # rows x columns of the rectangle calamine allocates for a sheet
UNBOUNDED = 1 << 62  # the bound of a sheet the scan cannot bound


def _byte_class(chars: bytes) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars)] = True
    return table


# Lookup tables by byte value for the worksheet scan.
WHITESPACE = b" \t\r\n"
SPACE = _byte_class(WHITESPACE)
SEPARATOR = _byte_class(WHITESPACE + b"\"'")  # before an attribute (quick-xml needs no space)
NAME_END = _byte_class(WHITESPACE + b"/>")
LETTER = _byte_class(string.ascii_letters.encode())
DIGIT = _byte_class(string.digits.encode())
PAD = bytes(16)  # a few bytes past a chunk's end stay inside the array
LT, COLON, EQUALS, QUOTE, APOSTROPHE = b"<:=\"'"
# NOTE: calamine places a cell by its `r` attribute (letters, then digits, read into an
# unchecked u32) in any XML form, or, without one, right after the previous cell or row.
# Attributes in other forms than r="..." (whitespace around =, single quotes) are read one by
# one; what looks like an attribute inside a value in single quotes is none.
REFERENCE = re.compile(rb"([A-Za-z]*)([0-9]+)")
ODD_NAME = re.compile(rb"[\s\"']([A-Za-z_][\w.:-]*)\s*\Z")
ODD_VALUE = re.compile(rb"\s*(?:\"([^\"]*)\"|'([^']*)(?:'|\Z))")


@dataclass
class PartScan:
    """What one worksheet part holds, as far as a byte scan can tell."""

    size: int = 0
    max_row: int = 0  # the largest row and column number of any reference
    max_column: int = 0
    markers: set[str] = field(default_factory=set)
    cell_tags: int = 0  # elements named c, with any prefix (an upper bound)
    row_tags: int = 0
    cell_refs: int = 0  # of these, the ones with a reference
    row_refs: int = 0
    unbounded: bool = False  # references the scan cannot read: only a parse tells the extent
    # Calamine's row index (set by a row's reference, one more at each row's end) and its
    # most; the cells since the last row end (where its column index restarts) and their most.
    row_index: int = 0
    rows_reached: int = 0
    run: int = 0
    longest_run: int = 0

    @property
    def unreferenced(self) -> int:
        """An upper bound of the cells without a reference."""
        return UNBOUNDED if self.unbounded else self.cell_tags - self.cell_refs

    @property
    def cells(self) -> int:
        """An upper bound of the rectangle calamine allocates, from A1 to the last cell: a
        cell without a reference is in the current row, after the previous cell."""
        if self.unbounded:
            return UNBOUNDED
        rows = max(self.max_row, self.rows_reached)
        return rows * (self.max_column + min(self.unreferenced, max(self.longest_run, self.run)))


def column_number(letters: bytes | str) -> int:
    """1-based column number of Excel column letters (A = 1, AA = 27)."""
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(char) - 64
    return number


def reference(value: bytes | str) -> tuple[int, int] | None:
    """(row, column), 1-based, of a cell reference read as calamine reads an `r` attribute
    (any number of letters, then digits; column 0 without letters); None for one it refuses."""
    match = REFERENCE.fullmatch(value.encode() if isinstance(value, str) else value)
    if match is None or not int(match[2]):
        return None
    return int(match[2]), column_number(match[1]) if match[1] else 0


def scan_sheet(data: bytes, array: np.ndarray, scan: PartScan) -> np.ndarray:
    """Count the cells and rows of one chunk of a worksheet (cut before a tag), follow where
    calamine places them and look for formulas, error values and hidden rows or columns;
    return where its row tags start."""
    size = len(data)
    starts = np.flatnonzero(array[:size] == LT)  # every tag
    colons = np.flatnonzero(array[:size] == COLON)  # prefixed tags: x:c, x:row
    tags = _Tags(starts, array[starts + 1], array[starts + 2], colons)
    cells = _named(array, tags, b"c")
    rows = _named(array, tags, b"row")
    ends = _named(array, tags, b"row", end=True)
    scan.cell_tags += len(cells)
    scan.row_tags += len(rows)
    if "formula" not in scan.markers and len(_named(array, tags, b"f")):
        scan.markers.add("formula")
    references, numbers = _references(data, array, scan)
    # A reference belongs to the tag started last before it (slot 0: before the first tag).
    owners = np.searchsorted(starts, references, "right")
    owner = np.zeros(len(starts) + 1, dtype=bool)
    owner[owners] = True
    scan.cell_refs += _owning(cells, owner)
    scan.row_refs += _owning(rows, owner)
    row_number = np.zeros(len(starts) + 1, dtype=np.int64)
    np.maximum.at(row_number, owners, numbers)  # of several, the largest: an upper bound
    _follow_rows(np.sort(rows), np.sort(ends), row_number, scan)
    _follow_runs(np.sort(cells), np.sort(ends), scan)
    return np.unique(starts[rows[rows > 0] - 1])


def _follow_rows(
    rows: np.ndarray, ends: np.ndarray, row_number: np.ndarray, scan: PartScan
) -> None:
    """Calamine's row index through the row tags of a chunk: a row's reference sets it, each
    row's end adds one. Each row is taken to end at its start as well (one too many for a
    row with an end tag, right for an empty <row/>), so that the index is never too low."""
    slots = np.concatenate([rows, ends])
    if not len(slots):
        return
    order = np.argsort(slots, kind="stable")
    number = np.concatenate([row_number[rows], np.zeros(len(ends), dtype=np.int64)])[order]
    step = np.arange(len(slots))
    last = np.maximum.accumulate(np.where(number > 0, step, -1))  # the last row set
    base = np.where(last >= 0, number[np.maximum(last, 0)] - 1, scan.row_index)
    index = base + step - last + (last >= 0)
    scan.rows_reached = max(scan.rows_reached, scan.row_index + 1, int(index.max()) + 1)
    scan.row_index = int(index[-1])


def _follow_runs(cells: np.ndarray, ends: np.ndarray, scan: PartScan) -> None:
    """The most cells between two row ends (where calamine's column index restarts): how far
    right of the largest referenced column cells without a reference can reach."""
    counts = np.bincount(np.searchsorted(ends, cells), minlength=len(ends) + 1)
    counts[0] += scan.run
    scan.longest_run = max(scan.longest_run, int(counts.max()))
    scan.run = int(counts[-1])


class _Tags(NamedTuple):
    """Where the tags of a chunk start (`<`), the two bytes after each and the prefixed
    names (after a `:`)."""

    starts: np.ndarray
    first: np.ndarray
    second: np.ndarray
    colons: np.ndarray


def _named(array: np.ndarray, tags: _Tags, name: bytes, *, end: bool = False) -> np.ndarray:
    """The start tags (or the end tags, such as </c>) called `name`, with or without a
    namespace prefix, by their slot in `owner` (a prefixed one by its `<`)."""
    starts, first, second, colons = tags
    if end:  # </name
        plain = np.flatnonzero((first == ord("/")) & (second == name[0]))
    elif len(name) > 1:
        plain = np.flatnonzero((first == name[0]) & (second == name[1]))
    else:
        plain = np.flatnonzero((first == name[0]) & NAME_END[second])
    prefixed = colons[array[colons + 1] == name[0]]
    opened = np.searchsorted(starts, prefixed, "right")
    closing = opened > 0  # the prefixed name of an end tag (</x:row>)
    if len(starts):
        closing &= first[np.maximum(opened - 1, 0)] == ord("/")
    keep = closing if end else ~closing
    positions = np.concatenate([starts[plain] + int(end), prefixed[keep]])  # before the name
    slots = np.concatenate([plain + 1, opened[keep]])
    for offset, char in enumerate(name, 1):  # the fewer left, the less each test costs
        hit = array[positions + offset] == char
        positions, slots = positions[hit], slots[hit]
    return slots[NAME_END[array[positions + len(name) + 1]]]


def _owning(slots: np.ndarray, owner: np.ndarray) -> int:
    """How many of the tags in `slots` hold a reference."""
    named = np.zeros(len(owner), dtype=bool)
    named[slots] = True
    return int(np.count_nonzero(named & owner))


def _references(data: bytes, array: np.ndarray, scan: PartScan) -> tuple[np.ndarray, np.ndarray]:
    """Where the references of a chunk are and their row numbers; their largest row and
    column go to `scan`, and error values (t="e") and hidden rows or columns (hidden=) to
    its markers."""
    equals = np.flatnonzero(array[: len(data)] == EQUALS)
    before, after = array[equals - 1], array[equals + 1]
    named = SEPARATOR[array[equals - 2]] & (after == QUOTE)  # a one-letter name: r="
    plain = equals[named & (before == ord("r"))]
    typed = equals[named & (before == ord("t"))]
    if np.any((array[typed + 2] == ord("e")) & (array[typed + 3] == QUOTE)):
        scan.markers.add("error")
    hidden = equals[before == ord("n")]
    for offset, char in enumerate(b"hidde", -6):
        hidden = hidden[array[hidden + offset] == char]
    if len(hidden):
        scan.markers.add("hidden")
    rows, columns, read = _read_references(array, plain + 2)
    if np.any(read):
        scan.max_row = max(scan.max_row, int(rows[read].max()))
        scan.max_column = max(scan.max_column, int(columns[read].max()))
    found, numbers = [plain[read]], [rows[read]]
    odd = [(int(at), data[at + 2 : data.find(b'"', at + 2)]) for at in plain[~read]]
    quoted: list[tuple[int, int]] = []
    for at in equals[SPACE[before] | SPACE[after] | (after == APOSTROPHE)]:
        value = _odd_attribute(data, int(at), scan, quoted)
        if value is not None:
            odd.append((int(at), value))
    for at, value in odd:  # long or odd values: one by one
        place = reference(value)
        if place is not None:
            scan.max_row = max(scan.max_row, place[0])
            scan.max_column = max(scan.max_column, place[1])
            found.append(np.array([at]))
            numbers.append(np.array([place[0]]))
    references, number = np.concatenate(found), np.concatenate(numbers)
    for start, end in quoted:  # their largest row and column still count: an upper bound
        outside = (references < start) | (references >= end)
        references, number = references[outside], number[outside]
    return references, number


def _read_references(array: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Row and column numbers of the references starting at `values`, and which of them
    were read (up to three letters and seven digits, then the closing quote)."""
    chars = [array[values + k] for k in range(4)]
    one = LETTER[chars[0]]
    two = one & LETTER[chars[1]]
    three = two & LETTER[chars[2]]
    upper = [(c & 0xDF).astype(np.int64) - 64 for c in chars[:3]]
    columns = np.where(one, upper[0], 0)
    columns = np.where(two, columns * 26 + upper[1], columns)
    columns = np.where(three, columns * 26 + upper[2], columns)
    first = values + one + two + three
    rows = np.zeros(len(values), dtype=np.int64)
    digits = np.zeros(len(values), dtype=np.intp)
    running = np.ones(len(values), dtype=bool)
    for k in range(8):
        char = array[first + k]
        running &= DIGIT[char]
        if not running.any():
            break
        rows = np.where(running, rows * 10 + char - 48, rows)
        digits += running
    closed = array[first + digits] == QUOTE
    return rows, columns, closed & ~running & (rows > 0) & ~(three & LETTER[chars[3]])


def _odd_attribute(
    data: bytes, at: int, scan: PartScan, quoted: list[tuple[int, int]]
) -> bytes | None:
    """The attribute at an `=` with whitespace around it or a single quote after it (or an
    = in text): the value of an `r` attribute is returned, markers noted, and a value in
    single quotes noted in `quoted` (it could hold what looks like another attribute)."""
    value = ODD_VALUE.match(data, at + 1)
    if value is None:
        return None
    text = value[1] if value[2] is None else value[2]
    if value[2] is not None:
        quoted.append(value.span(2))
    name = ODD_NAME.search(data, max(0, at - 256), at)
    if name is None:
        return None
    if name[1] == b"t" and text == b"e":
        scan.markers.add("error")
    elif name[1] == b"hidden":
        scan.markers.add("hidden")
    return text if name[1] == b"r" else None
