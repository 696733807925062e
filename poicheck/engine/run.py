"""Checking an input, whole or chunk by chunk, into one findings table.

Most rules judge a record on its own: they run on each chunk as it comes and the chunk's
findings are kept (a few per cent of the records), not its cells. Rules that compare records
with each other (duplicate EvseIDs, the EVSEs of a station or pool) run once at the end, on
the few columns they need, kept from every chunk. The findings are then sorted by record, so a
file checked in chunks gives exactly the findings of the same file checked at once.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from poicheck.checks.context import CheckContext
from poicheck.engine import workers as parallel
from poicheck.engine.binding import (
    ENVELOPE_POINTERS,
    Binding,
    bind,
    failures,
    message_base,
    render_message,
)
from poicheck.engine.evidence import evidence_columns, flagged
from poicheck.engine.folding import fold
from poicheck.engine.per_file import PerFile
from poicheck.findings import FINDING_COLUMNS, empty_findings, typed_findings
from poicheck.fix.propose import marks as fix_marks
from poicheck.oicp.pointers import PointerBuilder
from poicheck.ruleset.model import Rule, RuleSet
from poicheck.table import (
    CanonicalTable,
    Distinct,
    RawFinding,
    Source,
    ensure_columns,
    object_values,
)
from poicheck.table.origin import Origin, with_cells


@dataclass(frozen=True)
class Checked:
    """What checking a part of the records gave (sent back by a worker process)."""

    offset: int
    findings: pd.DataFrame
    notes: list[str]
    per_record: pd.DataFrame | None


class Checker:
    """Checks the chunks of one input in order; `findings()` gives the findings of them all.

    `per_record(table, offset)` is called on every part of the records as it is checked
    (in the worker that checks it); `record_frames()` gives the results in record order.
    """

    def __init__(
        self,
        ruleset: RuleSet,
        source: Source,
        *,
        operator_ids: tuple[str, ...] = (),
        engine: str = "arrow",
        envelope: dict[str, str | None] | None = None,
        per_record: Callable[[CanonicalTable, int], pd.DataFrame] | None = None,
    ) -> None:
        self.ruleset = ruleset
        self.per_record = per_record
        self.source = source
        self.operator_ids = operator_ids
        self.engine = engine
        self.envelope = envelope
        self.records = 0
        self.notes: list[str] = []
        self._columns: list[str] = []
        self._local: list[Binding] = []
        self._across: list[Binding] = []
        self._parts: list[pd.DataFrame] = []
        self._reader_parts: list[pd.DataFrame] = []  # also in _parts; evidence (groups)
        self._keys: list[CanonicalTable] = []  # per chunk, the columns of the rules across rows
        self._unplaced: Counter[str] = Counter()
        self._pending: list[parallel.Forked[Checked]] = []
        self._per_record: list[tuple[int, pd.DataFrame]] = []
        self._per_file = PerFile()
        self._origins: list[tuple[int, int, Origin]] = []  # mapped input: (offset, records, cells)

    def add(self, table: CanonicalTable, workers: int = 1) -> None:
        """Check the next chunk: its records follow the records of the chunks added before.

        With `workers` > 1 and enough records, parts of the chunk are checked by forked
        processes while this one checks its own part and, at `findings()`, the rules across
        rows (poicheck.engine.workers); the findings are the same.
        """
        frame = ensure_columns(table.frame, self.ruleset)
        if not self._columns:
            self._bind(list(frame.columns))
        bound = set(self._columns)  # once: per column, 40,000 columns took minutes
        unseen = [c for c in frame.columns if c not in bound]
        if unseen:  # a reader's duty: the first chunk has every column of the input
            raise ValueError(f"a chunk has columns the first chunk had not: {unseen[:5]}")
        frame = frame.reindex(columns=self._columns)
        offset = self.records
        if table.origin is not None:
            self._origins.append((offset, len(frame), table.origin))
        whole = dataclasses.replace(table, frame=frame, reader_findings=[])
        shares = _shares(len(frame), workers if len(frame) >= parallel.MIN_RECORDS else 1)
        if len(shares) > 1:
            for prepare in dict.fromkeys(b.kind.prepare for b in self._local if b.kind.prepare):
                prepare()
        for start, stop in shares[1:]:
            part = whole.between(start, stop)
            compute = functools.partial(self._local_findings, part, offset + start)
            self._pending.append(parallel.Forked(compute))
        start, stop = shares[0]
        own = whole if len(shares) == 1 else whole.between(start, stop)
        self._collect(self._local_findings(own, offset))
        read = self._reader_findings(table, frame, offset)
        self._parts.append(read)
        self._reader_parts.append(read)
        encoded = {c: table.encoded[c] for c in self._key_columns if c in table.encoded}
        self._keys.append(
            CanonicalTable(
                frame[self._key_columns],
                self.source,
                table.rows,
                notations=table.notations,
                encoded=encoded,
            )
        )
        self.records += len(frame)
        while len(self._pending) >= max(1, workers):  # at most one chunk ahead per worker
            self._collect(self._pending.pop(0).result())

    def findings(self) -> pd.DataFrame:
        """The findings of every chunk added, the rules across rows and the envelope's."""
        if self._keys:
            whole = _joined(self._keys)
            layout = self._layout(whole.frame, whole.rows)
            layout.slices = dict(whole.encoded)
            layout.flagged = flagged(self._reader_parts)
            found = _record_findings(whole.frame, layout, self._across, whole, 0, self.engine)
            self._parts.append(found)
            self._note(layout.notes)
        while self._pending:
            self._collect(self._pending.pop(0).result())
        self._parts.append(pd.DataFrame(self._per_file.rows(), columns=FINDING_COLUMNS))
        self._parts.append(_envelope_findings(self.envelope, self.ruleset))
        found = with_cells(
            _sorted(self._parts, self.source, self.ruleset, self._columns), self._origins
        )
        found.attrs["notes"] = list(self.notes)
        return found

    def record_frames(self) -> list[pd.DataFrame]:
        """What `per_record` gave for each part of the records, in record order."""
        return [frame for _, frame in sorted(self._per_record, key=lambda part: part[0])]

    def _local_findings(self, table: CanonicalTable, offset: int) -> Checked:
        """The findings of the rules on single records, the notes they left and what
        `per_record` says about the records."""
        layout = self._layout(table.frame, table.rows)
        layout.slices = dict(table.encoded)
        found = _record_findings(table.frame, layout, self._local, table, offset, self.engine)
        extra = self.per_record(table, offset) if self.per_record and len(table.frame) else None
        return Checked(offset, found, list(layout.notes), extra)

    def _collect(self, result: Checked) -> None:
        self._parts.append(result.findings)
        self._note(result.notes)
        if result.per_record is not None:
            self._per_record.append((result.offset, result.per_record))

    def _bind(self, columns: list[str]) -> None:
        self._columns = columns
        layout = CheckContext(columns, self.ruleset)
        bindings = bind(self.ruleset, layout, "record", self.source.format)
        self._local = [b for b in bindings if not b.kind.across_rows]
        self._across = [b for b in bindings if b.kind.across_rows]
        needed = {"EvseID"}
        lists: set[str] = set()
        for binding in self._across:
            item = layout.item_of(binding.column)
            # A list item's pointer depends on the items before it: keep the whole list
            # (its members added once per list, not once per item column).
            if item:
                lists.add(item[0])
            else:
                needed.add(binding.column)
            needed.update(binding.kind.reads)
            needed.update(evidence_columns(binding, layout, self.ruleset))
        for container in lists:
            needed.update(layout.members(container))
        self._key_columns = [c for c in columns if c in needed]

    def _layout(self, frame: pd.DataFrame, rows: np.ndarray) -> CheckContext:
        layout = CheckContext(frame.columns, self.ruleset)
        layout.operator_ids = self.operator_ids
        layout.rows = rows
        return layout

    def _note(self, notes: Iterable[str]) -> None:
        self.notes.extend(note for note in notes if note not in self.notes)

    def _reader_findings(
        self, table: CanonicalTable, frame: pd.DataFrame, offset: int
    ) -> pd.DataFrame:
        """The reader's findings, at records of the whole input. A finding placed at no record
        (about a column or the file) is seen by every chunk: it is kept as often as the chunk
        that saw it most often did."""
        evse_ids = object_values(frame["EvseID"])
        seen: Counter[str] = Counter()
        rows = []
        for raw in table.reader_findings:
            rule = self.ruleset.rules.get(raw.rule)
            if rule is None:  # not selected
                continue
            if raw.record is None:
                key = repr(raw)
                seen[key] += 1
                if seen[key] <= self._unplaced[key]:
                    continue
            if PerFile.applies(rule, raw):  # worded once per group, at the end
                build = functools.partial(_reader_row, rule, raw, table, evse_ids, offset)
                self._per_file.add(rule, raw, int(table.rows[raw.record]), build)
            else:
                rows.append(_reader_row(rule, raw, table, evse_ids, offset))
        self._unplaced |= seen
        found = pd.DataFrame(rows, columns=FINDING_COLUMNS)
        return found.assign(fix=fix_marks(found, frame, self.ruleset, table.source.format, offset))


