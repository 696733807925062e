"""The export, start to end: collect the records, plan the requests, serialise, write.

The records that go out are written as they are built (`columns.Sink`): a fullLoad straight
into its request, insert / update batches without a previous state straight into theirs, a
delta into a spool the planner picks the changed records from (issue 22).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from poicheck import geo, parallel
from poicheck.api import Input
from poicheck.errors import InputError, UsageError
from poicheck.export import delta, payload, plan_lines
from poicheck.export.body import Body, Spool, write_ranges, write_records
from poicheck.export.columns import Sink
from poicheck.export.fixed import FixedPoints
from poicheck.export.model import (
    ACTIONS,
    DEFAULT_BATCH_SIZE,
    DELETE,
    FULL_LOAD,
    INSERT,
    REVIEW_MOVE_KM,
    UPDATE,
    Changes,
    DeletionRefusedError,
    Excluded,
    Export,
    ExportOptions,
    Moved,
    PayloadFile,
    Reason,
    Review,
    check_actions,
)
from poicheck.export.previous import KeyMismatch, LinesReader, StateLines
from poicheck.export.snapshot import PreviousReader
from poicheck.export.records import Collected, Operator018Error, collect, display_operator
from poicheck.identity import belongs_to, normalise_operator_id, operator_part
from poicheck.oicp import Builder
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.schema import SchemaValidator, record_schema, request_schema, validator_for
from poicheck.table import CanonicalTable
from poicheck.userfiles import check_encoding

Record = dict[str, Any]
SPOOL = "delta"  # the ActionType of the spool a delta's records are written to (never sent)


@dataclass
class _Planned:
    mode: str
    files: list[PayloadFile]
    snapshot: Body | None
    snapshot_records: int
    changes: Changes | None
    plan: plan_lines.LinesPlan | None = None
    lines: plan_lines.Lines | None = None


def build_export(
    sources: Input | Sequence[Input],
    options: ExportOptions | None = None,
    *,
    ruleset: RuleSet | None = None,
    rules: Sequence[str | Path] = (),
    workdir: str | Path | None = None,
) -> Export:
    """Build the payload files, manifest and snapshot of an export.

    Args:
        sources: paths (.xlsx, .csv, .json) or canonical DataFrames, one or a list.
        options: what to export and how (ExportOptions()).
        ruleset: a rule set already loaded (overrides `rules`).
        rules: extra rule files or directories.
        workdir: where large bodies are spooled (a private directory in it, removed with
            the export; default: the system's temporary directory). On the file system of
            the output directory, `write_export` links the files instead of copying them.

    Raises:
        UsageError: options that do not fit together, no operator, an invalid envelope, or
            EvseIDs of a foreign operator (Operator018Error).
        InputError: an input or previous file that cannot be used.
    """
    options = options or ExportOptions()
    base = ruleset if ruleset is not None else load_ruleset(rules)
    if options.severities:
        base = base.with_severities(options.severities, "severity")
    check_actions(base)
    _check_options(options, base)
    single = (str, Path, pd.DataFrame, CanonicalTable)
    items = [sources] if isinstance(sources, single) else list(sources)
    record_validator = validator_for(record_schema(base))
    builder = Builder(base, geo_format=options.geo_format)
    spool = Spool(workdir)
    sink = _sink(options, spool)
    points = FixedPoints(builder) if options.previous else None
    ahead = _Ahead(options.previous, options.geo_format, base) if options.previous else None
    collected = collect(items, options, base, record_validator, sink, points)
    request_validator = validator_for(request_schema(base))
    operator = (collected.operator_id, collected.operator_name)
    # The envelope alone (rules about it may have been ignored): a bad one spoils every file.
    problems = request_validator.errors(payload.request(FULL_LOAD, *operator, []))
    if problems:
        raise UsageError("the push envelope does not fit the schema: " + "; ".join(problems))
    bodies = sink.close()
    for stream in (True, False):  # a previous line not what its start says: read it whole
        previous = None
        if ahead is not None and stream:
            previous = ahead.result()
        elif options.previous:
            previous = LinesReader(builder, stream=stream).read(options.previous)
        notes = list(collected.notes)
        if previous is not None:
            _check_previous_operator(previous, collected.operator_id)
            notes.extend(previous.notes)
        left_out = list(collected.left_out)
        semantics = delta.Semantics(base)
        planner = _Planner(options, collected, semantics, record_validator, left_out, notes)
        try:
            planned = planner.plan(bodies, spool, previous)
            break
        except KeyMismatch:
            if not stream:
                raise
    review = planner.review(planned, previous)
    files = planned.files
    counts = {
        "read": collected.records_read,
        "sent": sum(f.records for f in files),
        "left_out": len(left_out),
        "included_with_errors": len(collected.included_invalid),
    }
    manifest = payload.manifest_bytes(
        ruleset=base,
        operator=operator,
        sub_operator_ids=options.sub_operator_ids,
        geo_format=options.geo_format,
        mode=planned.mode,
        files=files,
        snapshot=planned.snapshot,
        snapshot_records=planned.snapshot_records,
        counts=counts,
        changes=planned.changes,
        sources=collected.sources,
        previous=[str(p) for p in options.previous],
        left_out=left_out,
        included_invalid=collected.included_invalid,
        notes=notes,
        review=review,
    )
    return Export(
        operator_id=collected.operator_id,
        operator_name=collected.operator_name,
        mode=planned.mode,
        files=tuple(files),
        manifest=manifest,
        snapshot_body=planned.snapshot,
        records_read=collected.records_read,
        left_out=tuple(left_out),
        included_invalid=tuple(collected.included_invalid),
        changes=planned.changes,
        notes=tuple(notes),
        review=review,
        spool=spool,
    )


class _Ahead:
    """The previous state, read while the inputs are read and checked: in a forked process
    (Linux; `poicheck.parallel`), received by a thread as soon as it is there, so that the
    process ends early. A file that cannot be used is reported after the inputs' problems,
    as when it was read after them (the parent reads it again and meets the error)."""

    def __init__(self, paths: Sequence[Path], notation: str, ruleset: RuleSet) -> None:
        self._read = lambda: LinesReader(Builder(ruleset, geo_format=notation)).read(paths)
        self._value: StateLines | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if parallel.can_fork():
            forked = parallel.Forked(self._read)
            self._thread = threading.Thread(target=self._receive, args=(forked,), daemon=True)
            self._thread.start()

    def _receive(self, forked: parallel.Forked[StateLines]) -> None:
        try:
            self._value = forked.result()
        except BaseException as exc:  # raised where the reading belongs
            self._error = exc

    def result(self) -> StateLines:
        if self._thread is None:
            return self._read()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def _full_load(options: ExportOptions) -> bool:
    return options.action == FULL_LOAD or (options.action is None and not options.previous)


def _sink(options: ExportOptions, spool: Spool) -> Sink:
    """Where the records that go out are written as they are built."""
    if _full_load(options):
        return Sink(spool, FULL_LOAD)
    if not options.previous:
        size = options.batch_size or DEFAULT_BATCH_SIZE
        return Sink(spool, str(options.action), size=size)
    return Sink(spool, SPOOL)


def _check_options(options: ExportOptions, ruleset: RuleSet) -> None:
    ruleset.select(options.select, options.ignore)  # an unknown rule id, before the reading
    if options.geo_format not in geo.NOTATIONS:
        raise UsageError(
            f"unknown geo format '{options.geo_format}'; use one of {', '.join(geo.NOTATIONS)}"
        )
    if options.action is not None and options.action not in ACTIONS:
        raise UsageError(f"unknown ActionType '{options.action}'; use one of {', '.join(ACTIONS)}")
    if options.encoding is not None:
        check_encoding(options.encoding)
    if options.batch_size is not None and options.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if options.batch_size is not None and _full_load(options):
        implied = "" if options.action else " (the default without --action and --previous)"
        raise UsageError(
            f"--batch-size cannot split a fullLoad{implied}: every fullLoad replaces everything "
            "Hubject holds for the operator, so of several fullLoad requests only the last "
            "would remain. Push one fullLoad, or batches of --action insert / update, or plan "
            "a delta with --previous"
        )
    pattern = ruleset.types["OperatorIDType"].pattern or ""
    for sub in options.sub_operator_ids:
        if not re.fullmatch(pattern, sub, flags=re.ASCII):
            raise UsageError(
                f"--sub-operator-id '{sub}' is not an ISO (DE*A36) or DIN (+49*536) operator ID"
            )


def _check_previous_operator(previous: StateLines, operator_id: str) -> None:
    known = previous.operator_id
    if known and normalise_operator_id(known) != normalise_operator_id(operator_id):
        raise UsageError(
            f"the previous data is of OperatorID {known}, this export of {operator_id}; a delta "
            "between two operators would delete the other operator's records"
        )


@dataclass
class _Planner:
    """Turns the collected records (and the previous state) into requests in sending order."""

    options: ExportOptions
    collected: Collected
    semantics: delta.Semantics
    validator: SchemaValidator
    left_out: list[Excluded]
    notes: list[str]

    @property
    def operator(self) -> str:
        return self.collected.operator_id

    @property
    def envelope(self) -> tuple[str, str]:
        return self.collected.operator_id, self.collected.operator_name

    def plan(
        self, bodies: list[tuple[Body, int]], spool: Spool, previous: StateLines | None
    ) -> _Planned:
        lines = None
        if previous is not None:
            builder = Builder(self.semantics.ruleset, geo_format=self.options.geo_format)
            rebuild = PreviousReader(builder)
            sent = self.collected.sent
            lines = plan_lines.Lines(sent, [body for body, _ in bodies], previous, rebuild)
        if _full_load(self.options):
            return self.full_load(bodies, lines)
        if lines is None:
            return self.batches(str(self.options.action), bodies)
        return self.delta(lines, spool)

    def full_load(
        self, bodies: list[tuple[Body, int]], lines: plan_lines.Lines | None
    ) -> _Planned:
        sent = self.collected.sent
        if not len(sent):
            raise InputError(
                f"no record to export ({len(self.left_out)} left out): a fullLoad without "
                f"records would delete every EVSE Hubject holds for {self.operator}; "
                "`poicheck validate` shows what to fix"
            )
        if self.options.action is None:
            self.notes.append(
                f"no --action and no --previous: one fullLoad, which replaces every EVSE "
                f"Hubject holds for {self.operator}"
            )
        changes = plan = None
        if lines is not None:
            plan = plan_lines.plan(lines, self.semantics)
            changes = plan.changes
        self._guard_full_load(changes, lines.previous if lines else None)
        if self.left_out:
            self.notes.append(
                f"the fullLoad leaves out {len(self.left_out)} record(s) (--allow-deletions): "
                "Hubject will not hold them after this push, and deletes those it had"
            )
        ((body, count),) = bodies
        runs = payload.runs(sent.files, sent.column("table"), sent.column("row"))
        files = [PayloadFile(_name(1, 1, FULL_LOAD), FULL_LOAD, count, body, runs)]
        return _Planned(FULL_LOAD, files, body, count, changes, plan, lines)

    def _guard_full_load(self, changes: Changes | None, previous: StateLines | None) -> None:
        """A fullLoad replaces everything Hubject holds for the operator: refuse one that
        leaves records out, or deletes more than max_deletions % of the previous state,
        unless the user allowed deletions."""
        if self.options.allow_deletions:
            return
        problems = []
        if self.left_out:
            problems.append(
                f"{len(self.left_out)} of {self.collected.records_read} records are left out "
                f"({_top_reasons(self.left_out)}); see `poicheck validate` for every finding"
            )
        if changes is not None and previous is not None and len(previous):
            share = 100.0 * changes.delete / len(previous)
            if share > self.options.max_deletions:
                problems.append(
                    f"{changes.delete} of the {len(previous)} EVSEs of the previous "
                    f"state ({share:.1f} %, more than the {self.options.max_deletions:g} % "
                    "allowed) are not in this data"
                )
        if problems:
            raise DeletionRefusedError(
                "nothing written: a fullLoad replaces every EVSE Hubject holds for "
                f"{self.operator}, so Hubject would delete EVSEs: " + "; ".join(problems) + ". "
                "Fix the data, push a delta (--previous, or --action insert / update), or "
                "confirm the deletions with --allow-deletions"
            )

    def review(self, planned: _Planned, previous: StateLines | None) -> Review:
        """Values left out of sent records, many deletions and far moves, for a person."""
        dropped = tuple(self.collected.dropped)
        limit = self.options.max_deletions
        plan, lines = planned.plan, planned.lines
        if previous is None or plan is None or lines is None:
            return Review(dropped=dropped, max_deletions=limit)
        records = plan_lines.delete_records(lines, plan)
        deleted = tuple(str(record.get("EvseID")) for _, record in records)
        moved = tuple(_moves(plan, self.collected.sent))
        return Review(dropped, len(deleted), len(previous), deleted, moved, limit)

    def batches(self, action: str, bodies: list[tuple[Body, int]]) -> _Planned:
        self.notes.append(
            "without --previous the state at Hubject is unknown, so no snapshot is written; "
            "next time give the files pushed so far (a fullLoad first) as --previous"
        )
        sent = self.collected.sent
        body_of, table, rows = sent.column("body"), sent.column("table"), sent.column("row")
        files = []
        for number, (body, count) in enumerate(bodies, start=1):
            mine = body_of == number - 1
            runs = payload.runs(sent.files, table[mine], rows[mine])
            files.append(PayloadFile(_name(number, len(bodies), action), action, count, body, runs))
        return _Planned(action, files, None, 0, None)

    def delta(self, lines: plan_lines.Lines, spool: Spool) -> _Planned:
        plan = plan_lines.plan(lines, self.semantics, keep=self.collected.left_out_keys)
        owners = (self.operator, *self.options.sub_operator_ids)
        plan = self._sendable_deletes(lines, plan, owners)
        whole_plan = plan
        action = self.options.action
        if action is not None:
            whole = plan.changes
            plan = plan.only(action)
            rest = whole.insert + whole.update + whole.delete - len(plan.inserts) - len(
                plan.updates
            ) - len(plan.deletes)
            if rest:
                self.notes.append(f"--action {action}: {rest} other change(s) are not sent")
        if plan.kept:
            self.notes.append(
                f"{plan.kept} record(s) left out for errors stay at Hubject as they were "
                "(neither updated nor deleted)"
            )
        files = self._delta_files(lines, plan, spool)
        if not files:
            self.notes.append("no request to send: nothing to change since the previous state")
        snapshot, count = plan_lines.snapshot(lines, plan, spool, self.envelope)
        return _Planned(action or "delta", files, snapshot, count, plan.changes, whole_plan, lines)

    def _delta_files(
        self, lines: plan_lines.Lines, plan: plan_lines.LinesPlan, spool: Spool
    ) -> list[PayloadFile]:
        """Inserts, then updates, then deletes, in requests of at most the batch size."""
        size = self.options.batch_size or DEFAULT_BATCH_SIZE
        sent = self.collected.sent
        table, rows = sent.column("table"), sent.column("row")
        parts: list[tuple[str, Any, tuple[dict[str, Any], ...]]] = []
        for action, numbers in ((INSERT, plan.inserts), (UPDATE, plan.updates)):
            for start in range(0, len(numbers), size):
                chunk = numbers[start : start + size]
                runs = payload.runs(sent.files, table[chunk], rows[chunk])
                parts.append((action, plan_lines.new_places(lines, chunk), runs))
        records = plan_lines.delete_records(lines, plan)
        for start in range(0, len(records), size):
            chunk = [payload.record_text(r).encode() for _, r in records[start : start + size]]
            parts.append((DELETE, chunk, payload.previous_runs(len(chunk))))
        files = []
        for number, (action, places, runs) in enumerate(parts, start=1):
            if action == DELETE:
                body, count = write_records(spool, action, self.envelope, places)
            else:
                body, count = write_ranges(spool, action, self.envelope, places)
            files.append(PayloadFile(_name(number, len(parts), action), action, count, body, runs))
        return files

    def _sendable_deletes(
        self, lines: plan_lines.Lines, plan: plan_lines.LinesPlan, owners: tuple[str, ...]
    ) -> plan_lines.LinesPlan:
        """Deletes must pass the 018 check and the schema like any request; a previous record
        that does not fit the schema cannot be deleted by a valid request and stays listed."""
        records = plan_lines.delete_records(lines, plan)
        ids = pd.Series([record.get("EvseID") for _, record in records], dtype="str")
        foreign = ~belongs_to(ids, owners) & ids.notna().to_numpy()
        if foreign.any():
            parts = sorted({display_operator(str(p)) for p in operator_part(ids[foreign])})
            raise Operator018Error(
                f"the plan deletes EvseIDs of {', '.join(parts)}, which belong to neither "
                f"{', '.join(owners)}; Hubject would refuse the push with status 018. Declare "
                "the sub-operators with --sub-operator-id"
            )
        sendable = []
        for number, (_, record) in zip(plan.deletes.tolist(), records, strict=True):
            problems = self.validator.errors(record, limit=5)
            if not problems:
                sendable.append(number)
                continue
            reasons = tuple(
                Reason(
                    None,
                    p.partition(": ")[0],
                    "cannot be deleted: the previous record does "
                    f"not fit the eRoamingPushEvseData schema: {p.partition(': ')[2]}",
                )
                for p in problems
            )
            self.left_out.append(Excluded("(previous)", None, None, record.get("EvseID"), reasons))
        plan.deletes = np.array(sendable, dtype=np.int64)
        return plan


def _name(number: int, count: int, action: str) -> str:
    width = max(4, len(str(count)))
    return f"{number:0{width}d}-{action}.json"


def _top_reasons(left_out: Sequence[Excluded]) -> str:
    """The rules that keep most records out: `PWR007 3, IDN003 2, schema 1`."""
    counted: dict[str, int] = {}
    for item in left_out:
        for name in dict.fromkeys(r.rule or "schema" for r in item.reasons):
            counted[name] = counted.get(name, 0) + 1
    ranked = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{name} {count}" for name, count in ranked[:5])
    return shown + (", ..." if len(ranked) > 5 else "")


def _moves(plan: plan_lines.LinesPlan, sent: Any) -> list[Moved]:
    """Updated EVSEs whose position moves by more than REVIEW_MOVE_KM."""
    out = []
    evse_ids = sent.texts("evse_id")
    for new, old in zip(plan.updates.tolist(), plan.updated.tolist(), strict=True):
        before = geo.position(plan.rebuilt.get(old, {}).get("GeoCoordinates"))
        after = geo.position(plan.after[new].get("GeoCoordinates"))
        if before is None or after is None:
            continue
        km = geo.distance_km(before, after)
        if km > REVIEW_MOVE_KM:
            out.append(Moved(str(evse_ids[new].as_py()), before, after, km))
    return out
