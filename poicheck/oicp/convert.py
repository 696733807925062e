"""The one conversion between the canonical table and OICP JSON, used in both directions.

`Flattener` turns EvseDataRecords (as parsed from the wire) into canonical cells and reports
what only the raw JSON shows (wire types, unknown or empty properties, keys that are near
misses of a property's name); a value whose key or shape is a near miss is read as it evidently
means, so that the rules still check it (issue 15). `Builder`
(`poicheck.oicp.to_json`) turns canonical cells back into typed EvseDataRecords. Both walk the same
data model (`poicheck.oicp.wire.WireModel`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import chain
from typing import Any, NamedTuple

from poicheck.oicp.from_json import (
    ROOT,
    Batch,
    Collector,
    FlatTable,
    Flattened,
    Rows,
    Slot,
    batch,
    key_orders,
    members,
    spelling,
)
from poicheck.oicp.shapes import Shapes
from poicheck.oicp.to_json import DECIMAL, INTEGER, Builder, typed
from poicheck.oicp.wire import (
    LIST_SEPARATOR,
    NONE,
    PLAIN,
    WireModel,
    expected_type,
    found_type,
    json_type,
    text_of,
    types_of,
)
from poicheck.ruleset.model import Property, RuleSet
from poicheck.ruleset.reader_ids import (
    JSON_EMPTY_OPTIONAL,
    JSON_MALFORMED_ITEM,
    JSON_NEAR_MISS_DUPLICATE,
    JSON_NEAR_MISS_KEY,
    JSON_UNKNOWN_PROPERTY,
    JSON_WIRE_TYPE,
)

__all__ = [
    "DECIMAL",
    "INTEGER",
    "LIST_SEPARATOR",
    "Builder",
    "FlatTable",
    "Flattened",
    "Flattener",
    "WireModel",
    "json_type",
    "text_of",
    "typed",
]

BOOLEAN_TEXT = {True: "true", False: "false"}


class Place(NamedTuple):
    """Where a key of an object leads (see `Flattener._place`)."""

    slot: Slot
    prop: Property | None
    hint: str
    spelt: str | None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Flattener:
    """Flattens EvseDataRecords into canonical cells.

    All records are walked together, one place of the data model (`Slot`) at a time: the
    values found there in every record are checked and converted as one batch (type sets,
    joins and comprehensions that run in C), so a check runs per key and JSON type rather
    than per record. Values that are not plain take the value-by-value path. Either way the
    result is what walking each record on its own gives (`Collector` restores that order).
    """

    def __init__(self, ruleset: RuleSet) -> None:
        self.model = WireModel(ruleset)
        types = ruleset.types
        shapes = Shapes(
            google_pattern=types["GeoCoordinatesGoogleFormatType"].pattern or "",
            dms_pattern=types["GeoCoordinatesDegreeMinuteSecondsFormatType"].pattern or "",
        )
        self._known = {
            parent: {WireModel.name(prop): prop for prop in props}
            for parent, props in self.model.children.items()
        }
        self._shapes: dict[str, Callable[[Property, Slot, Batch, Collector], None]] = {
            "scalar": self._scalars,
            "list": self._lists,
            "object": self._objects,
            "object_list": self._object_lists,
            "infotext_list": shapes.infotexts,
            "geo": shapes.geos,
            "opening_times": shapes.opening_times,
        }
        self._near = {
            parent: {spelling(name): name for name in names}
            for parent, names in self._known.items()
        }
        for alias, path in self.model.aliases.items():
            parent, _, name = alias.rpartition(".")
            self._near.setdefault(parent, {}).setdefault(spelling(name), path.rsplit(".", 1)[-1])
        self._places: dict[Slot, dict[str, Place]] = {}
        self._expected = {prop.path: expected_type(prop) for prop in self.model.all()}

    def flatten(self, record: Any) -> Flattened:
        """One record: its cells (in walk order), findings (no record index) and notations."""
        out = Collector([record])
        self._records(out)
        return out.single()

    def flatten_all(self, records: Sequence[Any]) -> FlatTable:
        """All records: a column of cells per property; findings carry the record index."""
        out = Collector(records)
        self._records(out)
        return out.table()

    def _records(self, out: Collector) -> None:
        if types_of(out.records) == {dict}:
            self._members("", ROOT, out.every_row, list(out.records), out)
            return
        rows, objects = [], []
        for row, record in enumerate(out.records):
            if isinstance(record, dict):
                rows.append(row)
                objects.append(record)
            else:
                details = {"found": found_type(record), "expected": "object"}
                out.issue(row, ROOT, JSON_WIRE_TYPE, "EvseDataRecord", "", None, details)
        self._members("", ROOT, rows, objects, out)

    def _members(
        self, parent: str, slot: Slot, rows: Rows, objects: list[dict[str, Any]], out: Collector
    ) -> None:
        """The properties of the objects at `slot`, instances of model parent `parent`."""
        by_key = members(rows, objects)
        known = self._places.setdefault(slot, {})
        places = {key: known.get(key) or self._place(parent, slot, key) for key in by_key}
        if len({place.slot.path for place in places.values()}) < len(places):
            # Two spellings of one property (an alias, a near miss): as in a walk record by
            # record, the later one in an object wins, unless the other is exact. Objects
            # with the same key order go together.
            groups = key_orders(rows, objects)
            if len(groups) > 1:
                for group_rows, group in groups:
                    self._members(parent, slot, group_rows, group, out)
                return
        exact = {place.slot.path for place in places.values() if place.spelt is None}
        for key, values in by_key.items():
            here, prop, hint, spelt = places[key]
            if prop is None:
                for row in values.rows:
                    out.issue(
                        row,
                        here,
                        JSON_UNKNOWN_PROPERTY,
                        here.path,
                        here.pointer,
                        None,
                        {"hint": hint},
                    )
                continue
            if spelt is not None and not self._near_miss(prop, here, spelt, values, exact, out):
                continue
            values = self._drop_empty(prop, here, values, out)
            shape = self._shapes.get(prop.shape)
            if values.values and shape is not None:
                shape(prop, here, values, out)

    @staticmethod
    def _near_miss(
        prop: Property, here: Slot, spelt: str, values: Batch, exact: set[str], out: Collector
    ) -> bool:
        """JSN008 for a property written `spelt`, a near miss of its name (whose value is then
        read as meant: True), or JSN009 when the exact name is there too (and wins: False)."""
        name = WireModel.name(prop)
        twice = here.path in exact  # objects of one key order: in each of them, then
        rule = JSON_NEAR_MISS_DUPLICATE if twice else JSON_NEAR_MISS_KEY
        details = {"key": spelt, "name": name}
        for row in values.rows:
            out.issue(row, here, rule, here.path, here.pointer, None, details)
        return not twice

    def _place(self, parent: str, slot: Slot, key: str) -> Place:
        """Where `key` of an object at `slot` leads: its slot, its property (None when there
        is none: then a hint at the closest name), and `key` when it is a near miss of the
        property's name (OICP 2.3 names are exact: `power` is not `Power`). Worked out once
        per slot and key, in time linear in the key."""
        alias = self.model.aliases.get(f"{parent}.{key}" if parent else key, key)
        name = alias.rsplit(".", 1)[-1]
        known = self._known.get(parent, {})
        prop = known.get(name)
        spelt = None
        if prop is None and (meant := self._near.get(parent, {}).get(spelling(key))):
            name, prop, spelt = meant, known[meant], key
        close = [] if prop else difflib.get_close_matches(key, list(known), n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]}?" if close else ""
        place = self._places[slot][key] = Place(slot.key(key, name), prop, hint, spelt)
        return place

    def _drop_empty(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> Batch:
        types = values.types
        if types <= PLAIN and not (
            NONE in types
            or (str in types and "" in values.values)
            or (list in types and [] in values.values)
            or (dict in types and {} in values.values)
        ):
            return values
        rows, kept = [], []
        for row, value in zip(values.rows, values.values, strict=True):
            if not _is_empty(value):
                rows.append(row)
                kept.append(value)
            elif prop.use != "mandatory":
                kind = json_type(value)
                found = {"null": "null", "string": "an empty string"}.get(kind, f"an empty {kind}")
                out.issue(
                    row, slot, JSON_EMPTY_OPTIONAL, slot.path, slot.pointer, None, {"found": found}
                )
        return batch(rows, kept)

    def _scalars(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> None:
        expected = self._expected[prop.path]
        texts: list[str]
        if values.types == {str} and expected == "string":
            texts = values.values
        elif values.types == {bool} and expected == "boolean":
            texts = [BOOLEAN_TEXT[value] for value in values.values]
        elif values.types <= {int, Decimal} and expected == "number":
            texts = [str(v) if type(v) is int else text_of(v) for v in values.values]
        else:
            texts = []
            for row, value in zip(values.rows, values.values, strict=True):
                if found_type(value) != expected:
                    out.wrong_type(prop, slot, row, value)
                texts.append(text_of(value))
        out.cells(slot.path, slot, values.rows, texts)

    def _lists(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> None:
        if values.types == {list}:
            try:  # str.join takes strings only: the lists of strings need no other check
                out.cells(slot.path, slot, values.rows, list(map(";".join, values.values)))
                return
            except TypeError:
                pass
        texts = []
        for row, value in zip(values.rows, values.values, strict=True):
            if not isinstance(value, list):
                out.wrong_type(prop, slot, row, value)
                texts.append(text_of(value))
                continue
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    details = {"found": found_type(item), "expected": "string", "hint": ""}
                    pointer = f"{slot.pointer}/{i}"
                    out.issue(row, slot, JSON_WIRE_TYPE, slot.path, pointer, text_of(item), details)
            texts.append(";".join(text_of(item) for item in value))
        out.cells(slot.path, slot, values.rows, texts)

    def _objects(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> None:
        if values.types == {dict}:
            self._members(prop.path, slot, values.rows, values.values, out)
            return
        rows, objects = [], []
        for row, value in zip(values.rows, values.values, strict=True):
            if isinstance(value, dict):
                rows.append(row)
                objects.append(value)
            else:
                out.wrong_type(prop, slot, row, value)
        self._members(prop.path, slot, rows, objects, out)

    def _object_lists(self, prop: Property, slot: Slot, values: Batch, out: Collector) -> None:
        lists = values.types == {list}
        longest = max(map(len, values.values)) if lists else 0
        if lists and longest <= 8 and types_of(list(chain.from_iterable(values.values))) == {dict}:
            for i in range(longest):
                rows = [r for r, v in zip(values.rows, values.values, strict=True) if len(v) > i]
                objects = [value[i] for value in values.values if len(value) > i]
                self._members(prop.path, slot.item(i), rows, objects, out)
            return
        by_index: dict[int, tuple[Rows, list[dict[str, Any]]]] = {}
        alone: tuple[Rows, list[dict[str, Any]]] = ([], [])
        for row, value in zip(values.rows, values.values, strict=True):
            if not isinstance(value, list):
                out.wrong_type(prop, slot, row, value)
                if isinstance(value, dict):  # read as the list's one item, where it stands
                    alone[0].append(row)
                    alone[1].append(value)
                continue
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    bucket = by_index.setdefault(i, ([], []))
                    bucket[0].append(row)
                    bucket[1].append(item)
                else:
                    at = slot.item(i)
                    hint = {"hint": "not an object"}
                    out.issue(
                        row, at, JSON_MALFORMED_ITEM, slot.path, at.pointer, text_of(item), hint
                    )
        for i in sorted(by_index):
            self._members(prop.path, slot.item(i), *by_index[i], out)
        if alone[0]:
            first = slot.item(0)
            self._members(prop.path, first._replace(pointer=slot.pointer), *alone, out)
