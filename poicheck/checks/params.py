"""What a rule may write under `params:`: the typed parameter declarations of check kinds.

Every kind declares its parameters (name, type, required or optional, default, allowed
values); the loader checks each rule against its kind's declaration, so that a misspelt name
(`tolerat:` for `tolerate:`) or a value of the wrong type is a rule-file error, located by
key path, instead of a rule that silently does nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# (key path such as `params.ranges.DC.max`, what is wrong there)
Problem = tuple[str, str]


@dataclass(frozen=True)
class Context:
    """What parameter values may refer to: the names of the rule set's types and properties."""

    types: Collection[str] = ()
    properties: Collection[str] = ()


class ParamType:
    """A type of parameter value: its name for people, and what is wrong with a value."""

    name: str

    def fits(self, value: Any) -> bool:
        """Whether the value has this type's outer shape (text, number, list, mapping)."""
        return True

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        if not self.fits(value):
            yield path, f"must be {self.name}, not {shown(value)}"


@dataclass(frozen=True)
class Scalar(ParamType):
    """A text, a number or a boolean (YAML's true is no number here, nor 1 a boolean)."""

    name: str
    accepts: tuple[type, ...]

    def fits(self, value: Any) -> bool:
        if isinstance(value, bool):
            return bool in self.accepts
        return isinstance(value, self.accepts)


@dataclass(frozen=True)
class Regex(ParamType):
    """A regular expression as the rules run it (RE2, ASCII semantics)."""

    name: str = "a regular expression (text)"

    def fits(self, value: Any) -> bool:
        return isinstance(value, str)

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        from poicheck.checks._arrow import regex_problem

        yield from super().problems(value, path, context)
        problem = regex_problem(value) if isinstance(value, str) else None
        if problem is not None:
            yield path, problem


@dataclass(frozen=True)
class Reference(ParamType):
    """A text naming a type (`types`) or a property (`properties`) of the rule set."""

    name: str
    among: str  # "types" or "properties": the field of Context it names one of

    def fits(self, value: Any) -> bool:
        return isinstance(value, str)

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        yield from super().problems(value, path, context)
        known: Collection[str] = getattr(context, self.among)
        if isinstance(value, str) and value not in known:
            noun = "type" if self.among == "types" else "property"
            yield path, f"'{value}' names no {noun} of the rule set{did_you_mean(value, known)}"


@dataclass(frozen=True)
class ListOf(ParamType):
    """A list whose items all have one type (and, with `size`, exactly that many items)."""

    item: ParamType
    name: str = "a list"
    size: int | None = None

    def fits(self, value: Any) -> bool:
        return isinstance(value, list)

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        yield from super().problems(value, path, context)
        if not isinstance(value, list):
            return
        if self.size is not None and len(value) != self.size:
            yield path, f"must have {self.size} items, not {len(value)}"
        for i, item in enumerate(value):
            yield from self.item.problems(item, f"{path}.{i}", context)


@dataclass(frozen=True)
class MapOf(ParamType):
    """A mapping of any keys (or keys of type `keys`) to values of one type."""

    value: ParamType
    name: str = "a mapping"
    keys: ParamType | None = None
    size: int | None = None

    def fits(self, value: Any) -> bool:
        return isinstance(value, dict)

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        yield from super().problems(value, path, context)
        if not isinstance(value, dict):
            return
        if self.size is not None and len(value) != self.size:
            yield path, f"must have {self.size} entr{'y' if self.size == 1 else 'ies'}"
        for key, item in value.items():
            if self.keys is not None:
                yield from self.keys.problems(key, f"{path}.{key}", context)
            yield from self.value.problems(item, f"{path}.{key}", context)


