"""Kinds for geolocation and address data, Hubject's correctness factor (offline; see
poicheck.checks.geodata). Expensive look-ups run once per distinct value and are broadcast back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks import geodata
from poicheck.checks._arrow import passes, per_distinct
from poicheck.checks.context import CheckContext
from poicheck.checks.frame import numbers, stripped, text
from poicheck.checks.params import BOOLEAN, INTEGER, NUMBER, PROPERTY, Param
from poicheck.checks.registry import Params, RowResult, check_kind
from poicheck.table import Distinct

POSITION = "GeoCoordinates"  # the position groups are compared by


def coordinates(
    frame: pd.DataFrame, container: str, layout: CheckContext | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude as floats; parsed once per table when a layout is given."""

    def parse() -> tuple[np.ndarray, np.ndarray]:
        return (
            numbers(frame, f"{container}.Latitude", layout),
            numbers(frame, f"{container}.Longitude", layout),
        )

    return parse() if layout is None else layout.memo(f"pair:{container}", parse)


def _shown(
    frame: pd.DataFrame, container: str, failing: np.ndarray, *, swap: bool = False
) -> np.ndarray:
    """ "lat, lon" as written (or "lon, lat" with `swap`) at the failing rows, "" elsewhere:
    the engine reads details only where a rule fails."""
    first, second = ("Longitude", "Latitude") if swap else ("Latitude", "Longitude")
    out = np.full(len(frame), "", dtype=object)
    columns = [f"{container}.{first}", f"{container}.{second}"]
    rows = frame[[c for c in columns if c in frame.columns]].iloc[failing]
    shown = text(rows, columns[0]) + ", " + text(rows, columns[1])
    out[failing] = shown.to_numpy(dtype=object)
    return out


