"""OpeningTimes in one cell: `Workdays 08:00-18:00; Saturday 09:00-13:00` (03 OpeningTimesType).

The grammar lives in `poicheck.oicp.cells`, where the conversion reads and writes the cell;
this kind checks it and explains the first entry that does not fit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from poicheck.checks._arrow import full_match, passes
from poicheck.checks.params import TYPE_NAME, Param
from poicheck.checks.registry import Params, check_kind
from poicheck.oicp.cells import LIST_SEPARATOR, opening_times_pattern
from poicheck.ruleset.model import DataType


def explain_entry_problem(text: str, days: tuple[str, ...], time_pattern: str) -> str:
    """Name the first entry that does not fit, and why, for the message."""
    time = time_pattern.removeprefix("^").removesuffix("$")
    entries = LIST_SEPARATOR.split(text.strip())
    if any(not entry for entry in entries):
        return ": an entry is empty"
    for entry in entries:
        day, *periods = entry.split(" ")
        if day not in days:
            return f": '{day}' is not an OICP day value ({', '.join(days)})"
        if not periods:
            return f": '{entry}' has no period HH:MM-HH:MM"
        for period in (p for p in periods if p):
            if not re.fullmatch(f"{time}-{time}", period, flags=re.ASCII):
                return f": '{period}' in '{entry}' is not a period HH:MM-HH:MM"
        if "" in periods:
            return f": '{entry}' has extra spaces"
    return ""


def resolve(params: Params, types: Mapping[str, DataType]) -> dict[str, Any]:
    """Turn the rule's `day` and `time` type names into the enum and pattern the kind uses."""
    return {
        "days": types[params["day"]].enum,
        "time_pattern": types[params["time"]].pattern,
    }


@check_kind(
    "opening_times",
    "cell",
    params=(
        Param("day", TYPE_NAME, "the type whose enumeration names the days", required=True),
        Param("time", TYPE_NAME, "the type whose pattern is a clock time", required=True),
    ),
    describe=lambda params: "must be '<day> HH:MM-HH:MM[ HH:MM-HH:MM]' entries separated by ';'",
    message="{field} '{value}' is not a list of '<day> HH:MM-HH:MM' entries{hint}",
    hint=lambda value, params: explain_entry_problem(
        value, tuple(params["days"]), params["time_pattern"]
    ),
    resolve=resolve,
)
def _opening_times(values: pa.Array, params: Params) -> np.ndarray:
    return passes(
        full_match(values, opening_times_pattern(tuple(params["days"]), params["time_pattern"]))
    )
