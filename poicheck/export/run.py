"""The export, start to end: collect the records, plan the requests, serialise, write."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from poicheck.api import Input
from poicheck.errors import InputError, UsageError
from poicheck.export import delta, payload
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
from poicheck.export.records import Collected, Operator018Error, collect, display_operator
from poicheck.export.snapshot import PreviousReader, PreviousState
from poicheck.files.user import check_encoding
from poicheck.oicp import coordinates as geo
from poicheck.oicp.convert import Builder
from poicheck.oicp.identifiers import belongs_to, normalise_operator_id, operator_part
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.schema import SchemaValidator, record_schema, request_schema, validator_for
from poicheck.table import CanonicalTable

Record = dict[str, Any]
Parts = list[tuple[str, list[Record]]]


@dataclass
class _Planned:
    mode: str
    parts: Parts
    snapshot: list[Record] | None
    changes: Changes | None
    plan: delta.Plan | None = None


def build_export(
    sources: Input | Sequence[Input],
    options: ExportOptions | None = None,
    *,
    ruleset: RuleSet | None = None,
    rules: Sequence[str | Path] = (),
) -> Export:
    """Build the payload files, manifest and snapshot of an export in memory.

    Args:
        sources: paths (.xlsx, .csv, .json) or canonical DataFrames, one or a list.
        options: what to export and how (ExportOptions()).
        ruleset: a rule set already loaded (overrides `rules`).
        rules: extra rule files or directories.

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
    collected = collect(items, options, base, record_validator)
    request_validator = validator_for(request_schema(base))
    operator = (collected.operator_id, collected.operator_name)
    # The envelope alone (rules about it may have been ignored): a bad one spoils every file.
    problems = request_validator.errors(payload.request(FULL_LOAD, *operator, []))
    if problems:
        raise UsageError("the push envelope does not fit the schema: " + "; ".join(problems))
    builder = Builder(base, geo_format=options.geo_format)
    previous = PreviousReader(builder).read(options.previous) if options.previous else None
    notes = list(collected.notes)
    if previous is not None:
        _check_previous_operator(previous, collected.operator_id)
        notes.extend(previous.notes)
    left_out = list(collected.left_out)
    planner = _Planner(options, collected, delta.Semantics(base), record_validator, left_out, notes)
    planned = planner.plan(previous)
    review = planner.review(planned, previous)
    files = payload.payload_files(planned.parts, operator, request_validator, _sources(collected))
    snapshot = _snapshot(planned, files, operator)
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
        snapshot=snapshot,
        snapshot_records=len(planned.snapshot or ()),
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
        files=files,
        manifest=manifest,
        snapshot=snapshot,
        records_read=collected.records_read,
        left_out=tuple(left_out),
        included_invalid=tuple(collected.included_invalid),
        changes=planned.changes,
        notes=tuple(notes),
        review=review,
    )


def _sources(collected: Collected) -> Callable[[Record], tuple[str, int | None]]:
    """Where a record in a request came from (manifest files[].record_sources).

    The requests hold the candidates' own payload dicts (the planner never copies them), so
    the dict's identity finds its candidate; any other record is a delete planned from the
    previous state.
    """
    where = {id(c.payload): c for c in collected.candidates}

    def source_of(record: Record) -> tuple[str, int | None]:
        found = where.get(id(record))
        return ("(previous)", None) if found is None else (found.file, found.row)

    return source_of


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
    full_load = options.action == FULL_LOAD or (options.action is None and not options.previous)
    if options.batch_size is not None and full_load:
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


