"""The POI data-check form: one row per EvseDataRecord property, answered from the data.

`data_check()` gathers what the form says (the report, the datasets with their SHA-256, the
answers of `answers.compute_answers`); `form_workbook()` lays it out as a workbook with the
sheets Form, Findings and Score.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from poicheck.errors import InputError
from poicheck.results.report import Report
from poicheck.table import CanonicalTable
from poicheck.version import __version__
from poicheck.workbooks import cells
from poicheck.workbooks.answers import (
    ANSWERS,
    answer_counts,
    compute_answers,
    count_present,
)
from poicheck.workbooks.findings import findings_sheet
from poicheck.workbooks.scoresheet import score_sheet

FORM_HEADER = [
    "Property",
    "Data type",
    "Mandatory",
    "Length / format",
    "Description",
    "Example",
    "Requirement met",
    "% of records compliant",
    "Records failing",
    "Failing EvseIDs (examples)",
    "Note",
]
FORM_WIDTHS = [36, 24, 12, 40, 48, 28, 15, 13, 10, 34, 56]
FORM_WRAP = (2, 4, 5, 6, 10, 11)
LEGEND = (
    "Yes: no record has an error. Partly: some records have errors. No: every record has "
    "an error, or a mandatory property has no value. Not provided: optional, no record has a "
    "value. Warnings do not change the answer; the note names them."
)


@dataclass(frozen=True)
class Dataset:
    """One input file of the form: its name, what was read, and its checksum."""

    path: str
    format: str | None
    sheet: str | None
    records: int
    sha256: str

    def describe(self) -> str:
        where = f" (sheet {self.sheet})" if self.sheet else ""
        digest = f", SHA-256 {self.sha256}" if self.sha256 else ""
        return f"{Path(self.path).name}{where}: {self.records} records{digest}"


@dataclass
class DataCheck:
    """Everything the form states: who, which data, when, and the answers."""

    report: Report
    datasets: list[Dataset]
    answers: pd.DataFrame
    operator_id: str | None = None
    operator_name: str | None = None
    date: dt.date = field(default_factory=dt.date.today)

    @property
    def records(self) -> int:
        return sum(d.records for d in self.datasets)


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def data_check(
    report: Report,
    tables: Sequence[CanonicalTable],
    *,
    operator_id: str | None = None,
    operator_name: str | None = None,
) -> DataCheck:
    """The form's content: the report of `tables` (as `poicheck.validate(tables)` made it).

    The operator comes from the arguments, else from the first input's push envelope.

    Raises:
        InputError: a file could not be read; a form over part of the data would mislead.
    """
    if report.unreadable:
        first = report.unreadable[0]
        raise InputError(first.error or "cannot be read", location=first.file)
    envelopes = [t.envelope or {} for t in tables]
    operator_id = operator_id or next(
        (e["OperatorID"] for e in envelopes if e.get("OperatorID")), None
    )
    operator_name = operator_name or next(
        (e["OperatorName"] for e in envelopes if e.get("OperatorName")), None
    )
    datasets = [
        Dataset(
            path=t.source.path,
            format=t.source.format,
            sheet=t.source.sheet,
            records=len(t.frame),
            sha256=sha256_of(t.source.path) if Path(t.source.path).is_file() else "",
        )
        for t in tables
    ]
    answers = compute_answers(report.frame, report.ruleset, count_present(tables, report.ruleset))
    return DataCheck(report, datasets, answers, operator_id, operator_name)


def form_workbook(check: DataCheck) -> Workbook:
    """The filled form: sheets Form (header block and answers), Findings and Score."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Form"
    header_row = _header_block(sheet, check) + 2
    containers = {p.path for p in check.report.ruleset.properties.values() if p.is_container}
    _answer_table(sheet, check.answers, header_row, containers)
    findings_sheet(workbook.create_sheet("Findings"), check.report.frame)
    score_sheet(workbook.create_sheet("Score"), check.report, check.records)
    return workbook


def _header_block(sheet: Worksheet, check: DataCheck) -> int:
    """The block above the table; returns its last row."""
    ruleset = check.report.ruleset
    counts = answer_counts(check.answers)
    lines: list[tuple[str, str | int]] = [
        ("Operator ID", check.operator_id or "(not given)"),
        ("Operator name", check.operator_name or "(not given)"),
    ]
    envelope = {p.path for p in ruleset.scope_properties("envelope")}
    frame = check.report.frame
    wrong = frame[frame["field"].isin(envelope) & frame["record"].isna()]
    for rule, message in dict.fromkeys(zip(wrong["rule"], wrong["message"], strict=True)):
        lines.append(("Push envelope", f"{rule}: {message}"))
    for i, dataset in enumerate(check.datasets):
        lines.append(("Dataset" if i == 0 else "", dataset.describe()))
    lines += [
        ("Records", check.records),
        ("Date", check.date.isoformat()),
        ("Generated by", f"poicheck {__version__}, rule set {ruleset.name} {ruleset.version}"),
        ("Summary", ", ".join(f"{counts[a]} {a}" for a in ANSWERS)),
        ("Requirement met", LEGEND),
    ]
    title = cells.write_text(sheet.cell(row=1, column=1), f"POI data-check form: {ruleset.title}")
    title.font = Font(bold=True, size=14)
    for row, (label, value) in enumerate(lines, start=2):
        cells.write_text(sheet.cell(row=row, column=1), label).font = Font(bold=True)
        cells.write_value(sheet.cell(row=row, column=2), value).alignment = Alignment(
            horizontal="left"
        )
    return 1 + len(lines)


def _answer_table(
    sheet: Worksheet, answers: pd.DataFrame, header_row: int, containers: set[str]
) -> None:
    rows = answers.itertuples(index=False)
    last = cells.write_table(
        sheet,
        FORM_HEADER,
        rows,
        first_row=header_row,
        widths=FORM_WIDTHS,
        wrap=FORM_WRAP,
    )
    answer_column = FORM_HEADER.index("Requirement met") + 1
    percent_column = FORM_HEADER.index("% of records compliant") + 1
    for row in range(header_row + 1, last + 1):
        answer = sheet.cell(row=row, column=answer_column)
        cells.paint(answer, cells.ANSWER_STYLES, str(answer.value))
        sheet.cell(row=row, column=percent_column).number_format = "0.0"
        name = sheet.cell(row=row, column=1)
        if name.value in containers:
            name.font = Font(bold=True)
        if "." in str(name.value):  # a member of a container: indented below it
            name.alignment = Alignment(indent=1, vertical="top")
    sheet.freeze_panes = f"B{header_row + 1}"
    cells.fit_row_heights(sheet, FORM_WIDTHS, FORM_WRAP, range(header_row + 1, last + 1))
    cells.printable(sheet, title_rows=f"{header_row}:{header_row}")
