"""Kinds for values that must agree with each other (OICP conditionals, energy sources)."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks._arrow import passes
from poicheck.checks.context import CheckContext
from poicheck.checks.frame import conditions, is_in, numbers, present, sibling, stripped, text
from poicheck.checks.params import CONDITIONS, NUMBER, PROPERTY, TEXT, TEXTS, Param
from poicheck.checks.registry import Params, RowResult, check_kind
from poicheck.oicp.cells import LIST_SEPARATOR, regex_escape


@check_kind(
    "exclusive_value",
    "cell",
    params=(Param("exclusive", TEXT, "the value that must stand alone", required=True),),
    describe=lambda params: f"must not combine '{params['exclusive']}' with other values",
    message="{field} '{value}' combines '{exclusive}' with other values; "
    "'{exclusive}' stands alone",
)
def _exclusive_value(values: pa.Array, params: Params) -> np.ndarray:
    item = regex_escape(params["exclusive"])
    listed = pc.match_substring_regex(values, f"(^|;)[ ]*{item}[ ]*(;|$)")
    several = pc.match_substring(values, ";")
    return passes(pc.invert(pc.and_(listed, several)))


@check_kind(
    "forbidden_if",
    "row",
    params=(Param("when", CONDITIONS, "the values of other fields that forbid it", required=True),),
    describe=lambda params: (
        "must be empty when " + " and ".join(f"{k} is {v}" for k, v in params["when"].items())
    ),
    message="{field} is given although it must be empty in this case",
)
def _forbidden_if(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    return ~(present(frame, field) & conditions(frame, params["when"], layout))


@check_kind(
    "sum_equals",
    "row",
    params=(
        Param("members", PROPERTY, "the numbers to add up (a wildcard path)", required=True),
        Param("total", NUMBER, "what they must add up to", required=True),
    ),
    describe=lambda params: f"{params['members']} must add up to {params['total']}",
    expand="container",
    message="{field} percentages add up to {total}, not 100",
)
def _sum_equals(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> RowResult:
    columns = layout.matching(params["members"])
    if not columns:
        return np.ones(len(frame), dtype=bool), {}
    values = np.column_stack([numbers(frame, c, layout) for c in columns])
    given = ~np.isnan(values).all(axis=1)
    total = np.nansum(values, axis=1)
    ok = ~given | np.isclose(total, params["total"])
    # Worded for the failing rows only: the engine reads details there and nowhere else.
    shown = np.full(len(frame), "", dtype=object)
    failing = np.flatnonzero(~ok)
    shown[failing] = [f"{t:g}" for t in total[failing]]
    return ok, {"total": shown, "value": shown}


MEMBERS = Param("members", PROPERTY, "the list items' values (a wildcard path)", required=True)


@check_kind(
    "conflicting_values",
    "row",
    params=(
        Param("when", CONDITIONS, "the values of other fields that make it apply", required=True),
        MEMBERS,
        Param("values", TEXTS, "the list values that contradict the field", required=True),
    ),
    describe=lambda params: f"contradicts {params['members']} with " + ", ".join(params["values"]),
    message="{field} is {value} although EnergySource lists {sources}",
)
def _conflicting_values(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    applies = conditions(frame, params["when"], layout)
    columns = layout.matching(params["members"])
    found = np.full(len(frame), "", dtype=object)
    for column in columns:
        hit = np.flatnonzero(is_in(frame, column, params["values"], layout))
        cells = stripped(frame, column, layout)
        names = np.asarray(cells.values.take(pa.array(cells.codes[hit])).to_pylist(), dtype=object)
        found[hit] = [n if f == "" else f"{f}, {n}" for f, n in zip(found[hit], names, strict=True)]
    ok = ~(applies & (found != ""))
    return ok, {"sources": found}


@check_kind(
    "only_values",
    "row",
    params=(
        Param("when", CONDITIONS, "the values of other fields that make it apply", required=True),
        MEMBERS,
        Param("values", TEXTS, "the list values that alone contradict the field", required=True),
        Param("shares", PROPERTY, "the list items' shares (a wildcard path)", required=True),
        Param("whole", NUMBER, "the shares that count as the whole", required=True),
    ),
    describe=lambda params: (
        f"contradicts {params['members']} when "
        + " and ".join(f"{k} is {v}" for k, v in params["when"].items())
        + " and it names only "
        + ", ".join(params["values"])
        + f" (without shares, or with shares adding up to {params['whole']} or more)"
    ),
    message="{field} is {value} although EnergySource lists {sources}",
)
def _only_values(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    """Fails where `when` holds although the list items name only `values` and cover the
    whole: no item has a share, or the shares add up to at least `whole`. An item with a
    share but no name could be anything, so its record passes."""
    applies = conditions(frame, params["when"], layout)
    members = layout.matching(params["members"])
    shares = layout.matching(params["shares"])
    name = params["members"].rsplit(".", 1)[-1]
    listed = np.zeros(len(frame), dtype=bool)
    other = np.zeros(len(frame), dtype=bool)
    for column in members:
        given = present(frame, column)
        listed |= given
        other |= given & ~is_in(frame, column, params["values"], layout)
    for column in shares:
        other |= present(frame, column) & ~present(frame, sibling(layout, column, name))
    ok = ~(applies & listed & ~other)
    if shares and not ok.all():
        values = np.column_stack([numbers(frame, c, layout) for c in shares])
        stated = ~np.isnan(values).all(axis=1)
        ok |= stated & (np.nansum(values, axis=1) < params["whole"])
    failing = np.flatnonzero(~ok)
    found = np.full(len(frame), "", dtype=object)
    found[failing] = _listed(frame.iloc[failing], members, shares, name, layout)
    return ok, {"sources": found}


def _listed(
    rows: pd.DataFrame, members: list[str], shares: list[str], name: str, layout: CheckContext
) -> list[str]:
    """Per row, its items with their shares: 'Solar 60 %, Wind 40 %' (for the failing rows
    only; each column is read once)."""
    share_of = {sibling(layout, s, name): text(rows, s).tolist() for s in shares}
    items = [(text(rows, c).tolist(), share_of.get(c, [""] * len(rows))) for c in members]
    out = []
    for i in range(len(rows)):
        parts = [f"{n[i]} {p[i]} %" if p[i] else n[i] for n, p in items if n[i]]
        out.append(", ".join(parts))
    return out


# --- opening periods -----------------------------------------------------------------------

WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GROUPS = {"Everyday": WEEK, "Workdays": WEEK[:5], "Weekend": WEEK[5:]}
PERIOD = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})", re.ASCII)


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)


def clock_problem(cell: str) -> str:
    """Why the periods of an OpeningTimes cell are not real clock times, or ''.

    Times run from 00:00 to 23:59; 24:00 is accepted as an end (the end of the day). A period
    must end after it begins: an overnight period is two periods (22:00-24:00, 00:00-06:00).
    """
    for begin_h, begin_m, end_h, end_m in PERIOD.findall(cell):
        begin, end = _minutes(begin_h, begin_m), _minutes(end_h, end_m)
        period = f"{begin_h}:{begin_m}-{end_h}:{end_m}"
        if int(begin_h) > 23 or int(begin_m) > 59 or int(end_m) > 59:
            return f"'{period}' is not a clock time (00:00 to 23:59)"
        if end > 24 * 60:
            return f"'{period}' ends after 24:00"
        if end <= begin:
            return f"'{period}' ends before it begins; split an overnight period at 24:00"
    return ""


def overlap_problem(cell: str) -> str:
    """The first two periods that overlap on the same day (after expanding Workdays etc.), or ''."""
    periods: dict[str, list[tuple[int, int, str]]] = {}
    for entry in LIST_SEPARATOR.split(cell.strip()):
        if not entry.strip():
            return ""  # not in the OpeningTimes grammar: ACC017's finding
        day, *spans = entry.split()
        for span in spans:
            match = PERIOD.fullmatch(span)
            if not match:
                return ""
            begin, end = _minutes(*match.groups()[:2]), _minutes(*match.groups()[2:])
            for weekday in GROUPS.get(day, (day,)):
                periods.setdefault(weekday, []).append((begin, end, f"{day} {span}"))
    for weekday, spans in periods.items():
        spans.sort()
        for (_, end, first), (begin, _, second) in itertools.pairwise(spans):
            if begin < end:
                return f"'{first}' and '{second}' overlap on {weekday}"
    return ""


def _per_cell(values: pa.Array, problem: object) -> np.ndarray:
    from poicheck.checks._arrow import per_distinct

    return per_distinct(values, lambda cell: not problem(cell))  # type: ignore[operator]


@check_kind(
    "opening_clock",
    "cell",
    describe=lambda params: "periods must be clock times 00:00-24:00 that end after they begin",
    message="{field} '{value}': {hint}",
    hint=lambda value, params: clock_problem(value),
)
def _opening_clock(values: pa.Array, params: Params) -> np.ndarray:
    return _per_cell(values, clock_problem)


@check_kind(
    "opening_overlap",
    "cell",
    describe=lambda params: "periods of the same day must not overlap",
    message="{field} '{value}': {hint}",
    hint=lambda value, params: overlap_problem(value),
)
def _opening_overlap(values: pa.Array, params: Params) -> np.ndarray:
    return _per_cell(values, overlap_problem)