@dataclass(frozen=True)
class Struct(ParamType):
    """A mapping with known keys, each optional, each with its own type."""

    fields: Mapping[str, ParamType]
    name: str = "a mapping"

    def fits(self, value: Any) -> bool:
        return isinstance(value, dict)

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        yield from super().problems(value, path, context)
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            kind = self.fields.get(str(key))
            if kind is None:
                known = ", ".join(self.fields)
                hint = did_you_mean(str(key), self.fields)
                yield f"{path}.{key}", f"unknown key '{key}'{hint}; known: {known}"
            else:
                yield from kind.problems(item, f"{path}.{key}", context)


@dataclass(frozen=True)
class Either(ParamType):
    """One of several types; a value is judged by the first whose outer shape it has."""

    options: tuple[ParamType, ...]
    name: str

    def fits(self, value: Any) -> bool:
        return any(option.fits(value) for option in self.options)

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        for option in self.options:
            if option.fits(value):
                yield from option.problems(value, path, context)
                return
        yield from super().problems(value, path, context)


@dataclass(frozen=True)
class Nullable(ParamType):
    """A value of a type, or null (written to switch off what the property would give)."""

    inner: ParamType
    name: str

    def fits(self, value: Any) -> bool:
        return value is None or self.inner.fits(value)

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        if value is not None:
            yield from self.inner.problems(value, path, context)


TEXT = Scalar("a text", (str,))
TEXTS = ListOf(TEXT, "a list of texts")
BOOLEAN = Scalar("true or false", (bool,))
INTEGER = Scalar("a whole number", (int,))
NUMBER = Scalar("a number", (int, float))
REGEX = Regex()
TYPE_NAME = Reference("the name of a type of the rule set", "types")
PROPERTY = Reference("a property path of the rule set", "properties")
RULE_IDS = TEXTS  # the ids themselves are checked with the rule set's other references
VALUE = Scalar("a text, a number or true or false", (str, int, float, bool))
# `when`: property path -> the value (or one of the values) it must hold
CONDITIONS = MapOf(
    Either((VALUE, ListOf(VALUE, "a list of values")), "a value or a list of values"),
    "a mapping of property paths to values",
    keys=PROPERTY,
)


@dataclass(frozen=True)
class Param:
    """One parameter of a kind. A `required` one must be known for every field the rule
    checks: given under `params:`, or taken from the field's property (the kind's defaults).
    `default` is what the kind does without it (documentation; None: nothing)."""

    name: str
    type: ParamType
    doc: str
    required: bool = False
    default: Any = None
    allowed: tuple[Any, ...] | None = None

    def problems(self, value: Any, path: str, context: Context) -> Iterator[Problem]:
        yield from self.type.problems(value, path, context)
        if self.allowed is None:
            return
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, (str, int, float)) and item not in self.allowed:
                where = f"{path}.{i}" if isinstance(value, list) else path
                choices = ", ".join(map(str, self.allowed))
                yield where, f"'{item}' is not one of {choices}"


# A named type gives a rule the pattern or the enumeration of a kind that takes one.
TYPE = Param("type", TYPE_NAME, "a named type whose pattern or enumeration the rule uses")


def check_params(
    kind: str, declared: Sequence[Param], given: Mapping[str, Any], context: Context
) -> list[Problem]:
    """What is wrong with a rule's `params` for its kind: unknown names, wrong types."""
    by_name = {p.name: p for p in declared}
    problems: list[Problem] = []
    for name, value in given.items():
        path = f"params.{name}"
        param = by_name.get(str(name))
        if param is None:
            takes = f"it takes {', '.join(by_name)}" if by_name else "it takes none"
            hint = did_you_mean(str(name), by_name)
            problems.append((path, f"kind '{kind}' has no parameter '{name}'{hint}; {takes}"))
        else:
            problems.extend(param.problems(value, path, context))
    return problems


def did_you_mean(name: str, known: Collection[str]) -> str:
    """` (did you mean X?)` for a name close to a known one, else ''."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def shown(value: Any) -> str:
    """A value as the message shows it: its YAML type and a short text."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a text"}
    kinds.update({list: "a list", dict: "a mapping", type(None): "null"})
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    kind = kinds.get(type(value), type(value).__name__)
    return kind if value is None else f"{kind} ({text})"
