"""Kinds for the address matching the coordinates within the country: Hubject's geolocation
factor (EVSE data score; 02 Best Practices, GeoCoordinates and Address). Offline, from the
places of poicheck.checks.placedata.

The three place kinds judge each distinct (country, postal code, city, point rounded to
0.01°, about 1 km) combination once, in numpy, and share one verdict per table: the point
is compared with every place the postal code's localities and the city's name may stand for,
so a name shared by several towns never raises a finding by itself. A place is known by any
of its names (placedata, placenames: the local name, exonyms, a big city's districts). Where
the data knows neither place (an uncovered country, a village below 500 inhabitants, a name
it lacks), nothing is said.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np
import pandas as pd

from poicheck.checks import geodata, placedata
from poicheck.checks.context import CheckContext
from poicheck.checks.frame import stripped
from poicheck.checks.geo import _alpha2, _shown, coordinates
from poicheck.checks.params import NUMBER, PROPERTY, MapOf, Param
from poicheck.checks.registry import Params, RowResult, check_kind
from poicheck.oicp.coordinates import haversine

GRID = 100  # points are rounded to 1/GRID degree (about 1 km) before they are compared


@dataclass(frozen=True)
class Address:
    """What the data knows of one (country, postal code, city): the coordinates of every
    place the postal code's localities and the city's name may stand for; whether either is
    known by its whole name (only then can it tell against the address: placedata.named);
    how far apart the two sets are (km; NaN when a set is empty or the city is a locality of
    the postal code); the postal code's locality for messages."""

    postal: np.ndarray  # (n, 2) latitude, longitude
    city: np.ndarray
    postal_known: bool
    city_known: bool
    apart: float
    locality: str


NOTHING = Address(np.zeros((0, 2)), np.zeros((0, 2)), False, False, np.nan, "")


@lru_cache(maxsize=200_000)
def address(country: str, postal: str, city: str) -> Address:
    """The places an address names, looked up once per process and distinct address; only
    in the countries whose postal codes are known (placedata.covered)."""
    places = placedata.places(country)
    if places is None or country not in placedata.postal_countries():
        return NOTHING
    names = placedata.localities(country, postal) if postal else ()
    found = [places.named(n) for n in names]
    none = np.zeros(0, dtype=np.int64)
    at_postal = np.unique(np.concatenate([none, *(f[0] for f in found)]))
    city = placedata.town_of(country, city)
    at_city, city_known = places.named(city) if city else (none, False)
    own = placedata.postal_points(country, postal) if postal else np.zeros((0, 2))
    postal_xy = np.vstack((own, np.column_stack((places.lat[at_postal], places.lon[at_postal]))))
    city_xy = np.column_stack((places.lat[at_city], places.lon[at_city]))
    folded = {placedata.fold(n) for n in names} | {placedata.short(n) for n in names}
    same = bool(city) and (placedata.fold(city) in folded or placedata.short(city) in folded)
    apart = np.nan
    if len(postal_xy) and len(city_xy) and not same:
        a, b = np.repeat(postal_xy, len(city_xy), 0), np.tile(city_xy, (len(postal_xy), 1))
        apart = float(haversine(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).min()) / 1000
    postal_known = len(own) > 0 or any(f[1] for f in found)
    # A city that is the postal code's locality written otherwise ("Grub" for "Grub a.Forst")
    # is known no better than that locality: its namesakes may be other towns.
    city_known = city_known and (postal_known or not same)
    # Only a town's name accuses: a village or district of the same name as a far town
    # ("Lindau" in Schleswig-Holstein) is missing from the places, not elsewhere.
    city_known = city_known and placedata.fold(city) in placedata.accusing(country)
    return Address(postal_xy, city_xy, postal_known, city_known, apart, names[0] if names else "")


