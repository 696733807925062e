"""A direct look into a workbook's XML for what calamine does not tell: which part holds a
sheet, formulas and their cached values, error values, hidden rows and columns, and the
number format of a cell.

Only called once `safety.check_xlsx` passed (no DOCTYPE, bounded sizes), and only for what a
sheet's byte scan said is there: a clean workbook never pays for this.
"""

from __future__ import annotations

import html
import posixpath
import re
import xml.parsers.expat
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from poicheck.readers.xlsx.sheetscan import column_number, reference

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
TRUE_VALUES = ("1", "true")
# A number format that shows a whole number as text: literals around a run of zeros, such as
# 00000 (postal codes) or "+"0 (phone numbers). Excel shows $ - + / ( ) : and space unquoted.
LITERAL = r'(?:"[^"]*"|\\.|[$+\-/():  ])'
TEXT_FORMAT = re.compile(rf"({LITERAL}*)(0+)({LITERAL}*)")


@dataclass
class SheetFacts:
    """What the sheet XML says beyond the values (0-based row and column positions)."""

    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # without cached value
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    styles: dict[tuple[int, int], int] = field(default_factory=dict)


def local(name: str) -> str:
    """An element or attribute name without its namespace prefix or URI."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name (xl/worksheets/sheet1.xml), from the workbook and its rels."""
    workbook = _workbook_part(archive)
    targets: dict[str, str] = {}
    rels = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook))
    if rels + ".rels" in archive.namelist():
        for rel in ElementTree.fromstring(archive.read(rels + ".rels")):
            target = rel.get("Target", "")
            if target.startswith("/"):
                target = target.lstrip("/")
            else:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(workbook), target))
            targets[rel.get("Id", "")] = target
    parts: dict[str, str] = {}
    for element in ElementTree.fromstring(archive.read(workbook)).iter():
        if local(element.tag) == "sheet":
            rel_id = element.get(f"{{{REL_NS}}}id") or element.get("id") or ""
            parts[element.get("name", "")] = targets.get(rel_id, "")
    return parts


def _workbook_part(archive: zipfile.ZipFile) -> str:
    names = archive.namelist()
    if "xl/workbook.xml" in names:
        return "xl/workbook.xml"
    return next(n for n in names if n.lower().endswith("workbook.xml"))


def number_formats(archive: zipfile.ZipFile) -> list[str]:
    """The number format code of every cell style (index = the cell's `s` attribute)."""
    if "xl/styles.xml" not in archive.namelist():
        return []
    root = ElementTree.fromstring(archive.read("xl/styles.xml"))
    custom: dict[str, str] = {}
    formats: list[str] = []
    for element in root.iter():
        name = local(element.tag)
        if name == "numFmt":
            custom[element.get("numFmtId", "")] = element.get("formatCode", "")
        elif name == "cellXfs":
            for xf in element:
                formats.append(custom.get(xf.get("numFmtId", "0"), "General"))
    return formats


def displayed(number: float, code: str) -> str | None:
    """How Excel shows a whole number under a padding or prefixing format, else None."""
    section = code.split(";", 1)[0]
    match = TEXT_FORMAT.fullmatch(section)
    if match is None or number < 0 or not number.is_integer() or number >= 1e15:
        return None
    prefix, zeros, suffix = (_literal(match.group(i)) for i in (1, 2, 3))
    return f"{prefix}{int(number):0{len(zeros)}d}{suffix}"


def _literal(text: str) -> str:
    return re.sub(r'"([^"]*)"|\\(.)', lambda m: m.group(1) or m.group(2) or "", text)


def scan_sheet(
    archive: zipfile.ZipFile,
    part: str,
    *,
    style_columns: frozenset[int] = frozenset(),
    markers: frozenset[str] = frozenset({"formula", "error", "hidden"}),
    exact: bool = False,
) -> SheetFacts:
    """Formulas without cached values, error values, hidden rows and columns, and the style
    of the cells in `style_columns` (0-based).

    The sheet XML is searched for these elements only (a regular expression finds them, and
    only their own cell is parsed), which costs a fraction of parsing every element. A sheet
    whose cells or rows lack references (`exact`, or found on the way) is parsed in full.
    """
    if not exact:
        data = archive.read(part)
        try:
            return _search(data, style_columns, markers)
        except _UnplacedError:
            pass
    return _parse(archive, part, style_columns)


class _UnplacedError(Exception):
    """An element without a reference: only a full parse can place it."""


