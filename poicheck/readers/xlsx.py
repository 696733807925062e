"""XLSX reader (python-calamine): first visible sheet by default, every cell turned into text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from poicheck.errors import InputError
from poicheck.readers.tabular import build_table
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable, Source


def cell_text(value: Any) -> str:
    """A native cell value as the text the user sees (numbers without a spurious `.0`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path, ruleset: RuleSet, *, sheet: str | None = None) -> CanonicalTable:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise InputError(f"cannot open as an XLSX workbook: {exc}", location=str(path)) from exc
    try:
        name = _choose_sheet(workbook, sheet, path)
        rows: list[list[Any]] = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        workbook.close()
    header_index = next(
        (i for i, row in enumerate(rows) if any(cell_text(c).strip() for c in row)), None
    )
    if header_index is None:
        raise InputError(f"sheet '{name}' is empty", location=str(path))
    width = max(len(row) for row in rows)
    text_rows = [[cell_text(c) for c in row] + [""] * (width - len(row)) for row in rows]
    header = text_rows[header_index]
    body = text_rows[header_index + 1 :]
    frame = (
        pd.DataFrame(body, columns=range(width), dtype="str")
        if body
        else pd.DataFrame({i: pd.Series([], dtype="str") for i in range(width)})
    )
    return build_table(
        header, frame, Source(str(path), "xlsx", name), ruleset, first_row=header_index + 2
    )


def _choose_sheet(workbook: Any, sheet: str | None, path: Path) -> str:
    names: list[str] = list(workbook.sheet_names)
    if sheet is not None:
        if sheet not in names:
            raise InputError(
                f"no sheet named '{sheet}' (sheets: {', '.join(names)})", location=str(path)
            )
        return sheet
    for meta in workbook.sheets_metadata:
        # SheetVisibleEnum.Visible / Hidden / VeryHidden; SheetTypeEnum.WorkSheet / ChartSheet...
        visible = str(meta.visible).rsplit(".", 1)[-1] == "Visible"
        if visible and str(meta.typ).rsplit(".", 1)[-1] == "WorkSheet":
            return str(meta.name)
    if not names:
        raise InputError("the workbook has no sheets", location=str(path))
    return names[0]
