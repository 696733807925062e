"""The delta planner: the minimal insert / update / delete sets between what Hubject holds
(the previous state) and the new data, matched by normalised EvseID.

Records are compared by meaning, through the same conversion that reads OICP JSON
(`poicheck.oicp.convert.Flattener`): key order, number formatting (22, 22.0), the coordinate
notation,
the order of values in an enumeration list and the Hubject-assigned `deltaType` / `lastUpdate`
do not count as changes. The order of InfoText languages does (the first is shown first).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from poicheck.export.model import Candidate, Changes
from poicheck.oicp.convert import LIST_SEPARATOR, Flattener
from poicheck.oicp.coordinates import SIX
from poicheck.oicp.wire import writes_plainly
from poicheck.ruleset.model import Property, RuleSet

Record = dict[str, Any]


class Semantics:
    """A comparable form of an EvseDataRecord: equal forms mean the same record for Hubject."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.flattener = Flattener(ruleset)
        self._props: dict[str, Property | None] = {}
        self._texts = [
            p.path for p in ruleset.scope_properties("record") if p.shape == "infotext_list"
        ]

    def key(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        cells = self.flattener.flatten(dict(record)).cells
        items = []
        for column, text in cells.items():
            prop = self._property(column)
            if prop is None or prop.assigned_by_hubject:
                continue
            items.append((column, self._normal(prop, text)))
        languages = tuple(
            tuple(c for c in cells if c.startswith(container + ".")) for container in self._texts
        )
        return tuple(sorted(items)), languages

    def _property(self, column: str) -> Property | None:
        if column not in self._props:
            self._props[column] = self.ruleset.property_for_column(column)
        return self._props[column]

    @staticmethod
    def _normal(prop: Property, text: str) -> str:
        if prop.shape == "list":
            return ";".join(sorted(item for item in LIST_SEPARATOR.split(text.strip()) if item))
        if prop.base == "boolean":
            return text.strip().lower()
        numeric = prop.json_type in ("integer", "number")
        coordinate = prop.type_name == "GeoCoordinatesDecimalDegreeFormatType"
        if numeric or coordinate:
            try:
                value = Decimal(text.strip())
                if not writes_plainly(value):
                    return text  # no field holds it (NaN, 1e999999999): compared as written
                value = value.quantize(SIX) if coordinate else value
                return format(value.normalize() + 0, "f")  # + 0 turns -0 into 0
            except ArithmeticError:  # InvalidOperation, or 1e50 quantized past the precision
                return text
        return text


@dataclass(frozen=True)
class Plan:
    """What to send: inserts and updates from the new data, deletes from the previous state."""

    inserts: tuple[Candidate, ...]
    updates: tuple[Candidate, ...]
    deletes: tuple[tuple[str, Record], ...]
    unchanged: int
    kept: int

    @property
    def changes(self) -> Changes:
        return Changes.of(self)

    @property
    def records(self) -> list[Record]:
        """Every record the plan sends, in sending order."""
        return [
            *(c.payload for c in self.inserts),
            *(c.payload for c in self.updates),
            *(record for _, record in self.deletes),
        ]

    def only(self, action: str) -> Plan:
        """The part of the plan for one ActionType (the rest is not sent)."""
        return Plan(
            inserts=self.inserts if action == "insert" else (),
            updates=self.updates if action == "update" else (),
            deletes=self.deletes if action == "delete" else (),
            unchanged=self.unchanged,
            kept=self.kept,
        )


def plan(
    previous: Mapping[str, Record],
    current: Sequence[Candidate],
    semantics: Semantics,
    *,
    keep: Iterable[str] = (),
) -> Plan:
    """The minimal changes that turn `previous` into `current` (both keyed by normalised EvseID).

    `keep` are the keys of records left out of the new data for errors: Hubject keeps the
    version it has, so they are neither updated nor deleted.
    """
    kept_keys = set(keep)
    seen: set[str] = set()
    inserts, updates = [], []
    unchanged = 0
    for candidate in current:
        seen.add(candidate.key)
        before = previous.get(candidate.key)
        if before is None:
            inserts.append(candidate)
        elif _identical(before, candidate.payload):
            unchanged += 1
        elif semantics.key(before) != semantics.key(candidate.payload):
            updates.append(candidate)
        else:
            unchanged += 1
    deletes = [
        (key, record)
        for key, record in previous.items()
        if key not in seen and key not in kept_keys
    ]
    kept = sum(1 for key in previous if key not in seen and key in kept_keys)
    return Plan(tuple(inserts), tuple(updates), tuple(deletes), unchanged, kept)


def _identical(before: Record, after: Record) -> bool:
    """The same record to the letter, hence the same meaning: most records of a delta push
    are unchanged, and comparing them so takes a tenth of flattening both. The JSON texts are
    compared as well because == takes True for 1 and 1 for 1.0, which flatten differently."""
    return before == after and _text(before) == _text(after)


def _text(record: Record) -> str:
    return json.dumps(record, ensure_ascii=False, default=repr)


def apply(previous: Mapping[str, Record], plan: Plan) -> dict[str, Record]:
    """The state after pushing the plan: updates in place, deletes removed, inserts appended."""
    state = dict(previous)
    for candidate in plan.updates:
        state[candidate.key] = candidate.payload
    for key, _ in plan.deletes:
        state.pop(key, None)
    for candidate in plan.inserts:
        state[candidate.key] = candidate.payload
    return state
