"""Kinds for power data, Hubject's correctness factor: facilities complete and consistent with
their plugs, voltage line to neutral, power close to phases x voltage x current (02 Best
Practices; Hubject EVSE data score)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from poicheck.checks.context import CheckContext
from poicheck.checks.frame import is_in, mapped, numbers, present, sibling, stripped
from poicheck.checks.params import NUMBER, PROPERTY, TEXT, TEXTS, ListOf, MapOf, Param, Struct
from poicheck.checks.registry import Params, RowResult, check_kind
from poicheck.oicp.cells import LIST_SEPARATOR, regex_escape


@check_kind(
    "required_if_sibling",
    "row",
    params=(
        Param(
            "sibling",
            MapOf(TEXTS, "a mapping of one sibling to its values", size=1),
            "the sibling in the same list item and the values that make the field expected",
            required=True,
        ),
        Param("kinds", TEXT, "what such items are called, for the message ({kinds})"),
    ),
    describe=lambda params: (
        "is expected when "
        + " or ".join(f"{k} is {', '.join(v)}" for k, v in params["sibling"].items())
    ),
    message="{field} is missing; give it for every {kinds} facility",
)
def _required_if_sibling(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    ((name, accepted),) = params["sibling"].items()
    applies = is_in(frame, sibling(layout, field, name), accepted, layout)
    return present(frame, field) | ~applies


@check_kind(
    "range_by_sibling",
    "row",
    params=(
        Param(
            "sibling",
            TEXT,
            "the sibling (in the same list item) the range depends on",
            required=True,
        ),
        Param(
            "ranges",
            MapOf(Struct({"min": NUMBER, "max": NUMBER}), "a mapping of values to min/max"),
            "per value of the sibling, the plausible range",
            required=True,
        ),
        Param(
            "advice",
            MapOf(TEXT, "a mapping of numbers to texts"),
            "what the message adds for a typical wrong number",
            default={},
        ),
    ),
    describe=lambda params: (
        "must lie in a plausible range for its "
        + params["sibling"]
        + " ("
        + "; ".join(
            f"{k} {v.get('min', '')}..{v.get('max', '')}" for k, v in params["ranges"].items()
        )
        + ")"
    ),
    message="{field} {value} is implausible for {expected}{advice}",
)
def _range_by_sibling(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    """A number's plausible range depends on a sibling's value (e.g. Power by PowerType)."""
    kind = stripped(frame, sibling(layout, field, params["sibling"]), layout)
    value = numbers(frame, field, layout)
    ok = np.ones(len(frame), dtype=bool)
    expected = np.full(len(frame), "", dtype=object)
    for case, bounds in params["ranges"].items():
        here = kind.broadcast(pc.equal(kind.values, case)) & ~np.isnan(value)
        low, high = bounds.get("min", -np.inf), bounds.get("max", np.inf)
        bad = here & ((value < low) | (value > high))
        ok &= ~bad
        expected[bad] = f"{case}: {bounds.get('min', '')}..{bounds.get('max', '')}"
    suggestion = np.full(len(frame), "", dtype=object)
    for bad_value, advice in params.get("advice", {}).items():
        suggestion[np.isclose(value, float(bad_value))] = f"; {advice}"
    return ok, {"expected": expected, "advice": suggestion}


PHASES = {"AC_1_PHASE": 1.0, "AC_3_PHASE": 3.0, "DC": 1.0}
POWER_TYPES = ("AC_1_PHASE", "AC_3_PHASE", "DC")


@check_kind(
    "power_formula",
    "row",
    params=(
        Param("relative", NUMBER, "the tolerance as a share of the expected power", required=True),
        Param("absolute", NUMBER, "the least tolerance, in kW", required=True),
        Param(
            "above_only",
            TEXTS,
            "the power types for which only a power above the product is implausible",
            required=True,
            allowed=POWER_TYPES,
        ),
        Param(
            "line_to_neutral",
            MapOf(NUMBER, "a mapping of voltages to voltages"),
            "AC voltages between phases and the line-to-neutral voltage each means",
            default={},
        ),
    ),
    describe=lambda params: (
        "must be close to phases x Voltage x Amperage / 1000 "
        f"(within {params['relative']:.0%} or {params['absolute']} kW; "
        f"for {', '.join(params['above_only'])} at most that)"
        + (
            "; an AC voltage between phases counts as the line-to-neutral voltage it means "
            + ", ".join(f"({k} V: {v} V)" for k, v in params["line_to_neutral"].items())
            if params.get("line_to_neutral")
            else ""
        )
    ),
    message="{field} {value} kW {expected}",
)
def _power_formula(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    """Power ~ phases x Voltage x Amperage / 1000 (voltage line to neutral). For the power
    types in `above_only` (DC: peak voltage and peak current are not reached together) only a
    Power above the product is implausible. With `line_to_neutral`, an AC voltage given
    between phases (400 V, PWR014's finding) is read as the line-to-neutral voltage it
    implies (230 V): the power is judged on what the record means, and fails only if it would
    still be wrong (one cause, one finding)."""
    phases = mapped(frame, sibling(layout, field, "PowerType"), layout, PHASES)
    given = numbers(frame, sibling(layout, field, "Voltage"), layout)
    volts = given.copy()
    ac = (phases == 1.0) | (phases == 3.0)
    ac &= ~is_in(frame, sibling(layout, field, "PowerType"), ["DC"], layout)
    for between, neutral in params.get("line_to_neutral", {}).items():
        volts[ac & np.isclose(given, float(between))] = float(neutral)
    amps = numbers(frame, sibling(layout, field, "Amperage"), layout)
    power = numbers(frame, field, layout)
    expected = phases * volts * amps / 1000
    tolerance = np.maximum(params["relative"] * expected, params["absolute"])
    known = ~np.isnan(expected) & ~np.isnan(power)
    one_sided = is_in(frame, sibling(layout, field, "PowerType"), params["above_only"], layout)
    excess = power - expected
    ok = ~known | (np.where(one_sided, excess, np.abs(excess)) <= tolerance)
    # Worded for the failing rows only: the engine reads details there and nowhere else.
    shown = np.full(len(frame), "", dtype=object)
    failing = np.flatnonzero(~ok)
    shown[failing] = [
        f"{'is more than' if above else 'does not match'} {p:g} x {v:g} V"
        f"{'' if v == g else f' (for the {g:g} V given)'} x {a:g} A = {e:.2f} kW"
        for p, v, g, a, e, above in zip(
            phases[failing],
            volts[failing],
            given[failing],
            amps[failing],
            expected[failing],
            one_sided[failing],
            strict=True,
        )
    ]
    return ok, {"expected": shown}


@check_kind(
    "plugs_match_power",
    "row",
    params=(
        Param("dc_plugs", TEXTS, "the plugs that need a DC facility", required=True),
        Param("ac_plugs", TEXTS, "the plugs that need an AC facility", required=True),
        Param("ac_dc_plugs", TEXTS, "the plugs that fit either", default=()),
    ),
    describe=lambda params: "must fit the power types of the charging facilities",
    message="{field} '{value}' does not fit the charging facilities: {reason}",
)
def _plugs_match_power(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    """Plugs agree with the facilities' power types: a DC plug needs a DC facility and back."""
    plugs = stripped(frame, field, layout)  # judged once per distinct value

    def listing(names: list[str]) -> np.ndarray:
        if not names:
            return np.zeros(len(frame), dtype=bool)
        item = "(?:" + "|".join(regex_escape(n) for n in names) + ")"
        found = pc.match_substring_regex(plugs.values, f"(^|;)[ ]*{item}[ ]*(;|$)")
        return plugs.broadcast(found.fill_null(False))

    dc_plug, ac_plug = listing(params["dc_plugs"]), listing(params["ac_plugs"])
    both = listing(params.get("ac_dc_plugs", []))
    dc_capable, ac_capable = dc_plug | both, ac_plug | both
    types = layout.matching("ChargingFacilities.*.PowerType")
    dc = np.zeros(len(frame), dtype=bool)
    ac = np.zeros(len(frame), dtype=bool)
    for column in types:
        dc |= is_in(frame, column, ["DC"], layout)
        ac |= is_in(frame, column, ["AC_1_PHASE", "AC_3_PHASE"], layout)
    has_plugs = plugs.broadcast(pc.not_equal(plugs.values, ""))
    reasons = np.full(len(frame), "", dtype=object)
    cases = [
        (dc_plug & ~dc, "a DC plug but no DC facility"),
        (ac_plug & ~ac, "an AC plug but no AC facility"),
        (dc & has_plugs & ~dc_capable, "a DC facility but no DC plug"),
        (ac & has_plugs & ~ac_capable, "an AC facility but no AC plug"),
    ]
    for mask, reason in reversed(cases):
        reasons[mask] = reason
    return reasons == "", {"reason": reasons}


TYPE_INDEX = {kind: float(i) for i, kind in enumerate(POWER_TYPES)}
SINGLE_PHASE = {"AC_3_PHASE": "AC_1_PHASE"}


def plug_limits(ratings: Params, plugs: list[str]) -> tuple[np.ndarray, list[str]]:
    """Per power type, the most a set of plugs carries in kW (the most of its plugs rated for
    that type; NaN when a plug is not in `ratings` or none carries the type), and how that
    limit reads ("Type F Schuko: 230 V x 16 A = 3.7 kW"). A single-phase plug on a
    three-phase facility carries one phase."""
    limits = np.full(len(POWER_TYPES), np.nan)
    words = [""] * len(POWER_TYPES)
    if not plugs or any(plug not in ratings for plug in plugs):
        return limits, words
    for i, kind in enumerate(POWER_TYPES):
        for plug in plugs:
            rated = kind if kind in ratings[plug] else SINGLE_PHASE.get(kind, kind)
            if rated not in ratings[plug]:
                continue
            volts, amps = ratings[plug][rated]
            kw = PHASES[rated] * volts * amps / 1000
            if not kw <= limits[i]:  # NaN or less
                limits[i] = kw
                phases = "3 x " if PHASES[rated] == 3 else ""
                words[i] = f"{plug}: {phases}{volts:g} V x {amps:g} A = {kw:.1f} kW"
    return limits, words


@check_kind(
    "plug_rating",
    "row",
    params=(
        Param("plugs", PROPERTY, "the field that lists the EVSE's plugs", required=True),
        Param(
            "ratings",
            MapOf(
                Struct(
                    {
                        **dict.fromkeys(POWER_TYPES, ListOf(NUMBER, "[volts, amperes]", size=2)),
                        "source": TEXT,
                    }
                ),
                "a mapping of plugs to ratings",
            ),
            "per plug, [volts, amperes] per power type it carries, and the source",
            required=True,
        ),
    ),
    describe=lambda params: (
        "must not exceed what the EVSE's plugs carry for the facility's power type "
        "(the best-rated plug, rounded to whole kW)"
    ),
    message="{field} {value} kW is more than the EVSE's plugs carry ({expected})",
)
def _plug_rating(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    """Power at most what the EVSE's plugs carry for the facility's power type (rounded to
    whole kW as OICP writes Power); judged once per distinct Plugs value."""
    plugs = stripped(frame, params["plugs"], layout)
    per_value = [
        plug_limits(params["ratings"], [p for p in LIST_SEPARATOR.split(str(v)) if p])
        for v in plugs.values.to_pylist()
    ]
    limits = np.array([limit for limit, _ in per_value] + [np.full(len(POWER_TYPES), np.nan)])
    words = np.array([w for _, w in per_value] + [[""] * len(POWER_TYPES)], dtype=object)
    kind = mapped(frame, sibling(layout, field, "PowerType"), layout, TYPE_INDEX)
    known = ~np.isnan(kind)
    index = np.where(known, kind, 0).astype(np.intp)
    limit = np.where(known, limits[plugs.codes, index], np.nan)
    power = numbers(frame, field, layout)
    bad = ~np.isnan(limit) & ~np.isnan(power) & (power > np.floor(limit + 0.5))
    expected = np.full(len(frame), "", dtype=object)
    expected[bad] = words[plugs.codes[bad], index[bad]]
    return ~bad, {"expected": expected}
