"""Big worksheets read in pieces, from the very bytes the safety scan checked.

While `safety.check_xlsx` inflates a big worksheet part, `Pieces` writes the blocks it checked
into uncompressed (stored) workbooks: the sheet's rows split at row tags into four pieces per
processor (eight at most), each with the sheet's opening and closing tags and the workbook's
own parts (workbook, relationships, styles, shared strings; the scan checks those first).
Calamine reads the pieces side by side (it releases the GIL), each as soon as the scan is
past it and its cells are known to fit, without inflating the sheet a second time and
without reading a file that might have changed since it was checked.

Pieces add up to the sheet only when every row and cell is placed by its reference (the scan
counts them). Anything unexpected, such as a piece calamine cannot read or pieces whose rows
overlap, falls back to reading the sheet whole, as does a machine with a single processor
(where a copy would cost about as much as it saves).
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from poicheck.files.limits import MiB
from poicheck.readers.xlsx.sheetscan import MAX_CELLS, PartScan
from poicheck.readers.xlsx.sheetxml import sheet_parts

SMALLEST = 16 * MiB  # smaller sheets are read whole: copying them would cost more than it saves
MOST = 8  # pieces at most, whatever the number of processors
FIRST_TAG = re.compile(rb"<([^?!/\s>][^\s/>]*)")
SHEET_DATA = re.compile(rb"<((?:[^\s/>:]+:)?sheetData)[\s>]")

Merged = tuple[tuple[int, int], tuple[int, int]]
Loaded = tuple[list[list[Any]], list[Merged]]
Piece = tuple[tuple[int, int], list[list[Any]], list[Merged]]  # first cell, rows, merged


@contextmanager
def temporary(path: Path) -> Iterator[Pieces | None]:
    """Pieces of the workbook at `path` in a temporary directory, removed afterwards (None
    with a single processor or no room for one: big sheets are then read whole)."""
    try:
        if processors() < 2:
            raise OSError("one processor: nothing to read side by side")
        directory = tempfile.TemporaryDirectory(prefix="poicheck-", ignore_cleanup_errors=True)
    except OSError:
        yield None
        return
    with directory:
        pieces = Pieces(path, Path(directory.name))
        try:
            yield pieces
        finally:
            pieces.close()


def processors() -> int:
    """The processors this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - not Linux


def placed(scan: PartScan) -> bool:
    """Whether every row and cell so far is placed by its reference (pieces add up)."""
    return not scan.unbounded and scan.unreferenced == 0 and scan.row_tags == scan.row_refs


class Pieces:
    """The piece workbooks of the big worksheet parts of the workbook at `path`."""

    def __init__(
        self, path: Path, directory: Path, count: int | None = None, *, smallest: int | None = None
    ) -> None:
        self.path = path
        self.directory = directory
        # Four times as many pieces as processors: the last one, read once the scan is
        # through, is small; the others are read (and turned into text) while the scan goes
        # on. (100k rows on 2 cores, 7 runs each: median 8.5 s with 4 pieces, 8.0 s with 8.)
        self.count = max(1, min(MOST, count or 4 * processors()))
        self.smallest = SMALLEST if smallest is None else smallest
        self.parts: dict[str, _Part] = {}
        self.pool = ThreadPoolExecutor(min(self.count, processors()))
        self._own: dict[str, bytes] | None = None  # the workbook's own parts
        self._names: dict[str, str] | None = None  # sheet name by part

    def copy(self, info: zipfile.ZipInfo) -> _Part | None:
        """The writer of a worksheet part's pieces (for `check_xlsx`), None for a small one."""
        if info.file_size < self.smallest:
            return None
        part = _Part(self, self.directory / f"{len(self.parts)}", info)
        self.parts[info.filename] = part
        return part

    def close(self) -> None:
        for part in self.parts.values():
            part.close()
        self.pool.shutdown(cancel_futures=True)
        # Parts and pieces refer to each other: without this, the cells the pieces' futures
        # hold would wait for a garbage collection, and millions of them would be freed at
        # some later point (in a forked worker too) rather than where the reader drops them.
        self.parts.clear()

    def load(
        self,
        part: str | None,
        name: str,
        scan: PartScan | None,
        each: Callable[[Piece], None] | None = None,
    ) -> Loaded | None:
        """The rows (from A1) and merged ranges of sheet `name` in `part`, read from its
        pieces; None when there are none or they cannot stand for the sheet. `each` sees
        every piece, in order, as soon as it is read (while the later ones are read)."""
        pieces = self.parts.get(part or "")
        if pieces is None or scan is None or pieces.broken:
            return None
        if len(pieces.files) > 1 and not placed(scan):
            return None
        loaded: list[Piece] = []
        for future in pieces.finish(name):
            piece = future.result()
            if piece is None:
                return None
            if each is not None:
                each(piece)
            loaded.append(piece)
        return _joined(loaded) if loaded else None

    def own_parts(self) -> dict[str, bytes]:
        """The parts calamine reads besides the sheet: workbook, relationships, styles,
        shared strings (checked before any worksheet)."""
        if self._own is None:
            with zipfile.ZipFile(self.path) as source:
                self._own = {n: source.read(n) for n in source.namelist() if _needed(n)}
        return self._own

    def sheet_of(self, part: str) -> str | None:
        """The name of the sheet in `part` (None when no sheet is)."""
        if self._names is None:
            try:
                with zipfile.ZipFile(self.path) as source:
                    self._names = {p: n for n, p in sheet_parts(source).items()}
            except (KeyError, StopIteration, SyntaxError, ValueError, zipfile.BadZipFile):
                self._names = {}
        return self._names.get(part)


