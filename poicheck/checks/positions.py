"""Kinds about a position as such, whatever the address says: a round placeholder
(`51.0, 6.0`) and one position shared by EVSEs at clearly different addresses (coordinates
copied from another station). Hubject's geolocation factor (EVSE data score; 02 Best
Practices, GeoCoordinates)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from poicheck.checks.context import CheckContext
from poicheck.checks.frame import stripped
from poicheck.checks.geo import _shown, coordinates, distinct_points
from poicheck.checks.groups import folded_codes
from poicheck.checks.params import INTEGER, Param
from poicheck.checks.places import READS, _spread
from poicheck.checks.registry import Params, RowResult, check_kind


@check_kind(
    "round_position",
    "row",
    params=(
        Param(
            "max_decimals",
            INTEGER,
            "a position with this many decimals or fewer is round",
            required=True,
        ),
    ),
    describe=lambda params: (
        f"must not be a round position (both with {params['max_decimals']} decimals or fewer)"
    ),
    expand="container",
    message="{field} ({value}) is a round placeholder position, not the charging station",
)
def _round(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> RowResult:
    """Both coordinates with at most `max_decimals` decimals (trailing zeros ignored)."""
    lat, lon = coordinates(frame, field, layout)
    scale = 10 ** params["max_decimals"]
    whole = [np.abs(v * scale - np.rint(v * scale)) < 1e-6 for v in (lat, lon)]
    bad = whole[0] & whole[1] & ~np.isnan(lat) & ~np.isnan(lon)
    failing = np.flatnonzero(bad)
    return ~bad, {"value": _shown(frame, field, failing) if len(failing) else ""}


def _unit(frame: pd.DataFrame, layout: CheckContext) -> np.ndarray:
    """Per row the station or pool it belongs to: its ChargingPoolID, else its
    ChargingStationId, else itself (numbered apart)."""
    pool = stripped(frame, "ChargingPoolID", layout).codes.astype(np.int64)
    station = stripped(frame, "ChargingStationId", layout).codes.astype(np.int64)
    alone = np.arange(len(frame), dtype=np.int64)
    width = len(frame) + 1
    return np.where(pool >= 0, pool, np.where(station >= 0, width + station, 2 * width + alone))


def _place_of(frame: pd.DataFrame, layout: CheckContext) -> np.ndarray:
    """Per row its postal code and city (stripped, city case-folded) as one integer: two
    addresses differ clearly when these differ, not by a house number or a street's
    spelling."""
    postal = folded_codes(frame, "Address.PostalCode", layout, fold=False) + 1
    city = folded_codes(frame, "Address.City", layout, fold=True) + 1
    return postal * (int(city.max(initial=0)) + 1) + city


@check_kind(
    "shared_position",
    "row",
    across_rows=True,
    reads=(*READS, "ChargingPoolID", "ChargingStationId"),
    params=(Param("decimals", INTEGER, "the decimals positions are compared to", required=True),),
    describe=lambda params: (
        "must not be shared with EVSEs of another station or pool at another postal code or city"
    ),
    expand="container",
    message="{field} ({value}) is shared by EVSEs at {count} different postal codes or "
    "cities that are not one station or pool: coordinates copied from another address?",
)
def _shared(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> RowResult:
    """A position (to `decimals`) shared by EVSEs of different stations or pools whose
    postal code or city differ: one of them, at least, carries copied coordinates."""
    lat, lon = coordinates(frame, field, layout)
    point, _ = distinct_points(lat, lon, np.zeros(len(lat), dtype=np.int64), params["decimals"])
    rows = np.flatnonzero(point >= 0)
    counts = {}
    for name, values in (("places", _place_of(frame, layout)), ("units", _unit(frame, layout))):
        pairs = pd.unique(point[rows] * (int(values.max(initial=0)) + 1) + values[rows])
        width = int(values.max(initial=0)) + 1
        counts[name] = np.bincount(pairs // width, minlength=int(point.max(initial=-1)) + 1)
    places_at, units_at = (np.append(counts[n], 0)[point] for n in ("places", "units"))
    bad = (places_at > 1) & (units_at > 1)
    failing = np.flatnonzero(bad)
    count = np.array([str(c) for c in places_at[failing].tolist()], dtype=object)
    if not len(failing):
        return ~bad, {"value": "", "count": ""}
    return ~bad, {
        "value": _shown(frame, field, failing),
        "count": _spread(len(frame), failing, count),
    }