@dataclass(frozen=True)
class Verdict:
    """Per row its combination (-1: not judged); per combination which field is wrong and
    the figures for the message."""

    combo: np.ndarray
    coordinates: np.ndarray
    postal_code: np.ndarray
    city: np.ndarray
    to_address: np.ndarray  # km from the point to the nearest place the address names
    to_city: np.ndarray
    apart: np.ndarray
    locality: np.ndarray
    near: np.ndarray  # the place the point points to ("" where nothing is wrong)


@dataclass(frozen=True)
class Combinations:
    """Per row its (country, postal code, city, rounded point) combination (-1 where the
    country is unknown); per combination its address and rounded point; per address its
    first row and country."""

    combo: np.ndarray
    address: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    first: np.ndarray
    country: np.ndarray


def _combinations(frame: pd.DataFrame, country: str, layout: CheckContext) -> Combinations:
    alpha2, labels = _alpha2(frame, country, layout)
    postal = stripped(frame, "Address.PostalCode", layout).codes.astype(np.int64) + 1
    city = stripped(frame, "Address.City", layout).codes.astype(np.int64) + 1
    lat, lon = coordinates(frame, "GeoCoordinates", layout)
    on_globe = (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    grid_lat = np.where(on_globe, np.rint(np.nan_to_num(lat) * GRID) + 90 * GRID, -1)
    grid_lon = np.where(on_globe, np.rint(np.nan_to_num(lon) * GRID) + 180 * GRID, -1)
    point = (grid_lat.astype(np.int64) + 1) * (360 * GRID + 2) + grid_lon.astype(np.int64) + 1
    rows = np.flatnonzero(labels >= 0)
    where = postal[rows] * (int(city.max(initial=0)) + 1) + city[rows]
    where = pd.factorize(where * (len(alpha2) + 1) + labels[rows])[0].astype(np.int64)
    codes, uniques = pd.factorize(where * ((180 * GRID + 2) * (360 * GRID + 2)) + point[rows])
    combo = np.full(len(frame), -1, dtype=np.int64)
    combo[rows] = codes
    at = np.empty(len(uniques), dtype=np.int64)  # each combination's first row
    at[codes[::-1]] = rows[::-1]
    address_of = np.full(len(frame), -1, dtype=np.int64)
    address_of[rows] = where
    first = np.empty(int(where.max(initial=-1)) + 1, dtype=np.int64)
    first[where[::-1]] = rows[::-1]
    glat, glon = grid_lat[at], grid_lon[at]
    return Combinations(
        combo,
        address_of[at],
        np.where(glat >= 0, glat / GRID - 90, np.nan),
        np.where(glon >= 0, glon / GRID - 180, np.nan),
        first,
        alpha2[labels[first]] if len(first) else np.zeros(0, dtype=object),
    )


def _nearest_km(sets: list[np.ndarray], combos: Combinations) -> np.ndarray:
    """Per combination, km from its point to the nearest of its address's places in `sets`
    (one array per address; inf where it is empty), for all candidates at once."""
    counts = np.array([len(s) for s in sets], dtype=np.int64)
    best = np.full(len(combos.address), np.inf)
    if not counts.sum():
        return best
    xy = np.concatenate([s for s in sets if len(s)])
    start = np.cumsum(counts) - counts
    per_combo = counts[combos.address]
    owner = np.repeat(np.arange(len(per_combo)), per_combo)
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(per_combo) - per_combo, per_combo)
    place = start[combos.address][owner] + offset
    km = haversine(combos.lat[owner], combos.lon[owner], xy[place, 0], xy[place, 1]) / 1000
    np.minimum.at(best, owner, np.where(np.isnan(km), np.inf, km))
    return best


def _limit(countries: np.ndarray, params: Params) -> np.ndarray:
    per_country = params.get("per_country") or {}
    return np.array([per_country.get(c, params["max_km"]) for c in countries], dtype=float)