def _joined(tables: list[CanonicalTable]) -> CanonicalTable:
    """Chunks as one table: their frames, rows, and the notations and reader encodings every
    chunk has."""
    first = tables[0]
    if len(tables) == 1:
        return first

    def shared(attribute: str) -> list[str]:
        return [
            n for n in getattr(first, attribute) if all(n in getattr(t, attribute) for t in tables)
        ]

    return CanonicalTable(
        pd.concat([t.frame for t in tables], ignore_index=True),
        first.source,
        np.concatenate([t.rows for t in tables]),
        notations={
            n: np.concatenate([t.notations[n] for t in tables]) for n in shared("notations")
        },
        encoded={n: Distinct.concat([t.encoded[n] for t in tables]) for n in shared("encoded")},
    )


def _shares(records: int, workers: int) -> list[tuple[int, int]]:
    """Record ranges for `workers` processes; the calling process, which also runs the rules
    across rows (about a third of the time of the others at 1M CSV rows, a tenth at 100k
    XLSX rows: measured), takes a smaller first share."""
    if workers <= 1:
        return [(0, records)]
    first = int(records * 0.70 / workers)
    rest = np.linspace(first, records, workers, dtype=np.int64)
    bounds = [0, *(int(b) for b in rest)]
    return list(itertools.pairwise(bounds))


