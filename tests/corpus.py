"""Messy and hostile inputs, built by the tests themselves: workbooks with native cell values,
formulas (with and without cached values), merged, hidden and formatted cells, several sheets;
CSV text in any encoding; damaged and crafted archives."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

# The input files of rule examples are written by the library (`poicheck rules test`).
from poicheck.ruleset.example_files import (
    Cell,
    cache_formula_values,
    csv_text,
    encoded_lines,
    native,
    rewrite_part,
    write_example,
    write_sheet,
)


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


__all__ = [
    "Cell",
    "cache_formula_values",
    "crafted_workbook",
    "csv_bytes",
    "csv_text",
    "deflated",
    "encoded_lines",
    "native",
    "raw_zip",
    "rewrite_part",
    "workbook_parts",
    "write_example",
    "write_sheet",
    "zeros_deflated",
]
