"""What the HTML report shows, computed from a Report (vectorised over its tables).

Counts and scores come from `Report.frame`, `Report.summary()` and `Report.score`; nothing is
re-derived from the inputs. Long tables are cut at `limit` rows, most severe first, and the
report says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from poicheck.findings import SEVERITY_RANK
from poicheck.fix.gains import fixing_gains
from poicheck.render._common import file_formats, relative_path, where
from poicheck.render.html import CARD_LIMIT, LIMIT
from poicheck.results.report import FileResult, Finding, Report
from poicheck.results.score import FILLED_PREFIX, completeness_shares, record_positions
from poicheck.ruleset.docs import describe
from poicheck.ruleset.model import Rule, RuleSet
from poicheck.version import __version__

CHART_BARS = 25
STATUS_OF_RANK = {0: "error", 1: "warning", 2: "info"}


@dataclass(frozen=True)
class FindingRow:
    """One line of the findings table."""

    severity: str
    rule: str
    rule_name: str
    file: str
    where: str
    row: int | None
    evse_id: str
    anchor: str | None
    field: str
    value: str
    message: str
    fix: str = ""  # safe / unsafe: `poicheck fix` has a fix for it


@dataclass(frozen=True)
class EvseRow:
    """One EVSE: where it is, its score, its findings (for the EVSE table and its card)."""

    anchor: str
    file: str
    row: int | None
    evse_id: str
    where: str  # "row 12" (CSV, XLSX), "record 12" (JSON) or "line 12" (JSON Lines)
    status: str
    overall: float
    completeness: float
    correctness: float
    factors: dict[str, float]
    count: int
    card: str | None = None  # the id of its details card, when it has one
    latitude: float | None = None
    longitude: float | None = None
    missing: list[str] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything the template and the charts need."""

    title: str
    generated: str
    version: str
    ruleset: str
    rules_active: int
    total: dict[str, Any]
    files: list[dict[str, Any]]
    score: dict[str, Any] | None
    score_parts: dict[str, float]
    severities: dict[str, int]
    rules: list[dict[str, Any]]
    fields: list[dict[str, Any]]
    rule_chart: tuple[list[str], dict[str, list[int]]]
    field_chart: tuple[list[str], dict[str, list[int]]]
    completeness: dict[str, float]
    scatter: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    plotted: int
    unplotted: int
    findings: list[FindingRow]
    findings_total: int
    evses: list[EvseRow]
    evses_total: int
    cards: list[EvseRow]
    cards_total: int
    notes: list[str]
    unreadable: list[FileResult]
    limit: int
    # What `poicheck fix` would change, per rule, most points of the score first.
    fixing: list[dict[str, Any]] = field(default_factory=list)


