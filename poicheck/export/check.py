"""The record schema check of every record, per distinct value instead of per record (issue 22).

An object fits an object schema when

1. each of its properties fits that property's schema (`properties`), and
2. the object as a whole fits the schema's other keywords: `required`,
   `additionalProperties`, `minProperties`, and conditions (if/then, allOf, ...).

`properties` judges each present property on its own; the other keywords see only which
properties are there, and the values of the properties the conditions name. So (1) is decided
per distinct value of each property, and (2) once per distinct "skeleton": the properties an
object has, with the real values of those the conditions name and a placeholder for the
others, checked against the object's schema with each property's schema replaced by `true`.
An array of items (`items`, `minItems`, `maxItems`) is the same: each item on its own, and the
number of items. So a record splits down to its cells' distinct values, which jsonschema-rs
checks for a whole table in one call per property.

A schema with other keywords (`oneOf` of the coordinate notations, `patternProperties`, ...)
is not split: such a value is checked whole, once per distinct combination of its cells. A
record schema that cannot be split at its top gives no check (`RecordCheck.of` is None): the
caller validates record by record. tests/test_export_scale.py checks on generated records that
both ways accept and refuse the same records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import msgspec
import numpy as np

from poicheck.export.lines import (
    Geo,
    Items,
    Leaf,
    Member,
    Node,
    Obj,
    TableLines,
    Texts,
    columns_of,
    combinations,
    join,
)
from poicheck.export.values import Column
from poicheck.ruleset.schema import DRAFT, RECORD

# Keywords that see only which properties (items) there are, and the values conditions name.
_KEY_SET = frozenset({"type", "required", "additionalProperties", "minProperties", "maxProperties"})
_NOTES = frozenset({"description", "title", "$comment"})
_CONDITIONS = frozenset({"if", "then", "else", "allOf", "anyOf", "oneOf", "not"})
_ARRAY = frozenset({"type", "items", "minItems", "maxItems"})
_PLACEHOLDER = 0
_COMBINED = frozenset({"oneOf", "anyOf", "allOf"})
# Coordinates as a tree: a coordinate cell column (its name), or an object's members.
_Tree = str | tuple[tuple[str, "_Tree"], ...]


def splits_object(schema: Any) -> frozenset[str] | None:
    """The properties an object schema's conditions name, or None when it does not split."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    if set(schema) - _KEY_SET - _NOTES - _CONDITIONS - {"properties"}:
        return None
    if not isinstance(schema.get("additionalProperties", True), bool):
        return None
    named: set[str] = set()
    for key in _CONDITIONS & set(schema):
        if not _names(schema[key], named):
            return None
    return frozenset(named)


def _names(schema: Any, named: set[str]) -> bool:
    """Collect the properties a condition reads; False when it reads more than those and the
    set of keys."""
    if isinstance(schema, bool):
        return True
    if isinstance(schema, list):
        return all(_names(item, named) for item in schema)
    if not isinstance(schema, dict) or set(schema) - _KEY_SET - _NOTES - _CONDITIONS - {
        "properties"
    }:
        return False
    if not isinstance(schema.get("additionalProperties", True), bool):
        return False
    named.update(schema.get("properties", {}))
    named.update(schema.get("required", ()))
    return all(_names(schema[key], named) for key in _CONDITIONS & set(schema))


def _splits_array(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "array"
        and not set(schema) - _ARRAY - _NOTES
        and splits_object(schema.get("items")) is not None
    )


