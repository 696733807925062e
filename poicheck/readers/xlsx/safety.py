"""Checks that run before a workbook is parsed: is it really an XLSX archive, and is it safe?

A few kilobytes can make a parser allocate terabytes: a zip bomb (an entry that inflates a
thousandfold), an entry whose declared size lies, one cell far away at XFD1048576 (calamine
allocates the whole rectangle up to the last cell and aborts the process when it cannot) or an
XML entity bomb. So the archive's central directory is checked first (declared sizes, ratios,
entry count), then every entry is inflated once, in chunks and never beyond its declared size,
while the worksheets are scanned for their extent and for features worth a closer look
(formulas, error values, hidden rows or columns: `sheetscan`). Nothing is parsed before all
of that passed.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

import numpy as np
from zlib_ng import zlib_ng

from poicheck.errors import InputError
from poicheck.files.limits import MiB
from poicheck.readers.xlsx import sheetxml
from poicheck.readers.xlsx.sheetscan import (
    LT,
    MAX_CELLS,
    PAD,
    PartScan,
    column_number,
    reference,
    scan_sheet,
)

__all__ = [
    "MAX_CELLS",
    "Archive",
    "PartScan",
    "check_extent",
    "check_xlsx",
    "column_number",
    "reference",
]

MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 1024 * MiB  # inflated size of the whole workbook
MAX_RATIO = 200  # inflated / compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 16 * MiB
CHUNK = MiB
LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
LOCAL_SIGNATURE = 0x04034B50

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
OPAQUE = 8 * CHUNK  # this much text without a tag start: the scan cannot bound the sheet


@dataclass(frozen=True)
class Archive:
    """A workbook archive that passed the checks: entry names and worksheet scans."""

    names: frozenset[str]
    sheets: dict[str, PartScan]


def sniff(head: bytes) -> str:
    """What a file's first bytes say it is: zip, ole, empty, html, xml, text or binary."""
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        return "html"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return "html" if b"<html" in text or b"<table" in text else "xml"
    if b"\x00" not in head[:4096]:
        try:
            head[:4096].decode("utf-8")
        except UnicodeDecodeError:
            return "binary" if sum(b < 9 for b in head[:4096]) > 8 else "text"
        return "text"
    return "binary"