NAME = rb"(?:[A-Za-z_][\w.-]*:)?"
ATTRIBUTE = re.compile(rb"([A-Za-z_][\w.:-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
CELL_START = re.compile(rb"<" + NAME + rb"c[\s>/]")
CELL_END = re.compile(rb"</" + NAME + rb"c>|<" + NAME + rb"c[\s>/]")
VALUE = re.compile(rb"\s*<" + NAME + rb"v(?:\s[^>]*)?>([^<]*)</" + NAME + rb"v>")
# NOTE: each search starts with a literal (Python's re then skips ahead at C speed); a
# namespace prefix (x:f) is searched only when the sheet uses one.
FORMULA = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>([^<]*)</" + NAME + rb"f>)")
PREFIXED_FORMULA = re.compile(rb":f(?:\s[^>]*)?(?:/>|>([^<]*)</" + NAME + rb"f>)")
ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")
HIDDEN = re.compile(rb"""hidden\s*=\s*["'](?:1|true)["']""")


def _search(data: bytes, style_columns: frozenset[int], markers: frozenset[str]) -> SheetFacts:
    facts = SheetFacts()
    if "formula" in markers:
        _formulas(data, facts)
    if "error" in markers:
        for match in ERROR_TYPE.finditer(data):
            if data[match.start() - 1 : match.start()].isspace():
                _error(data, match, facts)
    if "hidden" in markers:
        for match in HIDDEN.finditer(data):
            if data[match.start() - 1 : match.start()].isspace():
                _hidden(data, match, facts)
    if style_columns:
        _styles(data, style_columns, facts)
    return facts


def _formulas(data: bytes, facts: SheetFacts) -> None:
    patterns = [FORMULA] + ([PREFIXED_FORMULA] if b":f" in data else [])
    for pattern in patterns:
        for match in pattern.finditer(data):
            if pattern is PREFIXED_FORMULA and not FORMULA_TAG.match(
                data, _tag_start(data, match.start())
            ):
                continue
            cached = VALUE.match(data, match.end())
            if cached is not None and cached.group(1).strip():
                continue  # the usual case: a formula with its computed value
            where, attrs = _cell_around(data, match.start())
            if attrs.get("t", "n") not in ("e", "str", "inlineStr"):
                raw = match.group(1)
                text = html.unescape(raw.decode("utf-8", "replace")) if raw else ""
                facts.formulas[where] = "=" + text if text else "(shared)"


FORMULA_TAG = re.compile(rb"<" + NAME + rb"f[\s>/]")


def _tag_start(data: bytes, position: int) -> int:
    return data.rfind(b"<", 0, position + 1)


def _error(data: bytes, match: re.Match[bytes], facts: SheetFacts) -> None:
    where, _ = _cell_around(data, match.start())
    end = CELL_END.search(data, data.find(b">", match.end()))
    body = data[match.end() : end.start() if end else len(data)]
    value = VALUE.search(body)
    facts.errors[where] = value.group(1).decode("utf-8", "replace") if value else "#VALUE!"


def _hidden(data: bytes, match: re.Match[bytes], facts: SheetFacts) -> None:
    start = _tag_start(data, match.start())
    attrs = _attributes(data[start : data.find(b">", match.end()) + 1])
    tag = local(re.split(rb"[\s/>]", data[start + 1 : match.start() + 1])[0].decode())
    if tag == "row":
        if not attrs.get("r", "").isdigit():
            raise _UnplacedError
        facts.hidden_rows.add(int(attrs["r"]) - 1)
    elif tag == "col":
        first, last = int(attrs.get("min", "1")), int(attrs.get("max", "1"))
        facts.hidden_columns.update(range(first - 1, min(last, 16384)))


def _cell_around(data: bytes, position: int) -> tuple[tuple[int, int], dict[str, str]]:
    """(row, column) and attributes of the cell element that holds `position`."""
    start = None
    for match in CELL_START.finditer(data, max(0, position - 4096), position + 1):
        start = match.start()
    if start is None:
        raise _UnplacedError
    attrs = _attributes(data[start : data.find(b">", start) + 1])
    ref = CELL_REF.fullmatch(attrs.get("r", ""))
    if ref is None:
        raise _UnplacedError
    return (int(ref.group(2)) - 1, column_number(ref.group(1)) - 1), attrs


def _attributes(tag: bytes) -> dict[str, str]:
    return {
        local(name.decode()): html.unescape((double or single).decode("utf-8", "replace"))
        for name, double, single in ATTRIBUTE.findall(tag)
    }


