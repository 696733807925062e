"""The input files of rule examples in `csv` and `sheet` form (see rulefile.schema.json):
CSV text in any encoding, and workbooks with native cell values, formulas (with and without
cached values), merged and hidden cells, number formats and further sheets.

`poicheck rules test` writes them to run a rule file's own examples, as the project's tests
do for the shipped rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from poicheck.table.origin import cell_reference

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
    from openpyxl import Workbook

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
        more.sheet_state = extra.get("state", "visible")
    book.save(path)
    cached = {
        cell_reference(r, c): cell["value"]
        for r, row in enumerate(rows)
        for c, cell in enumerate(row)
        if isinstance(cell, Mapping) and "formula" in cell and "value" in cell
    }
    if cached:
        cache_formula_values(path, cached)
    return path


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


def rewrite_part(path: Path, name: str, change: Callable[[str], str]) -> None:
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