def _check_previous_operator(previous: PreviousState, operator_id: str) -> None:
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

    def plan(self, previous: PreviousState | None) -> _Planned:
        action = self.options.action
        if action == FULL_LOAD or (action is None and previous is None):
            return self.full_load(previous)
        assert action is not None or previous is not None
        if previous is None:
            return self.batches(str(action))
        return self.delta(previous)

    def full_load(self, previous: PreviousState | None) -> _Planned:
        records = [c.payload for c in self.collected.candidates]
        if not records:
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
        if previous is not None:
            candidates = self.collected.candidates
            plan = delta.plan(previous.records, candidates, self.semantics)
            changes = plan.changes
        self._guard_full_load(changes, previous)
        if self.left_out:
            self.notes.append(
                f"the fullLoad leaves out {len(self.left_out)} record(s) (--allow-deletions): "
                "Hubject will not hold them after this push, and deletes those it had"
            )
        return _Planned(FULL_LOAD, [(FULL_LOAD, records)], records, changes, plan)

    def _guard_full_load(self, changes: Changes | None, previous: PreviousState | None) -> None:
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
        if changes is not None and previous is not None and previous.records:
            share = 100.0 * changes.delete / len(previous.records)
            if share > self.options.max_deletions:
                problems.append(
                    f"{changes.delete} of the {len(previous.records)} EVSEs of the previous "
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

    def review(self, planned: _Planned, previous: PreviousState | None) -> Review:
        """Values left out of sent records, many deletions and far moves, for a person."""
        dropped = tuple(self.collected.dropped)
        limit = self.options.max_deletions
        plan = planned.plan
        if previous is None or plan is None:
            return Review(dropped=dropped, max_deletions=limit)
        deleted = tuple(str(record.get("EvseID")) for _, record in plan.deletes)
        moved = tuple(_moves(previous.records, plan.updates))
        return Review(dropped, len(deleted), len(previous.records), deleted, moved, limit)

    def batches(self, action: str) -> _Planned:
        self.notes.append(
            "without --previous the state at Hubject is unknown, so no snapshot is written; "
            "next time give the files pushed so far (a fullLoad first) as --previous"
        )
        records = [c.payload for c in self.collected.candidates]
        return _Planned(action, _chunks(action, records, self.size), None, None)

    def delta(self, previous: PreviousState) -> _Planned:
        plan = delta.plan(
            previous.records,
            self.collected.candidates,
            self.semantics,
            keep=self.collected.left_out_keys,
        )
        owners = (self.operator, *self.options.sub_operator_ids)
        plan = _sendable_deletes(plan, self.validator, self.left_out, owners)
        whole_plan = plan
        action = self.options.action
        if action is not None:
            whole = plan.changes
            plan = plan.only(action)
            rest = whole.insert + whole.update + whole.delete - len(plan.records)
            if rest:
                self.notes.append(f"--action {action}: {rest} other change(s) are not sent")
        if plan.kept:
            self.notes.append(
                f"{plan.kept} record(s) left out for errors stay at Hubject as they were "
                "(neither updated nor deleted)"
            )
        parts = (
            _chunks(INSERT, [c.payload for c in plan.inserts], self.size)
            + _chunks(UPDATE, [c.payload for c in plan.updates], self.size)
            + _chunks(DELETE, [record for _, record in plan.deletes], self.size)
        )
        if not parts:
            self.notes.append("no request to send: nothing to change since the previous state")
        snapshot = list(delta.apply(previous.records, plan).values())
        return _Planned(action or "delta", parts, snapshot, plan.changes, whole_plan)

    @property
    def size(self) -> int:
        return self.options.batch_size or DEFAULT_BATCH_SIZE


def _chunks(action: str, records: list[Record], size: int) -> Parts:
    return [(action, list(chunk)) for chunk in payload.batches(records, size)]


def _sendable_deletes(
    plan: delta.Plan,
    validator: SchemaValidator,
    left_out: list[Excluded],
    owners: tuple[str, ...],
) -> delta.Plan:
    """Deletes must pass the 018 check and the schema like any request; a previous record
    that does not fit the schema cannot be deleted by a valid request and stays listed."""
    ids = pd.Series([record.get("EvseID") for _, record in plan.deletes], dtype="str")
    foreign = ~belongs_to(ids, owners) & ids.notna().to_numpy()
    if foreign.any():
        parts = sorted({display_operator(str(p)) for p in operator_part(ids[foreign])})
        raise Operator018Error(
            f"the plan deletes EvseIDs of {', '.join(parts)}, which belong to neither "
            f"{', '.join(owners)}; Hubject would refuse the push with status 018. Declare "
            "the sub-operators with --sub-operator-id"
        )
    sendable = []
    for key, record in plan.deletes:
        problems = validator.errors(record, limit=5)
        if not problems:
            sendable.append((key, record))
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
        left_out.append(Excluded("(previous)", None, None, record.get("EvseID"), reasons))
    return delta.Plan(plan.inserts, plan.updates, tuple(sendable), plan.unchanged, plan.kept)


def _snapshot(
    planned: _Planned, files: Sequence[PayloadFile], operator: tuple[str, str]
) -> bytes | None:
    """The state after the push; a fullLoad's is its own request, whose bytes are written
    already (serialising 100,000 records a second time took ~3.6 s)."""
    if planned.snapshot is None:
        return None
    for (action, records), file in zip(planned.parts, files, strict=True):
        if action == FULL_LOAD and records is planned.snapshot:
            return file.data
    return payload.snapshot_bytes(operator, planned.snapshot)


def _top_reasons(left_out: Sequence[Excluded]) -> str:
    """The rules that keep most records out: `PWR007 3, IDN003 2, schema 1`."""
    counted: dict[str, int] = {}
    for item in left_out:
        for name in dict.fromkeys(r.rule or "schema" for r in item.reasons):
            counted[name] = counted.get(name, 0) + 1
    ranked = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{name} {count}" for name, count in ranked[:5])
    return shown + (", ..." if len(ranked) > 5 else "")


def _moves(previous: dict[str, Record], updates: Sequence[Any]) -> list[Moved]:
    """Updated EVSEs whose position moves by more than REVIEW_MOVE_KM."""
    out = []
    for candidate in updates:
        before = geo.position(previous.get(candidate.key, {}).get("GeoCoordinates"))
        after = geo.position(candidate.payload.get("GeoCoordinates"))
        if before is None or after is None:
            continue
        km = geo.distance_km(before, after)
        if km > REVIEW_MOVE_KM:
            out.append(Moved(candidate.evse_id, before, after, km))
    return out
