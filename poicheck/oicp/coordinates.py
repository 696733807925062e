"""Coordinate notations of OICP's GeoCoordinatesType: decimal degrees, Google and DMS."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import numpy as np

NOTATIONS = ("Google", "DecimalDegree", "DegreeMinuteSeconds")
DMS = re.compile(r"^(-?)([0-9]{1,3})°[ ]?([0-9]{1,2})'[ ]?([0-9]{1,2}(?:\.[0-9]+)?)''$", re.ASCII)
GOOGLE_SPLIT = re.compile(r"[ \t]*,[ \t]*|[ \t]+", re.ASCII)
SIX = Decimal("0.000001")
EARTH_RADIUS_M = 6_371_000.0


def dms_to_decimal(text: str) -> str | None:
    """`-21°34'23.16''` to `-21.573100` (6 decimals), or None when it is not DMS or
    denotes no position (`dms_beyond_60`): such a value is never converted."""
    match = DMS.fullmatch(text.strip())
    if not match or dms_beyond_60(text):
        return None
    sign, degrees, minutes, seconds = match.groups()
    value = Decimal(degrees) + Decimal(minutes) / 60 + Decimal(seconds) / 3600
    value = value.quantize(SIX, rounding=ROUND_HALF_EVEN)
    return f"{'-' if sign and value else ''}{value}"


def dms_beyond_60(text: str) -> str:
    """What makes a DMS coordinate denote no position, or '' (also for text that is not DMS).

    Minutes and seconds count up to 59 (and 59.99... seconds); OICP's expression admits two
    digits each (03 GeoCoordinatesDegreeMinuteSecondsFormatType), so `52°75'99.0''` matches
    it, but 75 minutes are not minutes of a degree: the value names no point.
    """
    match = DMS.fullmatch(text.strip())
    if not match:
        return ""
    _, _, minutes, seconds = match.groups()
    beyond = [
        f"{name} {number}"
        for name, number in (("minutes", minutes), ("seconds", seconds))
        if Decimal(number) >= 60
    ]
    return " and ".join(beyond)


def decimal_to_dms(text: str, *, exact: bool = False) -> str:
    """`-21.5731` to `-21°34'23.16''`; seconds with 2 decimals, carries handled.

    With `exact`, the value is first rounded to 6 decimals (the most OICP's decimal notation
    has) and the seconds keep the decimals they need (2 to 4), so that converting back gives
    the same 6-decimal value: `52.521918` is `52°31'18.9048''`, not the `52°31'18.90''` that
    reads back as `52.521917`.
    """
    if exact:
        return _exact_dms(Decimal(text).quantize(SIX, rounding=ROUND_HALF_EVEN))
    value = Decimal(text)
    sign = "-" if value < 0 else ""
    hundredths = int((abs(value) * 360000).to_integral_value(rounding=ROUND_HALF_EVEN))
    degrees, rest = divmod(hundredths, 360000)
    minutes, seconds = divmod(rest, 6000)
    return f"{sign}{degrees}°{minutes}'{seconds // 100}.{seconds % 100:02d}''"


def _exact_dms(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    total = abs(value) * 3600  # a multiple of 0.0036 seconds: at most 4 decimals, no rounding
    degrees, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    two = seconds.quantize(Decimal("0.01"))
    shown = two if two == seconds else seconds.normalize()
    return f"{sign}{int(degrees)}°{int(minutes)}'{shown:f}''"


def format_decimal(text: str, decimals: int = 6) -> str:
    """A decimal-degree string with at most `decimals` decimals and at least one."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return text
    quantum = Decimal(1).scaleb(-decimals)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_EVEN).normalize()
    out = format(rounded, "f")
    if out in ("-0", "-0.0"):
        out = "0"
    return out if "." in out else out + ".0"


def split_google(text: str) -> tuple[str, str] | None:
    """`47.662249 9.360922` (or with a comma) to (latitude, longitude)."""
    parts = [p for p in GOOGLE_SPLIT.split(text.strip()) if p]
    return (parts[0], parts[1]) if len(parts) == 2 else None


def haversine(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in metres (numpy arrays or plain numbers)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(np.subtract(lon2, lon1))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points in km."""
    return float(haversine(a[0], a[1], b[0], b[1])) / 1000


def position(coordinates: Any) -> tuple[float, float] | None:
    """(latitude, longitude) of an OICP GeoCoordinates object in any of its notations, or
    None when it holds no readable position."""
    if not isinstance(coordinates, dict):
        return None
    pair: tuple[Any, Any] | None = None
    if isinstance(coordinates.get("DecimalDegree"), dict):
        degrees = coordinates["DecimalDegree"]
        pair = (degrees.get("Latitude"), degrees.get("Longitude"))
    elif isinstance(coordinates.get("Google"), dict):
        pair = split_google(str(coordinates["Google"].get("Coordinates", "")))
    elif isinstance(coordinates.get("DegreeMinuteSeconds"), dict):
        dms = coordinates["DegreeMinuteSeconds"]
        pair = (
            dms_to_decimal(str(dms.get("Latitude", ""))),
            dms_to_decimal(str(dms.get("Longitude", ""))),
        )
    if pair is None:
        return None
    try:
        lat, lon = float(str(pair[0])), float(str(pair[1]))
    except ValueError:
        return None
    if not (abs(lat) <= 90 and abs(lon) <= 180):
        return None
    return lat, lon