def table_findings(
    table: CanonicalTable,
    ruleset: RuleSet,
    *,
    operator_ids: tuple[str, ...] = (),
    engine: str = "arrow",
) -> pd.DataFrame:
    """All findings for one canonical table: record rules, envelope rules and reader findings.

    `operator_ids` are the IDs EvseIDs may belong to (the pushing operator and declared
    sub-operators).
    """
    checker = Checker(
        ruleset, table.source, operator_ids=operator_ids, engine=engine, envelope=table.envelope
    )
    checker.add(table)
    return checker.findings()


def _record_findings(
    frame: pd.DataFrame,
    layout: CheckContext,
    bindings: list[Binding],
    table: CanonicalTable,
    offset: int,
    engine: str,
) -> pd.DataFrame:
    """The findings of `bindings` on `frame`, whose first row is record `offset`."""
    failed = failures(frame, bindings, layout, engine)
    if not len(failed):
        return pd.DataFrame(columns=FINDING_COLUMNS)
    by_name = {b.name: b for b in bindings}
    pointers = PointerBuilder(frame, layout, table.notations)
    evse_ids = object_values(frame["EvseID"])
    parts: list[pd.DataFrame] = []
    for name, group in failed.groupby("check", sort=False):
        binding = by_name[str(name)]
        records = np.sort(group["index"].to_numpy())
        column = binding.column
        if column in frame.columns:
            values = object_values(frame[column].iloc[records])
        else:
            values = np.full(len(records), None, dtype=object)
        # Details are kept for the failing records, in record order (engine.failures).
        details = dict(layout.details.get(binding.name, {}))
        if "value" in details:
            values = details.pop("value")
        parts.append(
            pd.DataFrame(
                {
                    "rule": binding.rule.id,
                    "severity": binding.rule.severity,
                    "consequence": binding.rule.consequence,
                    "category": binding.rule.category,
                    "row": table.rows[records],
                    "record": records + offset,
                    "evse_id": evse_ids[records],
                    "field": column,
                    "pointer": pointers.pointers(column, records, binding.kind.pointer_leaf),
                    "value": values,
                    "message": _messages(binding, values, details),
                }
            )
        )
    found = pd.concat(parts, ignore_index=True)
    return found.assign(fix=fix_marks(found, frame, layout.ruleset, table.source.format, offset))