def ole_is_encrypted(path: Path) -> bool:
    """True for an OLE2 container holding an encrypted OOXML package (a password-protected
    .xlsx), False for other OLE2 files (the old binary .xls)."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if ENCRYPTED_STREAM in tail + chunk:
                return True
            tail = chunk[-len(ENCRYPTED_STREAM) :]
    return False


def wrong_content(path: Path, kind: str, expected: str) -> InputError:
    """The message for a file whose content is not what its name says."""
    advice = {
        "empty": f"the file is empty (0 bytes), not an {expected} file",
        "ole": (
            "the workbook is password-protected (encrypted); save a copy without the password "
            "(Excel: File > Info > Protect Workbook > Encrypt with Password, clear it) and "
            "check that"
            if ole_is_encrypted(path)
            else "this is an old binary Excel workbook (.xls); save it as .xlsx "
            "(Excel: File > Save As > Excel Workbook) and check that"
        ),
        "zip": "this is an .xlsx workbook (or another zip archive) with another name; rename "
        "it to .xlsx",
        "html": "this is an HTML page or table with a spreadsheet name, not a workbook (some "
        "systems export HTML as .xls); export the data as .xlsx or .csv",
        "xml": "this is an XML file, not a workbook (an Excel 2003 XML spreadsheet?); save it "
        "as .xlsx",
        "text": "this is a text file, not a workbook; if it holds comma- or semicolon-separated "
        "values, rename it to .csv",
    }.get(
        kind,
        f"cannot open as an {expected} workbook: the file is neither a zip archive nor text "
        "(damaged, or not a workbook)",
    )
    return InputError(advice, location=str(path))


class Copy(Protocol):
    """Takes the bytes of a worksheet part as they pass the scan: blocks cut before a tag,
    with the positions of the row tags in each and the scan of the part so far."""

    def write(self, data: bytes, rows: np.ndarray, scan: PartScan) -> None: ...


def check_xlsx(
    path: Path, *, copy: Callable[[zipfile.ZipInfo], Copy | None] | None = None
) -> Archive:
    """Check a workbook archive before any parser sees it; raise InputError when it is unsafe,
    broken, encrypted or not a workbook at all. `copy` may ask for the scanned bytes of a
    worksheet part, once the workbook's own parts passed (a part passes as a whole: the
    bytes are safe as far as the scan of the part so far tells)."""
    with path.open("rb") as handle:
        kind = sniff(handle.read(4096))
    if kind != "zip":
        raise wrong_content(path, kind, "XLSX")
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            infos = archive.infolist()
            _check_directory(infos, path)
            sheets = {}
            # The workbook's own parts first: pieces of a sheet may be read before it ends.
            for info in sorted(infos, key=lambda info: _is_worksheet(info.filename)):
                worksheet = _is_worksheet(info.filename)
                sink = copy(info) if copy is not None and worksheet else None
                scan = _inflate(raw, info, path, worksheet=worksheet, sink=sink)
                if scan is not None:
                    sheets[info.filename] = scan
    except zipfile.BadZipFile as exc:
        raise InputError(
            f"the workbook is damaged or incomplete (a truncated download?): {exc}",
            location=str(path),
        ) from exc
    except (
        zipfile.LargeZipFile,
        EOFError,
        ValueError,
        struct.error,
        zlib.error,
        cast("type[Exception]", zlib_ng.error),  # typed as an instance in its stubs
        NotImplementedError,
    ) as exc:
        raise InputError(f"the workbook is damaged: {exc}", location=str(path)) from exc
    names = frozenset(info.filename for info in infos)
    if not any(name.lower().endswith("workbook.xml") for name in names):
        raise InputError(
            "a zip archive, but not an Excel workbook (no xl/workbook.xml); an .ods, .docx or "
            "plain zip file with an .xlsx name?",
            location=str(path),
        )
    return Archive(names=names, sheets=sheets)


def check_extent(path: Path, name: str, part: str | None, archive: Archive) -> None:
    """Refuse a sheet whose cell rectangle calamine could not allocate (one cell at
    XFD1048576 makes it ask for half a terabyte, and abort). The scan's bound decides; where
    it is too coarse, the sheet is parsed for its exact extent."""
    if part is not None and part in archive.names:
        scan = archive.sheets.get(part)  # None: a sheet in a part named like another
        suspects = [part] if scan is None or scan.cells > MAX_CELLS else []
    else:  # an unusual package layout: every sheet the scan could not bound
        suspects = [p for p, scan in archive.sheets.items() if scan.cells > MAX_CELLS]
    for suspect in suspects:
        with zipfile.ZipFile(path) as zipped:
            rows, columns = sheetxml.extent(zipped, suspect)
        if rows * columns > MAX_CELLS:
            raise InputError(
                f"sheet '{name}' spans {rows:,} rows x {columns:,} columns ({rows * columns:,} "
                f"cells, more than the {MAX_CELLS:,} poicheck reads); delete the stray cells "
                "far below or right of the data, or split the file",
                location=str(path),
            )


NOT_SHEETS = ("sharedstrings.xml", "styles.xml", "workbook.xml", "[content_types].xml")


def _is_worksheet(name: str) -> bool:
    """Every XML part that may hold a sheet: a package may put sheets anywhere its
    relationships point to, so only the big parts that are surely something else are left
    out of the scan (they are still inflated and checked)."""
    lower = name.lower()
    return (
        lower.endswith(".xml")
        and not lower.endswith(NOT_SHEETS)
        and not lower.startswith(("docprops/", "xl/theme/"))
    )


def _check_directory(infos: list[zipfile.ZipInfo], path: Path) -> None:
    if len(infos) > MAX_ENTRIES:
        raise InputError(
            f"the workbook archive has {len(infos)} entries; refusing more than {MAX_ENTRIES}",
            location=str(path),
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            f"the workbook would inflate to {total // MiB} MiB (more than "
            f"{MAX_TOTAL_BYTES // MiB} MiB): refusing it (a zip bomb, or split the data)",
            location=str(path),
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputError(
                "the workbook archive is encrypted; save a copy without a password",
                location=str(path),
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(
                f"entry {info.filename!r} uses a compression Excel never writes "
                f"(method {info.compress_type})",
                location=str(path),
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise InputError(
                f"entry {info.filename!r} would inflate {ratio:.0f}-fold to "
                f"{info.file_size // MiB} MiB: refusing it (a zip bomb?)",
                location=str(path),
            )


def _inflate(
    raw: BinaryIO, info: zipfile.ZipInfo, path: Path, *, worksheet: bool, sink: Copy | None
) -> PartScan | None:
    """Inflate one entry in chunks, never past its declared size; scan worksheets on the way."""
    scanner = _Scanner(worksheet, sink)
    produced = crc = 0
    for out in _chunks(raw, info):
        produced += len(out)
        crc = zlib_ng.crc32(out, crc)
        if produced > info.file_size:
            raise InputError(
                f"entry {info.filename!r} inflates beyond its declared size "
                f"({info.file_size} bytes): a crafted archive, refusing it",
                location=str(path),
            )
        scanner.feed(out, info.filename, path)
    scanner.close(info.filename, path)
    if produced != info.file_size:
        raise zipfile.BadZipFile(f"entry {info.filename!r} is shorter than declared")
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"entry {info.filename!r} fails its checksum")
    return scanner.scan if worksheet else None


def _chunks(raw: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The inflated bytes of one entry, at most CHUNK at a time (memory stays bounded)."""
    raw.seek(info.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    if len(header) < LOCAL_HEADER.size or LOCAL_HEADER.unpack(header)[0] != LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"entry {info.filename!r} has no local header")
    fields = LOCAL_HEADER.unpack(header)
    name = raw.read(fields[9]).decode("utf-8" if fields[2] & 0x800 else "cp437", "replace")
    if name != info.orig_filename:  # as zipfile checks it when the entry is opened later
        raise zipfile.BadZipFile(f"entry {info.filename!r} has another name in its header")
    raw.seek(info.header_offset + LOCAL_HEADER.size + fields[9] + fields[10])
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            data = raw.read(min(CHUNK, left))
            if not data:
                raise zipfile.BadZipFile(f"entry {info.filename!r} is cut short")
            left -= len(data)
            yield data
        return
    inflater = zlib_ng.decompressobj(-15)  # zlib-ng: a third of zlib's time
    while not inflater.eof:
        data = inflater.unconsumed_tail
        if not data and left > 0:
            data = raw.read(min(CHUNK, left))
            if not data:
                raise zipfile.BadZipFile(f"entry {info.filename!r} is cut short")
            left -= len(data)
        out = inflater.decompress(data, CHUNK)
        if not out and not data:
            raise zipfile.BadZipFile(f"entry {info.filename!r} is cut short")
        if out:
            yield out


