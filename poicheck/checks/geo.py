"""Kinds for geolocation and address data, Hubject's correctness factor (offline; see
poicheck.geodata). Expensive look-ups run once per distinct value and are broadcast back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck import geodata
from poicheck.checks._arrow import passes, per_distinct
from poicheck.checks._frame import numbers, text
from poicheck.checks.registry import Kind, Params, register
from poicheck.table import Layout

RowResult = tuple[np.ndarray, dict[str, np.ndarray]]
ADDRESS_PARTS = ("Street", "HouseNum", "PostalCode", "City")
POSITION = "GeoCoordinates"  # the position groups are compared by
EARTH_RADIUS_M = 6_371_000.0


def _pair(
    frame: pd.DataFrame, container: str, layout: Layout | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude as floats; parsed once per table when a layout is given."""
    key = f"pair:{container}"
    if layout is not None and key in layout.cache:
        cached: tuple[np.ndarray, np.ndarray] = layout.cache[key]
        return cached
    pair = numbers(frame, f"{container}.Latitude"), numbers(frame, f"{container}.Longitude")
    if layout is not None:
        layout.cache[key] = pair
    return pair


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


def _null_island(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> RowResult:
    lat, lon = _pair(frame, field, layout)
    known = ~np.isnan(lat) & ~np.isnan(lon)
    near_zero = (np.abs(lat) < params["within"]) & (np.abs(lon) < params["within"])
    same = lat == lon
    bad = known & (near_zero | same)
    return ~bad, {"value": _shown(frame, field, np.flatnonzero(bad))}


register(
    Kind(
        name="null_island",
        scope="row",
        func=_null_island,
        required=("within",),
        describe=lambda params: (
            "must not be (0, 0) or another placeholder with latitude = longitude"
        ),
        expand="container",
        message="{field} ({value}) is a placeholder position, not the charging station",
    )
)


def _decimals(values: pa.Array, params: Params) -> np.ndarray:
    fraction = pc.extract_regex(values, r"^-?[0-9]+\.(?P<d>[0-9]*)$")
    digits = pc.utf8_length(pc.struct_field(fraction, "d"))
    return passes(pc.greater_equal(digits, params["min"]))


register(
    Kind(
        name="decimals",
        scope="cell",
        func=_decimals,
        required=("min",),
        describe=lambda params: f"should have at least {params['min']} decimals (about 1 m)",
        message="{field} {value} has fewer than {min} decimals: too coarse to find the charger "
        "(5 decimals are about 1 m)",
    )
)


def _look_up(distinct: pd.DataFrame) -> pd.DataFrame:
    """inside / swapped / found for distinct (lat, lon, cc) rows, with batched zone look-ups.

    The swapped position is looked up only where the point is not inside: for a point in its
    country the swap cannot matter."""
    lat, lon = distinct["lat"].to_numpy(dtype=float), distinct["lon"].to_numpy(dtype=float)
    expected = distinct["cc"].to_numpy(dtype=object)
    here = [geodata.zone_countries(z) for z in geodata.time_zones_at(lat, lon)]
    inside = np.array([cc in found for cc, found in zip(expected, here, strict=True)], dtype=bool)
    swapped = np.zeros(len(distinct), dtype=bool)
    ask = np.flatnonzero(~inside & (np.abs(lon) <= 90))
    if len(ask):
        there = geodata.time_zones_at(lon[ask], lat[ask])
        swapped[ask] = [
            expected[i] in geodata.zone_countries(zone) for i, zone in zip(ask, there, strict=True)
        ]
    names: dict[frozenset[str], str] = {}
    for countries in set(here):
        shown = ", ".join(sorted(geodata.country_name(c) for c in countries))
        names[countries] = shown or "no country (at sea)"
    out = distinct.reset_index(drop=True).astype({"lat": float, "lon": float, "cc": object})
    out["inside"] = inside.astype(object)
    out["swapped"] = swapped.astype(object)
    out["found"] = np.array([names[c] for c in here], dtype=object)
    return out


def _places(frame: pd.DataFrame, field: str, country: str, layout: Layout) -> pd.DataFrame:
    """inside / swapped / found / cc per row, looked up once per distinct (position, country)
    and cached per table, since the swap rule asks the same questions."""
    key = f"in_country:{field}"
    if key not in layout.cache:
        lat, lon = _pair(frame, field, layout)
        codes = text(frame, country)
        alpha2 = codes.map({c: geodata.alpha2(c) for c in codes.unique() if c})
        points = pd.DataFrame(
            {"lat": np.round(lat, 5), "lon": np.round(lon, 5), "cc": alpha2.astype(object)}
        )
        points = points[(points["lat"].abs() <= 90) & (points["lon"].abs() <= 180)].dropna()
        looked_up = _look_up(points.drop_duplicates())
        merged = points.reset_index().merge(looked_up, on=["lat", "lon", "cc"], how="left")
        columns = ["inside", "swapped", "found", "cc"]
        result = pd.DataFrame(index=frame.index, columns=columns, dtype=object)
        result.loc[merged["index"], columns] = merged[columns].to_numpy()
        layout.cache[key] = result
    cached: pd.DataFrame = layout.cache[key]
    return cached


def _in_country(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> RowResult:
    """The point lies in Address.Country; with `swapped`, fail only when the swap would fix it."""
    result = _places(frame, field, params["country"], layout)
    checkable = result["inside"].notna().to_numpy()
    inside = result["inside"].fillna(True).to_numpy(dtype=bool)
    fixed = result["swapped"].fillna(False).to_numpy(dtype=bool)
    bad = checkable & ~inside & (fixed if params.get("swapped") else ~fixed)
    failing = np.flatnonzero(bad)
    country = np.full(len(frame), "", dtype=object)
    country[failing] = [
        geodata.country_name(c) if isinstance(c, str) else ""
        for c in result["cc"].to_numpy(dtype=object)[failing]
    ]
    return ~bad, {
        "value": _shown(frame, field, failing),
        "found": result["found"].fillna("").to_numpy(dtype=object),
        "country": country,
        "swap": _shown(frame, field, failing, swap=True),
    }


register(
    Kind(
        name="in_country",
        scope="row",
        func=_in_country,
        required=("country",),
        describe=lambda params: f"must lie in the country of {params['country']}",
        expand="container",
        message="{field} ({value}) lies in {found}, not in {country}",
    )
)


def _postal_code(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> RowResult:
    codes = text(frame, params["country"])
    postal = text(frame, field)
    pairs = pd.DataFrame({"country": codes, "postal": postal})
    distinct = pairs[(pairs["postal"] != "") & (pairs["country"] != "")].drop_duplicates()
    verdict = []
    for country, code in distinct.itertuples(index=False):
        alpha2 = geodata.alpha2(country)
        patterns = geodata.postal_code_rule(alpha2) if alpha2 else None
        verdict.append(patterns is None or any(p.fullmatch(code) for p in patterns))
    ok = _broadcast(pairs, distinct.assign(ok=verdict), "ok", True).astype(bool)
    example = np.full(len(frame), "", dtype=object)
    names = np.full(len(frame), "", dtype=object)
    for index in np.flatnonzero(~ok):
        alpha2 = geodata.alpha2(codes.iloc[index]) or ""
        sample = geodata.postal_code_example(alpha2)
        example[index] = f" such as {sample}" if sample else ""
        names[index] = geodata.country_name(alpha2)
    return ok, {"example": example, "country": names}


register(
    Kind(
        name="postal_code",
        scope="row",
        func=_postal_code,
        required=("country",),
        describe=lambda params: f"must have the postal code format of {params['country']}",
        message="{field} '{value}' is not a postal code of {country}; expected a code{example}",
    )
)


def _country_exists(values: pa.Array, params: Params) -> np.ndarray:
    # Only well-formed codes: a malformed one is the format rule's (ADR002) finding.
    return per_distinct(values, lambda code: len(code) != 3 or geodata.alpha2(code) is not None)


register(
    Kind(
        name="country_exists",
        scope="cell",
        func=_country_exists,
        describe=lambda params: "must be an assigned ISO 3166-1 alpha-3 code",
        message="{field} '{value}' is not an assigned ISO 3166-1 alpha-3 country code",
    )
)


def _time_zone(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> RowResult:
    lat, lon = _pair(frame, params["position"], layout)
    given = text(frame, field)
    given = given.where(given.str.fullmatch(r"UTC[+-][0-9]{2}:[0-9]{2}"), "")  # else ADR015
    points = pd.DataFrame({"lat": np.round(lat, 4), "lon": np.round(lon, 4), "tz": given})
    distinct = points[(points["tz"] != "")].dropna().drop_duplicates()
    zones = geodata.time_zones_at(distinct["lat"], distinct["lon"])
    verdict = []
    for zone, tz in zip(zones, distinct["tz"], strict=True):
        offsets = geodata.utc_offsets(zone) if zone and not zone.startswith("Etc/") else frozenset()
        verdict.append(
            "" if not offsets or tz in offsets else f"{zone}: {' or '.join(sorted(offsets))}"
        )
    expected = _broadcast(points, distinct.assign(expected=verdict), "expected", "")
    return expected == "", {"expected": expected}


def _broadcast(
    rows: pd.DataFrame, distinct: pd.DataFrame, column: str, default: object
) -> np.ndarray:
    """`column` of the distinct rows matching each row (on all of `rows`' columns), else
    `default`: a vectorised join instead of one dictionary look-up per row."""
    keys = list(rows.columns)
    merged = rows.merge(distinct[[*keys, column]], on=keys, how="left", sort=False)
    values = merged[column].to_numpy(dtype=object)
    values[pd.isna(values)] = default
    return values


register(
    Kind(
        name="time_zone",
        scope="row",
        func=_time_zone,
        required=("position",),
        describe=lambda params: f"must be a UTC offset used at {params['position']}",
        message="{field} '{value}' is not used at the station's position ({expected})",
    )
)


def haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _group_together(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> RowResult:
    """EVSEs sharing a station or pool ID stand within `max_distance` metres of the group's
    median position and, with `compare_address`, at the group's majority address. When no
    address has a majority, every member is reported: the data cannot say which one is right."""
    key = text(frame, field)
    lat, lon = _pair(frame, POSITION, layout)
    # A position outside the globe is GEO003/GEO004's finding; it does not count here.
    outside = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    lat, lon = np.where(outside, np.nan, lat), np.where(outside, np.nan, lon)
    codes = pd.factorize(key)[0]
    counted = np.bincount(codes, minlength=1)
    size = np.where(key.to_numpy() != "", counted[codes], 0)
    by_key = pd.DataFrame({"lat": lat, "lon": lon}).groupby(codes, sort=False)
    centre_lat = by_key["lat"].median().reindex(range(len(counted))).to_numpy()[codes]
    centre_lon = by_key["lon"].median().reindex(range(len(counted))).to_numpy()[codes]
    distance = np.nan_to_num(haversine(lat, lon, centre_lat, centre_lon))
    far = (size > 1) & (distance > params["max_distance"])
    reason = np.full(len(frame), "", dtype=object)
    elsewhere = np.zeros(len(frame), dtype=bool)
    if params.get("compare_address"):
        majority, distinct = _majority_address(codes, _address(frame, layout))
        elsewhere = (size > 1) & (distinct > 1) & ~majority & ~far
        reason[elsewhere] = f"its address differs from that of the other EVSEs with this {field}"
    metres = distance.round().astype(int).astype(str).astype(object)
    reason[far] = "it stands " + metres[far] + f" m from the other EVSEs with this {field}"
    return ~(far | elsewhere), {"reason": reason}


def _majority_address(codes: np.ndarray, address: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: is its address the single most frequent one of its group, and how many
    distinct addresses the group has; counted on integer codes (no per-group Python)."""
    places = pd.factorize(address)[0].astype(np.int64)
    pair = codes.astype(np.int64) * (int(places.max(initial=0)) + 1) + places
    pairs, inverse = np.unique(pair, return_inverse=True)
    pair_count = np.bincount(inverse)
    pair_key = pairs // (int(places.max(initial=0)) + 1)
    most = np.zeros(int(codes.max(initial=0)) + 1, dtype=np.int64)
    np.maximum.at(most, pair_key, pair_count)
    ties = np.bincount(pair_key, weights=pair_count == most[pair_key], minlength=len(most))
    distinct = np.bincount(pair_key, minlength=len(most))
    majority = (pair_count[inverse] == most[codes]) & (ties[codes] == 1)
    return majority, distinct[codes]


def _address(frame: pd.DataFrame, layout: Layout) -> pd.Series:
    """Street, number, postal code and city, case-folded (once per distinct value), for
    comparing the addresses of a group; built once per table."""
    if "address" not in layout.cache:
        parts = [_casefolded(text(frame, f"Address.{p}")) for p in ADDRESS_PARTS]
        layout.cache["address"] = parts[0] + " " + parts[1] + ", " + parts[2] + " " + parts[3]
    cached: pd.Series = layout.cache["address"]
    return cached


def _casefolded(values: pd.Series) -> pd.Series:
    codes, distinct = pd.factorize(values)
    folded = np.array([str(v).casefold() for v in distinct], dtype=object)
    return pd.Series(folded[codes], index=values.index, dtype="str")


register(
    Kind(
        name="group_together",
        scope="row",
        func=_group_together,
        across_rows=True,
        reads=(
            f"{POSITION}.Latitude",
            f"{POSITION}.Longitude",
            *(f"Address.{part}" for part in ADDRESS_PARTS),
        ),
        required=("max_distance",),
        describe=lambda params: (
            f"EVSEs sharing it must share an address, within {params['max_distance']} m"
        ),
        message="{field} '{value}': {reason}",
    )
)