def _messages(binding: Binding, values: np.ndarray, details: dict[str, np.ndarray]) -> np.ndarray:
    """One message per failing value (and its details), rendered once per distinct pair."""
    distinct: dict[Any, str] = {}
    out = np.empty(len(values), dtype=object)
    names = list(details)
    base = message_base(binding, binding.rule, binding.column)
    for i, value in enumerate(values):
        extra = tuple(details[name][i] for name in names)
        key = (value, extra)
        message = distinct.get(key)
        if message is None:
            context = dict(zip(names, extra, strict=True))
            message = render_message(binding, binding.rule, value, context, base)
            distinct[key] = message
        out[i] = message
    return out


def _envelope_findings(envelope: dict[str, str | None] | None, ruleset: RuleSet) -> pd.DataFrame:
    if not envelope:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    frame = pd.DataFrame({k: pd.Series([v], dtype="str") for k, v in envelope.items()})
    layout = CheckContext(frame.columns, ruleset, scope="envelope")
    bindings = [b for b in bind(ruleset, layout, "envelope") if b.column in frame.columns]
    failed = failures(frame, bindings, layout)
    by_name = {b.name: b for b in bindings}
    rows = []
    for name in failed["check"]:
        binding = by_name[name]
        value = envelope.get(binding.column)
        rows.append(
            {
                "rule": binding.rule.id,
                "severity": binding.rule.severity,
                "consequence": binding.rule.consequence,
                "category": binding.rule.category,
                "row": None,
                "record": None,
                "evse_id": None,
                "field": binding.column,
                "pointer": ENVELOPE_POINTERS.get(binding.column, "/" + binding.column),
                "value": value,
                "message": render_message(binding, binding.rule, value, {}),
            }
        )
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def _reader_row(
    rule: Rule, raw: RawFinding, table: CanonicalTable, evse_ids: np.ndarray, offset: int
) -> dict[str, Any]:
    record = raw.record
    extra = {"field": raw.field, "value": raw.value or "", "hint": "", "times": "", **raw.details}
    return {
        "rule": rule.id,
        "severity": rule.severity,
        "consequence": rule.consequence,
        "category": rule.category,
        "row": int(table.rows[record]) if record is not None else None,
        "record": record + offset if record is not None else None,
        "evse_id": evse_ids[record] if record is not None and len(evse_ids) else None,
        "field": raw.field,
        "pointer": raw.pointer,
        "value": raw.value,
        "message": render_message(None, rule, raw.value, extra),
    }


def _sorted(
    parts: list[pd.DataFrame], source: Source, ruleset: RuleSet, columns: list[str]
) -> pd.DataFrame:
    """All parts in one table, ordered by record, column (in table order) and rule id."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_findings()
    findings = pd.concat(parts, ignore_index=True)
    findings["file"] = source.path
    findings["sheet"] = source.sheet
    position = {c: i for i, c in enumerate(columns)}
    rule_order = {rule_id: i for i, rule_id in enumerate(sorted(ruleset.rules))}
    findings["_record"] = findings["record"].fillna(-1).astype("int64")
    findings["_column"] = findings["field"].map(position).fillna(len(position)).astype("int64")
    findings["_rule"] = findings["rule"].map(rule_order).astype("int64")
    findings = findings.sort_values(["_record", "_column", "_rule"], kind="stable")
    listed = [c for c in FINDING_COLUMNS if c != "related"]
    return typed_findings(fold(findings.reindex(columns=listed).reset_index(drop=True), ruleset))
