"""The one conversion between the canonical table and OICP JSON, used in both directions.

`flatten_record` turns one EvseDataRecord (as parsed from the wire) into canonical cells and
reports what only the raw JSON shows (wire types, unknown or empty properties). `build_record`
turns canonical cells back into a typed EvseDataRecord. Both walk the same data model.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import Any

from poicheck import geo
from poicheck.checks.opening_times import format_cell, parse_cell
from poicheck.ruleset.model import Property, RuleSet
from poicheck.table import RawFinding

LIST_SEPARATOR = re.compile(r"[ ]*;[ ]*")


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value (bool is not a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "integer" if value == int(value) else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def text_of(value: Any) -> str:
    """A parsed JSON scalar as the text a spreadsheet cell would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


@dataclass
class Flattened:
    cells: dict[str, str] = dataclass_field(default_factory=dict)
    issues: list[RawFinding] = dataclass_field(default_factory=list)
    notations: dict[str, str] = dataclass_field(default_factory=dict)

    def report(
        self,
        rule: str,
        field: str,
        pointer: str,
        value: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Note something only the raw JSON shows (the reader adds the record index)."""
        self.issues.append(RawFinding(rule, None, field, pointer, value, details or {}))


class WireModel:
    """The data model as a tree: which properties sit below which, in model order."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        record = ruleset.scope_properties("record")
        self.children: dict[str, list[Property]] = {"": []}
        for prop in record:
            parent = prop.path.rsplit(".", 1)[0] if "." in prop.path else ""
            if parent.endswith(".*"):
                parent = parent[:-2]
            self.children.setdefault(parent, []).append(prop)
        self.aliases = ruleset.alias_map()

    def below(self, parent: str) -> list[Property]:
        return self.children.get(parent, [])

    @staticmethod
    def name(prop: Property) -> str:
        return prop.path.rsplit(".", 1)[-1]


def _expected(prop: Property) -> str:
    return {"number": "number", "integer": "number"}.get(prop.json_type, prop.json_type)


def _found(value: Any) -> str:
    kind = json_type(value)
    return "number" if kind == "integer" else kind


def _hint_for(prop: Property, value: Any) -> str:
    if prop.json_type == "boolean" and isinstance(value, str):
        return f"; write {value.strip().lower()} without quotes"
    if prop.json_type == "string" and isinstance(value, bool):
        return f'; write "{text_of(value)}" in quotes'
    if prop.json_type == "array" and isinstance(value, str):
        return f'; write ["{value}"]'
    if prop.json_type in ("integer", "number") and isinstance(value, str):
        return f"; write {value.strip()} without quotes"
    return ""


class Flattener:
    """Flattens EvseDataRecords into canonical cells."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.model = WireModel(ruleset)

    def flatten(self, record: Any) -> Flattened:
        out = Flattened()
        if not isinstance(record, dict):
            out.issues.append(
                RawFinding(
                    "JSN001",
                    None,
                    "EvseDataRecord",
                    "",
                    None,
                    {"found": _found(record), "expected": "object"},
                )
            )
            return out
        self._object(record, "", "", "", out)
        return out

    def _object(
        self, obj: Mapping[str, Any], model_parent: str, parent: str, pointer: str, out: Flattened
    ) -> None:
        known = {self.model.name(p): p for p in self.model.below(model_parent)}
        for key, value in obj.items():
            alias = self.model.aliases.get(f"{model_parent}.{key}" if model_parent else key, key)
            name = alias.rsplit(".", 1)[-1]
            prop = known.get(name)
            here = f"{pointer}/{key}"
            path = f"{parent}.{name}" if parent else name
            if prop is None:
                close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.8)
                hint = f"; did you mean {close[0]}?" if close else ""
                out.report("JSN002", path, here, None, {"hint": hint})
                continue
            if value is None or value == "" or value == [] or value == {}:
                if prop.use != "mandatory":
                    found = {"null": "null", "string": "an empty string"}.get(
                        json_type(value), f"an empty {json_type(value)}"
                    )
                    out.report("JSN003", path, here, None, {"found": found})
                continue
            self._value(prop, path, value, here, out)

    def _wrong_type(self, prop: Property, path: str, value: Any, here: str, out: Flattened) -> None:
        out.issues.append(
            RawFinding(
                "JSN001",
                None,
                path,
                here,
                text_of(value),
                {
                    "found": _found(value),
                    "expected": _expected(prop),
                    "hint": _hint_for(prop, value),
                },
            )
        )

    def _value(self, prop: Property, path: str, value: Any, here: str, out: Flattened) -> None:
        shape = prop.shape
        if shape == "scalar":
            if _found(value) != _expected(prop):
                self._wrong_type(prop, path, value, here, out)
            out.cells[path] = text_of(value)
        elif shape == "list":
            if not isinstance(value, list):
                self._wrong_type(prop, path, value, here, out)
                out.cells[path] = text_of(value)
                return
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    out.issues.append(
                        RawFinding(
                            "JSN001",
                            None,
                            path,
                            f"{here}/{i}",
                            text_of(item),
                            {"found": _found(item), "expected": "string", "hint": ""},
                        )
                    )
            out.cells[path] = ";".join(text_of(item) for item in value)
        elif shape == "object":
            if not isinstance(value, dict):
                self._wrong_type(prop, path, value, here, out)
                return
            self._object(value, prop.path, path, here, out)
        elif shape == "object_list":
            self._object_list(prop, path, value, here, out)
        elif shape == "infotext_list":
            self._infotext(prop, path, value, here, out)
        elif shape == "geo":
            self._geo(prop, path, value, here, out)
        elif shape == "opening_times":
            self._opening_times(prop, path, value, here, out)

    def _object_list(
        self, prop: Property, path: str, value: Any, here: str, out: Flattened
    ) -> None:
        if not isinstance(value, list):
            self._wrong_type(prop, path, value, here, out)
            value = [value] if isinstance(value, dict) else []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                out.issues.append(
                    RawFinding(
                        "JSN005",
                        None,
                        path,
                        f"{here}/{i}",
                        text_of(item),
                        {"hint": "not an object"},
                    )
                )
                continue
            self._object(item, prop.path, f"{path}.{i + 1}", f"{here}/{i}", out)

    def _infotext(self, prop: Property, path: str, value: Any, here: str, out: Flattened) -> None:
        if not isinstance(value, list):
            self._wrong_type(prop, path, value, here, out)
            return
        for i, item in enumerate(value):
            at = f"{here}/{i}"
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("lang"), str)
                or "value" not in item
            ):
                hint = "an InfoText needs both 'lang' and 'value'"
                out.report("JSN005", path, at, text_of(item), {"hint": hint})
                continue
            extra = sorted(set(item) - {"lang", "value"})
            for key in extra:
                out.report("JSN002", f"{path}.{key}", f"{at}/{key}", None, {"hint": ""})
            lang, text = item["lang"], item["value"]
            column = f"{path}.{lang}"
            if column in out.cells:
                out.report("JSN004", path, at, text_of(text), {"lang": lang})
                continue
            if not isinstance(text, str):
                out.issues.append(
                    RawFinding(
                        "JSN001",
                        None,
                        f"{path}.{lang}",
                        f"{at}/value",
                        text_of(text),
                        {"found": _found(text), "expected": "string", "hint": ""},
                    )
                )
            out.cells[column] = text_of(text)

    def _geo(self, prop: Property, path: str, value: Any, here: str, out: Flattened) -> None:
        if not isinstance(value, dict):
            self._wrong_type(prop, path, value, here, out)
            return
        present = [n for n in geo.NOTATIONS if n in value]
        for key in sorted(set(value) - set(geo.NOTATIONS)):
            out.report("JSN002", f"{path}.{key}", f"{here}/{key}", None, {"hint": ""})
        if len(present) != 1:
            found = " and ".join(present) if present else "none"
            out.report("GEO006", path, here, None, {"found": found})
            if not present:
                return
        notation = present[0]
        out.notations[path] = notation
        body = value[notation]
        at = f"{here}/{notation}"
        if not isinstance(body, dict):
            out.issues.append(
                RawFinding(
                    "JSN001",
                    None,
                    path,
                    at,
                    text_of(body),
                    {"found": _found(body), "expected": "object", "hint": ""},
                )
            )
            return
        types = self.model.ruleset.types
        if notation == "Google":
            self._google(path, body, at, types["GeoCoordinatesGoogleFormatType"].pattern or "", out)
            return
        for axis in ("Latitude", "Longitude"):
            raw = body.get(axis)
            if raw is None:
                continue
            if not isinstance(raw, str):
                out.issues.append(
                    RawFinding(
                        "JSN001",
                        None,
                        f"{path}.{axis}",
                        f"{at}/{axis}",
                        text_of(raw),
                        {
                            "found": _found(raw),
                            "expected": "string",
                            "hint": f'; write "{text_of(raw)}" in quotes',
                        },
                    )
                )
            text = text_of(raw)
            if notation == "DegreeMinuteSeconds":
                pattern = types["GeoCoordinatesDegreeMinuteSecondsFormatType"].pattern or ""
                converted = (
                    geo.dms_to_decimal(text) if re.fullmatch(pattern, text, re.ASCII) else None
                )
                if converted is None:
                    out.issues.append(
                        RawFinding(
                            "GEO007", None, path, f"{at}/{axis}", text, {"notation": notation}
                        )
                    )
                    continue
                text = converted
            out.cells[f"{path}.{axis}"] = text

    def _google(
        self, path: str, body: Mapping[str, Any], at: str, pattern: str, out: Flattened
    ) -> None:
        raw = body.get("Coordinates")
        if raw is None:
            return
        text = text_of(raw)
        pair = geo.split_google(text) if re.fullmatch(pattern, text, re.ASCII) else None
        if pair is None:
            out.report("GEO007", path, f"{at}/Coordinates", text, {"notation": "Google"})
            return
        out.cells[f"{path}.Latitude"], out.cells[f"{path}.Longitude"] = pair

    def _opening_times(
        self, prop: Property, path: str, value: Any, here: str, out: Flattened
    ) -> None:
        if not isinstance(value, list):
            self._wrong_type(prop, path, value, here, out)
            out.cells[path] = text_of(value)
            return
        well_formed = all(
            isinstance(item, dict)
            and isinstance(item.get("on"), str)
            and isinstance(item.get("Period"), list)
            and item["Period"]
            and all(
                isinstance(p, dict)
                and isinstance(p.get("begin"), str)
                and isinstance(p.get("end"), str)
                for p in item["Period"]
            )
            for item in value
        )
        if not well_formed:
            hint = "each entry needs 'on' and a non-empty 'Period' list of begin/end pairs"
            out.report("JSN005", path, here, text_of(value), {"hint": hint})
            return
        out.cells[path] = format_cell(value)


class Builder:
    """Builds typed EvseDataRecords from canonical cells."""

    def __init__(self, ruleset: RuleSet, *, geo_format: str = "DecimalDegree") -> None:
        if geo_format not in geo.NOTATIONS:
            raise ValueError(f"unknown geo format {geo_format!r}")
        self.model = WireModel(ruleset)
        self.geo_format = geo_format
        types = ruleset.types
        self._days = types["DayValueType"].enum or ()
        self._time = types["PeriodTimeType"].pattern or ""

    def build(self, cells: Mapping[str, Any]) -> dict[str, Any]:
        filled = {k: str(v) for k, v in cells.items() if v is not None and str(v).strip() != ""}
        return self._object("", "", filled)

    def _object(self, model_parent: str, parent: str, cells: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop in self.model.below(model_parent):
            name = WireModel.name(prop)
            path = f"{parent}.{name}" if parent else name
            value = self._value(prop, path, cells)
            if value is not None:
                out[name] = value
        return out

    def _value(self, prop: Property, path: str, cells: Mapping[str, str]) -> Any:
        shape = prop.shape
        if shape == "scalar":
            return typed(prop, cells[path]) if path in cells else None
        if shape == "list":
            if path not in cells:
                return None
            return [item for item in LIST_SEPARATOR.split(cells[path].strip()) if item]
        if shape == "object":
            return self._object(prop.path, path, cells) or None
        if shape == "object_list":
            items = []
            for key in _item_keys(path, cells, numeric=True):
                item = self._object(prop.path, f"{path}.{key}", cells)
                if item:
                    items.append(item)
            return items or None
        if shape == "infotext_list":
            texts = [
                {"lang": key, "value": cells[f"{path}.{key}"]}
                for key in _item_keys(path, cells, numeric=False)
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
        convertible = all(v is not None and DECIMAL.fullmatch(v.strip()) for v in (lat, lon))
        if self.geo_format == "DecimalDegree" or not convertible:
            # Text that is no number stays as it is (the rules report it) in decimal notation.
            body = {k: v for k, v in (("Latitude", lat), ("Longitude", lon)) if v is not None}
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


def _item_keys(container: str, cells: Mapping[str, str], *, numeric: bool) -> Iterator[str]:
    prefix = container + "."
    seen: dict[str, None] = {}
    for column in cells:
        if column.startswith(prefix):
            seen.setdefault(column[len(prefix) :].split(".", 1)[0], None)
    keys = list(seen)
    if numeric:
        keys = sorted((k for k in keys if k.isdigit()), key=int)
    return iter(keys)


INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def typed(prop: Property, text: str) -> Any:
    """A cell's text as the JSON value OICP expects; text that does not fit stays text."""
    value = text.strip()
    if prop.base == "boolean":
        lowered = value.lower()
        return {"true": True, "false": False}.get(lowered, value)
    if prop.base == "integer":
        return int(value) if INTEGER.fullmatch(value) else value
    if prop.base == "decimal":
        if not DECIMAL.fullmatch(value):
            return value
        # 180.0 and 180 are the same Decimal: written 180, whichever way the input wrote it.
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(value)
    return text
