"""Reading OCPI values as the converter needs them, and saying where they are not OCPI.

A value of another JSON type that still says what it means (`"230"` for the int max_voltage,
`51.05` for the string latitude, `"true"` for a boolean) is read as meant and reported
(OCP009, repaired). A value that does not (`"abc"` for max_voltage) is passed on as text, so
that the OICP rule of the property it becomes judges it, at this OCPI pointer. An object or
array where a value belongs, or a value where an object or array belongs, is left out
(OCP008, damaged). The rules are declared in rules/oicp-2.3/rules-ocpi.yaml.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from poicheck.oicp.pointers import escape
from poicheck.oicp.wire import found_type, text_of
from poicheck.ruleset.reader_ids import OCPI_MALFORMED, OCPI_WIRE_TYPE
from poicheck.table import RawFinding

NUMBER = re.compile(r"^\s*-?[0-9]{1,15}(?:\.[0-9]{1,15})?\s*$")
BOOLEANS = {"true": True, "false": False}


class Sink:
    """The findings of converting one part of the document (record None: placed later)."""

    def __init__(self) -> None:
        self.found: list[RawFinding] = []

    def add(self, rule: str, field: str, pointer: str, value: Any, **details: Any) -> None:
        text = None if value is None else text_of(value)[:80]
        self.found.append(RawFinding(rule, None, field, pointer, text, details))

    def wire_type(self, field: str, at: str, key: str, value: Any, expected: str) -> None:
        self.add(
            OCPI_WIRE_TYPE,
            field,
            at,
            value,
            key=key,
            found=found_type(value),
            expected=expected,
        )

    def malformed(self, field: str, at: str, what: str, value: Any, expected: str) -> None:
        problem = f"is a JSON {found_type(value)}, not {expected}"
        self.add(OCPI_MALFORMED, field, at, None, what=what, problem=problem)


def child(at: str, key: str | int) -> str:
    """The pointer of a member or item of the node at `at`."""
    if type(key) is int or ("/" not in key and "~" not in key):  # type: ignore[operator]
        return f"{at}/{key}"
    return f"{at}/{escape(str(key))}"


def member(sink: Sink, obj: dict[str, Any], key: str, at: str, field: str) -> Any:
    """A scalar member (None when absent or null); an object or array there is left out."""
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    if isinstance(value, (dict, list)):
        sink.malformed(field, child(at, key), f"'{key}'", value, "a single value")
        return None
    return value


def text(sink: Sink, obj: dict[str, Any], key: str, at: str, field: str) -> str | None:
    """A string member; a number or boolean is read as its text."""
    value = member(sink, obj, key, at, field)
    if value is None or isinstance(value, str):
        return value
    sink.wire_type(field, child(at, key), key, value, "string")
    return text_of(value)


def integer(sink: Sink, obj: dict[str, Any], key: str, at: str, field: str) -> Any:
    """An int member as an int; other numbers stay Decimal; a number in a string is read as
    the number; other text is passed on."""
    value = number(sink, obj, key, at, field, "int")
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def number(
    sink: Sink, obj: dict[str, Any], key: str, at: str, field: str, kind: str = "number"
) -> Any:
    """A number member as a Decimal (or int); a number in a string is read as the number."""
    value = member(sink, obj, key, at, field)
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            sink.wire_type(field, child(at, key), key, value, kind)
            return text_of(value)
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value) if isinstance(value, int) else value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and NUMBER.match(value):
        sink.wire_type(field, child(at, key), key, value, kind)
        return Decimal(value.strip())
    return text_of(value)


def boolean(sink: Sink, obj: dict[str, Any], key: str, at: str, field: str) -> Any:
    """A boolean member; "true" / "false" are read as meant, other values passed on."""
    value = member(sink, obj, key, at, field)
    if value is None or isinstance(value, bool):
        return value
    meant = BOOLEANS.get(str(value).strip().lower()) if isinstance(value, str) else None
    if meant is None:
        return text_of(value)
    sink.wire_type(field, child(at, key), key, value, "boolean")
    return meant


def objects(sink: Sink, obj: dict[str, Any], key: str, at: str, field: str) -> list[Any]:
    """An array member ([] when absent); anything else there is left out (OCP008)."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        sink.malformed(field, child(at, key), f"'{key}'", value, "an array")
        return []
    return value


def mapping(sink: Sink, obj: dict[str, Any], key: str, at: str, field: str) -> dict[str, Any]:
    """An object member ({} when absent); anything else there is left out (OCP008)."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        sink.malformed(field, child(at, key), f"'{key}'", value, "an object")
        return {}
    return value


def kilowatts(watts: Decimal) -> int:
    """Watts as whole kilowatts, rounded half up (OICP Power is an integer in kW)."""
    return int((watts / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def whole(value: Decimal) -> int:
    """A number rounded half up to an integer (OCPI percentages have decimals)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


@cache
def standard_offset(zone: str) -> str | None:
    """An IANA time zone's standard (winter) UTC offset as OICP writes it (`UTC+01:00`), or
    None for a name tzdata does not know. OICP's TimeZoneType holds one offset; the standard
    one is the zone's own, daylight saving time is a season of it."""
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    offsets = []
    for month in (1, 7):  # one of them is outside daylight saving time, in either hemisphere
        moment = datetime(2025, month, 15, 12, tzinfo=info)
        offsets.append((moment.dst() or timedelta(0), moment.utcoffset() or timedelta(0)))
    offset = min(offsets)[1]
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"
