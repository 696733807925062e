"""The record schema check of every record, per distinct value instead of per record (issue 22).

A record fits the EvseDataRecord schema when

1. each of its properties fits that property's schema (`properties`), and
2. the record as a whole fits the object's other keywords: `required`,
   `additionalProperties`, `minProperties`, and the if/then conditions (`required_if` rules).

This holds for JSON Schema objects in general: `properties` judges each present property on
its own, the other keywords see only which properties are there, plus the values the
conditions name. So (1) is decided once per distinct value of each property (a cell's value,
or an object's JSON for each distinct combination of its cells) by jsonschema-rs, on all
values of a table in one call; and (2) once per distinct "skeleton": the properties a record
has, with the real values of those the conditions name and a placeholder for the others,
checked against the object's schema with each property's schema replaced by `true`. A schema
with any other keyword at the record level (e.g. `patternProperties`, whose verdict depends on
every value) is not split: `RecordCheck.of` gives None and the caller validates record by
record. tests/test_export_scale.py checks on generated records that both ways accept and
refuse the same records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from poicheck.export.lines import Member, TableLines, combinations
from poicheck.export.values import Column
from poicheck.schema import DRAFT, RECORD

# Keywords of the record object that see only which properties are there (and, inside
# conditions, the values of the properties named there).
_KEY_SET = frozenset(
    {"type", "required", "additionalProperties", "minProperties", "maxProperties"}
)
_NOTES = frozenset({"description", "title", "$comment"})
_CONDITIONS = frozenset({"if", "then", "else", "allOf", "anyOf", "oneOf", "not"})
_PLACEHOLDER = 0


class RecordCheck:
    """Which records of a table fit the record schema."""

    def __init__(self, schema: Mapping[str, Any], named: frozenset[str]) -> None:
        self.defs = schema["$defs"]
        self.record = self.defs[RECORD]
        self.named = named  # properties whose values the conditions read
        skeleton = {k: v for k, v in self.record.items() if k not in _NOTES}
        skeleton["properties"] = dict.fromkeys(self.record.get("properties", {}), True)
        self.skeleton = _validator({}, skeleton)
        self._properties: dict[str, Any] = {}
        self._values: WeakKeyDictionary[Column, list[Any]] = WeakKeyDictionary()
        self._valid_values: WeakKeyDictionary[Column, np.ndarray] = WeakKeyDictionary()

    @classmethod
    def of(cls, schema: Mapping[str, Any]) -> RecordCheck | None:
        """The check for a record schema (poicheck.schema.record_schema), or None when its
        record object uses a keyword the split does not cover."""
        record = schema.get("$defs", {}).get(RECORD)
        if schema.get("$ref") != f"#/$defs/{RECORD}" or not isinstance(record, dict):
            return None
        if set(record) - _KEY_SET - _NOTES - _CONDITIONS - {"properties"}:
            return None
        named: set[str] = set()
        for key in _CONDITIONS & set(record):
            if not _names(record[key], named):
                return None
        return cls(schema, frozenset(named))

    def fits(self, lines: TableLines, rows: np.ndarray) -> np.ndarray:
        """Per row of `rows` (numbers into the table): does its record fit the schema?"""
        ok = np.ones(len(rows), dtype=bool)
        present = []
        for member in lines.members:
            at = member.at(rows)
            there = member.column.filled[at]
            ok &= ~there | self._valid(member)[at]
            present.append(there.astype(np.int64))
        named = [m for m in lines.members if m.name in self.named]
        numbers, first = combinations([*present, *(m.at(rows) for m in named)])
        shapes = []
        for row in rows[first]:
            one = np.array([row])
            instance: dict[str, Any] = {}
            for member in lines.members:
                at = int(member.at(one)[0])
                if member.column.filled[at]:
                    named = member.name in self.named
                    instance[member.name] = self.values(member)[at] if named else _PLACEHOLDER
            shapes.append(instance)
        fitting = _each_valid(self.skeleton, shapes)
        return ok & fitting[numbers]

    def values(self, member: Member) -> list[Any]:
        """The value of each distinct JSON of a member (None for an empty one)."""
        column = member.column
        found = self._values.get(column)
        if found is None:
            if column.values is not None or column.texts is not None:
                found = column.python_values()
            else:
                found = [json.loads(t) if t else None for t in column.json.to_pylist()[:-1]]
            self._values[column] = found
        return found

    def _valid(self, member: Member) -> np.ndarray:
        """Per distinct value of a member: does it fit its schema? (False for the empty
        value at the end.)"""
        column = member.column
        found = self._valid_values.get(column)
        if found is None:
            validator = self._properties.get(member.name)
            if validator is None:
                schema = self.record.get("properties", {}).get(member.name, False)
                validator = self._properties[member.name] = _validator(self.defs, schema)
            values = self.values(member)
            where = np.flatnonzero(column.filled[:-1])
            found = np.zeros(len(column.filled), dtype=bool)
            found[where] = _each_valid(validator, [values[i] for i in where])
            self._valid_values[column] = found
        return found


def _names(schema: Any, named: set[str]) -> bool:
    """Collect the properties a condition reads; False when it reads more than properties
    and the set of keys."""
    if isinstance(schema, bool):
        return True
    if isinstance(schema, list):
        return all(_names(item, named) for item in schema)
    if not isinstance(schema, dict):
        return False
    if set(schema) - _KEY_SET - _NOTES - _CONDITIONS - {"properties"}:
        return False
    if "additionalProperties" in schema and not isinstance(schema["additionalProperties"], bool):
        return False
    named.update(schema.get("properties", {}))
    named.update(schema.get("required", ()))
    return all(_names(schema[key], named) for key in _CONDITIONS & set(schema))


def _validator(defs: Mapping[str, Any], items: Any) -> Any:
    """jsonschema-rs for an array of instances of `items` (as poicheck.schema.validator_for
    compiles the whole schema: Draft 2020-12, formats checked)."""
    import jsonschema_rs

    schema = {"$schema": DRAFT, "$defs": dict(defs), "type": "array", "items": items}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def _each_valid(validator: Any, instances: list[Any]) -> np.ndarray:
    """Per instance: valid? One call for all of them (an array), and the failing ones
    found from where the errors are."""
    ok = np.ones(len(instances), dtype=bool)
    if not instances or validator.is_valid(instances):
        return ok
    for error in validator.iter_errors(instances):
        path = error.instance_path
        if path:
            ok[int(path[0])] = False
    return ok
