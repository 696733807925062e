"""What every spreadsheet-like reader does after turning bytes into rows of text: find the
header row, apply a column mapping, resolve columns, drop empty rows, look for damage, and turn
what the reader noticed into findings located at their record and column."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import replace as replace_finding
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.engine import workers as parallel
from poicheck.errors import InputError
from poicheck.oicp.pointers import PointerBuilder
from poicheck.readers import conventions, damage
from poicheck.readers.sheet import (
    Column,
    Note,
    Sheet,
)
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import (
    DUPLICATE_COLUMN,
    REPEATED_HEADER_ROW,
    SPLIT_FAILED,
    UNKNOWN_COLUMN,
)
from poicheck.table import (
    TEXT,
    CanonicalTable,
    Distinct,
    Layout,
    RawFinding,
    Source,
    canonical_order,
)

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping, ColumnRule
    from poicheck.table.origin import Origin


def plan_columns(
    header: Sequence[object],
    body: pd.DataFrame,
    ruleset: RuleSet,
    mapping: ColumnMapping | None = None,
) -> tuple[list[Column], list[Note]]:
    """Which canonical column each raw column becomes; unknown, ignored and duplicate columns
    as notes (TBL001, TBL002)."""
    aliases = ruleset.alias_map()
    known = [p.path for p in ruleset.scope_properties("record") if not p.is_container]
    columns: list[Column] = []
    notes: list[Note] = []
    taken: set[str] = set()
    for position, raw in enumerate(header):
        name = "" if raw is None else str(raw).strip()
        rule = mapping.rule_for(name) if mapping is not None and name else None
        if rule is not None:
            if not rule.targets:
                notes.append(
                    Note(UNKNOWN_COLUMN, field=name, details={"hint": "; the mapping ignores it"})
                )
            targets: list[tuple[str, int, ColumnRule | None]] = [
                (t, i, rule) for i, t in enumerate(rule.targets)
            ]
        elif not name:
            if body.iloc[:, position].replace("", None).notna().any():
                details = {"hint": " (it has no header)"}
                notes.append(
                    Note(UNKNOWN_COLUMN, field=f"(column {position + 1})", details=details)
                )
            continue
        else:
            canonical = aliases.get(name, name)
            if ruleset.property_for_column(canonical) is None:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
                hint = f"; did you mean {close[0]}?" if close else ""
                notes.append(Note(UNKNOWN_COLUMN, field=name, details={"hint": hint}))
                continue
            targets = [(canonical, 0, None)]
        for target, part, target_rule in targets:
            if target in taken:
                notes.append(Note(DUPLICATE_COLUMN, field=target))
                continue
            taken.add(target)
            columns.append(Column(target, position, target_rule, part))
    return columns, notes


def build_table(
    headers: Sequence[object],
    frame: pd.DataFrame,
    source: Source,
    ruleset: RuleSet,
    *,
    first_row: int = 2,
) -> CanonicalTable:
    """A canonical table from a header row and the text cells below it, as they are.

    `frame` has positional columns matching `headers`; `first_row` is the spreadsheet row
    number (1-based) of the first data row. Header aliases are resolved, duplicate and
    unknown columns reported, empty cells made missing and wholly empty rows dropped. Values
    are taken as given (a DataFrame is canonical already); files go through `finish`.
    """
    sheet = Sheet([("" if h is None else str(h)) for h in headers], frame, source, first_row)
    return finish(sheet, ruleset, inspect=False)


def finish(
    sheet: Sheet,
    ruleset: RuleSet,
    mapping: ColumnMapping | None = None,
    *,
    inspect: bool = True,
    survey: conventions.Survey | None = None,
    offset: int = 0,
) -> CanonicalTable:
    """The canonical table of a sheet, with the reader's findings located at their cells.

    A chunk of a file (`survey` given: the conventions of the whole file; `offset`: the
    record of the chunk's first row) may have no record left; a whole sheet must have one.
    """
    mapped = mapping is not None
    if mapping is not None and mapping.rebuilds:
        sheet, mapping = mapping.rebuild(sheet), None
    columns, notes = plan_columns(sheet.header, sheet.body, ruleset, mapping)
    if inspect:
        _require_columns(sheet, columns, mapping)
    found = _records(sheet, columns, ruleset, inspect)
    data, rows, origin, encoded = found.data, found.rows, found.origin, found.encoded
    notes = _by_record([*sheet.notes, *notes, *found.notes], found.kept)
    issues: list[damage.Issue] = []
    if inspect and survey is None and not len(data):
        raise InputError(
            f"there are column headers (row {sheet.first_row - 1}) but no data rows below them",
            location=sheet.source.path,
        )
    if inspect:
        converted = {c.name for c in columns if c.rule is not None and c.rule.converts}
        natives = _natives(
            sheet, {k: v for k, v in origin.items() if k not in converted}, found.kept
        )
        data, issues, encoded = damage.analyse(
            data, ruleset, natives, survey=survey, offset=offset, encoded=encoded
        )
    findings = _findings(data, rows, notes, issues, origin, sheet, ruleset)
    table = CanonicalTable(frame=data, source=sheet.source, rows=rows, reader_findings=findings)
    table.encoded = encoded
    if mapped:
        table.origin = _origin(sheet, origin, found.kept)
    return table


def _by_record(notes: list[Note], kept: pd.Index) -> list[Note]:
    """Notes placed at a body row (`record`) placed at the record it became."""
    if all(note.record is None for note in notes):
        return notes
    record_of = {int(body): record for record, body in enumerate(kept)}
    return [
        note if note.record is None else replace_finding(note, record=record_of.get(note.record))
        for note in notes
    ]


def _origin(sheet: Sheet, origin: Mapping[str, int], kept: pd.Index) -> Origin:
    """Where the values of a mapped sheet came from (the cell each finding reports)."""
    from poicheck.table.origin import Origin

    if sheet.origin is not None:
        keep = np.zeros(len(sheet.body), dtype=bool)
        keep[np.asarray(kept, dtype=np.int64)] = True
        return sheet.origin.filter(keep)
    headers = {h.strip(): p for p, h in enumerate(sheet.header) if h.strip()}
    columns = {name: (position,) for name, position in origin.items()}
    return Origin(columns, header_row=sheet.first_row - 1, headers=headers)


def survey(
    sheet: Sheet, ruleset: RuleSet, mapping: ColumnMapping | None, offset: int
) -> tuple[conventions.Survey, int]:
    """The conventions survey of a chunk of a file and how many records it has."""
    if mapping is not None and mapping.rebuilds:
        sheet, mapping = mapping.rebuild(sheet), None
    columns, _ = plan_columns(sheet.header, sheet.body, ruleset, mapping)
    found = _records(sheet, columns, ruleset, inspect=True)
    data, encoded = damage.cleaned(found.data, ruleset, found.encoded)
    return conventions.survey(data, Layout(data.columns, ruleset), offset, encoded), len(data)


@dataclass(frozen=True)
class Records:
    """The planned columns of the non-empty rows, with their row numbers, each column's raw
    position, the kept body rows, what was noticed (split cells, repeated headers) and each
    column's distinct values."""

    data: pd.DataFrame
    rows: np.ndarray
    origin: dict[str, int]
    kept: pd.Index
    notes: list[Note]
    encoded: dict[str, Distinct]


def _records(sheet: Sheet, columns: list[Column], ruleset: RuleSet, inspect: bool) -> Records:
    rows = np.arange(sheet.first_row, sheet.first_row + len(sheet.body), dtype=np.int64)
    rows = rows if sheet.rows is None else sheet.rows
    data, origin, notes = _columns(sheet, columns)
    data, encoded = _missing(data)
    keep = np.zeros(len(data), dtype=bool) if encoded else np.ones(len(data), dtype=bool)
    for distinct in encoded.values():  # a row with no cell at all is dropped
        keep |= distinct.codes >= 0
    if inspect:
        repeated = repeated_headers(sheet)
        notes.extend(Note(REPEATED_HEADER_ROW, row=int(rows[i])) for i in repeated)
        keep[repeated] = False
    kept_index = data.index[keep]
    if not keep.all():
        data = data[keep].reset_index(drop=True)
        encoded = {name: distinct.filter(keep) for name, distinct in encoded.items()}
    data = data[canonical_order(list(data.columns), ruleset)]
    return Records(data, rows[keep], origin, kept_index, notes, encoded)


def _require_columns(sheet: Sheet, columns: list[Column], mapping: ColumnMapping | None) -> None:
    if columns:
        return
    named = [h.strip() for h in sheet.header if h.strip()]
    shown = ", ".join(f"'{h}'" for h in named[:4]) + (", ..." if len(named) > 4 else "")
    advice = (
        "check the mapping's headers"
        if mapping is not None
        else "give a --mapping (`poicheck map FILE` proposes one)"
    )
    raise InputError(
        f"no column of row {sheet.first_row - 1} ({shown}) is part of the canonical layout "
        f"(docs/layout.md); {advice}",
        location=sheet.source.path,
    )


def _columns(
    sheet: Sheet, columns: list[Column]
) -> tuple[pd.DataFrame, dict[str, int], list[Note]]:
    """The planned columns' cells (mapping applied), and each column's raw position."""
    out: dict[str, pd.Series] = {}
    origin: dict[str, int] = {}
    notes: list[Note] = []
    done: dict[int, list[pd.Series]] = {}
    for column in columns:
        raw = sheet.body.iloc[:, column.position]
        if column.rule is None:
            out[column.name] = raw
        else:
            if column.position not in done:
                values, failed = column.rule.transform(raw.fillna(""))
                done[column.position] = values
                for index, value in failed:
                    row = sheet.first_row + index
                    notes.append(
                        Note(
                            SPLIT_FAILED,
                            row=row,
                            position=column.position,
                            value=value,
                            details={
                                "targets": " and ".join(column.rule.targets),
                                "separator": column.rule.separator or "",
                            },
                        )
                    )
            out[column.name] = done[column.position][column.part]
        origin[column.name] = column.position
    frame = (
        pd.DataFrame(out, index=sheet.body.index) if out else pd.DataFrame(index=sheet.body.index)
    )
    return frame, origin, notes


def repeated_headers(sheet: Sheet) -> list[int]:
    """Body rows that repeat the header (a second header row, or files pasted together)."""
    named = [(i, str(h).strip()) for i, h in enumerate(sheet.header) if str(h).strip()]
    if len(named) < 2 or sheet.body.empty:
        return []
    # A repeated header repeats its first named cell: only those rows are compared in full.
    first, name = named[0]
    column = pc.utf8_trim_whitespace(pa.array(sheet.body.iloc[:, first].array))
    candidates = np.flatnonzero(np.asarray(pc.fill_null(pc.equal(column, name), False)))
    if not len(candidates):
        return []
    rows = sheet.body.iloc[candidates]
    same = sum(
        np.asarray(_stripped(rows.iloc[:, position]) == text, dtype=int) for position, text in named
    )
    return [int(i) for i in candidates[np.asarray(same) >= max(2, len(named) // 2)]]


def _stripped(column: pd.Series) -> np.ndarray:
    values = pc.utf8_trim_whitespace(pa.array(column.array))
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)


def _missing(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Distinct]]:
    """Text columns with empty and whitespace-only cells made missing, judged once per
    distinct value; with each column's distinct values, which the later steps reuse.

    The columns are encoded in threads: pyarrow releases the interpreter lock while it
    encodes, so a large table uses every CPU."""
    names = [str(name) for name in frame.columns]

    def encode(name: str) -> tuple[pd.Series, Distinct]:
        return _blanks_missing(frame[name])

    done = parallel.in_threads(encode, names, len(frame))
    data = (
        pd.DataFrame({name: column for name, (column, _) in zip(names, done, strict=True)})
        if names
        else pd.DataFrame(index=frame.index)
    )
    return data, {name: distinct for name, (_, distinct) in zip(names, done, strict=True)}


def _blanks_missing(series: pd.Series) -> tuple[pd.Series, Distinct]:
    distinct = Distinct.of(series)
    values = distinct.values
    blank = pc.or_(pc.equal(pc.binary_length(values), 0), pc.utf8_is_space(values))
    if not pc.any(blank).as_py():
        return series.astype(TEXT), distinct
    codes = np.where(np.asarray(blank)[np.maximum(distinct.codes, 0)], -1, distinct.codes)
    blanked = Distinct(values, codes.astype(np.int32))
    column = pd.array(pc.take(values, blanked.indices), dtype=TEXT)
    return pd.Series(column, index=series.index), blanked


def _natives(
    sheet: Sheet, origin: Mapping[str, int], kept: pd.Index
) -> dict[str, Mapping[int, Any]]:
    """Native values by canonical column and record (after empty rows were dropped)."""
    if not sheet.natives:
        return {}
    # No row dropped (the usual case): body row i is record i, and the values are taken as
    # they are (hundreds of thousands of them in a big sheet of numbers).
    same = len(kept) == len(sheet.body)
    record_of = {} if same else {int(body): record for record, body in enumerate(kept)}
    out: dict[str, Mapping[int, Any]] = {}
    for name, position in origin.items():
        values = sheet.natives.get(position)
        if values and same:
            out[name] = values
        elif values:
            out[name] = {record_of[i]: v for i, v in values.items() if i in record_of}
    return out


def _findings(
    data: pd.DataFrame,
    rows: np.ndarray,
    notes: list[Note],
    issues: list[damage.Issue],
    origin: Mapping[str, int],
    sheet: Sheet,
    ruleset: RuleSet,
) -> list[RawFinding]:
    """Notes and issues as raw findings, with record, field and pointer."""
    record_of = {int(row): record for record, row in enumerate(rows)} if notes else {}
    name_of = {position: name for name, position in reversed(list(origin.items()))}
    cells: list[tuple[int, str, RawFinding]] = []
    findings: list[RawFinding] = []
    for note in notes:
        field_name = note.field or _field_of(note.position, name_of, sheet)
        record = record_of.get(note.row) if note.row is not None else None
        record = note.record if note.record is not None else record
        where = f" (row {note.row})" if note.row is not None and record is None else ""
        details = {"where": where, "row": note.row or "", **note.details}
        raw = RawFinding(note.rule, record, field_name, "", note.value, details)
        if record is not None and field_name in data.columns:
            cells.append((record, field_name, raw))
        else:
            findings.append(raw)
    for issue in issues:
        details = {"where": "", "row": int(rows[issue.record]), **issue.details}
        raw = RawFinding(issue.rule, issue.record, issue.field, "", issue.value, details)
        cells.append((issue.record, issue.field, raw))
    return findings + _with_pointers(data, cells, ruleset)


def _field_of(position: int | None, name_of: Mapping[int, str], sheet: Sheet) -> str:
    if position is None:
        return "*"
    if position in name_of:
        return name_of[position]
    header = sheet.header[position] if position < len(sheet.header) else ""
    return str(header).strip() or f"(column {position + 1})"


def _with_pointers(
    data: pd.DataFrame, cells: list[tuple[int, str, RawFinding]], ruleset: RuleSet
) -> list[RawFinding]:
    """The findings with the JSON pointer of their cell, computed per column at once."""
    if not cells:
        return []
    builder = PointerBuilder(data, Layout(data.columns, ruleset))
    by_column: dict[str, list[int]] = {}
    for index, (_, name, _) in enumerate(cells):
        by_column.setdefault(name, []).append(index)
    pointers: dict[int, str] = {}
    for name, indices in by_column.items():
        records = np.asarray([cells[i][0] for i in indices], dtype=np.int64)
        for i, pointer in zip(indices, builder.pointers(name, records), strict=True):
            pointers[i] = str(pointer)
    return [replace_finding(raw, pointer=pointers[i]) for i, (_, _, raw) in enumerate(cells)]
