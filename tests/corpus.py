"""Messy and hostile inputs, built by the tests themselves: workbooks with native cell values,
formulas (with and without cached values), merged, hidden and formatted cells, several sheets;
CSV text in any encoding; damaged and crafted archives."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Cell = Any


def native(cell: Cell) -> Any:
    """A cell of an example as the value openpyxl writes (see rulefile.schema.json)."""
    if isinstance(cell, Mapping):
        if "repeat" in cell:
            return str(cell["repeat"]) * int(cell["times"])
        if "date" in cell:
            return dt.date.fromisoformat(str(cell["date"]))
        if "formula" in cell:
            return str(cell["formula"])
    return cell


def write_sheet(
    path: Path,
    rows: Sequence[Sequence[Cell]],
    *,
    title: str = "EVSE",
    merged: Sequence[str] = (),
    hidden_rows: Sequence[int] = (),
    hidden_columns: Sequence[str] = (),
    number_formats: Mapping[str, str] | None = None,
    sheets: Sequence[Mapping[str, Any]] = (),
) -> Path:
    """A workbook whose first sheet holds `rows` with their native types."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append([native(cell) for cell in row])
    for ref in merged:
        sheet.merge_cells(ref)
    for number in hidden_rows:
        sheet.row_dimensions[number].hidden = True
    for letter in hidden_columns:
        sheet.column_dimensions[letter].hidden = True
    for ref, code in (number_formats or {}).items():
        sheet[ref].number_format = code
    for extra in sheets:
        more = book.create_sheet(extra["name"])
        more.append(list(extra.get("header", ["EvseID"])))
        more.sheet_state = extra.get("state", "visible")  # type: ignore[assignment]
    book.save(path)
    cached = {
        _ref(r, c): cell["value"]
        for r, row in enumerate(rows)
        for c, cell in enumerate(row)
        if isinstance(cell, Mapping) and "formula" in cell and "value" in cell
    }
    if cached:
        cache_formula_values(path, cached)
    return path


def _ref(row: int, column: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def cache_formula_values(path: Path, values: Mapping[str, Any]) -> None:
    """Give formulas the cached value Excel would store (openpyxl writes none)."""

    def patch(xml: str) -> str:
        for ref, value in values.items():
            pattern = rf'<c r="{ref}"([^>]*)>(<f>.*?</f>)<v\s*/?>(?:</v>)?</c>'
            xml = re.sub(pattern, functools.partial(_cached, ref=ref, value=value), xml)
        return xml

    rewrite_part(path, "xl/worksheets/sheet1.xml", patch)


def _cached(match: re.Match[str], *, ref: str, value: Any) -> str:
    kind = "str" if isinstance(value, str) else "n"
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}"{match.group(1)} t="{kind}">{match.group(2)}<v>{text}</v></c>'


def rewrite_part(path: Path, name: str, change: Any) -> None:
    """Rewrite one part of an archive (text in, text out)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == name:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)


def csv_text(rows: Sequence[Sequence[Cell]], *, delimiter: str = ",") -> str:
    """Rows as CSV text (cells as the user would see them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if c is None else str(native(c)) for c in row])
    return buffer.getvalue()


def csv_bytes(
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\n",
    bom: bytes = b"",
    quoting: int = csv.QUOTE_MINIMAL,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerows(rows)
    return bom + buffer.getvalue().encode(encoding)


def write_example(directory: Path, example: Mapping[str, Any]) -> tuple[Path, Path | None]:
    """The input file (and mapping file) of a rule example of form `csv` or `sheet`."""
    mapping = None
    if "mapping" in example:
        mapping = directory / "mapping.yaml"
        mapping.write_text(json.dumps(example["mapping"], ensure_ascii=False), encoding="utf-8")
    if "csv" in example:
        path = directory / "example.csv"
        path.write_bytes(encoded_lines(example))
        return path, mapping
    rows = example["sheet"]
    if example.get("format") == "csv":
        path = directory / "example.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        return path, mapping
    options = {
        key: example[key]
        for key in ("merged", "hidden_rows", "hidden_columns", "number_formats", "sheets")
        if key in example
    }
    return write_sheet(directory / "example.xlsx", rows, **options), mapping


def encoded_lines(example: Mapping[str, Any]) -> bytes:
    """A `csv` example's bytes: UTF-8, or its `encoding` (on its `lines` only, if given)."""
    encoding = str(example.get("encoding", "utf-8"))
    lines = str(example["csv"]).splitlines(keepends=True)
    chosen = set(example.get("lines", range(1, len(lines) + 1)))
    return b"".join(
        line.encode(encoding if number in chosen else "utf-8")
        for number, line in enumerate(lines, start=1)
    )


# --- hostile archives ----------------------------------------------------------------------

LOCAL = struct.Struct("<IHHHHHIIIHH")
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
END = struct.Struct("<IHHHHIIH")


def zeros_deflated(size: int) -> bytes:
    """A raw deflate stream of `size` zero bytes (a multiple of 1 MiB), built in milliseconds:
    one flushed block repeated, as zip bombs are made."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * (1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * (size >> 20) + compressor.flush()


def raw_zip(path: Path, entries: Sequence[tuple[str, bytes, int, int]]) -> Path:
    """A zip archive written by hand: (name, deflated data, declared size, crc) per entry, so
    that declared sizes can lie."""
    body = bytearray()
    central = bytearray()
    for name, data, size, crc in entries:
        encoded = name.encode()
        offset = len(body)
        body += LOCAL.pack(0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        body += encoded + data
        central += CENTRAL.pack(
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    end = END.pack(0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def workbook_parts(rows: Sequence[Sequence[Cell]]) -> dict[str, bytes]:
    """The parts of a small valid workbook, uncompressed."""
    buffer = io.BytesIO()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def crafted_workbook(
    path: Path,
    *,
    replace: Mapping[str, tuple[bytes, int]] | None = None,
    parts: Mapping[str, bytes] | None = None,
) -> Path:
    """A valid small workbook with some parts replaced: `parts` by honest content, `replace`
    by (deflated data, declared size) that may lie."""
    contents = {**workbook_parts([["EvseID", "Address.City"], ["DE*PCK*E1", "Berlin"]])}
    contents.update(parts or {})
    entries = []
    for name, data in contents.items():
        if replace and name in replace:
            stream, size = replace[name]
            entries.append((name, stream, size, 0))
        else:
            entries.append((name, deflated(data), len(data), zlib.crc32(data)))
    return raw_zip(path, entries)