class _Part:
    """Writes one worksheet part into pieces as its checked blocks come (`safety.Copy`), and
    has each piece read as soon as it is complete and known to be safe."""

    def __init__(self, pieces: Pieces, stem: Path, info: zipfile.ZipInfo) -> None:
        self.pieces = pieces
        self.stem = stem
        self.name = info.filename
        self.size = max(1, info.file_size // pieces.count)  # bytes per piece
        self.head = bytearray()  # the bytes before the first row
        self.closing: bytes | None = None  # the tags that end a piece before the last
        self.files: list[Path] = []
        self.archives: list[zipfile.ZipFile] = []
        self.read: list[Future[Piece | None]] = []
        self.stream: IO[bytes] | None = None
        self.written = 0
        self.broken = False

    def write(self, data: bytes, rows: np.ndarray, scan: PartScan) -> None:
        if self.broken:
            return
        try:
            self._write(data, rows)
            if len(self.files) > len(self.read) + 1 and scan.cells <= MAX_CELLS and placed(scan):
                self._read(len(self.files) - 1)  # the pieces before the one being written
        except OSError:  # no room left for the copy: the sheet is read whole
            self.broken = True
            self.close()

    def _write(self, data: bytes, rows: np.ndarray) -> None:
        if not self.files:
            if not len(rows):
                self.head += data
                return
            self.head += data[: rows[0]]
            self.closing = _closing(bytes(self.head))
            self._start()
            data, rows = data[rows[0] :], rows - rows[0]
        end = data.find(b"sheetData")  # its end tag: no row after it starts a piece
        if end >= 0:
            rows = rows[rows < end]
        while self.closing is not None and len(self.files) < self.pieces.count:
            later = rows[rows >= max(1, self.size - self.written)]
            if not len(later):
                break
            self._put(data[: later[0]] + self.closing)
            self._start()
            data, rows = data[later[0] :], later - later[0]
        self._put(data)
        if end >= 0:
            self.closing = None

    def finish(self, name: str) -> list[Future[Piece | None]]:
        """All pieces being read (none when they could not be written)."""
        try:
            if not self.files:  # no row at all: one piece, as it is
                self._start()
            self._end()
            self._read(len(self.files), name)
        except OSError:
            self.broken = True
        self.close()
        return [] if self.broken else self.read

    def close(self) -> None:
        self._end()
        for archive in self.archives:
            archive.close()

    def _read(self, upto: int, name: str | None = None) -> None:
        """Complete the pieces before `upto` and have them read."""
        name = name or self.pieces.sheet_of(self.name)
        if name is None:
            return
        for index in range(len(self.read), upto):
            if index == len(self.files) - 1:
                self._end()
            for part, content in self.pieces.own_parts().items():
                if part != self.name:
                    self.archives[index].writestr(part, content)
            self.archives[index].close()
            self.read.append(self.pieces.pool.submit(_load, self.files[index], name, index))

    def _start(self) -> None:
        self._end()
        file = self.stem.with_name(f"{self.stem.name}-{len(self.files)}.xlsx")
        archive = zipfile.ZipFile(file, "w", zipfile.ZIP_STORED)
        self.files.append(file)
        self.archives.append(archive)
        self.stream = archive.open(zipfile.ZipInfo(self.name), "w")
        self.written = 0
        self._put(bytes(self.head))

    def _put(self, data: bytes) -> None:
        assert self.stream is not None
        self.stream.write(data)
        self.written += len(data)

    def _end(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None


def _closing(head: bytes) -> bytes | None:
    """The end tags of the elements open at the first row (sheetData and the root), or None
    when the sheet is not laid out so (it stays in one piece)."""
    root, data = FIRST_TAG.search(head), SHEET_DATA.search(head)
    if root is None or data is None or head.rstrip().endswith(b"/>"):
        return None
    return b"</" + data[1] + b"></" + root[1] + b">"


def _needed(name: str) -> bool:
    """The parts calamine reads besides the sheet: workbook, relationships, styles, strings."""
    lower = name.lower()
    return lower.endswith((".rels", "workbook.xml", "styles.xml", "sharedstrings.xml")) or (
        lower == "[content_types].xml"
    )


def _load(file: Path, name: str, index: int) -> Piece | None:
    """The cells of one piece (the first one from A1, the others from their first cell)."""
    from python_calamine import CalamineWorkbook

    try:
        with CalamineWorkbook.from_path(str(file)) as workbook:
            sheet = workbook.get_sheet_by_name(name)
            start = sheet.start
            if start is None:
                return (0, 0), [], list(sheet.merged_cell_ranges or [])
            rows = sheet.to_python(skip_empty_area=index > 0)
            return (0, 0) if index == 0 else start, rows, list(sheet.merged_cell_ranges or [])
    except Exception:  # calamine's own errors: the sheet is read whole, which tells them
        return None


def _joined(pieces: list[Piece]) -> Loaded | None:
    """The rows of the pieces as one grid from A1 (None when their rows overlap)."""
    width = max((start[1] + len(rows[0]) for start, rows, _ in pieces if rows), default=0)
    grid: list[list[Any]] = []
    for (top, left), rows, _ in pieces:
        if not rows:
            continue
        if top < len(grid):
            return None
        grid.extend([""] * width for _ in range(top - len(grid)))
        if left or len(rows[0]) + left < width:
            rows = [[""] * left + row + [""] * (width - left - len(row)) for row in rows]
        grid.extend(rows)
    return grid, pieces[-1][2]