class _Scanner:
    """Scans inflated chunks: XML declarations everywhere, extent and markers in worksheets."""

    def __init__(self, worksheet: bool, sink: Copy | None = None) -> None:
        self.worksheet = worksheet
        self.sink = sink
        self.scan = PartScan()
        self.tail = b""

    def feed(self, chunk: bytes, name: str, path: Path) -> None:
        data = self.tail + chunk
        # Scan up to the last tag start, so that no tag is cut; the rest waits for more.
        cut = data.rfind(b"<")
        if cut <= 0:
            if len(data) < OPAQUE:
                self.tail = data
                return
            cut = len(data)
            self.scan.unbounded = True
        data, self.tail = data[:cut], data[cut:]
        self._check(data, name, path)

    def close(self, name: str, path: Path) -> None:
        data, self.tail = self.tail, b""
        self._check(data, name, path)

    def _check(self, data: bytes, name: str, path: Path) -> None:
        self.scan.size += len(data)
        if not data or not (self.worksheet or b"!" in data):
            return
        array = np.frombuffer(data + PAD, dtype=np.uint8)
        if b"!" in data and _declares(data, array):
            raise InputError(
                f"entry {name!r} declares a DOCTYPE or XML entities, which workbooks never do "
                "(an XML entity bomb?): refusing it",
                location=str(path),
            )
        if self.worksheet:
            rows = scan_sheet(data, array, self.scan)
            if self.sink is not None:
                self.sink.write(data, rows, self.scan)


def _declares(data: bytes, array: np.ndarray) -> bool:
    marks = np.flatnonzero(array[: len(data)] == ord("!"))
    return any(DECLARATION.match(data, at - 1) for at in marks[array[marks - 1] == LT])
