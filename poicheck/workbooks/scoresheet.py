"""The Score sheet of the form: the data score (`Report.score`) and the counts behind it.

Figures: the overall score, completeness, correctness and its factors (per file when there
are several); the findings by severity; one row per rule that found something; and one row
per EVSE with its scores, the weakest first.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from poicheck.results.report import Report
from poicheck.ruleset.model import SEVERITIES
from poicheck.workbooks import cells

RULE_HEADER = ["Rule", "Name", "Severity", "Findings", "Records"]
RULE_WIDTHS = [30, 48, 12, 12, 12]
EVSE_FIXED = ["File", "Row", "EvseID", "Overall", "Completeness", "Correctness"]
SCORE_FORMAT = "0.0"


def _label(factor: str) -> str:
    return factor.replace("_", " ").capitalize()


def rule_counts(report: Report) -> pd.DataFrame:
    """Findings and affected records per rule, most severe and most frequent first."""
    frame = report.frame
    if frame.empty:
        return pd.DataFrame(columns=["rule", "name", "severity", "findings", "records"])
    keys = ["rule", "severity"]
    sizes = frame.groupby(keys).size().rename("findings")
    located = frame[frame["record"].notna()]
    located = located.assign(
        key=located["file"].astype(str) + "\x00" + located["record"].astype(str)
    )
    records = located.groupby(keys)["key"].nunique().rename("records")
    counted = pd.concat([sizes, records], axis=1).fillna(0).astype("int64").reset_index()
    counted["name"] = counted["rule"].map(
        {rule.id: rule.name for rule in report.ruleset.rules.values()}
    )
    counted["rank"] = counted["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    counted = counted.sort_values(["rank", "findings", "rule"], ascending=[True, False, True])
    return counted[["rule", "name", "severity", "findings", "records"]].reset_index(drop=True)


def _figures(report: Report, records: int) -> list[tuple[str, object]]:
    frame = report.frame
    errors = frame[(frame["severity"] == "error") & frame["record"].notna()]
    clean = records - len(errors.drop_duplicates(["file", "record"]))
    figures: list[tuple[str, object]] = []
    score = report.score
    files = [f.file for f in report.files if f.error is None]
    for file in [None, *files] if len(files) > 1 else [None]:
        summary = score.summary(file) if score is not None else None
        if summary is None:
            continue
        where = "" if file is None else f" ({file})"
        figures += [
            (f"Data score{where}", summary["overall"]),
            (f"Completeness{where}", summary["completeness"]),
            (f"Correctness{where}", summary["correctness"]),
            *((f"  {_label(name)}{where}", value) for name, value in summary["factors"].items()),
        ]
    counts = report.counts()
    figures += [
        ("Records", records),
        ("Records without errors", clean),
        ("% of records without errors", round(100.0 * clean / records, 1) if records else None),
        *((f"{s.capitalize()}s", counts[s]) for s in SEVERITIES),
    ]
    return figures


def score_sheet(sheet: Worksheet, report: Report, records: int) -> None:
    """Write the score sheet to an empty worksheet."""
    title = cells.write_text(sheet.cell(row=1, column=1), "Data score")
    title.font = Font(bold=True, size=14)
    figures = _figures(report, records)
    for row, (label, value) in enumerate(figures, start=2):
        cells.write_text(sheet.cell(row=row, column=1), label).font = Font(bold=True)
        cell = cells.write_value(sheet.cell(row=row, column=2), value)
        cell.number_format = SCORE_FORMAT if isinstance(value, float) else "General"
        cell.alignment = Alignment(horizontal="left")
    first = len(figures) + 3
    table = rule_counts(report)
    last = cells.write_table(
        sheet,
        RULE_HEADER,
        table.itertuples(index=False, name=None),
        first_row=first,
        widths=RULE_WIDTHS,
        wrap=(2,),
    )
    for row in range(first + 1, last + 1):
        severity = sheet.cell(row=row, column=3)
        cells.paint(severity, cells.SEVERITY_STYLES, str(severity.value))
    sheet.freeze_panes = "A2"
    cells.printable(sheet)
    if report.score is not None and sheet.parent is not None:
        _evse_sheet(sheet.parent.create_sheet("Score per EVSE"), report)


def _evse_sheet(sheet: Worksheet, report: Report) -> None:
    """One row per EVSE with its scores, the weakest first."""
    score = report.score
    assert score is not None
    columns = ["file", "row", "evse_id", "overall", "completeness", "correctness", *score.factors]
    table = score.records.reindex(columns=columns).sort_values(["overall", "file", "row"])
    header = [*EVSE_FIXED, *(_label(f) for f in score.factors)]
    widths = [28, 7, 22, *([13] * (len(header) - 3))]
    last = cells.write_table(sheet, header, table.itertuples(index=False, name=None), widths=widths)
    for row in sheet.iter_rows(min_row=2, max_row=last, min_col=4, max_col=len(header)):
        for cell in row:
            cell.number_format = SCORE_FORMAT
    sheet.freeze_panes = "D2"
    cells.printable(sheet, title_rows="1:1")
