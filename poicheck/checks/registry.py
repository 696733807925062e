"""The registry of check kinds. Rules name a kind; kinds are code, registered here by name.

A *cell* kind is a vectorised function from one column's values (a pyarrow string array, nulls
for empty cells) to a boolean numpy mask, True where the value passes; empty cells pass (presence
is the job of the `required*` kinds). A *row* kind sees the whole table and returns one mask per
row for one field. A *reader* kind is executed by the readers, which alone see raw structure.

A kind is registered with `@check_kind(...)` on its function, together with the declaration
of its parameters (poicheck.checks.params) and the hooks through which the rest of poicheck
learns what it means (JSON Schema parts, pointer leaf, template language columns):
everything about a kind is said where the kind is written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from poicheck.checks.params import Param
from poicheck.ruleset.model import DataType, Property

if TYPE_CHECKING:
    import numpy as np

    from poicheck.ruleset.model import RuleSet

Params = Mapping[str, Any]
# What a row kind returns with its verdicts: details for its message, per row (an array
# spanning the table; read at the failing rows only) or one text for every row.
RowResult = tuple["np.ndarray", dict[str, "np.ndarray | str"]]
Expansion = Literal["columns", "container", "members"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class SchemaPart:
    """What one rule adds to the JSON Schema poicheck generates (poicheck.ruleset.schema): bounds
    of its field's number, or an if/then `condition` on the object that holds its field."""

    minimum: Any = None
    maximum: Any = None
    condition: Mapping[str, Any] | None = None


# A kind's JSON Schema hook: the rule's resolved parameters, the field's property and the rule
# set in, the part it adds out (None: nothing). Only error-severity record rules are asked.
SchemaHook = Callable[[Params, Property, "RuleSet"], SchemaPart | None]


@dataclass(frozen=True)
class Kind:
    """A check kind: its function, its declared parameters, what it needs to know about
    messages, and the hooks other layers ask instead of testing for its name."""

    name: str
    scope: Literal["cell", "row", "reader"]
    func: Callable[..., Any] | None
    params: tuple[Param, ...] = ()
    defaults: Callable[[Property], dict[str, Any]] = field(default=lambda prop: {})
    describe: Callable[[Params], str] = field(default=lambda params: "")
    message: str = "{field} '{value}' is not valid"
    hint: Callable[[str, Params], str] | None = None
    expand: Expansion = "columns"
    resolve: Callable[[Params, Mapping[str, DataType]], dict[str, Any]] | None = None
    # A kind that compares rows with each other (duplicates, groups) runs once over the whole
    # input, on the columns it checks plus the ones it `reads`; every other kind runs on any
    # slice of rows and gives the same answer for each row (poicheck.engine.run).
    across_rows: bool = False
    reads: tuple[str, ...] = ()
    # Work done once per process whatever the data (loading reference data): run before
    # workers are forked, so that they share its result instead of each doing it again.
    prepare: Callable[[], object] | None = None
    # Hooks. Which member of an InfoText item its findings point at (`/.../0/lang` for a
    # kind that judges the language, not the text).
    pointer_leaf: Literal["value", "lang"] = "value"
    # Whether a language code (the `*` of an InfoText column) passes this kind: `poicheck
    # template --language` refuses the codes its rules would reject.
    accepts_language: Callable[[str, Params], bool] | None = None
    json_schema: SchemaHook | None = None

    @property
    def required(self) -> tuple[str, ...]:
        """The parameters every rule of this kind must give (or its field's property)."""
        return tuple(p.name for p in self.params if p.required)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in KINDS:
        raise ValueError(f"check kind {kind.name!r} registered twice")
    KINDS[kind.name] = kind
    return kind


def check_kind(name: str, scope: Literal["cell", "row"], **declared: Any) -> Callable[[F], F]:
    """Register the decorated function as the check kind `name`; `declared` are the other
    fields of Kind (params, describe, message, hooks...)."""

    def decorate(func: F) -> F:
        register(Kind(name=name, scope=scope, func=func, **declared))
        return func

    return decorate


def get_kind(name: str) -> Kind:
    _load_builtin_kinds()
    return KINDS[name]


def kind_names() -> list[str]:
    _load_builtin_kinds()
    return sorted(KINDS)


@functools.cache
def _load_builtin_kinds() -> None:
    # Importing the modules registers their kinds (once: messages ask for kinds by the
    # thousand, and an import statement costs microseconds even when the module is loaded).
    from poicheck.checks import (  # noqa: F401
        consistency,
        geo,
        groups,
        hygiene,
        identity,
        opening_times,
        places,
        positions,
        power,
        presence,
        reader,
        texts,
        values,
    )
