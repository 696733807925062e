"""The changes `poicheck fix` makes: proposed, applied in memory, re-validated, kept or held
back, pass after pass until nothing is left to fix (as sqlfluff's fix loop does).

A pass applies every allowed proposal at once (safe ones; unsafe ones with `unsafe`), except
one that reads a cell another proposal of the record writes (a time zone from coordinates
that are being swapped): it waits for the next pass, which sees the new cells. The table is
then validated again, and a change is held back (reverted, and never proposed again) when

- its finding is still there (the fix does not resolve what it is for), or
- its record has a finding the input did not have (a fix must never make things worse).

A fix is the rules' business; this module only orders, applies and judges them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from poicheck.fix.propose import PROPOSAL_COLUMNS, propose
from poicheck.oicp.pointers import PointerBuilder
from poicheck.results.report import Report
from poicheck.ruleset.model import Rule, RuleSet, wildcard_matcher
from poicheck.table import CanonicalTable, Layout, object_values

MAX_PASSES = 4
CHANGE_COLUMNS = [
    "record",
    "row",
    "evse_id",
    "column",
    "pointer",
    "rule",
    "before",
    "after",
    "applicability",
    "wire",
]
Validator = Callable[[CanonicalTable], Report]
Key = tuple[int, str, str]  # record, rule, field of a finding


@dataclass
class Plan:
    """What fixing a table does: the changes (CHANGE_COLUMNS, one per changed cell), the
    ones held back (with `reason`), the unsafe ones left for --unsafe-fixes, the table with
    the changes, and its report."""

    changes: pd.DataFrame
    held_back: pd.DataFrame
    unsafe_left: pd.DataFrame
    table: CanonicalTable
    report: Report
    passes: int = 0
    notes: list[str] = field(default_factory=list)


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts with text keys."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def keys(frame: pd.DataFrame) -> set[Key]:
    """The (record, rule, field) of every finding about a record."""
    located = frame[frame["record"].notna()]
    return set(
        zip(
            located["record"].astype("int64").tolist(),
            located["rule"].astype(str).tolist(),
            located["field"].fillna("").astype(str).tolist(),
            strict=True,
        )
    )


def plan_fixes(
    table: CanonicalTable,
    report: Report,
    validate: Validator,
    ruleset: RuleSet,
    *,
    unsafe: bool = False,
    max_passes: int = MAX_PASSES,
) -> Plan:
    """Fix `table` (whose findings are `report`'s) in memory; `validate` checks a table with
    the run's options. Nothing is written."""
    base = keys(report.frame)
    accepted: dict[tuple[int, str], dict[str, Any]] = {}
    held: list[dict[str, Any]] = []
    blocked: set[tuple[int, str, str]] = set()
    left = pd.DataFrame(columns=PROPOSAL_COLUMNS)
    current, found, passes = table, report, 0
    judge = _Judge(base, validate, ruleset, unsafe, held, blocked)
    for passes in range(1, max_passes + 1):
        proposed = _proposals(found, current, ruleset, blocked)
        allowed = _independent(proposed[(proposed["applicability"] == "safe") | unsafe], ruleset)
        left = _independent(proposed, ruleset)
        left = left[(left["applicability"] == "unsafe") & (not unsafe)]
        if allowed.empty:
            passes -= 1
            break
        current_next, found_next, kept = judge.judged(allowed, current, found)
        for change in records_of(kept):
            where = (int(change["record"]), str(change["column"]))
            first = accepted.get(where)
            accepted[where] = {**change, "before": first["before"] if first else change["before"]}
        current, found = current_next, found_next
    current, found = judge.settled(table, current, found, accepted)
    return Plan(
        changes=_changes(list(accepted.values()), table, ruleset),
        held_back=_changes(held, table, ruleset, extra=("reason",)),
        unsafe_left=_changes(records_of(left), table, ruleset),
        table=current,
        report=found,
        passes=passes,
    )


def _proposals(
    report: Report, table: CanonicalTable, ruleset: RuleSet, blocked: set[tuple[int, str, str]]
) -> pd.DataFrame:
    proposed = propose(report.frame, table.frame, ruleset, table.source.format)
    if proposed.empty:
        return proposed
    fields = report.frame["field"].to_numpy(dtype=object)[proposed["finding"].to_numpy()]
    proposed = proposed.assign(field=fields)
    keep = [
        (int(r), str(c), str(rule)) not in blocked
        for r, c, rule in zip(proposed["record"], proposed["column"], proposed["rule"], strict=True)
    ]
    return proposed[np.asarray(keep, dtype=bool)].reset_index(drop=True)


def _independent(proposed: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """One proposal per cell (the first: the findings' order), and none that reads a cell
    another proposal of its record writes (it waits for the next pass)."""
    if proposed.empty:
        return proposed
    proposed = proposed.drop_duplicates(["record", "column"]).reset_index(drop=True)
    asked = _reads(proposed, ruleset)
    if asked.empty:
        return proposed
    writes = proposed[["record", "column", "finding"]]
    clash = asked.merge(writes, on=["record", "column"], suffixes=("", "_writer"))
    waiting = clash.loc[clash["finding"] != clash["finding_writer"], "at"].to_numpy()
    keep = np.ones(len(proposed), dtype=bool)
    keep[waiting.astype(np.int64)] = False
    return proposed[keep].reset_index(drop=True)


def _reads(proposed: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """(at, record, finding, column): the cells each proposal's fix kind read to make it
    (row kinds: the country, the position), worked out once per rule and field."""
    from poicheck.fix.kinds import get_fix_kind

    read: dict[tuple[str, str], list[str]] = {}
    for rule_id, field_name in set(zip(proposed["rule"], proposed["field"], strict=True)):
        rule = ruleset.rules[str(rule_id)]
        columns: set[str] = set()
        for spec in rule.fixes:
            params = {**rule.params, **spec.params}
            columns.update(get_fix_kind(spec.kind).reads(str(field_name), params))
        read[(str(rule_id), str(field_name))] = sorted(columns)
    pairs = list(zip(proposed["rule"].astype(str), proposed["field"].astype(str), strict=True))
    lists = pd.Series([read[p] for p in pairs], index=proposed.index, dtype=object)
    asked = proposed.assign(at=np.arange(len(proposed)), column=lists)
    asked = asked.explode("column").dropna(subset=["column"])
    return asked[["at", "record", "finding", "column"]]


class _Judge:
    """Keeps the proposals of a pass that resolve their findings and make nothing worse."""

    def __init__(
        self,
        base: set[Key],
        validate: Validator,
        ruleset: RuleSet,
        unsafe: bool,
        held: list[dict[str, Any]],
        blocked: set[tuple[int, str, str]],
    ) -> None:
        self.base, self.validate, self.ruleset, self.unsafe = base, validate, ruleset, unsafe
        self.held, self.blocked = held, blocked

    def judged(
        self, allowed: pd.DataFrame, current: CanonicalTable, found: Report
    ) -> tuple[CanonicalTable, Report, pd.DataFrame]:
        """The table and report with the proposals that pass, and those proposals. A new
        finding that a fix of the next pass takes care of (a time zone wrong at the swapped
        position) does not count against a proposal; `settled` checks the end."""
        for _ in range(MAX_PASSES):
            fixed = applied(current, allowed, self.ruleset)
            report = self.validate(fixed)
            after = keys(report.frame)
            new = _by_record(after - self.base - self._fixable(report, fixed, after - self.base))
            reasons = [self._reason(change, after, new) for change in records_of(allowed)]
            bad = np.array([bool(r) for r in reasons], dtype=bool)
            if not bad.any():
                return fixed, report, allowed
            for change, reason in zip(
                records_of(allowed[bad]), np.array(reasons)[bad], strict=True
            ):
                self.hold(change, str(reason))
            allowed = allowed[~bad].reset_index(drop=True)
            if allowed.empty:
                break
        return current, found, allowed.iloc[0:0]

    def settled(
        self,
        table: CanonicalTable,
        current: CanonicalTable,
        found: Report,
        accepted: dict[tuple[int, str], dict[str, Any]],
    ) -> tuple[CanonicalTable, Report]:
        """After the last pass: the changes of a record that still has a finding the input
        had not, and that the finding's rule reads, are held back (the input's values come
        back). A new finding no change of its record explains (a rule across rows, moved by
        another record's change) stays, and the summary counts it."""
        for _ in range(MAX_PASSES):
            new = _by_record(keys(found.frame) - self.base)
            blamed = [w for w in accepted if self._blamed(w[1], new.get(w[0], set()))]
            if not blamed:
                break
            for where in blamed:
                self.hold(accepted.pop(where), _introduces(where[0], new[where[0]]))
            kept = pd.DataFrame(list(accepted.values()), columns=[*PROPOSAL_COLUMNS, "field"])
            current = applied(table, kept, self.ruleset)
            found = self.validate(current)
        return current, found

    def hold(self, change: dict[str, Any], reason: str) -> None:
        self.held.append({**change, "reason": reason})
        self.blocked.add((int(str(change["record"])), str(change["column"]), str(change["rule"])))

    def _reason(self, change: dict[str, Any], after: set[Key], new: dict[int, set[Key]]) -> str:
        record = int(str(change["record"]))
        if (record, str(change["rule"]), str(change["field"])) in after:
            return f"does not resolve {change['rule']}"
        mine = new.get(record, set())
        if mine and self._blamed(str(change["column"]), mine):
            return _introduces(record, mine)
        return ""

    def _blamed(self, column: str, new: set[Key]) -> bool:
        """Whether the new findings of a record (none: False) may come from a change of
        `column`: it is a cell their rules read (or a rule's reads are unknown: then every
        change is)."""
        for _, rule_id, _ in new:
            rule = self.ruleset.rules.get(rule_id)
            read = _read_by(rule, self.ruleset) if rule is not None else None
            if read is None or any(_within(column, path, self.ruleset) for path in read):
                return True
        return False

    def _fixable(self, report: Report, table: CanonicalTable, new: set[Key]) -> set[Key]:
        """Which of the `new` findings a fix of the next pass would take up."""
        if not new:
            return set()
        proposed = _proposals(report, table, self.ruleset, self.blocked)
        if not self.unsafe:
            proposed = proposed[proposed["applicability"] == "safe"]
        fields = report.frame["field"].fillna("").astype(str).to_numpy(dtype=object)
        return {
            (int(record), str(rule), str(fields[int(at)]))
            for record, rule, at in zip(
                proposed["record"], proposed["rule"], proposed["finding"], strict=True
            )
        } & new


def _read_by(rule: Rule, ruleset: RuleSet) -> set[str] | None:
    """The properties a rule's check reads: its fields, the columns and sibling names its
    parameters give (`country: Address.Country`, `sibling: PowerType`) and what its kind
    reads; None for a reader's rule (it reads the raw file)."""
    from poicheck.checks import get_kind

    kind = get_kind(rule.kind)
    if kind.scope == "reader":
        return None
    named: set[str] = set()
    for value in rule.params.values():
        for name in value if isinstance(value, dict) else [value]:
            if isinstance(name, str) and _NAME.fullmatch(name):
                named.add(name)
    return {*rule.fields, *named, *kind.reads}


_NAME = re.compile(r"[A-Z][A-Za-z0-9]*(\.([A-Za-z0-9]+|\*))*")


def _within(column: str, path: str, ruleset: RuleSet) -> bool:
    """Whether `column` is the property `path`, lies inside it, or (for a bare name such as
    PowerType) is a sibling of that name."""
    if column == path or column.startswith(path + "."):
        return True
    if "*" in path:
        matcher = wildcard_matcher(path, ruleset.properties)
        parts = column.split(".")
        return any(matcher.fullmatch(".".join(parts[:n])) for n in range(1, len(parts) + 1))
    return "." not in path and column.endswith("." + path)


def _by_record(found: set[Key]) -> dict[int, set[Key]]:
    out: dict[int, set[Key]] = {}
    for key in found:
        out.setdefault(key[0], set()).add(key)
    return out


def _introduces(record: int, new: set[Key]) -> str:
    caused = sorted(f"{rule} ({name})" for r, rule, name in new if r == record)
    return "would introduce " + ", ".join(caused)


def applied(table: CanonicalTable, changes: pd.DataFrame, ruleset: RuleSet) -> CanonicalTable:
    """`table` with the changes' `after` in their cells. The reader's findings about a
    changed cell that a fix is declared for (how the value was stored: a number for a phone
    number, a string for a Boolean) go with the old value."""
    frame = table.frame.copy(deep=False)
    encoded = dict(table.encoded)
    for column, group in changes.groupby("column", sort=False):
        name = str(column)
        values = (
            object_values(frame[name]).copy()
            if name in frame.columns
            else np.full(len(frame), None, dtype=object)
        )
        values[group["record"].to_numpy(dtype=np.int64)] = group["after"].to_numpy(dtype=object)
        frame[name] = pd.array(values, dtype="str")
        encoded.pop(name, None)
    changed = set(zip(changes["record"].astype(int), changes["column"].astype(str), strict=True))
    fixable = {rule.id for rule in ruleset.rules.values() if rule.fixes}
    readings = [
        raw
        for raw in table.reader_findings
        if not (raw.rule in fixable and (raw.record, raw.field) in changed)
    ]
    return dataclasses.replace(table, frame=frame, reader_findings=readings, encoded=encoded)


def _changes(
    rows: list[dict[str, Any]],
    table: CanonicalTable,
    ruleset: RuleSet,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    """CHANGE_COLUMNS (and `extra`) for changes, located in the original table."""
    columns = [*CHANGE_COLUMNS, *extra]
    kept = [r for r in rows if r.get("after") != r.get("before") or r.get("wire")]
    if not kept:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(kept)
    records = frame["record"].to_numpy(dtype=np.int64)
    evse_ids = (
        object_values(table.frame["EvseID"])[records]
        if "EvseID" in table.frame.columns
        else np.full(len(records), None, dtype=object)
    )
    builder = PointerBuilder(table.frame, Layout(table.frame.columns, ruleset), table.notations)
    pointers = np.full(len(frame), "", dtype=object)
    for column, at in frame.groupby("column", sort=False).indices.items():
        if column in table.frame.columns:
            pointers[at] = builder.pointers(str(column), records[at])
    frame = frame.assign(row=table.rows[records], evse_id=evse_ids, pointer=pointers)
    return frame.sort_values(["record", "column"], kind="stable")[columns].reset_index(drop=True)