@check_kind(
    "null_island",
    "row",
    params=(
        Param(
            "within",
            NUMBER,
            "degrees from (0, 0) within which a position is a placeholder",
            required=True,
        ),
    ),
    describe=lambda params: "must not be (0, 0) or another placeholder with latitude = longitude",
    expand="container",
    message="{field} ({value}) is a placeholder position, not the charging station",
)
def _null_island(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    lat, lon = coordinates(frame, field, layout)
    known = ~np.isnan(lat) & ~np.isnan(lon)
    near_zero = (np.abs(lat) < params["within"]) & (np.abs(lon) < params["within"])
    same = lat == lon
    bad = known & (near_zero | same)
    return ~bad, {"value": _shown(frame, field, np.flatnonzero(bad))}


def _describe_decimals(params: Params) -> str:
    if params.get("max") is not None:
        return f"more than {params['max']} decimals are rounded to {params['max']}"
    return f"should have at least {params['min']} decimals (about 1 m)"


@check_kind(
    "decimals",
    "cell",
    params=(
        Param("min", INTEGER, "the fewest decimals"),
        Param("max", INTEGER, "the most decimals"),
    ),
    describe=_describe_decimals,
    message="{field} {value} has fewer than {min} decimals: too coarse to find the charger "
    "(5 decimals are about 1 m)",
)
def _decimals(values: pa.Array, params: Params) -> np.ndarray:
    fraction = pc.extract_regex(values, r"^-?[0-9]+\.(?P<d>[0-9]*)$")
    digits = pc.utf8_length(pc.struct_field(fraction, "d"))
    ok = pc.greater_equal(digits, 0)  # null (passing) where the value is no decimal number
    if params.get("min") is not None:
        ok = pc.and_(ok, pc.greater_equal(digits, params["min"]))
    if params.get("max") is not None:
        ok = pc.and_(ok, pc.less_equal(digits, params["max"]))
    return passes(ok)


@dataclass(frozen=True)
class Places:
    """Per distinct (position, country) point: is it inside its country, would the swapped
    position be, the countries found there and the expected country (alpha-2); and per
    row its point (-1: not checkable)."""

    point: np.ndarray
    inside: np.ndarray
    swapped: np.ndarray
    found: np.ndarray
    country: np.ndarray


def distinct_points(
    lat: np.ndarray, lon: np.ndarray, labels: np.ndarray, decimals: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (position rounded to `decimals`, label) pairs of the rows whose position
    is on the globe and whose label (an integer code) is not negative: each row's pair
    number (-1 for the others) and the first row of each pair. Pairs are integers (a
    position on a grid of 10^-decimals degrees, times the label), hashed once."""
    scale = 10**decimals
    valid = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & (labels >= 0)
    rows = np.flatnonzero(valid)
    grid_lat = np.rint(np.round(lat[rows], decimals) * scale).astype(np.int64) + 90 * scale
    grid_lon = np.rint(np.round(lon[rows], decimals) * scale).astype(np.int64) + 180 * scale
    width = int(labels.max(initial=0)) + 1
    key = (grid_lat * (360 * scale + 1) + grid_lon) * width + labels[rows]
    codes, uniques = pd.factorize(key)
    pair = np.full(len(lat), -1, dtype=np.int64)
    pair[rows] = codes
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = rows[::-1]
    return pair, first


def _look_up(
    lat: np.ndarray,
    lon: np.ndarray,
    zones: tuple[np.ndarray, np.ndarray],
    countries: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, ...]:
    """inside / swapped / found for distinct (lat, lon, country) points, given each point's
    time zone and expected country (alpha-2) as numbers into their names. The swapped
    position is looked up only where the point is not inside: for a point in its country
    the swap cannot matter."""
    inside = _zone_has(zones, countries)
    swapped = np.zeros(len(lat), dtype=bool)
    ask = np.flatnonzero(~inside & (np.abs(lon) <= 90))
    if len(ask):
        there = pd.factorize(np.array(geodata.time_zones_at(lon[ask], lat[ask]), dtype=object))
        swapped[ask] = _zone_has(
            (there[0], np.asarray(there[1])), (countries[0][ask], countries[1])
        )
    codes, zone_names = zones
    names: dict[frozenset[str], str] = {}
    for found in {geodata.zone_countries(z) for z in [*zone_names, None]}:
        shown = ", ".join(sorted(geodata.country_name(c) for c in found))
        names[found] = shown or "no country (at sea)"
    per_zone = [names[geodata.zone_countries(z)] for z in [*zone_names, None]]
    # A point in no zone (-1) picks the name of None, put at the end.
    return inside, swapped, np.array(per_zone, dtype=object)[codes]


def _zone_has(
    zones: tuple[np.ndarray, np.ndarray], countries: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Per point: does its time zone cover its country? Both are given as numbers into
    their names (-1: no zone); judged once per distinct (zone, country) pair."""
    (zone, zone_names), (country, country_names) = zones, countries
    zone_of, country_of = [None, *zone_names], [None, *country_names]  # number -1 + 1: None
    width = len(country_of)
    codes, pairs = pd.factorize((zone.astype(np.int64) + 1) * width + country + 1)
    verdict = [
        country_of[pair % width] in geodata.zone_countries(zone_of[pair // width])
        for pair in pairs.tolist()
    ]
    return np.array(verdict, dtype=bool)[codes]


def _places(frame: pd.DataFrame, field: str, country: str, layout: CheckContext) -> Places:
    """Places per row, looked up once per distinct (position, country) and cached per
    table, since the swap rule asks the same questions."""

    def compute() -> Places:
        lat, lon = coordinates(frame, field, layout)
        alpha2, labels = _alpha2(frame, country, layout)
        pair, first = distinct_points(lat, lon, labels, 5)
        zone, names = _zones(frame, field, layout)
        inside, swapped, found = _look_up(
            np.round(lat[first], 5),
            np.round(lon[first], 5),
            (zone[first], names),
            (labels[first], alpha2),
        )
        return Places(pair, inside, swapped, found, alpha2[labels[first]])

    return layout.memo(f"in_country:{field}", compute)


def _zones(
    frame: pd.DataFrame, container: str, layout: CheckContext
) -> tuple[np.ndarray, np.ndarray]:
    """The time zones at the positions, looked up once per distinct position (to 5 decimals,
    about 1 m) and once per table, since the country and the time-zone rules ask the same
    question: per row the number of its zone (-1: no position or no zone there) and the
    zones' names."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        lat, lon = coordinates(frame, container, layout)
        pair, first = distinct_points(lat, lon, np.zeros(len(lat), dtype=np.int64), 5)
        found = geodata.time_zones_at(np.round(lat[first], 5), np.round(lon[first], 5))
        zone_of_point, names = pd.factorize(np.array(found, dtype=object))
        # A row without a position (-1) picks the -1 put at the end.
        return (np.append(zone_of_point, -1)[pair], np.asarray(names, dtype=object))

    return layout.memo(f"zones:{container}", compute)


def kept_codes(distinct: Distinct, kept: np.ndarray) -> np.ndarray:
    """Per cell, its value's number where `kept` (per distinct value) holds, else -1."""
    codes = distinct.codes.astype(np.int64)
    return np.where(np.append(np.asarray(kept, dtype=bool), False)[codes], codes, -1)


def _alpha2(
    frame: pd.DataFrame, column: str, layout: CheckContext
) -> tuple[np.ndarray, np.ndarray]:
    """The alpha-2 codes of a country column's distinct (stripped) values, and per row the
    index of its code there (-1 where the column is empty or the country unknown)."""
    if column not in frame.columns:
        return np.array([], dtype=object), np.full(len(frame), -1, dtype=np.int64)
    distinct = layout.distinct(frame, column)
    codes = [
        geodata.alpha2(str(v).strip()) if str(v).strip() else None
        for v in distinct.values.to_pylist()
    ]
    known = np.array([c is not None for c in codes], dtype=bool)
    alpha2 = np.array(codes, dtype=object)
    return alpha2, kept_codes(distinct, known)


COUNTRY = Param("country", PROPERTY, "the field naming the country", required=True)


@check_kind(
    "in_country",
    "row",
    prepare=geodata.load_time_zones,
    params=(
        COUNTRY,
        Param(
            "swapped",
            BOOLEAN,
            "fail only where swapping latitude and longitude would put it in the country",
            default=False,
        ),
    ),
    describe=lambda params: f"must lie in the country of {params['country']}",
    expand="container",
    message="{field} ({value}) lies in {found}, not in {country}",
)
def _in_country(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> RowResult:
    """The point lies in Address.Country; with `swapped`, fail only when the swap would fix it."""
    places = _places(frame, field, params["country"], layout)
    fixed = places.swapped if params.get("swapped") else ~places.swapped
    # A row without a point (-1) picks the False put at the end.
    bad = np.append(~places.inside & fixed, False)[places.point]
    failing = np.flatnonzero(bad)
    country = np.full(len(frame), "", dtype=object)
    country[failing] = [geodata.country_name(c) for c in places.country[places.point[failing]]]
    return ~bad, {
        "value": _shown(frame, field, failing),
        "found": np.append(places.found, "")[places.point],
        "country": country,
        "swap": _shown(frame, field, failing, swap=True),
    }


@check_kind(
    "postal_code",
    "row",
    params=(COUNTRY,),
    describe=lambda params: f"must have the postal code format of {params['country']}",
    message="{field} '{value}' is not a postal code of {country}; expected a code{example}",
)
def _postal_code(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    """Judged once per distinct (country, postal code) pair of stripped texts."""
    country, postal = stripped(frame, params["country"], layout), stripped(frame, field, layout)
    country_texts = np.array([*country.values.to_pylist(), ""], dtype=object)
    postal_texts = np.array([*postal.values.to_pylist(), ""], dtype=object)
    # An empty cell (-1) picks the "" put at the end; pairs are numbered as integers.
    width = len(postal_texts)
    pair = country.codes.astype(np.int64) % len(country_texts) * width + postal.codes % width
    codes, pairs = pd.factorize(pair)
    verdict, example, names = [], [], []
    for code in pairs.tolist():
        country_text, postal_text = country_texts[code // width], postal_texts[code % width]
        alpha2 = geodata.alpha2(country_text) if country_text else None
        patterns = geodata.postal_code_rule(alpha2) if alpha2 else None
        good = (
            not postal_text or patterns is None or any(p.fullmatch(postal_text) for p in patterns)
        )
        sample = "" if good else geodata.postal_code_example(alpha2 or "")
        verdict.append(good)
        example.append(f" such as {sample}" if sample else "")
        names.append("" if good else geodata.country_name(alpha2 or ""))
    ok = np.array(verdict, dtype=bool)[codes]
    return ok, {
        "example": np.array(example, dtype=object)[codes],
        "country": np.array(names, dtype=object)[codes],
    }


@check_kind(
    "country_exists",
    "cell",
    describe=lambda params: "must be an assigned ISO 3166-1 alpha-3 code",
    message="{field} '{value}' is not an assigned ISO 3166-1 alpha-3 country code",
)
def _country_exists(values: pa.Array, params: Params) -> np.ndarray:
    # Only well-formed codes: a malformed one is the format rule's (ADR002) finding.
    return per_distinct(values, lambda code: len(code) != 3 or geodata.alpha2(code) is not None)


@check_kind(
    "time_zone",
    "row",
    prepare=geodata.load_time_zones,
    params=(
        Param("position", PROPERTY, "the coordinates the zone is looked up at", required=True),
    ),
    describe=lambda params: f"must be a UTC offset used at {params['position']}",
    message="{field} '{value}' is not used at the station's position ({expected})",
)
def _time_zone(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> RowResult:
    expected = np.full(len(frame), "", dtype=object)
    if field not in frame.columns:
        return np.ones(len(frame), dtype=bool), {"expected": expected}
    cells = stripped(frame, field, layout)
    offsets = cells.values
    # A malformed offset is ADR015's finding, not this one's.
    wellformed = np.asarray(pc.match_substring_regex(offsets, r"^UTC[+-][0-9]{2}:[0-9]{2}$"))
    labels = kept_codes(cells, wellformed)
    zone_codes, zone_names = _zones(frame, params["position"], layout)
    width = len(wellformed) + 1
    known = (labels >= 0) & (zone_codes >= 0)
    combined = np.where(known, zone_codes * width + labels, -1)
    rows = np.flatnonzero(combined >= 0)
    if len(rows):
        pair, unique = pd.factorize(combined[rows])
        given = offsets.to_pylist()
        verdict = np.array(
            [_offset_verdict(str(zone_names[u // width]), given[u % width]) for u in unique],
            dtype=object,
        )
        expected[rows] = verdict[pair]
    return expected == "", {"expected": expected}


def _offset_verdict(zone: str | None, given: str) -> str:
    """ "" when `given` is an offset of the zone (or the zone is unknown), else the zone's."""
    offsets = geodata.utc_offsets(zone) if zone and not zone.startswith("Etc/") else frozenset()
    return "" if not offsets or given in offsets else f"{zone}: {' or '.join(sorted(offsets))}"