def _addresses(frame: pd.DataFrame, combos: Combinations) -> list[Address]:
    """The places of each distinct address, from its first row's texts."""
    texts = [
        frame[f"Address.{part}"].iloc[combos.first].fillna("").astype(str).str.strip().tolist()
        if f"Address.{part}" in frame.columns
        else [""] * len(combos.first)
        for part in ("PostalCode", "City")
    ]
    return [address(str(c), p, t) for c, p, t in zip(combos.country, *texts, strict=True)]


def verdict(frame: pd.DataFrame, params: Params, layout: CheckContext) -> Verdict:
    """The place verdicts of a table, computed once (the three place rules share them)."""
    key = f"places:{params['country']}:{params['max_km']}:{params.get('per_country')}"
    return layout.memo(key, partial(_verdict, frame, params, layout))


def _verdict(frame: pd.DataFrame, params: Params, layout: CheckContext) -> Verdict:
    combos = _combinations(frame, params["country"], layout)
    addresses = _addresses(frame, combos)
    to_postal = _nearest_km([a.postal for a in addresses], combos)
    to_city = _nearest_km([a.city for a in addresses], combos)
    apart = np.array([a.apart for a in addresses], dtype=float)[combos.address]
    countries = combos.country[combos.address]
    limit = _limit(combos.country, params)[combos.address]
    near_postal, near_city = to_postal <= limit, to_city <= limit
    postal_known = np.array([a.postal_known for a in addresses], dtype=bool)[combos.address]
    city_known = np.array([a.city_known for a in addresses], dtype=bool)[combos.address]
    known = (postal_known & np.isfinite(to_postal)) | (city_known & np.isfinite(to_city))
    # the postal code's and the city's places lie far apart
    split = (apart > limit) & postal_known & city_known
    coordinates = known & ~near_postal & ~near_city
    coordinates[coordinates] = _inside(countries[coordinates], combos, coordinates)
    city = split & near_postal & ~near_city
    near = np.full(len(combos.address), "", dtype=object)
    _name_points(near, coordinates | city, countries, combos.lat, combos.lon)
    locality = np.array([a.locality for a in addresses], dtype=object)[combos.address]
    return Verdict(
        combos.combo,
        coordinates,
        split & ~near_postal,
        city,
        np.minimum(to_postal, to_city),
        to_city,
        apart,
        locality,
        near,
    )


def _inside(countries: np.ndarray, combos: Combinations, wanted: np.ndarray) -> np.ndarray:
    """Are these (few, far) points in their country? One outside is GEO008's finding."""
    lat, lon = combos.lat[wanted], combos.lon[wanted]
    zones = geodata.time_zones_at(lat, lon)
    return np.array(
        [c in geodata.zone_countries(z) for c, z in zip(countries, zones, strict=True)],
        dtype=bool,
    )


def _name_points(
    near: np.ndarray, wanted: np.ndarray, countries: np.ndarray, lat: np.ndarray, lon: np.ndarray
) -> None:
    """Fill in the place nearest each wanted point, among the places of its country."""
    for country in set(countries[wanted].tolist()):
        places = placedata.places(str(country))
        at = np.flatnonzero(wanted & (countries == country))
        if places is not None and len(at):
            found = places.nearest(lat[at], lon[at])
            near[at] = [places.label(int(i)) for i in found]


def _per_row(values: np.ndarray, combo: np.ndarray, empty: object) -> np.ndarray:
    """A per-combination array broadcast to the rows (rows not judged get `empty`)."""
    return np.append(values, np.array([empty], dtype=values.dtype))[combo]


def _km(values: np.ndarray) -> np.ndarray:
    return np.array([str(round(float(v))) if np.isfinite(v) else "" for v in values], dtype=object)


