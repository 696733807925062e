"""The library entry point: `poicheck.validate(...)`."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from poicheck.checks.frame import numbers
from poicheck.engine import workers as parallel
from poicheck.engine.binding import ENGINES
from poicheck.engine.blocks import check_blocks
from poicheck.engine.progress import ProgressCallback, ProgressEvent
from poicheck.engine.run import Checker
from poicheck.errors import InputError, UsageError
from poicheck.files.user import check_encoding
from poicheck.findings import empty_findings
from poicheck.mapping import ColumnMapping, as_mapping
from poicheck.ocpi import defaults
from poicheck.oicp.identifiers import normalise_operator_id
from poicheck.readers import read_table, read_tables
from poicheck.readers.formats import ReadOptions
from poicheck.readers.tabular import build_table
from poicheck.results.report import FileResult, Report
from poicheck.results.score import FILLED_PREFIX, completeness, filled
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable, Source
from poicheck.table.slices import Slices

Input = str | Path | pd.DataFrame | CanonicalTable
Checkable = Input | Slices


def validate(
    source: Checkable | Sequence[Checkable],
    *,
    rules: Sequence[str | Path] = (),
    ruleset: RuleSet | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    sheet: str | None = None,
    encoding: str | None = None,
    operator_id: str | None = None,
    operator_name: str | None = None,
    sub_operator_ids: Iterable[str] = (),
    mapping: str | Path | ColumnMapping | None = None,
    progress: ProgressCallback | None = None,
    engine: str = "arrow",
    chunk_rows: int | None = None,
    workers: int | None = None,
    severities: Mapping[str, str] | None = None,
    ocpi_defaults: Mapping[str, Any] | None = None,
) -> Report:
    """Validate one or more inputs (paths or canonical DataFrames) and return a Report.

    Args:
        source: a path (.xlsx, .csv, .json, .jsonl), a DataFrame in the canonical layout, a
            CanonicalTable already read, a table already read as Slices (checked a slice at
            a time, poicheck.table.slices), or a list of these.
        rules: extra rule files or directories, added to the shipped OICP 2.3 rule set.
        ruleset: a rule set already loaded (overrides `rules`).
        select: rule ids or id prefixes to run (all when empty).
        ignore: rule ids or id prefixes not to run.
        sheet: the worksheet to read from workbooks (default: the first visible one).
        encoding: the encoding of CSV files (default: detected).
        operator_id: the pushing operator, when the input carries no envelope.
        operator_name: the operator's name, when the input carries no envelope.
        sub_operator_ids: sub-operators whose EvseIDs the operator may push as well.
        mapping: a column mapping (file or loaded) that reads a foreign spreadsheet layout as
            the canonical one; applies to .xlsx and .csv inputs.
        progress: called with a ProgressEvent before reading, before checking and after
            checking each input (the library itself never prints).
        engine: "arrow" runs the cell checks directly on pyarrow arrays; "pandera" runs them
            as the lazy pandera schema compiled from the same rules (same findings, slower).
        chunk_rows: read CSV and JSON Lines files in chunks of this many records, so that a
            file larger than memory can be checked (same findings as read at once). None
            chunks only files too large to read at once; 0 never chunks.
        workers: processes that check a large input together (forked, Linux only; None:
            one per available CPU; the findings do not depend on it).
        severities: rule id (or id prefix) -> severity, overriding the rule files' (the
            configuration's `severity:`); an unknown id is a UsageError.
        ocpi_defaults: OICP property -> value for the EVSEs of OCPI inputs that give none
            (the configuration's `ocpi.defaults`: HotlinePhoneNumber and the other values OCPI
            has no field for); an unknown property is a UsageError.

    A file that cannot be read does not stop the run: it is listed in `Report.files` with the
    reason, and `Report.exit_code()` is 2.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}' (known: {', '.join(ENGINES)})")
    if encoding is not None:
        check_encoding(encoding)  # rot13 or a typo: a usage error, before anything is read
    base = ruleset if ruleset is not None else load_ruleset(rules)
    if severities:
        base = base.with_severities(severities, "severity")
    active = base.select(select, ignore)
    mapping = as_mapping(mapping, base, operator_id=operator_id)
    if ocpi_defaults:
        defaults.cells(ocpi_defaults, base)  # a typo: a usage error, before anything is read
    single = (str, Path, pd.DataFrame, CanonicalTable, Slices)
    run = _Run(
        base,
        active,
        ReadOptions(sheet, encoding, mapping),
        chunk_rows,
        Operator(operator_id, operator_name, tuple(sub_operator_ids)),
        engine,
        parallel.available_workers() if workers is None else max(1, workers),
        ocpi_defaults,
    )
    return run.report([source] if isinstance(source, single) else list(source), progress)