def generated_at() -> str:
    """Now in UTC, or SOURCE_DATE_EPOCH (reproducible builds) when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (
        datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else datetime.now(UTC)
    )
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _record_keys(report: Report) -> np.ndarray:
    """For every finding, the position of its EVSE in `Report.records` (-1: none)."""
    frame, records = report.frame, report.records
    if records is None or frame.empty:
        return np.full(len(frame), -1, dtype=np.int64)
    located = frame["record"].notna().to_numpy()
    keys = np.full(len(frame), -1, dtype=np.int64)
    if located.any():
        files = frame["file"].to_numpy(dtype=object)[located]
        numbers = frame["record"][located].to_numpy(dtype=np.int64)
        keys[located] = record_positions(records, files, numbers)
    return keys


def _rows_at(
    report: Report, positions: np.ndarray, keys: np.ndarray, anchors: dict[int, str]
) -> list[FindingRow]:
    """Table rows for the findings at `positions` of `Report.frame`."""
    formats = file_formats(report)
    subset = report.frame.iloc[positions]
    rows = []
    for raw, key in zip(subset.to_dict(orient="records"), keys[positions], strict=True):
        record: dict[str, Any] = {str(k): (None if _missing(v) else v) for k, v in raw.items()}
        for name in ("row", "record"):
            record[name] = None if record[name] is None else int(record[name])
        finding = Finding(**record)
        rows.append(_finding_row(report, finding, formats, anchors.get(int(key))))
    return rows


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _number(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def _finding_row(
    report: Report, finding: Finding, formats: dict[str, str | None], anchor: str | None
) -> FindingRow:
    rule = report.ruleset.rules.get(finding.rule)
    return FindingRow(
        severity=finding.severity,
        rule=finding.rule,
        rule_name=rule.name if rule is not None else "",
        file=relative_path(finding.file),
        where=where(finding, formats),
        row=finding.row,
        evse_id=finding.evse_id or "",
        anchor=anchor,
        field=finding.field,
        value="" if finding.value is None else str(finding.value),
        message=finding.message,
        fix=finding.fix or "",
    )


def _severity_counts(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    counts = pd.crosstab(frame[by], frame["severity"])
    counts = counts.reindex(columns=list(SEVERITY_RANK), fill_value=0)
    counts["total"] = counts.sum(axis=1)
    return counts.sort_values(["total"], ascending=False, kind="stable")


def _chart(counts: pd.DataFrame, labels: list[str]) -> tuple[list[str], dict[str, list[int]]]:
    top = counts.head(CHART_BARS)
    return labels[: len(top)], {s: [int(v) for v in top[s]] for s in SEVERITY_RANK}


def _rules(report: Report, keys: np.ndarray) -> tuple[list[dict[str, Any]], Any]:
    frame = report.frame
    if frame.empty:
        return [], ([], {})
    counts = _severity_counts(frame, "rule")
    affected = pd.Series(keys).where(keys >= 0).groupby(frame["rule"].to_numpy()).nunique()
    rows = []
    for rule_id, row in counts.iterrows():
        rule = report.ruleset.rules.get(str(rule_id))
        rows.append(
            {
                "id": rule_id,
                "name": rule.name if rule else "",
                "severity": rule.severity if rule else "",
                "category": rule.category if rule else "",
                "consequence": _consequence(rule, report.ruleset),
                "count": int(row["total"]),
                "evses": int(affected.get(rule_id, 0)),
                "description": describe(rule, report.ruleset) if rule else "",
                "why": (rule.why or "") if rule else "",
            }
        )
    labels = [f"{r['id']} {r['name']}".strip() for r in rows]
    return rows, _chart(counts, labels)


def _consequence(rule: Rule | None, ruleset: RuleSet) -> str:
    """`dropped: beyond the standard, left out of the record`, for the rules table."""
    found = ruleset.consequences.get(rule.consequence) if rule else None
    return f"{found.name}: {found.title}" if found else ""


def _fields(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], Any]:
    if frame.empty:
        return [], ([], {})
    counts = _severity_counts(frame, "field")
    rows: list[dict[str, Any]] = [
        {"field": str(name), **{str(k): int(v) for k, v in row.items()}}
        for name, row in counts.iterrows()
    ]
    return rows, _chart(counts, [str(name) for name in counts.index])


def _score_parts(score: dict[str, Any] | None) -> dict[str, float]:
    if score is None:
        return {}
    parts = {k: float(score[k]) for k in ("overall", "completeness", "correctness")}
    parts.update({k.replace("_", " "): float(v) for k, v in score["factors"].items()})
    return parts


def _status(keys: np.ndarray, frame: pd.DataFrame, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per EVSE, its worst severity ("clean" without findings) and its number of findings."""
    status = np.full(size, "clean", dtype=object)
    counts = np.zeros(size, dtype=np.int64)
    located = keys >= 0
    if located.any():
        ranks = frame["severity"].map(SEVERITY_RANK).to_numpy()[located]
        worst = pd.Series(ranks).groupby(keys[located]).min()
        status[worst.index.to_numpy()] = [STATUS_OF_RANK[int(r)] for r in worst.to_numpy()]
        counts += np.bincount(keys[located], minlength=size)
    return status, counts


def _order(frame: pd.DataFrame) -> np.ndarray:
    """Findings most severe first, then by file and row as the text output lists them."""
    ranks = frame["severity"].map(SEVERITY_RANK).to_numpy()
    return np.lexsort((np.arange(len(frame)), ranks))


def _evse_rows(
    records: pd.DataFrame,
    positions: np.ndarray,
    prefix: str,
    context: dict[str, Any],
) -> list[EvseRow]:
    """EvseRows for the records at `positions` (one pass over a subset, no per-cell look-ups)."""
    subset = records.iloc[positions]
    flag_columns = [c for c in records.columns if str(c).startswith(FILLED_PREFIX)]
    paths = np.array([str(c)[len(FILLED_PREFIX) :] for c in flag_columns], dtype=object)
    flags = subset[flag_columns].to_numpy(dtype=bool)
    factors = context["factors"]
    formats = context["formats"]
    rows = []
    for i, record in enumerate(subset.to_dict(orient="records")):
        position = int(positions[i])
        row = None if _missing(record["row"]) else int(record["row"])
        noun = {"json": "record", "jsonl": "line", "ocpi": "EVSE"}.get(
            formats.get(str(record["file"])) or "", "row"
        )
        latitude, longitude = record.get("latitude"), record.get("longitude")
        rows.append(
            EvseRow(
                anchor=f"{prefix}-{position}",
                file=relative_path(str(record["file"])),
                row=row,
                evse_id="" if _missing(record["evse_id"]) else str(record["evse_id"]),
                where=f"{noun} {row}" if row is not None else "",
                status=str(context["status"][position]),
                overall=float(record["overall"]),
                completeness=float(record["completeness"]),
                correctness=float(record["correctness"]),
                factors={f.replace("_", " "): float(record[f]) for f in factors},
                count=int(context["counts"][position]),
                card=f"card-{position}" if position in context["cards"] else None,
                latitude=_number(latitude),
                longitude=_number(longitude),
                missing=[str(path) for path in paths[~flags[i]]],
            )
        )
    return rows