def _styles(data: bytes, columns: frozenset[int], facts: SheetFacts) -> None:
    letters = b"|".join(_letters(c).encode() for c in sorted(columns))
    cells = re.compile(
        rb"<" + NAME + rb"c\s[^>]*?\br\s*=\s*[\"'](" + letters + rb")([0-9]+)[\"'][^>]*>"
    )
    for match in cells.finditer(data):
        style = _attributes(match.group(0)).get("s", "0")
        if style.isdigit():
            where = (int(match.group(2)) - 1, column_number(match.group(1)) - 1)
            facts.styles[where] = int(style)


def _letters(column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _parse(archive: zipfile.ZipFile, part: str, style_columns: frozenset[int]) -> SheetFacts:
    """The same facts from a full parse of the sheet (every element placed)."""
    state = _State(style_columns)
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.text
    parser.StartDoctypeDeclHandler = _refuse  # safety checked already; never expand entities
    parser.EntityDeclHandler = _refuse
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return state.facts


def extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """(last row, last column), 1-based, of the cells of a sheet, placed as calamine places
    them: by their reference, or else in the current row (set by the row's reference, one
    more at each row's end) after the previous cell. For when the byte scan's bound is too
    coarse (rows or cells without references, references it cannot read)."""
    state = [0, 0, 0, 0]  # row and column index (0-based), last row and column (1-based)

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        place = reference(attrs["r"]) if "r" in attrs else None
        if tag == "row" and place is not None:
            state[0] = place[0] - 1
        elif tag == "c":
            if place is not None and place[1]:
                row, state[1] = place[0] - 1, place[1] - 1
            else:
                row = state[0]
            state[2], state[3] = max(state[2], row + 1), max(state[3], state[1] + 1)
            state[1] += 1

    def end(name: str) -> None:
        if local(name) == "row":
            state[0], state[1] = state[0] + 1, 0

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return state[2], state[3]


def _refuse(*args: Any) -> None:
    raise ValueError("DOCTYPE or entity declaration in a worksheet")


class _State:
    """Tracks the current row and cell while expat walks the sheet."""

    def __init__(self, style_columns: frozenset[int]) -> None:
        self.facts = SheetFacts()
        self.style_columns = style_columns
        self.row = -1
        self.column = -1
        self.cell: dict[str, str] | None = None
        self.reading: str | None = None  # "f" or "v" while inside one of them
        self.formula: str | None = None
        self.value: str | None = None
        self.buffer: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        if tag == "row":
            self.row = int(attrs["r"]) - 1 if attrs.get("r", "").isdigit() else self.row + 1
            self.column = -1
            if attrs.get("hidden") in TRUE_VALUES:
                self.facts.hidden_rows.add(self.row)
        elif tag == "c":
            self._cell(attrs)
        elif tag in ("f", "v") and self.cell is not None:
            self.reading, self.buffer = tag, []
            if tag == "f":
                self.formula = ""
        elif tag == "col" and attrs.get("hidden") in TRUE_VALUES:
            first, last = int(attrs.get("min", "1")), int(attrs.get("max", "1"))
            self.facts.hidden_columns.update(range(first - 1, min(last, 16384)))

    def _cell(self, attrs: dict[str, str]) -> None:
        match = CELL_REF.fullmatch(attrs.get("r", ""))
        if match:
            self.row = int(match.group(2)) - 1
            self.column = column_number(match.group(1)) - 1
        else:
            self.column += 1
        self.cell, self.formula, self.value = attrs, None, None
        if self.column in self.style_columns and attrs.get("s", "0").isdigit():
            self.facts.styles[(self.row, self.column)] = int(attrs.get("s", "0"))

    def text(self, data: str) -> None:
        if self.reading is not None:
            self.buffer.append(data)

    def end(self, name: str) -> None:
        tag = local(name)
        if tag in ("f", "v") and self.reading == tag:
            if tag == "f":
                self.formula = "".join(self.buffer)
            else:
                self.value = "".join(self.buffer)
            self.reading = None
        elif tag == "c" and self.cell is not None:
            self._end_cell(self.cell)
            self.cell = None

    def _end_cell(self, attrs: dict[str, str]) -> None:
        where = (self.row, self.column)
        kind = attrs.get("t", "n")
        if kind == "e":
            self.facts.errors[where] = self.value or "#VALUE!"
        elif self.formula is not None and not self.value and kind not in ("str", "inlineStr"):
            # A string result may be cached as an empty <v/>; a number never is.
            self.facts.formulas[where] = "=" + self.formula if self.formula else "(shared)"