@dataclass(frozen=True)
class _Run:
    """The settings of one `validate` call, applied to each of its inputs in turn."""

    base: RuleSet
    active: RuleSet
    options: ReadOptions
    chunk_rows: int | None
    operator: Operator
    engine: str
    workers: int
    ocpi_defaults: Mapping[str, Any] | None

    def report(self, sources: list[Checkable], progress: ProgressCallback | None) -> Report:
        """Every input read and checked; an unreadable one listed with its reason."""
        results: list[FileResult] = []
        frames: list[pd.DataFrame] = []
        records: list[pd.DataFrame] = []
        notes: list[str] = []
        done = 0
        for index, item in enumerate(sources):
            step = ProgressEvent.callback(progress, index, len(sources), item)
            step("read", done)
            options = self.options
            try:
                tables = _tables(
                    item,
                    self.base,
                    options.sheet,
                    options.encoding,
                    options.mapping,
                    self.chunk_rows,
                )
                result, found, parts = _check(
                    _with_defaults(tables, self.ocpi_defaults, self.base),
                    self.active,
                    self.operator,
                    self.engine,
                    functools.partial(step, "check", done),
                    self.workers,
                )
            except InputError as exc:
                results.append(
                    FileResult(file=exc.location or str(item), format=None, error=exc.message)
                )
                step("done", done)
                continue
            results.append(result)
            notes.extend(f"{result.file}: {note}" for note in found.attrs.get("notes", []))
            frames.append(found)
            records.extend(parts)
            done += result.records
            step("done", done, result.records)
        kept = [f for f in frames if len(f)]
        return Report(
            ruleset=self.active,
            files=results,
            frame=pd.concat(kept, ignore_index=True) if kept else empty_findings(),
            notes=notes,
            records=pd.concat(records, ignore_index=True) if records else None,
        )


@dataclass(frozen=True)
class Operator:
    """The pushing operator as given to `validate` (an input's own envelope wins)."""

    id: str | None
    name: str | None
    sub_operator_ids: tuple[str, ...]

    def within(self, envelope: dict[str, str | None] | None) -> Operator:
        """The operator given as it applies to one operator block of a document: wholly to
        a block of its own OperatorID or of none; not to another operator's block (its name
        and its sub-operators are not that operator's)."""
        block = (envelope or {}).get("OperatorID")
        if not block or (
            self.id and normalise_operator_id(self.id) == normalise_operator_id(block)
        ):
            return self
        return Operator(None, None, () if self.id else self.sub_operator_ids)

    def complete(self, given: dict[str, str | None] | None) -> dict[str, str | None] | None:
        """An input's envelope (None: it has none) completed by the operator given: an
        explicit OperatorID in a request wins (and is checked)."""
        if not (self.id or self.name):
            return given
        envelope = dict(given or {})
        if self.id and not envelope.get("OperatorID"):
            envelope["OperatorID"] = self.id
        if self.name and not envelope.get("OperatorName"):
            envelope["OperatorName"] = self.name
        return envelope


def _check(
    tables: Iterator[CanonicalTable],
    ruleset: RuleSet,
    operator: Operator,
    engine: str,
    checking: Callable[[int], None],
    workers: int,
) -> tuple[FileResult, pd.DataFrame, list[pd.DataFrame]]:
    """One input's result, findings and record frames, from its table or its chunks."""
    first = next(tables)
    origin = first.source
    if first.origins is not None:  # a document of operator blocks (poicheck.engine.blocks)
        checking(len(first.frame))
        found = _check_document(first, ruleset, operator, engine, workers)
        result = FileResult(origin.path, origin.format, origin.sheet, records=len(first.frame))
        return result, found, [_record_frame(first, 0, ruleset=ruleset)]
    checker = _checker(
        ruleset,
        operator,
        engine,
        origin,
        first.envelope,
        per_record=functools.partial(_record_frame, ruleset=ruleset),
    )
    for table in itertools.chain([first], tables):
        checking(checker.records + len(table.frame))
        checker.add(table, workers)
    found = checker.findings()
    if first.locate is not None:  # pointers into the input's own document (OCPI)
        found = first.locate(found)
    parts = checker.record_frames() or [_record_frame(first, 0, ruleset=ruleset)]
    result = FileResult(
        file=origin.path, format=origin.format, sheet=origin.sheet, records=checker.records
    )
    return result, found, parts


