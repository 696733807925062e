"""The OICP wire format as the conversion between table and JSON sees it: JSON types, the
text a JSON value stands for in a cell, and the data model as a tree of properties."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from poicheck.oicp.cells import LIST_SEPARATOR
from poicheck.ruleset.model import Property, RuleSet

NONE = type(None)
# The types a JSON parser gives; values of other types (an API caller's) go one by one.
PLAIN = frozenset({str, int, bool, Decimal, float, list, dict, NONE})
# Numbers further than this many digits from the decimal point are written in scientific
# form and compared as written: no OICP field holds one, and 1e999999999 in plain digits
# would take a billion of them (and int() as long).
PLAIN_DIGITS = 100


def writes_plainly(number: Decimal) -> bool:
    """Whether `number` is finite and within PLAIN_DIGITS of the decimal point."""
    return number.is_finite() and abs(number.adjusted()) <= PLAIN_DIGITS


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value (bool is not a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, Decimal):  # not int(value): 1E+999999999 would take a billion digits
        return "integer" if value == value.to_integral_value() else "number"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
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
        if not writes_plainly(value):
            return str(value)  # scientific form, as written
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


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

    def all(self) -> list[Property]:
        """Every property of a record, containers included."""
        return [prop for props in self.children.values() for prop in props]

    def below(self, parent: str) -> list[Property]:
        return self.children.get(parent, [])

    @staticmethod
    def name(prop: Property) -> str:
        return prop.path.rsplit(".", 1)[-1]


def types_of(values: Iterable[Any]) -> set[type]:
    """The exact types among `values` (one C loop)."""
    return set(map(type, values))


def expected_type(prop: Property) -> str:
    """The JSON type a property takes on the wire, for messages (integers are numbers)."""
    return "number" if prop.json_type == "integer" else prop.json_type


def found_type(value: Any) -> str:
    """The JSON type of a wire value, for messages (integers are numbers)."""
    kind = json_type(value)
    return "number" if kind == "integer" else kind


# Words a spreadsheet or another system writes for a boolean, and the JSON boolean they mean.
BOOLEAN_WORDS = {
    **dict.fromkeys(("true", "yes", "y", "1", "ja", "oui", "si", "wahr"), True),
    **dict.fromkeys(("false", "no", "n", "0", "nein", "non", "falsch"), False),
}
# A number as a string, maybe with a unit after it ("22kW", "230 V").
NUMBER_TEXT = re.compile(r"^\s*(-?[0-9]{1,15}(?:\.[0-9]{1,15})?)\s*[A-Za-z%]{0,3}\s*$")
NOTHING = object()
OPENING_TIMES_EXAMPLE = '[{"Period": [{"begin": "07:00", "end": "22:00"}], "on": "Workdays"}]'


def fits(prop: Property, text: str) -> bool:
    """Whether `text` is a value OICP accepts for the string or list item `prop`."""
    if prop.enum and text not in prop.enum:
        return False
    if prop.max_length is not None and len(text) > prop.max_length:
        return False
    return prop.pattern is None or re.fullmatch(prop.pattern, text) is not None


def suggested(prop: Property, value: Any) -> Any:
    """The JSON value of the type `prop` takes that `value` evidently means, where that is
    plain and valid for OICP; NOTHING otherwise."""
    kind = prop.json_type
    if kind == "boolean" and isinstance(value, str):
        return BOOLEAN_WORDS.get(value.strip().lower(), NOTHING)
    if kind == "string" and not isinstance(value, (str, list, dict, NONE)):
        text = text_of(value)
        return text if fits(prop, text) else NOTHING
    if kind == "array" and isinstance(value, str) and prop.shape == "list":
        items = [item for item in LIST_SEPARATOR.split(value.strip()) if item]
        return items if items and all(fits(prop, item) for item in items) else NOTHING
    if kind in ("integer", "number") and isinstance(value, str):
        match = NUMBER_TEXT.match(value)
        if match is None:
            return NOTHING
        number = Decimal(match.group(1))
        whole = number == number.to_integral_value()
        if (kind == "integer" and not whole) or (
            prop.max_value is not None and abs(number) > prop.max_value
        ):
            return NOTHING
        return int(number) if whole else number
    return NOTHING


def type_hint(prop: Property, value: Any) -> str:
    """How to write `value` as the type `prop` takes: a JSON value valid for OICP where the
    value plainly means one, otherwise what the type looks like."""
    if prop.json_type == "array" and isinstance(value, dict):
        return "; put the object in a list, in [ ]"
    wanted = suggested(prop, value)
    if wanted is not NOTHING:
        if isinstance(wanted, (str, list)):
            return f"; write {json.dumps(wanted, ensure_ascii=False)}"
        return f"; write {text_of(wanted)} without quotes"
    if prop.json_type == "boolean":
        return "; OICP's booleans are true and false, without quotes"
    if prop.json_type in ("integer", "number"):
        whole = "a whole number" if prop.json_type == "integer" else "a number"
        return f"; give {whole}, without quotes or unit"
    if prop.shape == "opening_times":
        return f"; OICP writes it as a list of objects such as {OPENING_TIMES_EXAMPLE}"
    return ""
