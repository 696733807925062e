"""Planning the requests of an export, in sending order, from the records collected and the
previous state: one fullLoad, batches of one ActionType, or the delta (issue 22: planned on
record lines, `poicheck.export.plan_lines`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from poicheck.errors import InputError
from poicheck.export import delta, payload, plan_lines
from poicheck.export.body import Body, Spool, write_ranges, write_records
from poicheck.export.index import Built, index_body, index_table
from poicheck.export.model import (
    DEFAULT_BATCH_SIZE,
    DELETE,
    FULL_LOAD,
    INSERT,
    REVIEW_MOVE_KM,
    UPDATE,
    Changes,
    DeletionRefusedError,
    Excluded,
    ExportOptions,
    Moved,
    PayloadFile,
    Reason,
    Review,
)
from poicheck.export.ownership import Operator018Error
from poicheck.export.previous import StateLines
from poicheck.export.records import Collected
from poicheck.export.snapshot import PreviousReader
from poicheck.oicp import coordinates as geo
from poicheck.oicp.convert import Builder
from poicheck.oicp.identifiers import belongs_to, display_operator, operator_part
from poicheck.ruleset.schema import SchemaValidator


def full_load(options: ExportOptions) -> bool:
    """Whether the export is one fullLoad (the default without --action and --previous)."""
    return options.action == FULL_LOAD or (options.action is None and not options.previous)


@dataclass
class Planned:
    mode: str
    files: list[PayloadFile]
    snapshot: Body | None
    snapshot_records: int
    changes: Changes | None
    plan: plan_lines.LinesPlan | None = None
    lines: plan_lines.Lines | None = None
    index: Body | None = None  # the snapshot's (poicheck.export.index)


@dataclass
class Planner:
    """Turns the collected records (and the previous state) into requests in sending order."""

    options: ExportOptions
    collected: Collected
    semantics: delta.Semantics
    validator: SchemaValidator
    left_out: list[Excluded]
    notes: list[str]
    fingerprint: str = ""  # of the lines this export makes (index.fingerprint)

    @property
    def operator(self) -> str:
        return self.collected.operator_id

    @property
    def envelope(self) -> tuple[str, str]:
        return self.collected.operator_id, self.collected.operator_name

    def plan(
        self, bodies: list[tuple[Body, int]], spool: Spool, previous: StateLines | None
    ) -> Planned:
        lines = None
        if previous is not None:
            builder = Builder(self.semantics.ruleset, geo_format=self.options.geo_format)
            rebuild = PreviousReader(builder)
            sent = self.collected.sent
            known = previous.built
            fixed = None
            if known is not None and known.fingerprint == self.fingerprint:
                fixed = known.fixed
            new = [body for body, _ in bodies]
            lines = plan_lines.Lines(sent, new, previous, rebuild, fixed)
        if full_load(self.options):
            return self.full_load(bodies, lines)
        if lines is None:
            return self.batches(str(self.options.action), bodies)
        return self.delta(lines, spool)

    def full_load(self, bodies: list[tuple[Body, int]], lines: plan_lines.Lines | None) -> Planned:
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
        index = self._full_load_index(body)
        return Planned(FULL_LOAD, files, body, count, changes, plan, lines, index)

    def _full_load_index(self, body: Body) -> Body | None:
        """The fullLoad is the snapshot: its index is that of the records sent, in order."""
        sent = self.collected.sent
        if not all("cells" in part for part in sent.parts):
            return None
        built = Built(
            sent.column("cells").reshape(-1, 2).astype(np.uint64),
            sent.column("fixed").astype(bool),
            self.fingerprint,
        )
        places = (sent.column("offset"), sent.column("length"))
        hashes = sent.column("hash").reshape(-1, 2).astype(np.uint64)
        table = index_table(sent.texts("key"), places, hashes, built)
        return index_body(table, self.fingerprint, body)

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

    def review(self, planned: Planned, previous: StateLines | None) -> Review:
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

    def batches(self, action: str, bodies: list[tuple[Body, int]]) -> Planned:
        self.notes.append(
            "without --previous the state at Hubject is unknown, so no snapshot is written; "
            "next time give the files pushed so far (a fullLoad first) as --previous"
        )
        sent = self.collected.sent
        body_of, table, rows = sent.column("body"), sent.column("table"), sent.column("row")
        bounds = np.searchsorted(body_of, np.arange(len(bodies) + 1))  # bodies in sending order
        files = []
        for number, (body, count) in enumerate(bodies, start=1):
            mine = slice(int(bounds[number - 1]), int(bounds[number]))
            runs = payload.runs(sent.files, table[mine], rows[mine])
            files.append(PayloadFile(_name(number, len(bodies), action), action, count, body, runs))
        return Planned(action, files, None, 0, None)

    def delta(self, lines: plan_lines.Lines, spool: Spool) -> Planned:
        plan = plan_lines.plan(lines, self.semantics, keep=self.collected.left_out_keys)
        owners = (self.operator, *self.options.sub_operator_ids)
        plan = self._sendable_deletes(lines, plan, owners)
        whole_plan = plan
        action = self.options.action
        if action is not None:
            whole = plan.changes
            plan = plan.only(action)
            rest = (
                whole.insert
                + whole.update
                + whole.delete
                - len(plan.inserts)
                - len(plan.updates)
                - len(plan.deletes)
            )
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
        snapshot, count, index = plan_lines.snapshot(
            lines, plan, spool, self.envelope, self.fingerprint
        )
        mode = action or "delta"
        return Planned(mode, files, snapshot, count, plan.changes, whole_plan, lines, index)

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
            texts = [payload.record_text(r).encode() for _, r in records[start : start + size]]
            parts.append((DELETE, texts, payload.previous_runs(len(texts))))
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
