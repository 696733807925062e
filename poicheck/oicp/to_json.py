"""Canonical cells to typed EvseDataRecords: the table-to-JSON half of `poicheck.oicp.convert`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from poicheck.oicp import coordinates as geo
from poicheck.oicp.cells import DECIMAL, INTEGER, LIST_SEPARATOR, tidy
from poicheck.oicp.cells import parse_opening_times as parse_cell
from poicheck.oicp.wire import PLAIN_DIGITS, WireModel
from poicheck.ruleset.model import Property, RuleSet

# Container path -> the keys of its items, in first-seen order (a dict as an ordered set).
ItemKeys = dict[str, dict[str, None]]
LAYOUTS = 256  # layouts of filled columns remembered at once


class Builder:
    """Builds typed EvseDataRecords from canonical cells."""

    def __init__(
        self, ruleset: RuleSet, *, geo_format: str = "DecimalDegree", tidy: bool = True
    ) -> None:
        if geo_format not in geo.NOTATIONS:
            raise ValueError(f"unknown geo format {geo_format!r}")
        self.model = WireModel(ruleset)
        self.geo_format = geo_format
        types = ruleset.types
        self._days = types["DayValueType"].enum or ()
        self._time = types["PeriodTimeType"].pattern or ""
        self._keys: dict[tuple[str, ...], ItemKeys] = {}
        self._members_of: dict[tuple[str, str], list[tuple[Property, str, str]]] = {}
        # The texts the rules of kind `spacing` (TXT012, consequence repaired) report: written
        # without whitespace at their ends and with single spaces inside (unless `tidy` is
        # False: the samples keep what their cells say).
        rules = ruleset.rules.values() if tidy else ()
        self._tidied = frozenset(
            field for rule in rules if rule.kind == "spacing" for field in rule.fields
        )

    def build(self, cells: Mapping[str, Any]) -> dict[str, Any]:
        filled = {k: str(v) for k, v in cells.items() if v is not None and str(v).strip() != ""}
        # The records of one table mostly fill the same columns, in the same order: their
        # containers' item keys are found once per such layout, not once per record.
        layout = tuple(filled)
        keys = self._keys.get(layout)
        if keys is None:
            if len(self._keys) >= LAYOUTS:
                self._keys.clear()
            keys = self._keys[layout] = _item_keys(layout)
        return self._object("", "", filled, keys)

    def _object(
        self, model_parent: str, parent: str, cells: Mapping[str, str], keys: ItemKeys
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop, name, path in self._members(model_parent, parent):
            value = self._value(prop, path, cells, keys)
            if value is not None:
                out[name] = value
        return out

    def _members(self, model_parent: str, parent: str) -> list[tuple[Property, str, str]]:
        """The properties below `model_parent` with their wire names and their cells' paths
        below `parent` (the same for every record: worked out once)."""
        members = self._members_of.get((model_parent, parent))
        if members is None:
            members = []
            for prop in self.model.below(model_parent):
                name = WireModel.name(prop)
                members.append((prop, name, f"{parent}.{name}" if parent else name))
            self._members_of[(model_parent, parent)] = members
        return members

    def _value(self, prop: Property, path: str, cells: Mapping[str, str], keys: ItemKeys) -> Any:
        shape = prop.shape
        if shape == "scalar":
            if path not in cells:
                return None
            value = typed(prop, cells[path])
            return tidy(value) if isinstance(value, str) and prop.path in self._tidied else value
        if shape == "list":
            if path not in cells:
                return None
            return [item for item in LIST_SEPARATOR.split(cells[path].strip()) if item]
        if shape == "object":
            return self._object(prop.path, path, cells, keys) or None
        if shape == "object_list":
            numbers = sorted((k for k in keys.get(path, ()) if k.isdigit()), key=int)
            items = []
            for key in numbers:
                item = self._object(prop.path, f"{path}.{key}", cells, keys)
                if item:
                    items.append(item)
            return items or None
        if shape == "infotext_list":
            tidied = f"{prop.path}.*" in self._tidied
            texts = [
                {"lang": key, "value": tidy(text) if tidied else text}
                for key in keys.get(path, ())
                if (text := cells.get(f"{path}.{key}")) is not None
            ]
            return texts or None
        if shape == "geo":
            return self._geo(path, cells)
        if shape == "opening_times":
            if path not in cells:
                return None
            parsed = parse_cell(cells[path], tuple(self._days), self._time)
            return parsed if parsed is not None else cells[path]
        return None

    def _geo(self, path: str, cells: Mapping[str, str]) -> dict[str, Any] | None:
        lat, lon = cells.get(f"{path}.Latitude"), cells.get(f"{path}.Longitude")
        if lat is None and lon is None:
            return None
        convertible = all(v is not None and DEGREES.fullmatch(v.strip()) for v in (lat, lon))
        if self.geo_format == "DecimalDegree" or not convertible:
            # Text that is no number stays as it is (the rules report it) in decimal notation;
            # a number with more than OICP's 6 decimals (a spreadsheet's float: GEO013) is
            # rounded, one within them is written as it is.
            body = {
                k: _at_most_six(v)
                for k, v in (("Latitude", lat), ("Longitude", lon))
                if v is not None
            }
            return {"DecimalDegree": body}
        if self.geo_format == "Google":
            pair = f"{geo.format_decimal(str(lat))} {geo.format_decimal(str(lon))}"
            return {"Google": {"Coordinates": pair}}
        # Exact DMS (seconds with up to 4 decimals) reads back to the same decimal degrees.
        return {
            "DegreeMinuteSeconds": {
                "Latitude": geo.decimal_to_dms(str(lat), exact=True),
                "Longitude": geo.decimal_to_dms(str(lon), exact=True),
            }
        }


def _at_most_six(text: str) -> str:
    value = text.strip()
    point = value.find(".")
    if point < 0 or len(value) - point - 1 <= 6 or not DEGREES.fullmatch(value):
        return text
    return geo.format_decimal(value)


def _item_keys(columns: tuple[str, ...]) -> ItemKeys:
    """Per container (every dotted prefix of a column), the next part of the names below it,
    in first-seen order: ChargingFacilities -> 1, 2; ChargingStationNames -> en, de."""
    keys: dict[str, dict[str, None]] = {}
    for column in columns:
        start = column.find(".")
        while start >= 0:
            end = column.find(".", start + 1)
            key = column[start + 1 : end] if end >= 0 else column[start + 1 :]
            keys.setdefault(column[:start], {}).setdefault(key, None)
            start = end
    return keys


# A number of degrees other notations can hold (at most three digits before the point): a
# longer one (-12345678901234567890123.5) would not even fit the six decimals' arithmetic.
DEGREES = re.compile(r"-?[0-9]{1,3}(\.[0-9]+)?", re.ASCII)


def typed(prop: Property, text: str) -> Any:
    """A cell's text as the JSON value OICP expects; text that does not fit stays text."""
    value = text.strip()
    if prop.base == "boolean":
        lowered = value.lower()
        return {"true": True, "false": False}.get(lowered, value)
    if prop.base in ("integer", "decimal") and len(value) > PLAIN_DIGITS:
        return value  # no OICP number has this many digits (nor can json.dumps write them all)
    if prop.base == "integer":
        return int(value) if INTEGER.fullmatch(value) else value
    if prop.base == "decimal":
        if not DECIMAL.fullmatch(value):
            return value
        # 180.0 and 180 are the same Decimal: written 180, whichever way the input wrote it.
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(value)
    return text
