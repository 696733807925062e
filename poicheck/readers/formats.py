"""The file formats poicheck reads, each once: how a file of it is read whole, in chunks, and
previewed for `poicheck map`. `read_table`, `read_tables` and `preview` dispatch through here
(poicheck.readers); the reader modules are imported only when a file of theirs is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping


@dataclass(frozen=True)
class ReadOptions:
    """What the user said about reading: the worksheet, the CSV encoding, a column mapping."""

    sheet: str | None = None
    encoding: str | None = None
    mapping: ColumnMapping | None = None


Chunks = Iterator[CanonicalTable]


@dataclass(frozen=True)
class Format:
    """A file format: `read` it whole; `chunks` (formats read in pieces) gives the chunks for
    `chunk_rows` (None: only when the file is too large to read at once); `preview` (tabular
    formats) gives its first rows as text."""

    read: Callable[[Path, RuleSet, ReadOptions], CanonicalTable]
    chunks: Callable[[Path, RuleSet, ReadOptions, int | None], Chunks | None] | None = None
    preview: Callable[[Path, ReadOptions, int], tuple[str, list[list[str]]]] | None = None


def _read_csv(path: Path, ruleset: RuleSet, options: ReadOptions) -> CanonicalTable:
    from poicheck.readers.csv import read_csv

    return read_csv(path, ruleset, encoding=options.encoding, mapping=options.mapping)


def _csv_chunks(
    path: Path, ruleset: RuleSet, options: ReadOptions, chunk_rows: int | None
) -> Chunks | None:
    from poicheck.readers.csv import CHUNK_ROWS, MAX_BYTES, read_csv_chunks

    if not chunk_rows and path.stat().st_size <= MAX_BYTES:
        return None
    return read_csv_chunks(
        path,
        ruleset,
        encoding=options.encoding,
        mapping=options.mapping,
        chunk_rows=chunk_rows or CHUNK_ROWS,
    )


def _preview_csv(path: Path, options: ReadOptions, limit: int) -> tuple[str, list[list[str]]]:
    from poicheck.readers.csv import preview_csv

    return str(path), preview_csv(path, options.encoding, limit)


def _read_xlsx(path: Path, ruleset: RuleSet, options: ReadOptions) -> CanonicalTable:
    from poicheck.readers.xlsx.reader import read_xlsx

    return read_xlsx(path, ruleset, sheet=options.sheet, mapping=options.mapping)


def _preview_xlsx(path: Path, options: ReadOptions, limit: int) -> tuple[str, list[list[str]]]:
    from poicheck.readers.xlsx.celltexts import cell_text
    from poicheck.readers.xlsx.reader import damaged, load_grid

    with damaged(path):
        grid, _ = load_grid(path, sheet=options.sheet)
    return f"{path} (sheet '{grid.name}')", [[cell_text(v) for v in r] for r in grid.rows[:limit]]


def _read_json(path: Path, ruleset: RuleSet, options: ReadOptions) -> CanonicalTable:
    from poicheck.readers.json import read_json

    return read_json(path, ruleset)


def _read_jsonl(path: Path, ruleset: RuleSet, options: ReadOptions) -> CanonicalTable:
    from poicheck.readers.jsonl import read_jsonl

    return read_jsonl(path, ruleset)


def _jsonl_chunks(
    path: Path, ruleset: RuleSet, options: ReadOptions, chunk_rows: int | None
) -> Chunks | None:
    from poicheck.readers import jsonl

    if not chunk_rows and path.stat().st_size <= jsonl.MAX_BYTES:
        return None
    return jsonl.read_jsonl_chunks(path, ruleset, chunk_rows=chunk_rows or jsonl.CHUNK_ROWS)


READERS = {
    "csv": Format(_read_csv, chunks=_csv_chunks, preview=_preview_csv),
    "xlsx": Format(_read_xlsx, preview=_preview_xlsx),
    "json": Format(_read_json),
    "jsonl": Format(_read_jsonl, chunks=_jsonl_chunks),
}

# File name suffix -> format.
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