def _judged(
    frame: pd.DataFrame, params: Params, layout: CheckContext, blame: str
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray | str]]:
    """The rows failing on `blame` and, at those rows only, the message figures of their
    combination ("" elsewhere: the engine reads details at failing rows)."""
    found = verdict(frame, params, layout)
    wrong: np.ndarray = getattr(found, blame)
    bad = _per_row(wrong, found.combo, False)
    rows = np.flatnonzero(bad)
    at = found.combo[rows]
    km = found.to_city if blame == "city" else found.to_address
    figures = {
        name: _spread(len(frame), rows, values)
        for name, values in (
            ("km", _km(km[at])),
            ("apart", _km(found.apart[at])),
            ("near", found.near[at]),
            ("locality", found.locality[at]),
        )
    }
    return bad, rows, figures


def _spread(size: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray | str:
    """`values` at `rows` of a table of `size` rows, "" elsewhere; just "" when no row
    fails (an object array of a million rows costs ~20 ms to fill)."""
    if not len(rows):
        return ""
    out = np.full(size, "", dtype=object)
    out[rows] = values
    return out


def _texts(frame: pd.DataFrame, rows: np.ndarray, *parts: str) -> np.ndarray | str:
    """The address parts as written, joined by spaces, at `rows` ("" elsewhere)."""
    columns = [f"Address.{p}" for p in parts if f"Address.{p}" in frame.columns]
    if not len(rows) or not columns:
        return ""
    cells = frame[columns].iloc[rows].fillna("").astype(str).to_numpy()
    joined = [" ".join(v.strip() for v in row if v.strip()) for row in cells]
    return _spread(len(frame), rows, np.array(joined, dtype=object))


def _coordinates(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    bad, rows, figures = _judged(frame, params, layout, "coordinates")
    value = _shown(frame, field, rows) if len(rows) else ""
    return ~bad, {**figures, "value": value, "address": _texts(frame, rows, "PostalCode", "City")}


def _postal_code(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> RowResult:
    bad, rows, figures = _judged(frame, params, layout, "postal_code")
    return ~bad, {**figures, "city": _texts(frame, rows, "City")}


def _city(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> RowResult:
    bad, rows, figures = _judged(frame, params, layout, "city")
    return ~bad, {**figures, "postal": _texts(frame, rows, "PostalCode")}


_WHAT = {
    "near_address": "must lie within {km} km of a place the postal code or the city names",
    "postal_code_of_city": "must belong to a locality within {km} km of the city named",
    "city_near_coordinates": "must name a place within {km} km of the coordinates",
}


def _describe(kind: str, params: Params) -> str:
    countries = placedata.covered()
    shown = ", ".join(countries) if countries else "none: the place data is not installed"
    return (
        f"{_WHAT[kind].format(km=params['max_km'])}; applies in the {len(countries)} "
        f"countries with postal codes and places ({shown}), to places of 500 inhabitants "
        "or more, known by any of their GeoNames names (München or Munich, Genf or Genève, "
        "a district such as Schöneberg)"
    )


READS = (
    "GeoCoordinates.Latitude",
    "GeoCoordinates.Longitude",
    "Address.PostalCode",
    "Address.City",
)

for _name, _func, _expand, _message in (
    (
        "near_address",
        _coordinates,
        "container",
        "{field} ({value}) lies {km} km from {address}: the coordinates point to {near}",
    ),
    (
        "postal_code_of_city",
        _postal_code,
        "columns",
        "{field} '{value}' is a postal code of {locality}, {apart} km from {city}, the city named",
    ),
    (
        "city_near_coordinates",
        _city,
        "columns",
        "{field} '{value}' lies {km} km from the coordinates, which point to {near}, "
        "where postal code {postal} ({locality}) is",
    ),
):
    check_kind(
        _name,
        "row",
        params=(
            Param("country", PROPERTY, "the field naming the country", required=True),
            Param("max_km", NUMBER, "how far apart (km) is too far", required=True),
            Param(
                "per_country",
                MapOf(NUMBER, "a mapping of alpha-2 codes to km"),
                "max_km for countries of larger places",
                default={},
            ),
        ),
        prepare=placedata.load,
        describe=partial(_describe, _name),
        expand=_expand,
        reads=READS,
        message=_message,
    )(_func)
