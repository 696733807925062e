"""What the declared fixes propose for findings: vectorised, once per distinct value.

`propose` turns findings and the canonical cells they are about into proposed cell changes;
`marks` says per finding whether a fix exists and how safe it is (the `fix` column of the
findings table). Both run the same code, so `poicheck validate` marks exactly the findings
`poicheck fix` has a fix for.

Findings are grouped by rule and field; a fix kind then runs once per distinct failing value
(cell kinds) or distinct combination of the cells it reads (row kinds), and its answers are
broadcast back to the findings. A finding takes the first of its rule's fixes that proposes
something.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from poicheck.ruleset.model import INPUT_FAMILIES, FixSpec, Rule, RuleSet, wildcard_matcher

PROPOSAL_COLUMNS = [
    "finding",  # position of the finding in the findings table
    "record",
    "column",
    "before",
    "after",
    "rule",
    "applicability",
    "wire",
]


@dataclass(frozen=True)
class _Group:
    """The fixable findings of one rule on one field."""

    rule: Rule
    field: str
    at: np.ndarray  # positions in the findings table
    records: np.ndarray  # rows of the frame
    values: np.ndarray  # the findings' values (what the file holds, for `raw` kinds)


def fixable_rules(ruleset: RuleSet) -> frozenset[str]:
    return frozenset(rule.id for rule in ruleset.rules.values() if rule.fixes)


def propose(
    findings: pd.DataFrame,
    frame: pd.DataFrame,
    ruleset: RuleSet,
    input_format: str | None,
    offset: int = 0,
) -> pd.DataFrame:
    """Proposed cell changes (PROPOSAL_COLUMNS) for the findings about records of `frame`,
    whose first row is record `offset`; `record` in the result is the finding's record."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in PROPOSAL_COLUMNS}
    for group in _groups(findings, frame, ruleset, offset):
        done = np.zeros(len(group.at), dtype=bool)
        for spec in group.rule.fixes:
            if done.all():
                break
            if not _applies(spec, group, ruleset, input_format):
                continue
            for at, column, before, after in _run(spec, group, frame, ruleset, ~done):
                done[at] = True
                count = len(at)
                for name, values in (
                    ("finding", group.at[at]),
                    ("record", group.records[at] + offset),
                    ("column", np.full(count, column, dtype=object)),
                    ("before", before),
                    ("after", after),
                    ("rule", np.full(count, group.rule.id, dtype=object)),
                    ("applicability", np.full(count, spec.applicability, dtype=object)),
                    ("wire", np.full(count, _kind(spec).wire, dtype=bool)),
                ):
                    parts[name].append(values)
    if not parts["finding"]:
        return pd.DataFrame(columns=PROPOSAL_COLUMNS)
    out = pd.DataFrame({name: np.concatenate(values) for name, values in parts.items()})
    return out.sort_values(["finding", "column"], kind="stable").reset_index(drop=True)


def marks(
    findings: pd.DataFrame,
    frame: pd.DataFrame,
    ruleset: RuleSet,
    input_format: str | None,
    offset: int = 0,
) -> np.ndarray:
    """Per finding, the applicability of the fix `poicheck fix` has for it (`safe`,
    `unsafe`) or None."""
    out = np.full(len(findings), None, dtype=object)
    if not len(findings) or not fixable_rules(ruleset):
        return out
    proposed = propose(findings, frame, ruleset, input_format, offset)
    if len(proposed):
        first = proposed.drop_duplicates("finding")
        out[first["finding"].to_numpy(dtype=np.int64)] = first["applicability"].to_numpy()
    return out


def _groups(
    findings: pd.DataFrame, frame: pd.DataFrame, ruleset: RuleSet, offset: int
) -> Iterator[_Group]:
    rules = fixable_rules(ruleset)
    if not rules or findings.empty:
        return
    records = pd.to_numeric(findings["record"], errors="coerce").to_numpy(dtype=float)
    inside = ~np.isnan(records) & (records >= offset) & (records < offset + len(frame))
    at = np.flatnonzero(findings["rule"].isin(rules).to_numpy() & inside)
    part = pd.DataFrame(
        {
            "at": at,
            "rule": findings["rule"].to_numpy(dtype=object)[at],
            "field": findings["field"].to_numpy(dtype=object)[at],
            "record": records[at].astype(np.int64) - offset,
            "value": findings["value"].to_numpy(dtype=object)[at],
        }
    )
    folded = _folded(findings, frame, records, rules, offset)
    if len(folded):
        part = pd.concat([part, folded], ignore_index=True).astype(
            {"at": np.int64, "record": np.int64}
        )
    if part.empty:
        return
    for (rule_id, field), group in part.groupby(["rule", "field"], sort=False):
        yield _Group(
            rule=ruleset.rules[str(rule_id)],
            field=str(field),
            at=group["at"].to_numpy(),
            records=group["record"].to_numpy(),
            values=group["value"].to_numpy(dtype=object),
        )


