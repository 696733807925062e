"""One cause, one finding: findings that are the consequence of another finding on the same
cell are folded into it (issue 15).

A rule names its causes in the rule files (`caused_by`). A finding of it is folded into a
finding of a cause on the same record whose field is the same or contains it (GEO007 on
GeoCoordinates causes GEO001 on GeoCoordinates.Latitude), provided the cause is at least as
severe: folding never takes the last error from a record, so `poicheck export` leaves out the
same records (consequences, ruleset.yaml). The folded findings stay readable as the cause's
`related` list (rule, field, message); the score and every listing count the cause once.

A rule may also name causes on the same record (`caused_by_record`), optionally only for its
findings whose message matches a pattern: a station's EVSE that stands 60 km from its
siblings because its own coordinates are wrong (GEO015) gets that one finding, while the same
EVSE's address differing from its siblings' (another message) stays a finding of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from poicheck.findings import SEVERITY_RANK
from poicheck.ruleset.model import RuleSet


def fold(findings: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """`findings` (one input's, in report order) without the consequences, and a `related`
    column on their causes (None elsewhere). Vectorised: the candidates are matched by
    merging the consequences' (record, cause rule) with the causes' (record, rule); only
    the findings of rules that cause or are caused are looked at."""
    out = findings.assign(related=None)
    links = _links(ruleset)
    if not links or out.empty:
        return out
    pairs = pd.DataFrame(links, columns=["rule", "cause", "when", "fields"])
    named = {name for link in links for name in link[:2]}
    at = np.flatnonzero((out["rule"].isin(named) & out["record"].notna()).to_numpy())
    if not len(at):
        return out
    part = out.iloc[at]
    frame = pd.DataFrame(
        {
            "at": at,
            "rule": part["rule"].to_numpy(dtype=object),
            "record": part["record"].astype("int64").to_numpy(),
            "field": part["field"].fillna("").astype(str).to_numpy(dtype=object),
            "message": part["message"].fillna("").astype(str).to_numpy(dtype=object),
            "rank": part["severity"].map(SEVERITY_RANK).fillna(len(SEVERITY_RANK)).to_numpy(),
        }
    )
    effects = frame.merge(pairs, on="rule")
    causes = frame[frame["rule"].isin(pairs["cause"])]
    matched = effects.merge(
        causes, left_on=["record", "cause"], right_on=["record", "rule"], suffixes=("", "_cause")
    )
    if matched.empty:
        return out
    inside = _linked(matched)
    severe = matched["rank_cause"].to_numpy() <= matched["rank"].to_numpy()
    matched = matched[inside & severe & (matched["at"] != matched["at_cause"])]
    # Each consequence goes to its first cause (report order).
    target = matched.groupby("at")["at_cause"].min()
    return _folded(out, _roots(dict(zip(target.index.tolist(), target.tolist(), strict=True))))


def _roots(into: dict[int, int]) -> dict[int, int]:
    """Each consequence's root cause: a cause that is itself folded passes its consequences
    on to its own cause. Findings that would fold into each other (two equal findings, a loop
    of causes) are all kept: folding removes a finding only into one that stays."""
    looped: set[int] = set()
    for start in into:
        seen: list[int] = []
        node = start
        while node in into and node not in seen:
            seen.append(node)
            node = into[node]
        if node in seen:
            looped.update(seen[seen.index(node) :])
    kept = {effect: cause for effect, cause in into.items() if effect not in looped}
    resolved = {}
    for effect, cause in kept.items():
        while cause in kept:
            cause = kept[cause]
        resolved[effect] = cause
    return resolved


Link = tuple[str, str, str | None, tuple[str, ...]]


def _links(ruleset: RuleSet) -> list[Link]:
    """(consequence, cause, when, fields): `when` None for a cause on the same cell, else
    the pattern the consequence's message must match for a cause on the same record ("":
    any), whose field must lie in `fields` (any field when empty)."""
    links: list[Link] = []
    for rule in ruleset.rules.values():
        links.extend((rule.id, cause, None, ()) for cause in rule.caused_by)
        for link in rule.caused_by_record:
            links.extend((rule.id, cause, link.when or "", link.fields) for cause in link.rules)
    return links


def _linked(matched: pd.DataFrame) -> np.ndarray:
    """Per candidate pair: for a cause on the same cell, the consequence's field is the
    cause's or lies inside the cause's container; for a cause on the same record, the
    consequence's message matches the link's pattern and the cause lies in its fields."""
    field, cause, when = matched["field"], matched["field_cause"], matched["when"]
    same = field.to_numpy() == cause.to_numpy()
    inside = np.array(
        [f.startswith(c + ".") for f, c in zip(field.tolist(), cause.tolist(), strict=True)],
        dtype=bool,
    )
    record = when.notna().to_numpy()
    out: np.ndarray = (same | inside) & ~record
    for pattern in set(when[record].tolist()):
        at = record & (when == pattern).to_numpy()
        out[at] = matched["message"][at].str.contains(pattern, regex=True).to_numpy(dtype=bool)
    where = [
        not fields or any(c == f or c.startswith(f + ".") for f in fields)
        for c, fields in zip(cause.tolist(), matched["fields"].tolist(), strict=True)
    ]
    return out & (~record | np.array(where, dtype=bool))


def _folded(out: pd.DataFrame, into: dict[int, int]) -> pd.DataFrame:
    """Drop the folded rows, listing each on its cause as {rule, field, message}."""
    related: dict[int, list[dict[str, Any]]] = {}
    effects = sorted(into)
    rows = out[["rule", "field", "message"]].iloc[effects].to_dict(orient="records")
    for effect, row in zip(effects, rows, strict=True):
        related.setdefault(into[effect], []).append({str(k): v for k, v in row.items()})
    column = np.full(len(out), None, dtype=object)
    for cause, items in related.items():
        column[cause] = items
    out["related"] = column
    keep = np.ones(len(out), dtype=bool)
    keep[list(into)] = False
    return out[keep].reset_index(drop=True)
