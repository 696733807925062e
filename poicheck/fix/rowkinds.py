"""Fix kinds that read more than the finding's cell: the record's country or position.

Each returns the fixed cells (column -> text) for one distinct combination of the cells it
reads, or None. The columns come from the rule's parameters (`country: Address.Country`,
`position: GeoCoordinates`), as the checks read them: one source.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from poicheck.fix.kinds import (
    Cells,
    FixKind,
    Params,
    international,
    narrow,
    phone_digits,
    register,
)


def _country(cells: Cells, params: Params) -> str | None:
    """The alpha-2 code of the record's Address.Country (None: none, or not a country)."""
    from poicheck.checks import geodata

    text = (cells.get(str(params.get("country", ""))) or "").strip()
    return geodata.alpha2(text) if re.fullmatch(r"[A-Za-z]{3}", text) else None


def _postal_code_zero(cells: Cells, field: str, params: Params) -> dict[str, str] | None:
    """`4109` in Germany -> `04109`: a postal code of digits that lost its leading zeros (a
    spreadsheet made a number of it), where exactly one zero-padded length fits the
    country's postal code format (Google's i18n address data); full-width digits as ASCII
    (`１０１７８` -> `10178`)."""
    from poicheck.checks import geodata

    given = cells.get(field) or ""
    value = narrow(given).strip()  # full-width digits as ASCII
    country = _country(cells, params)
    if not value.isdigit() or not value.isascii() or country is None:
        return None
    patterns = geodata.postal_code_rule(country)
    if not patterns:
        return None
    if any(p.fullmatch(value) for p in patterns):
        return {field: value} if value != given else None
    fitting = [
        padded
        for padded in (value.zfill(len(value) + n) for n in (1, 2, 3))
        if any(p.fullmatch(padded) for p in patterns)
    ]
    return {field: fitting[0]} if len(fitting) == 1 else None


def _reads_country(column: str, params: Params) -> tuple[str, ...]:
    return (column, str(params.get("country", "Address.Country")))


register(
    FixKind(
        "postal_code_zero",
        "row",
        _postal_code_zero,
        "the leading zeros restored where the country's postal codes have a fixed length",
        reads=_reads_country,
    )
)


def _phone_plus(cells: Cells, field: str, params: Params) -> dict[str, str] | None:
    """`493012345678` -> `+493012345678`: the '+' a number cell dropped, restored when the
    digits are a valid international number; with `same_country`, only when its country is
    the record's Address.Country (a national number without its 0 can read as another
    country's: 30123456 is Berlin's 030 123456 or Greece's +30 123456)."""
    import phonenumbers

    value = phone_digits(cells.get(field) or "")
    if not value.isdigit() or not value.isascii() or value.startswith("0"):
        return None
    fixed = international("+" + value)
    if fixed is None:
        return None
    if params.get("same_country"):
        country = _country(cells, params)
        number = phonenumbers.parse(fixed, None)
        if country is None or phonenumbers.region_code_for_number(number) != country:
            return None
    return {field: fixed} if fixed != cells.get(field) else None


register(
    FixKind(
        "phone_plus",
        "row",
        _phone_plus,
        "the '+' restored before digits that are a valid international number "
        "(safe: only a number of the record's Address.Country)",
        reads=_reads_country,
    )
)


def _phone_international(cells: Cells, field: str, params: Params) -> dict[str, str] | None:
    """A national number (`030 1234567`) made international with the calling code of the
    record's Address.Country (`+49301234567`): a guess, since the hotline may be abroad."""
    value = narrow(cells.get(field) or "").strip()
    country = _country(cells, params)
    if not value or value.startswith(("+", "00")) or country is None:
        return None
    fixed = international(value, country)
    return {field: fixed} if fixed and fixed != cells.get(field) else None


register(
    FixKind(
        "phone_international",
        "row",
        _phone_international,
        "a national number made international with the calling code of Address.Country",
        reads=_reads_country,
    )
)


def _axes(container: str) -> tuple[str, str]:
    return f"{container}.Latitude", f"{container}.Longitude"


def _point(cells: Cells, container: str) -> tuple[float, float] | None:
    lat_column, lon_column = _axes(container)
    try:
        lat = float(cells.get(lat_column) or "")
        lon = float(cells.get(lon_column) or "")
    except ValueError:
        return None
    return (lat, lon) if abs(lat) <= 90 and abs(lon) <= 180 else None


@cache
def standard_offset(zone: str) -> str | None:
    """A zone's standard time (without daylight saving) as OICP writes it (`UTC+01:00`)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    for month in (1, 7):  # January is summer in the south
        moment = dt.datetime(2026, month, 15, 12, tzinfo=info)
        if not moment.dst():
            minutes = int((moment.utcoffset() or dt.timedelta(0)).total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return None


def _time_zone(cells: Cells, field: str, params: Params) -> dict[str, str] | None:
    """The standard UTC offset of the time zone at the record's position: a guess, since
    the position may be the wrong value (and OICP does not say standard or summer time)."""
    from poicheck.checks import geodata

    point = _point(cells, str(params.get("position", "GeoCoordinates")))
    if point is None:
        return None
    zone = geodata.time_zone_at(*point)
    if not zone or zone.startswith("Etc/"):
        return None
    offset = standard_offset(zone)
    return {field: offset} if offset and offset != cells.get(field) else None


register(
    FixKind(
        "time_zone_from_position",
        "row",
        _time_zone,
        "the standard UTC offset of the time zone at GeoCoordinates",
        reads=lambda column, params: (
            column,
            *_axes(str(params.get("position", "GeoCoordinates"))),
        ),
    )
)


def _swap(cells: Cells, field: str, params: Params) -> dict[str, str] | None:
    """Latitude and longitude exchanged (the rule reports only a swap that puts the point
    in the address's country)."""
    lat_column, lon_column = _axes(field)
    lat, lon = cells.get(lat_column), cells.get(lon_column)
    if not lat or not lon or lat == lon:
        return None
    return {lat_column: lon, lon_column: lat}


register(
    FixKind(
        "swap_coordinates",
        "row",
        _swap,
        "latitude and longitude exchanged",
        reads=lambda column, params: _axes(column),
    )
)