def _folded(
    findings: pd.DataFrame,
    frame: pd.DataFrame,
    records: np.ndarray,
    rules: Collection[str],
    offset: int,
) -> pd.DataFrame:
    """The fixable findings folded into another (`related`, issue 15), on the cells of the
    finding's own record: one cause is said once, yet its consequences are still repaired
    (`"22kW"` sent as a JSON string: JSN001 names it, PWR007's fix writes 22). Their changes
    are the finding's they are folded into."""
    rows: list[tuple[int, str, str, int, object]] = []
    if "related" not in findings.columns:
        return pd.DataFrame(rows, columns=["at", "rule", "field", "record", "value"])
    related = findings["related"].to_numpy(dtype=object)
    for index in np.flatnonzero(findings["related"].notna().to_numpy()):
        record = records[index]
        if np.isnan(record) or not offset <= record < offset + len(frame):
            continue
        items: list[dict[str, Any]] = list(related[index] or ())
        for item in items:
            field = str(item.get("field") or "")
            if item.get("rule") in rules and field in frame.columns:
                value = frame[field].iat[int(record) - offset]
                rows.append((int(index), str(item["rule"]), field, int(record) - offset, value))
    return pd.DataFrame(rows, columns=["at", "rule", "field", "record", "value"])


def _kind(spec: FixSpec) -> Any:
    from poicheck.fix.kinds import get_fix_kind

    return get_fix_kind(spec.kind)


def _applies(spec: FixSpec, group: _Group, ruleset: RuleSet, input_format: str | None) -> bool:
    kind = _kind(spec)
    if kind.wire and INPUT_FAMILIES.get(input_format or "") != "wire":
        return False
    if not spec.fields:
        return True
    return any(_matches(path, group.field, ruleset) for path in spec.fields)


def _matches(path: str, column: str, ruleset: RuleSet) -> bool:
    if "*" not in path:
        return path == column
    return wildcard_matcher(path, ruleset.properties).fullmatch(column) is not None


def _params(spec: FixSpec, group: _Group, ruleset: RuleSet) -> dict[str, Any]:
    """The check's parameters for the field (its enumeration, country column...), the fix's
    own over them, and the field's property."""
    from poicheck.ruleset.params import resolve_params

    rule = group.rule
    declared = next(
        (f for f in rule.fields if f != "*" and _matches(f, group.field, ruleset)), None
    )
    prop = ruleset.properties.get(declared) if declared else None
    try:
        params = resolve_params(rule, prop, ruleset) if prop is not None else dict(rule.params)
    except KeyError:
        params = dict(rule.params)
    params.update(spec.params)
    params["property"] = ruleset.property_for_column(group.field) or prop
    return params


# (positions in the group, the column changed, its cells before, after), per column changed.
Answer = tuple[np.ndarray, str, np.ndarray, np.ndarray]


def _run(
    spec: FixSpec, group: _Group, frame: pd.DataFrame, ruleset: RuleSet, open_: np.ndarray
) -> Iterator[Answer]:
    """The changes the fix proposes for the group's open findings (those without one yet)."""
    kind = _kind(spec)
    params = _params(spec, group, ruleset)
    indexes = np.flatnonzero(open_)
    if kind.scope == "cell":
        yield from _run_cells(kind, params, group, frame, indexes)
    else:
        yield from _run_rows(kind, params, group, frame, indexes)


def _cells_of(frame: pd.DataFrame, column: str, records: np.ndarray) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(records), None, dtype=object)
    # Only the failing rows are taken out of the (pyarrow) column, not all of it.
    values = frame[column].iloc[records].to_numpy(dtype=object)
    values[pd.isna(values)] = None
    return values


def _run_cells(
    kind: Any, params: Mapping[str, Any], group: _Group, frame: pd.DataFrame, indexes: np.ndarray
) -> Iterator[Answer]:
    if group.field not in frame.columns or not len(indexes):
        return
    cells = _cells_of(frame, group.field, group.records[indexes])
    if kind.raw:  # the file holds the finding's value; the fix writes the cell as read
        held = group.values[indexes]
        differ = np.array(
            [
                b is not None and a is not None and str(b) != str(a)
                for b, a in zip(held, cells, strict=True)
            ],
            dtype=bool,
        )
        yield indexes[differ], group.field, held[differ], cells[differ]
        return
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    answers = np.array([*(kind.func(str(v), params) for v in uniques), None], dtype=object)
    fixed = answers[codes]  # an empty cell (-1) picks the None at the end
    hit = pd.notna(fixed)
    yield indexes[hit], group.field, cells[hit], fixed[hit]


def _run_rows(
    kind: Any, params: Mapping[str, Any], group: _Group, frame: pd.DataFrame, indexes: np.ndarray
) -> Iterator[Answer]:
    """A row kind once per distinct combination of the cells it reads."""
    reads = list(dict.fromkeys(kind.reads(group.field, params)))
    records = group.records[indexes]
    if not len(indexes):
        return
    read = pd.DataFrame({c: _cells_of(frame, c, records) for c in reads})
    combination = read.groupby(reads, dropna=False, sort=False).ngroup().to_numpy()
    firsts = pd.Series(np.arange(len(read))).groupby(combination).first().to_numpy()
    rows = read.to_numpy(dtype=object)
    answers = [
        kind.func(
            {c: (None if pd.isna(v) else str(v)) for c, v in zip(reads, rows[i], strict=True)},
            group.field,
            params,
        )
        for i in firsts
    ]
    changed = dict.fromkeys(c for answer in answers if answer for c in answer)
    for column in changed:
        per = np.array([*((a or {}).get(column) for a in answers)], dtype=object)[combination]
        hit = pd.notna(per)
        yield indexes[hit], column, _cells_of(frame, column, records[hit]), per[hit]
