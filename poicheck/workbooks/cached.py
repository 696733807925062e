"""The cached values of a user's formulas, kept in the workbooks poicheck writes from theirs.

openpyxl keeps a formula but not the value Excel last computed for it: it saves
`<c r="B2"><f>A2</f><v/></c>`. Every program that reads values (calamine, and so poicheck
itself, pandas, a push tool) then sees an empty cell, and poicheck would report XLS003 on
its own annotated copy. The values are copied back from the original workbook's sheet XML,
as they were stored (type and text verbatim, nothing converted), into the formula cells of
the same sheet and reference that have none.

A value that the copy's changes may have made stale (`form --template` writes answers that a
template formula could use) is the value the original held until a spreadsheet program opens
the copy: openpyxl marks every workbook it saves for a full recalculation on loading.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

from poicheck.readers.xlsx import sheetxml

# A cell, self-closing or with content; attributes and content as written (no namespace
# prefix: openpyxl writes none, and a sheet written with one simply keeps no value).
CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
TYPE = re.compile(rb'\s*\bt="[^"]*"')
FORMULA = re.compile(rb"<f\b[^>]*(?:/>|>.*?</f>)", re.S)
VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
EMPTY_VALUE = re.compile(rb"<v\s*/>|<v>\s*</v>")

Cached = dict[bytes, tuple[bytes, bytes]]  # cell reference -> (type attribute, value text)


def cached_values(archive: zipfile.ZipFile) -> dict[str, Cached]:
    """Sheet name -> the cached value of every formula cell that has one."""
    out: dict[str, Cached] = {}
    for name, part in _parts(archive).items():
        xml = archive.read(part)
        if b"<f" not in xml:  # no formula: nothing to look at cell by cell
            continue
        found: Cached = {}
        for match in CELL.finditer(xml):
            body = match.group(2) or b""
            value = VALUE.search(body) if b"<f" in body else None
            ref = REF.search(match.group(1))
            if value is not None and ref is not None:
                kind = re.search(rb'\bt="([^"]*)"', match.group(1))
                found[ref.group(1)] = (kind.group(1) if kind else b"n", value.group(1))
        if found:
            out[name] = found
    return out


def keep_cached(source: Path, data: bytes) -> bytes:
    """The workbook `data` (saved by openpyxl from the workbook at `source`) with the cached
    values of `source`'s formulas written back; unchanged when there are none."""
    try:
        with zipfile.ZipFile(source) as original:
            values = cached_values(original)
    except (OSError, zipfile.BadZipFile, KeyError):
        return data  # openpyxl read it a moment ago; keeping values is best effort
    if not values:
        return data
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as saved,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        parts = {part: values[name] for name, part in _parts(saved).items() if name in values}
        for info in saved.infolist():
            content = saved.read(info)
            if info.filename in parts:
                content = _filled(content, parts[info.filename])
            target.writestr(info, content)
    return buffer.getvalue()


def _parts(archive: zipfile.ZipFile) -> dict[str, str]:
    names = set(archive.namelist())
    try:
        parts = sheetxml.sheet_parts(archive)
    except (KeyError, StopIteration, SyntaxError, ValueError):
        return {}
    return {name: part for name, part in parts.items() if part in names}


def _filled(xml: bytes, values: Mapping[bytes, tuple[bytes, bytes]]) -> bytes:
    def fill(match: re.Match[bytes]) -> bytes:
        attributes, body = match.group(1), match.group(2)
        value = VALUE.search(body or b"")
        if not body or b"<f" not in body or (value is not None and value.group(1).strip()):
            return match.group(0)
        ref = REF.search(attributes)
        cached = values.get(ref.group(1)) if ref else None
        formula = FORMULA.search(body)
        if cached is None or formula is None:
            return match.group(0)
        kind, text = cached
        rest = EMPTY_VALUE.sub(b"", body[formula.end() :])
        typed = TYPE.sub(b"", attributes) + (b' t="' + kind + b'"' if kind != b"n" else b"")
        return b"<c" + typed + b">" + formula.group(0) + b"<v>" + text + b"</v>" + rest + b"</c>"

    return CELL.sub(fill, xml)