class RecordCheck:
    """Which records of a table fit the record schema."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.defs = dict(schema["$defs"])
        self.record = self.defs[RECORD]
        self._validators: dict[tuple[int, str], tuple[Any, Any]] = {}
        self._leaves: WeakKeyDictionary[Column, np.ndarray] = WeakKeyDictionary()
        self._members: WeakKeyDictionary[Column, np.ndarray] = WeakKeyDictionary()
        self._axes: WeakKeyDictionary[Column, dict[int, np.ndarray]] = WeakKeyDictionary()
        self._bases: dict[int, tuple[Any, dict[str, Any]]] = {}

    @classmethod
    def of(cls, schema: Mapping[str, Any]) -> RecordCheck | None:
        """The check for a record schema (poicheck.ruleset.schema.record_schema), or None when its
        record object does not split."""
        record = schema.get("$defs", {}).get(RECORD)
        if schema.get("$ref") != f"#/$defs/{RECORD}" or splits_object(record) is None:
            return None
        return cls(schema)

    def fits(self, lines: TableLines, rows: np.ndarray) -> np.ndarray:
        """Per row of `rows` (numbers into the table): does its record fit the schema?"""
        members = {m.name: m for m in lines.members}
        children = [(name, node) for name, node in lines.plan.members]
        _, ok = self._object(lines, children, self.record, rows, members)
        return ok

    # --- one node ------------------------------------------------------------------------

    def _node(
        self, lines: TableLines, node: Node, schema: Any, rows: np.ndarray, member: Member | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per row: is the node's value there, and does it fit `schema` (where it is)."""
        if isinstance(node, Leaf):
            column = lines.columns[node.column]
            at = lines.index(node.column, rows)
            return column.filled[at], self._leaf(column, schema)[at]
        if isinstance(node, Obj) and splits_object(schema) is not None:
            return self._object(lines, list(node.members), schema, rows, {})
        if isinstance(node, Items) and _splits_array(schema):
            return self._array(lines, node.items, schema, rows)
        if isinstance(node, Texts) and _splits_array(schema):
            return self._texts(lines, node, schema, rows)
        if isinstance(node, Geo):
            split = self._coordinates(lines, node, schema, rows)
            if split is not None:
                return split
        return self._whole(lines, node, schema, rows, member)

    def _object(
        self,
        lines: TableLines,
        children: list[tuple[str, Node]],
        schema: dict[str, Any],
        rows: np.ndarray,
        members: Mapping[str, Member],
    ) -> tuple[np.ndarray, np.ndarray]:
        named = splits_object(schema) or frozenset()
        properties = schema.get("properties", {})
        ok = np.ones(len(rows), dtype=bool)
        present: list[np.ndarray] = []
        codes: list[np.ndarray] = []
        for name, child in children:
            there, fits = self._node(
                lines, child, properties.get(name, False), rows, members.get(name)
            )
            ok &= ~there | fits
            present.append(there)
            if name in named:
                codes.append(_codes(lines, child, rows))
        numbers, first = combinations(present + codes)
        shapes = []
        for k in first.tolist():
            shape = {}
            for (name, child), there in zip(children, present, strict=True):
                if there[k]:
                    shape[name] = (
                        self._value(lines, child, rows[k : k + 1])
                        if name in named
                        else _PLACEHOLDER
                    )
            shapes.append(shape)
        fitting = _each_valid(self._validator(schema, "skeleton"), shapes)
        there_any = np.logical_or.reduce(present) if present else np.zeros(len(rows), bool)
        return there_any, ok & fitting[numbers]

    def _array(
        self, lines: TableLines, items: Sequence[Node], schema: dict[str, Any], rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        ok = np.ones(len(rows), dtype=bool)
        count = np.zeros(len(rows), dtype=np.int64)
        for item in items:
            there, fits = self._node(lines, item, schema["items"], rows, None)
            ok &= ~there | fits
            count += there
        return count > 0, ok & self._counts(schema, count)

    def _counts(self, schema: dict[str, Any], count: np.ndarray) -> np.ndarray:
        """Per row: does a list of `count` items fit the array's own keywords?"""
        sizes, where = np.unique(count, return_inverse=True)
        fitting = _each_valid(self._validator(schema, "counts"), [[0] * int(n) for n in sizes])
        return fitting[where]

    def _texts(
        self, lines: TableLines, node: Texts, schema: dict[str, Any], rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """An InfoText list: each item {lang, value} split like any object."""
        item = schema["items"]
        if splits_object(item):  # a condition reads the language or the text
            return self._whole(lines, node, schema, rows, None)
        properties = item.get("properties", {})
        shape = dict.fromkeys(("lang", "value"), _PLACEHOLDER)
        whole = _each_valid(self._validator(item, "skeleton"), [shape])[0]
        ok = np.ones(len(rows), dtype=bool)
        count = np.zeros(len(rows), dtype=np.int64)
        for language, column_name in node.languages:
            column = lines.columns[column_name]
            at = lines.index(column_name, rows)
            there = column.filled[at]
            lang = _each_valid(self._validator(properties.get("lang", False)), [language])[0]
            fits = self._leaf(column, properties.get("value", False))[at] & lang & whole
            ok &= ~there | fits
            count += there
        return count > 0, ok & self._counts(schema, count)

    def _whole(
        self, lines: TableLines, node: Node, schema: Any, rows: np.ndarray, member: Member | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A value checked whole, once per distinct combination of its cells (for a
        top-level property: once per table)."""
        if member is not None:
            at = member.at(rows)
            found = self._members.get(member.column)
            if found is None:
                texts = member.column.json.to_pylist()[:-1]
                found = np.zeros(len(texts) + 1, dtype=bool)
                where = [i for i, t in enumerate(texts) if t]
                values = _decode(node, [texts[i] for i in where])
                found[where] = _each_valid(self._validator(schema), values)
                self._members[member.column] = found
            return member.column.filled[at], found[at]
        indexes = [lines.index(c, rows) for c in columns_of(node) if c in lines.cells]
        numbers, first = combinations(indexes)
        part = lines.part(node, rows[first])
        texts = join(part.pieces, len(first)).to_pylist()
        there = np.flatnonzero(part.present)
        fits = np.zeros(len(first), dtype=bool)
        fits[there] = _each_valid(self._validator(schema), _decode(node, [texts[i] for i in there]))
        return part.present[numbers], fits[numbers]

    def _coordinates(
        self, lines: TableLines, node: Geo, schema: Any, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Coordinates in decimal degrees, `{"DecimalDegree": {"Latitude": .., "Longitude":
        ..}}`, split like any object: each axis per distinct value, and a `oneOf` (the three
        notations) branch by branch, the value fitting where exactly one branch does. None
        for another notation, or a schema that does not split so (checked whole then)."""
        if lines.notation != "DecimalDegree":
            return None
        names = [f"{node.column}.{axis}" for axis in ("Latitude", "Longitude")]
        axes = tuple((name.rsplit(".", 1)[1], name) for name in names if lines.decimal_axis(name))
        if not axes:
            return None
        return self._split(lines, (("DecimalDegree", axes),), schema, rows)

    def _split(
        self, lines: TableLines, tree: _Tree, schema: Any, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Per row: is the value of `tree` (an axis, or an object of trees) there, and does
        it fit `schema`; None where the schema does not split."""
        if isinstance(tree, str):
            column = lines.decimal_axis(tree)
            assert column is not None
            at = lines.index(tree, rows)
            if isinstance(schema, bool):
                return column.filled[at], np.full(len(rows), schema)
            return column.filled[at], self._axis(column, schema)[at]
        if isinstance(schema, bool):
            return self._there(lines, tree, rows), np.full(len(rows), schema)
        if not isinstance(schema, dict):
            return None
        base = self._base(schema)
        if splits_object(base) != frozenset():
            return None
        found = self._split_object(lines, tree, base, rows)
        if found is None:
            return None
        there, ok = found
        for key in _COMBINED & set(schema):
            if not isinstance(schema[key], list):
                return None
            count = np.zeros(len(rows), dtype=np.int64)
            for branch in schema[key]:
                part = self._split(lines, tree, branch, rows)
                if part is None:
                    return None
                count += part[1]
            wanted = {"oneOf": count == 1, "anyOf": count >= 1}
            ok &= wanted.get(key, count == len(schema[key]))
        return there, ok

    def _split_object(
        self, lines: TableLines, tree: tuple[tuple[str, _Tree], ...], schema: Any, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """`_object` for a tree: each member on its own, then the skeleton once per
        combination of the members there."""
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        ok = np.ones(len(rows), dtype=bool)
        present: list[np.ndarray] = []
        for name, child in tree:
            part = self._split(lines, child, properties.get(name, extra), rows)
            if part is None:
                return None
            there, fits = part
            ok &= ~there | fits
            present.append(there)
        numbers, first = combinations(present)
        shapes = [
            {name: _PLACEHOLDER for (name, _), there in zip(tree, present, strict=True) if there[k]}
            for k in first.tolist()
        ]
        fitting = _each_valid(self._validator(schema, "skeleton"), shapes)
        return np.logical_or.reduce(present), ok & fitting[numbers]

    def _there(self, lines: TableLines, tree: _Tree, rows: np.ndarray) -> np.ndarray:
        if isinstance(tree, str):
            column = lines.decimal_axis(tree)
            assert column is not None
            return column.filled[lines.index(tree, rows)]
        return np.logical_or.reduce([self._there(lines, child, rows) for _, child in tree])

    def _base(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema without `oneOf`, `anyOf` and `allOf` (the same object for the same
        schema: its validators are compiled once)."""
        found = self._bases.get(id(schema))
        if found is None:
            base = {k: v for k, v in schema.items() if k not in _COMBINED}
            self._bases[id(schema)] = found = (schema, base)
        return found[1]

    def _axis(self, column: Column, schema: Any) -> np.ndarray:
        """Per distinct value of a coordinate column (its JSON in decimal degrees, as sent):
        does it fit `schema`? (False for the empty value at the end.)"""
        by_schema = self._axes.setdefault(column, {})
        found = by_schema.get(id(schema))
        if found is None:
            texts = column.json.to_pylist()
            where = np.flatnonzero(column.filled)
            values = msgspec.json.decode(("[" + ",".join(texts[i] for i in where) + "]").encode())
            found = np.zeros(len(column.filled), dtype=bool)
            found[where] = _each_valid(self._validator(schema), values)
            by_schema[id(schema)] = found
        return found

    def _leaf(self, column: Column, schema: Any) -> np.ndarray:
        """Per distinct value of a cell column: does it fit `schema`? (False for the empty
        value at the end.)"""
        found = self._leaves.get(column)
        if found is None:
            values = column.python_values()
            where = np.flatnonzero(column.filled[:-1])
            found = np.zeros(len(column.filled), dtype=bool)
            found[where] = _each_valid(self._validator(schema), [values[i] for i in where])
            self._leaves[column] = found
        return found

    def _value(self, lines: TableLines, node: Node, rows: np.ndarray) -> Any:
        """A node's value in one row (for a condition that reads it)."""
        if isinstance(node, Leaf):
            column = lines.columns[node.column]
            return column.python_values()[int(lines.index(node.column, rows)[0])]
        text = join(lines.part(node, rows).pieces, 1).to_pylist()[0]
        return json.loads(text)

    def _validator(self, schema: Any, kind: str = "value") -> Any:
        """jsonschema-rs for an array of instances of `schema` (as schema.validator_for
        compiles the whole schema: Draft 2020-12, formats checked); `kind` "skeleton": of
        an object's skeleton, "counts": of an array's placeholder items."""
        key = (id(schema), kind)
        found = self._validators.get(key)
        if found is None:
            import jsonschema_rs

            items = schema
            if kind != "value":
                items = {k: v for k, v in schema.items() if k not in _NOTES and k != "items"}
                if kind == "skeleton":
                    items["properties"] = dict.fromkeys(schema.get("properties", {}), True)
            whole = {"$schema": DRAFT, "$defs": self.defs, "type": "array", "items": items}
            validator = jsonschema_rs.Draft202012Validator(whole, validate_formats=True)
            self._validators[key] = found = (schema, validator)  # kept: the id stays its own
        return found[1]


def _codes(lines: TableLines, node: Node, rows: np.ndarray) -> np.ndarray:
    """Numbers that tell a node's values apart (equal numbers, equal values)."""
    indexes = [lines.index(c, rows) for c in columns_of(node) if c in lines.cells]
    return combinations(indexes)[0].astype(np.int64) if indexes else np.zeros(len(rows), np.int64)


def _decode(node: Node, texts: list[str]) -> list[Any]:
    """The values of JSON texts: by msgspec where the node holds only texts (coordinates,
    InfoTexts: no number to read differently), else by json as json.dumps wrote them."""
    if isinstance(node, (Geo, Texts)):
        decode = msgspec.json.Decoder().decode
        return [decode(t) for t in texts]
    return [json.loads(t) for t in texts]


def _each_valid(validator: Any, instances: list[Any]) -> np.ndarray:
    """Per instance: valid? One call for all of them (an array); the failing ones are found
    from where their errors are."""
    ok = np.ones(len(instances), dtype=bool)
    if not instances or validator.is_valid(instances):
        return ok
    for error in validator.iter_errors(instances):
        path = error.instance_path
        if path:
            ok[int(path[0])] = False
    return ok