@dataclass
class _Evses:
    """The EVSE table (lowest score first) and the cards of the worst EVSEs with findings."""

    table: list[EvseRow]
    cards: list[EvseRow]
    with_findings: int
    anchors: dict[int, str]  # position in Report.records -> the id of its card or table row
    status: np.ndarray
    records: pd.DataFrame


def _evses(report: Report, keys: np.ndarray, limit: int) -> _Evses:
    score = report.score
    records = score.records if score is not None else pd.DataFrame()
    status, counts = _status(keys, report.frame, len(records))
    if not len(records):
        return _Evses([], [], 0, {}, status, records)
    by_score = np.lexsort((np.arange(len(records)), records["overall"].to_numpy()))
    table = by_score[:limit]
    with_findings = by_score[counts[by_score] > 0]
    carded = with_findings[: min(limit, CARD_LIMIT)]
    anchors = {int(p): f"evse-{p}" for p in table}
    anchors.update({int(p): f"card-{p}" for p in carded})
    context = {
        "factors": score.factors if score is not None else (),
        "formats": file_formats(report),
        "status": status,
        "counts": counts,
        "cards": {int(p) for p in carded},
    }
    return _Evses(
        table=_evse_rows(records, table, "evse", context),
        cards=_evse_rows(records, carded, "card", context),
        with_findings=len(with_findings),
        anchors=anchors,
        status=status,
        records=records,
    )


def _attach_findings(report: Report, keys: np.ndarray, order: np.ndarray, evses: _Evses) -> None:
    """Give every card its findings, most severe first."""
    carded = np.array([int(card.anchor[5:]) for card in evses.cards], dtype=np.int64)
    chosen = order[np.isin(keys[order], carded)]
    rows = _rows_at(report, chosen, keys, evses.anchors)
    cards = {card.anchor: card for card in evses.cards}
    for key, row in zip(keys[chosen], rows, strict=True):
        cards[f"card-{key}"].findings.append(row)


def _scatter(evses: _Evses) -> tuple[Any, int, int]:
    records = evses.records
    if "latitude" not in records.columns or not len(records):
        return None, 0, len(records)
    lat = records["latitude"].to_numpy(dtype=float)
    lon = records["longitude"].to_numpy(dtype=float)
    valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    positions = np.flatnonzero(valid)
    if not len(positions):
        return None, 0, len(records)
    anchors = evses.anchors
    links = np.array(
        [f"#{anchors[int(p)]}" if int(p) in anchors else None for p in positions], dtype=object
    )
    scatter = (lon[valid], lat[valid], evses.status[valid], links)
    return scatter, len(positions), int((~valid).sum())


def build(report: Report, *, title: str | None = None, limit: int = LIMIT) -> ReportData:
    """The report's content, tables cut at `limit` rows (EVSE cards at CARD_LIMIT)."""
    summary = report.summary()
    total = summary["total"]
    keys = _record_keys(report)
    order = _order(report.frame)
    evses = _evses(report, keys, limit)
    _attach_findings(report, keys, order, evses)
    rules, rule_chart = _rules(report, keys)
    fields, field_chart = _fields(report.frame)
    scatter, plotted, unplotted = _scatter(evses)
    shares = completeness_shares(evses.records) if len(evses.records) else {}
    return ReportData(
        title=title or "poicheck compliance report",
        generated=generated_at(),
        version=__version__,
        ruleset=f"{report.ruleset.name} {report.ruleset.version}",
        rules_active=len(report.ruleset.rules),
        total=total,
        files=[{**entry, "file": relative_path(entry["file"])} for entry in summary["files"]],
        score=total["score"],
        score_parts=_score_parts(total["score"]),
        severities=report.counts(),
        rules=rules,
        fields=fields,
        rule_chart=rule_chart,
        field_chart=field_chart,
        completeness=dict(sorted(shares.items(), key=lambda item: item[1])),
        scatter=scatter,
        plotted=plotted,
        unplotted=unplotted,
        findings=_rows_at(report, order[:limit], keys, evses.anchors),
        findings_total=len(report.frame),
        evses=evses.table,
        evses_total=len(evses.records),
        cards=evses.cards,
        cards_total=evses.with_findings,
        notes=list(report.notes),
        unreadable=report.unreadable,
        limit=limit,
        fixing=fixing_gains(report),
    )