def _check_document(
    table: CanonicalTable, ruleset: RuleSet, operator: Operator, engine: str, workers: int
) -> pd.DataFrame:
    """The findings of a document of operator blocks, each checked as its own push."""
    ids = {normalise_operator_id(b.envelope.get("OperatorID") or "") for b in table.blocks or []}

    def new(envelope: dict[str, str | None] | None) -> Checker:
        # A document of one operator is its push request: the operator given applies as there.
        block = operator.within(envelope) if len(ids) > 1 else operator
        return _checker(ruleset, block, engine, table.source, envelope, per_record=None)

    return check_blocks(table, new, workers)


def _checker(
    ruleset: RuleSet,
    operator: Operator,
    engine: str,
    source: Source,
    envelope: dict[str, str | None] | None,
    *,
    per_record: Callable[..., pd.DataFrame] | None,
) -> Checker:
    """The checker of one input (or one operator block of it) under `envelope`, completed by
    the operator given: EvseIDs may belong to its OperatorID and the sub-operators."""
    envelope = operator.complete(envelope)
    owner = (envelope or {}).get("OperatorID")
    owners = tuple(i for i in (owner, *operator.sub_operator_ids) if i) if owner else ()
    return Checker(
        ruleset,
        source,
        operator_ids=owners,
        engine=engine,
        envelope=envelope,
        per_record=per_record,
    )


def _tables(
    item: Checkable,
    ruleset: RuleSet,
    sheet: str | None,
    encoding: str | None,
    mapping: ColumnMapping | None,
    chunk_rows: int | None,
) -> Iterator[CanonicalTable]:
    if isinstance(item, Slices):
        return iter(item)
    if isinstance(item, (str, Path)):
        return read_tables(
            item, ruleset, sheet=sheet, encoding=encoding, mapping=mapping, chunk_rows=chunk_rows
        )
    return iter([_read(item, ruleset, sheet=sheet, encoding=encoding, mapping=mapping)])


def _with_defaults(
    tables: Iterator[CanonicalTable], values: Mapping[str, Any] | None, ruleset: RuleSet
) -> Iterator[CanonicalTable]:
    """The tables, those read from OCPI with `ocpi_defaults` filled in."""
    return (defaults.with_defaults(table, values, ruleset) for table in tables)


def _record_frame(table: CanonicalTable, offset: int = 0, *, ruleset: RuleSet) -> pd.DataFrame:
    """One row per record: where it is, its position (for the report's scatter) and how
    complete it is (the score's completeness, and per property whether it is filled).

    Worker processes send it back pickled: the file is a category and the EvseIDs stay
    pyarrow strings (a million Python objects would cost more to send than to compute)."""
    frame = table.frame
    flags = filled(frame, ruleset)
    count = len(frame)
    ids = frame["EvseID"] if "EvseID" in frame.columns else pd.Series([None] * count, dtype="str")
    return pd.DataFrame(
        {
            "file": pd.Categorical.from_codes(
                np.zeros(count, dtype=np.int8), dtype=pd.CategoricalDtype([table.source.path])
            ),
            "record": np.arange(offset, offset + count, dtype=np.int64),
            "row": table.rows,
            "evse_id": ids.array,
            "completeness": completeness(frame, ruleset, flags),
            "latitude": numbers(frame, "GeoCoordinates.Latitude"),
            "longitude": numbers(frame, "GeoCoordinates.Longitude"),
            **{f"{FILLED_PREFIX}{path}": flags[path].to_numpy() for path in flags.columns},
        }
    )


def _read(
    item: Input,
    ruleset: RuleSet,
    *,
    sheet: str | None,
    encoding: str | None,
    mapping: ColumnMapping | None = None,
) -> CanonicalTable:
    if isinstance(item, CanonicalTable):  # already read (export reads once, then validates)
        return item
    if isinstance(item, pd.DataFrame):
        frame = item.reset_index(drop=True).astype("str").where(item.notna().to_numpy(), None)
        positional = pd.DataFrame(frame.to_numpy(), columns=range(frame.shape[1]), dtype="str")
        return build_table(
            list(item.columns), positional, Source("<dataframe>", "dataframe"), ruleset
        )
    return read_table(item, ruleset, sheet=sheet, encoding=encoding, mapping=mapping)


__all__ = ["np", "validate"]
