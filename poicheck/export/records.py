"""From inputs to the records that go out: read once, validate, build, and leave out what
Hubject would refuse.

A record is left out when it has an error-severity finding (unless --include-invalid), when its
EvseID is also used by another record (the same EVSE once separators and case are ignored), or
when its EvseDataRecord does not fit poicheck's payload schema. EvseIDs of an operator that is
neither the pushing one nor a declared sub-operator would make Hubject refuse the whole push
with status 018 (02 eRoamingPushEvseData, EVSE consistency): they stop the export while no
sub-operator is declared, and are left out once the allowed operators are declared
(`check_ownership`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from poicheck.api import Input, validate
from poicheck.api import _read as read_input
from poicheck.engine import workers
from poicheck.engine.blocks import for_operator
from poicheck.errors import InputError, UsageError
from poicheck.export.check import RecordCheck
from poicheck.export.columns import ColumnBuild, Sent, Sink, line_hashes, schema_reasons
from poicheck.export.fixed import FixedPoints
from poicheck.export.index import Borrowed, cell_hashes
from poicheck.export.lines import LinePlan
from poicheck.export.model import (
    Candidate,
    DroppedValue,
    Excluded,
    ExportOptions,
    Reason,
    hubject_assigned,
)
from poicheck.export.ownership import check_ownership, duplicates
from poicheck.export.pulled import check_delta_pull
from poicheck.mapping import as_mapping
from poicheck.ocpi.defaults import with_defaults
from poicheck.oicp.cells import LIST_SEPARATOR
from poicheck.oicp.convert import Builder
from poicheck.oicp.identifiers import normalise_id, normalise_operator_id
from poicheck.results.report import Report
from poicheck.ruleset.model import DROPPED, RuleSet
from poicheck.ruleset.schema import SchemaValidator
from poicheck.table import CanonicalTable, Distinct
from poicheck.table.slices import Slices

ENVELOPE_FIELDS = ("OperatorID", "OperatorName")
T = TypeVar("T")


@dataclass
class Collected:
    """The records that go out, those that do not, and the push envelope."""

    operator_id: str
    operator_name: str
    left_out: list[Excluded] = field(default_factory=list)
    included_invalid: list[Excluded] = field(default_factory=list)
    left_out_keys: set[str] = field(default_factory=set)
    dropped: list[DroppedValue] = field(default_factory=list)
    sent: Sent = field(default_factory=Sent)
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records_read: int = 0


def collect(
    sources: Sequence[Input],
    options: ExportOptions,
    ruleset: RuleSet,
    record_validator: SchemaValidator,
    sink: Sink,
    points: FixedPoints | None = None,
    checked: Callable[[], None] | None = None,
    borrowed: Callable[[], Borrowed | None] | None = None,
) -> Collected:
    """Read, validate and build every input record; decide which go out, and write the lines
    of those to `sink` (with their hashes, whether they read back as themselves and the hash
    of their cells, when `points` is given: for a snapshot and the delta planner). `checked`
    is called once the first input is validated, before its records are built; `borrowed`
    gives the previous lines that records with the same cells take instead of being built."""
    tables, picked = _read(sources, options, ruleset)
    operator_id, operator_name, notes = resolve_operator(tables, options)
    sink.operator = (operator_id, operator_name)
    out = Collected(operator_id, operator_name, notes=picked + notes)
    check_delta_pull(tables, options)
    blocked = {
        **check_ownership(tables, operator_id, options.sub_operator_ids),
        **duplicates(tables),
    }
    builder = Builder(ruleset, geo_format=options.geo_format)
    check = RecordCheck.of(record_validator.schema)
    assigned = 0
    active = set(ruleset.select(options.select, options.ignore).rules)
    for index, table in enumerate(tables):
        table.envelope = {"OperatorID": operator_id, "OperatorName": operator_name}
        # Every rule runs: a value beyond the standard is left out of the record (consequence
        # dropped) even when its rule is not selected, so that selecting fewer rules never
        # keeps more records from Hubject; only the selected rules' errors leave records out.
        columns = [str(c) for c in table.frame.columns]
        owned = table is not sources[index]  # a table the caller gave is not changed
        # Hashing the cells beside the checking pays where most records are not built (a
        # delta): a forked process holds on to memory this one lets go meanwhile (~0.2 GB).
        ahead = borrowed is not None and points is not None and check is not None
        beside = functools.partial(_hashes_ahead, table, columns, ruleset) if ahead else None
        sliced = owned and check is not None
        report, hashing = _validated(table, ruleset, options, sliced=sliced, beside=beside)
        if checked is not None:
            checked()
        found = report.frame
        errors = found[(found["severity"] == "error") & found["rule"].isin(active)]
        _stop_on_general_errors(errors, options.include_invalid)
        out.sources.append({"file": table.source.path, "records": len(table.frame)})
        out.sent.files.append(table.source.path)
        out.records_read += len(table.frame)
        assigned += int(pd.Index(columns).isin(hubject_assigned(ruleset)).any())
        drops = _drops(report.frame)
        del report, found
        cells = _cells(table, columns, ruleset)
        plan = LinePlan.of(builder.model, list(cells)) if check is not None else None
        if check is not None and plan is not None:
            if owned:
                # The cells are all in `cells` now: the frame's memory goes back (a million
                # records: a gigabyte) before the records are built.
                table.frame = table.frame[[]]
                _release()
            build = ColumnBuild(table, index, builder, record_validator, check, plan, cells, sink)
            build.points = points
            build.borrowed = borrowed() if borrowed is not None else None
            build.read_hashes = _ready(hashing)
            build.records(_reasons(errors), drops, blocked, options.include_invalid, out)
            continue
        slow = _Build(table, index, blocked, builder, record_validator, options, out)
        slow.records(_reasons(errors), drops)
        slow.flush(sink, points)
    if assigned:
        out.notes.append("deltaType and lastUpdate are assigned by Hubject and were not exported")
    return out


def _read(
    sources: Sequence[Input], options: ExportOptions, ruleset: RuleSet
) -> tuple[list[CanonicalTable], list[str]]:
    """The inputs as tables (OCPI's missing values from the configuration), each the block of
    the pushing operator where it holds several, and a note for each block picked."""
    mapping = as_mapping(options.mapping, ruleset, operator_id=options.operator_id)
    tables = [
        with_defaults(
            read_input(
                source, ruleset, sheet=options.sheet, encoding=options.encoding, mapping=mapping
            ),
            options.ocpi_defaults,
            ruleset,
        )
        for source in sources
    ]
    # A pull response or national dump holds several operators' blocks; a push, one's.
    picked = [for_operator(table, options.operator_id, ruleset) for table in tables]
    return [table for table, _ in picked], [note for _, note in picked if note]


# A table of this many records or more is checked in slices of SLICE_ROWS records, its cells
# kept as the reader's encoding meanwhile (poicheck.table.slices). 1M CSV rows (measured,
# two workers): checked whole ~3.1 GB (the frame, the encoding and the checks' temporaries in
# two processes); in slices of 125k ~2.1 GB but 3-4 s slower (each slice costs its fixed
# share of checking), of 250k ~2.5 GB, of 200k ~2.3 GB at about the time of the whole.
SLICED_FROM = 250_000
SLICE_ROWS = 200_000


def _validated(
    table: CanonicalTable,
    ruleset: RuleSet,
    options: ExportOptions,
    *,
    sliced: bool,
    beside: Callable[[], T] | None = None,
) -> tuple[Report, T | None]:
    """The findings of `table` (every rule), and what `beside` starts before the checking.
    A large table the export read itself (`sliced`) is checked slice by slice and its frame
    let go first: only its encoding stays (a process `beside` forks does not hold on to it)."""
    source: CanonicalTable | Slices = table
    if sliced and len(table.frame) >= SLICED_FROM and table.origins is None:
        source = Slices.of(table, SLICE_ROWS)
        table.frame = table.frame[[]]
        _release()
    started = beside() if beside is not None else None
    report = validate(source, ruleset=ruleset, sub_operator_ids=options.sub_operator_ids)
    return report, started


def _hashes_ahead(
    table: CanonicalTable, columns: list[str], ruleset: RuleSet
) -> workers.Forked[np.ndarray | None] | None:
    """The hash of each record's cells as read (index.cell_hashes) of a large table, in a
    forked process that runs only on a core the checking leaves idle (its last seconds run
    on one core); a second of one core for a million records."""
    if not workers.can_fork() or len(table.rows) < workers.MIN_RECORDS:
        return None

    def compute() -> np.ndarray | None:
        try:
            return cell_hashes(_cells(table, columns, ruleset), len(table.rows))
        except Exception:  # computed again here (its frame let go): the build makes them
            return None

    return workers.Forked(compute, nice=19)


def _ready(hashing: workers.Forked[np.ndarray | None] | None) -> np.ndarray | None:
    """The hashes computed beside the checking, if they are done (else the build makes them:
    waiting for a process that only gets idle cores would take longer)."""
    if hashing is None:
        return None
    if not hashing.ready():
        hashing.cancel()
        return None
    return hashing.result()


def _release() -> None:
    """Give the memory of pyarrow's arrays let go back to the system: its allocator keeps
    freed pages for a while, and forked workers would be counted on top of them."""
    pa.default_memory_pool().release_unused()


def _cells(table: CanonicalTable, columns: list[str], ruleset: RuleSet) -> dict[str, Distinct]:
    """The table's columns as distinct values (those the reader encoded already, or now),
    without the properties Hubject assigns."""
    assigned = set(hubject_assigned(ruleset))
    return {
        c: table.encoded.get(c) or Distinct.of(table.frame[c]) for c in columns if c not in assigned
    }


def resolve_operator(
    tables: Sequence[CanonicalTable], options: ExportOptions
) -> tuple[str, str, list[str]]:
    """OperatorID and OperatorName of the push: the options (command line or configuration)
    and the inputs' JSON envelopes must agree on the OperatorID."""
    notes: list[str] = []
    ids = {t.source.path: (t.envelope or {}).get("OperatorID") for t in tables}
    names = {t.source.path: (t.envelope or {}).get("OperatorName") for t in tables}
    found_ids = {path: value for path, value in ids.items() if value}
    operator_id = options.operator_id or next(iter(found_ids.values()), None)
    if not operator_id:
        raise UsageError(
            "no OperatorID: give --operator-id, operator_id in .poicheck.yaml, or an OICP JSON "
            "request that has its envelope"
        )
    for path, value in found_ids.items():
        if normalise_operator_id(value) != normalise_operator_id(operator_id):
            raise UsageError(
                f"{path} is data of OperatorID {value}, but the push is for {operator_id}; "
                "export each operator's data on its own"
            )
    found_names = {path: value for path, value in names.items() if value}
    operator_name = options.operator_name or next(iter(found_names.values()), None)
    if not operator_name:
        raise UsageError(
            "no OperatorName: give --operator-name, operator_name in .poicheck.yaml, or an OICP "
            "JSON request that has its envelope"
        )
    if not options.operator_name and len(set(found_names.values())) > 1:
        listed = ", ".join(f"'{v}' ({p})" for p, v in found_names.items())
        raise UsageError(
            f"the inputs name the operator differently: {listed}; give --operator-name"
        )
    for path, value in found_names.items():
        if value != operator_name:
            notes.append(f"{path} names the operator '{value}'; the push says '{operator_name}'")
    return operator_id, operator_name, notes


def _stop_on_general_errors(errors: pd.DataFrame, include_invalid: bool) -> None:
    """Errors of the envelope always stop; errors of a whole file stop unless --include-invalid."""
    general = errors[errors["record"].isna()]
    envelope = general[general["field"].isin(ENVELOPE_FIELDS) & general["row"].isna()]
    if len(envelope):
        raise UsageError("; ".join(dict.fromkeys(envelope["message"])))
    rest = general[~general["field"].isin((*ENVELOPE_FIELDS, "ActionType"))]
    if len(rest) and not include_invalid:
        first = rest.iloc[0]
        raise InputError(
            f"{first['message']} ({first['rule']}); this concerns every record, so nothing is "
            "exported (--include-invalid exports anyway)",
            location=str(first["file"]),
        )


def _reasons(errors: pd.DataFrame) -> dict[int, list[Reason]]:
    """Per record, the error findings that keep it from Hubject."""
    by_record: dict[int, list[Reason]] = {}
    for rule, field_name, message, record in zip(
        errors["rule"], errors["field"], errors["message"], errors["record"], strict=True
    ):
        if not pd.isna(record):
            by_record.setdefault(int(record), []).append(Reason(rule, field_name, message))
    return by_record


def _drops(findings: pd.DataFrame) -> dict[int, list[tuple[str, str]]]:
    """Per record, the (rule, column) of values OICP 2.3 cannot express, which the export
    leaves out of the record (findings of consequence `dropped` that are not errors)."""
    chosen = findings[
        (findings["consequence"] == DROPPED)
        & (findings["severity"] != "error")
        & findings["record"].notna()
    ]
    out: dict[int, list[tuple[str, str]]] = {}
    for rule, column, record in zip(chosen["rule"], chosen["field"], chosen["record"], strict=True):
        out.setdefault(int(record), []).append((str(rule), str(column)))
    return out


@dataclass
class _Build:
    """Builds the records of one table, or says why one is left out."""

    table: CanonicalTable
    index: int
    blocked: dict[tuple[int, int], Reason]
    builder: Builder
    validator: SchemaValidator
    options: ExportOptions
    out: Collected
    pending: list[Candidate] = field(default_factory=list)

    def records(
        self, by_record: dict[int, list[Reason]], drops: dict[int, list[tuple[str, str]]]
    ) -> None:
        assigned = hubject_assigned(self.builder.model.ruleset)
        frame = self.table.frame.drop(columns=[c for c in assigned if c in self.table.frame])
        keys = normalise_id(frame["EvseID"]) if "EvseID" in frame.columns else None
        names = [str(name) for name in frame.columns]
        columns = [frame[name].to_numpy(object) for name in names]
        # One record's cells at a time (to_dict of all records took a fifth of the time).
        rows = zip(*columns, strict=True) if columns else repeat((), len(frame))
        for record, row in enumerate(rows):
            cells = {k: v for k, v in zip(names, row, strict=True) if isinstance(v, str)}
            evse_id = cells.get("EvseID")
            key = str(keys.iloc[record]) if keys is not None and evse_id is not None else ""
            reasons = by_record.get(record, [])
            if (self.index, record) in self.blocked:
                # NOTE: a rule may say the same (IDN001, IDN003); one reason on EvseID is enough.
                if not any(r.field == "EvseID" for r in reasons):
                    reasons.append(self.blocked[(self.index, record)])
            elif not reasons or self.options.include_invalid:
                dropped = self._drop(cells, record, drops.get(record, ()))
                payload = self.builder.build(cells)
                problems = self.validator.errors(payload, limit=5)
                if not problems:
                    self._send(record, key, evse_id, reasons, payload, dropped)
                    continue
                reasons.extend(schema_reasons(problems))
            self.out.left_out.append(_excluded(self.table, record, evse_id, reasons))
            if key:
                self.out.left_out_keys.add(key)

    def _send(
        self,
        record: int,
        key: str,
        evse_id: str | None,
        reasons: list[Reason],
        payload: dict[str, Any],
        dropped: list[DroppedValue],
    ) -> None:
        row_number = int(self.table.rows[record])
        if reasons:
            self.out.included_invalid.append(_excluded(self.table, record, evse_id, reasons))
        self.out.dropped.extend(dropped)
        self.pending.append(
            Candidate(key, str(evse_id), self.table.source.path, row_number, payload)
        )

    def flush(self, sink: Sink, points: FixedPoints | None) -> None:
        """Write the records built one by one (`pending`) to the sink."""
        if not self.pending:
            return
        texts = [json.dumps(c.payload, ensure_ascii=False, allow_nan=False) for c in self.pending]
        lines = pa.array(texts, type=pa.large_string())
        numbers, offsets, lengths = sink.add(lines)
        part: dict[str, Any] = {
            "table": np.full(len(texts), self.index, dtype=np.int32),
            "row": np.array([c.row for c in self.pending], dtype=np.int64),
            "key": pa.array([c.key for c in self.pending], type=pa.large_string()),
            "evse_id": pa.array([c.evse_id for c in self.pending], type=pa.large_string()),
            "body": numbers,
            "offset": offsets,
            "length": lengths,
        }
        if points is not None:
            part["hash"] = line_hashes(lines)
            part["fixed"] = np.zeros(len(texts), dtype=bool)  # compared the long way
            part["cells"] = np.zeros((len(texts), 2), dtype=np.uint64)  # not known
        self.out.sent.add(**part)
        self.pending = []

    def _drop(
        self, cells: dict[str, str], record: int, found: Sequence[tuple[str, str]]
    ) -> list[DroppedValue]:
        row = int(self.table.rows[record])
        return drop_values(self.builder.model.ruleset, cells, self.table.source.path, row, found)


def drop_values(
    ruleset: RuleSet, cells: dict[str, str], file: str, row: int, found: Sequence[tuple[str, str]]
) -> list[DroppedValue]:
    """Leave the values OICP cannot express out of `cells`: a list keeps the items its
    enumeration names (a plug type beyond OICP goes, the others stay); any other value goes
    whole."""
    dropped: list[DroppedValue] = []
    for rule, column in found:
        value = cells.pop(column, None)
        if value is None:
            continue
        prop = ruleset.property_for_column(column)
        if prop is not None and prop.shape == "list" and prop.enum:
            items = [i for i in LIST_SEPARATOR.split(value.strip()) if i]
            kept = [i for i in items if i in prop.enum]
            if kept:
                cells[column] = ";".join(kept)
            value = ";".join(i for i in items if i not in prop.enum)
        dropped.append(DroppedValue(file, row, cells.get("EvseID"), rule, column, value))
    return dropped


def _excluded(
    table: CanonicalTable, record: int, evse_id: str | None, reasons: list[Reason]
) -> Excluded:
    return Excluded(
        file=table.source.path,
        row=int(table.rows[record]),
        record=record,
        evse_id=evse_id,
        reasons=tuple(reasons),
    )
