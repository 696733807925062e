"""Checks that run before a workbook is parsed: is it really an XLSX archive, and is it safe?

A few kilobytes can make a parser allocate terabytes: a zip bomb (an entry that inflates a
thousandfold), an entry whose declared size lies, one cell far away at XFD1048576 (calamine
allocates the whole rectangle up to the last cell and aborts the process when it cannot) or an
XML entity bomb. So the archive's central directory is checked first (declared sizes, ratios,
entry count), then every entry is inflated once, in chunks and never beyond its declared size,
while the worksheets are scanned for their extent and for features worth a closer look
(formulas, error values, hidden rows or columns). Nothing is parsed before all of that passed.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from poicheck.errors import InputError

MiB = 1 << 20
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 1024 * MiB  # inflated size of the whole workbook
MAX_RATIO = 200  # inflated / compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 16 * MiB
MAX_CELLS = 20_000_000  # rows x columns of the rectangle calamine allocates for a sheet
CHUNK = MiB
LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
LOCAL_SIGNATURE = 0x04034B50

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# NOTE: calamine positions a cell by its `r` attribute in any XML form (r = 'XFD1'), or, without
# one, right after the previous cell or row. Chunks are squeezed (whitespace dropped, quotes
# made double) so that one fast pattern sees every form; other attributes ending in r can
# only make the bound larger, and a bound too large for comfort is computed exactly instead.
SQUEEZE = bytes.maketrans(b"'", b'"'), b" \t\r\n"
REF_ROW = re.compile(rb'r="[A-Za-z]{0,3}([0-9]{1,7})"')
REF_COLUMN = re.compile(rb'r="([A-Za-z]{1,3})[0-9]')
# Cheap literal probes; a hit only means "look closer" (sheetxml parses precisely).
MARKERS = {
    "formula": (b"f>",),
    "error": (b'"e"',),
    "hidden": (b"hidden=",),
}


@dataclass
class PartScan:
    """What one worksheet part holds, as far as a byte scan can tell."""

    size: int = 0
    max_row: int = 0
    max_column: int = 0
    markers: set[str] = field(default_factory=set)
    cell_tags: int = 0  # tags starting with <c (cells and a few others: an upper bound)
    row_tags: int = 0
    cell_refs: int = 0
    row_refs: int = 0

    @property
    def unreferenced(self) -> int:
        """An upper bound of the cells without a reference (other tags start with <c too)."""
        return max(0, self.cell_tags - self.cell_refs)

    @property
    def cells(self) -> int:
        """An upper bound of the rectangle calamine allocates, from A1 to the last cell
        (cells and rows without a reference follow the previous ones)."""
        rows = self.max_row + max(0, self.row_tags - self.row_refs)
        columns = self.max_column + max(0, self.cell_tags - self.cell_refs)
        return rows * columns


@dataclass(frozen=True)
class Archive:
    """A workbook archive that passed the checks: entry names and worksheet scans."""

    names: frozenset[str]
    sheets: dict[str, PartScan]


def column_number(letters: bytes | str) -> int:
    """1-based column number of Excel column letters (A = 1, AA = 27)."""
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(char) - 64
    return number


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


def check_xlsx(path: Path) -> Archive:
    """Check a workbook archive before any parser sees it; raise InputError when it is unsafe,
    broken, encrypted or not a workbook at all."""
    with path.open("rb") as handle:
        kind = sniff(handle.read(4096))
    if kind != "zip":
        raise wrong_content(path, kind, "XLSX")
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            infos = archive.infolist()
            _check_directory(infos, path)
            sheets = {}
            for info in infos:
                scan = _inflate(raw, info, path, worksheet=_is_worksheet(info.filename))
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
    raw: BinaryIO, info: zipfile.ZipInfo, path: Path, *, worksheet: bool
) -> PartScan | None:
    """Inflate one entry in chunks, never past its declared size; scan worksheets on the way."""
    scanner = _Scanner(worksheet)
    produced = crc = 0
    for out in _chunks(raw, info):
        produced += len(out)
        crc = zlib.crc32(out, crc)
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
    inflater = zlib.decompressobj(-15)
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

    def __init__(self, worksheet: bool) -> None:
        self.worksheet = worksheet
        self.scan = PartScan()
        self.tail = b""

    def feed(self, chunk: bytes, name: str, path: Path) -> None:
        data = self.tail + chunk
        # Scan up to the last complete tag; the rest waits for the next chunk.
        cut = data.rfind(b">") + 1 if len(data) < 8 * CHUNK else len(data) - 64
        data, self.tail = data[:cut], data[cut:]
        self._check(data, name, path)

    def close(self, name: str, path: Path) -> None:
        data, self.tail = self.tail, b""
        self._check(data, name, path)

    def _check(self, data: bytes, name: str, path: Path) -> None:
        self.scan.size += len(data)
        if b"<!" in data and DECLARATION.search(data):
            raise InputError(
                f"entry {name!r} declares a DOCTYPE or XML entities, which workbooks never do "
                "(an XML entity bomb?): refusing it",
                location=str(path),
            )
        if not self.worksheet or not data:
            return
        squeezed = data.translate(*SQUEEZE)
        rows = REF_ROW.findall(squeezed)
        columns = REF_COLUMN.findall(squeezed)
        scan = self.scan
        if rows:
            scan.max_row = max(scan.max_row, *(int(r) for r in set(rows)))
        if columns:
            scan.max_column = max(scan.max_column, *(column_number(c) for c in set(columns)))
        scan.cell_refs += len(columns)
        scan.row_refs += len(rows) - len(columns)
        scan.cell_tags += squeezed.count(b"<c")
        scan.row_tags += squeezed.count(b"<row")
        for marker, probes in MARKERS.items():
            if marker not in scan.markers and any(p in squeezed for p in probes):
                scan.markers.add(marker)
