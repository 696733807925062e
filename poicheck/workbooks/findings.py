"""The Findings sheet: every finding of a report, one row each, optionally linked to its cell."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from poicheck.workbooks import cells

FINDINGS_HEADER = [
    "Rule",
    "Severity",
    "File",
    "Sheet",
    "Row",
    "EvseID",
    "Field",
    "Value",
    "Message",
]
FINDINGS_COLUMNS = [
    "rule",
    "severity",
    "file",
    "sheet",
    "row",
    "evse_id",
    "field",
    "value",
    "message",
]
FINDINGS_WIDTHS = [9, 10, 28, 12, 7, 20, 32, 28, 80]
LINK_WIDTH = 12


def findings_sheet(
    sheet: Worksheet,
    frame: pd.DataFrame,
    *,
    links: Sequence[tuple[str, str] | None] | None = None,
) -> None:
    """Write the findings table to `sheet`.

    Args:
        sheet: an empty worksheet.
        frame: the findings table (`Report.frame`).
        links: per finding, (text, location) of the cell it is about, or None; when given,
            a first column "Cell" links to it.
    """
    data = frame.reindex(columns=FINDINGS_COLUMNS)
    rows: list[list[object]] = [
        [None if pd.isna(v) else v for v in record]
        for record in data.itertuples(index=False, name=None)
    ]
    header = list(FINDINGS_HEADER)
    widths = list(FINDINGS_WIDTHS)
    if links is not None:
        header.insert(0, "Cell")
        widths.insert(0, LINK_WIDTH)
        rows = [[link[0] if link else None, *row] for link, row in zip(links, rows, strict=True)]
    wrap = (len(header) - 1, len(header))
    last = cells.write_table(sheet, header, rows, widths=widths, wrap=wrap)
    severity_column = header.index("Severity") + 1
    for row in range(2, last + 1):
        severity = sheet.cell(row=row, column=severity_column)
        cells.paint(severity, cells.SEVERITY_STYLES, str(severity.value))
    if links is not None:
        for row, link in enumerate(links, start=2):
            if link is not None:
                cell = sheet.cell(row=row, column=1)
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link[1])
                cell.style = "Hyperlink"
    sheet.freeze_panes = "A2"
    cells.fit_row_heights(sheet, widths, wrap, range(2, last + 1))
    cells.printable(sheet, title_rows="1:1")
