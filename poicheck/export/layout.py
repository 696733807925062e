"""Which cells make which property of an EvseDataRecord, in Builder's order (issue 22).

`LinePlan.of` reads a canonical table's columns as Builder reads a record's filled cells: a
property per cell, objects of their members, object lists of the item numbers below them
(in number order), InfoText lists of their languages (in column order), coordinates of their
two axes. `poicheck.export.lines` builds the records' JSON from such a plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from poicheck.oicp.wire import WireModel
from poicheck.ruleset.model import Property


@dataclass(frozen=True)
class Leaf:
    """A property held in one cell: scalar, list or opening times."""

    prop: Property
    column: str


@dataclass(frozen=True)
class Geo:
    """Coordinates from the cells `column.Latitude` and `column.Longitude`."""

    column: str


@dataclass(frozen=True)
class Obj:
    """An object: its members by wire name."""

    members: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Items:
    """A list of objects, one per item number found among the columns."""

    items: tuple[Obj, ...]


@dataclass(frozen=True)
class Texts:
    """An InfoText list: (language, column) in column order."""

    prop: Property
    languages: tuple[tuple[str, str], ...]


Node = Leaf | Geo | Obj | Items | Texts


class _UnsupportedError(Exception):
    pass


@dataclass(frozen=True)
class LinePlan:
    """Which columns make which property of a record, in Builder's order."""

    members: tuple[tuple[str, Node], ...]

    @classmethod
    def of(cls, model: WireModel, columns: Sequence[str]) -> LinePlan | None:
        """The plan for a table of `columns` (in their order), or None when Builder reads
        the layout in a way a plan cannot follow."""
        try:
            return cls(_members(model, "", "", list(columns)))
        except _UnsupportedError:
            return None


def _members(
    model: WireModel, model_parent: str, parent: str, columns: list[str]
) -> tuple[tuple[str, Node], ...]:
    out = []
    for prop in model.below(model_parent):
        name = WireModel.name(prop)
        path = f"{parent}.{name}" if parent else name
        node = _node(model, prop, path, columns)
        if node is not None:
            out.append((name, node))
    return tuple(out)


def _node(model: WireModel, prop: Property, path: str, columns: list[str]) -> Node | None:
    shape = prop.shape
    if shape in ("scalar", "list", "opening_times"):
        return Leaf(prop, path) if path in columns else None
    if shape == "object":
        members = _members(model, prop.path, path, columns)
        return Obj(members) if members else None
    if shape == "geo":
        axes = (f"{path}.Latitude", f"{path}.Longitude")
        return Geo(path) if any(a in columns for a in axes) else None
    keys = _next_parts(path, columns)
    if shape == "object_list":
        numbers = sorted((k for k in keys if k.isdigit()), key=int)
        if len({int(k) for k in numbers}) < len(numbers):
            raise _UnsupportedError(path)  # 1 and 01: Builder's order among them is per record
        items = [Obj(_members(model, prop.path, f"{path}.{k}", columns)) for k in numbers]
        kept = tuple(item for item in items if item.members)
        return Items(kept) if kept else None
    if shape == "infotext_list":
        languages = tuple((k, f"{path}.{k}") for k in keys if f"{path}.{k}" in columns)
        return Texts(prop, languages) if languages else None
    return None


def _next_parts(path: str, columns: list[str]) -> list[str]:
    """The names right below `path` among the columns, in first-seen order (Builder's
    `_item_keys` over a record's filled columns keeps the same order)."""
    prefix = path + "."
    found: dict[str, None] = {}
    for column in columns:
        if column.startswith(prefix):
            found.setdefault(column[len(prefix) :].split(".", 1)[0], None)
    return list(found)


def leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    if isinstance(node, Obj):
        return [leaf for _, child in node.members for leaf in leaves(child)]
    if isinstance(node, Items):
        return [leaf for item in node.items for leaf in leaves(item)]
    return []  # InfoTexts are texts; coordinates are tried whole (FixedPoints.coordinates)


def columns_of(node: Node) -> list[str]:
    """Every cell column a node reads."""
    if isinstance(node, Leaf):
        return [node.column]
    if isinstance(node, Geo):
        return [f"{node.column}.Latitude", f"{node.column}.Longitude"]
    if isinstance(node, Obj):
        return [c for _, child in node.members for c in columns_of(child)]
    if isinstance(node, Items):
        return [c for item in node.items for c in columns_of(item)]
    return [column for _, column in node.languages]
