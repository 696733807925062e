"""Which built records read back as themselves (issue 22).

The delta planner compares the new records with the previous state as `PreviousReader` rebuilds
it: each previous record read through the Flattener and built again by Builder. A previous
record whose line is, byte for byte, the line of a new record N is rebuilt as rebuild(N), and
that is N itself when N is a fixed point of reading back and building again. Then the record is
unchanged without reading it, and its line stays as it is in the new snapshot.

A record is such a fixed point when each of its values is (its objects and lists come back as
they were: the Flattener keeps key and item order, Builder writes objects in model order and
leaves out nothing N has). A text is one: Builder writes it as it is, or tidied, which tidy
leaves as it is; so are coordinates in decimal degrees (rounded to six decimals at most once).
Every other value (numbers, booleans, lists, opening times, Google and DMS coordinates) is
tried: each distinct value is read back through the same `loads` and Flattener and built
again; 9007199254740993.5 is written 9007199254740994.0 (a float's precision) and comes back
as 9007199254740994, so a record with it is compared the long way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from poicheck.export.values import Column, ValueJSON, to_json
from poicheck.oicp.convert import Flattener
from poicheck.oicp.to_json import Builder
from poicheck.readers.json import loads
from poicheck.ruleset.model import Property


class FixedPoints:
    """Tries values of one Builder (its rule set and notation)."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.convert = ValueJSON(builder)
        self.flattener = Flattener(builder.model.ruleset)

    def leaf(self, prop: Property, column_name: str, column: Column) -> np.ndarray:
        """Per distinct value of a cell column (and True for the empty cell at the end)."""
        if column.fixed is not None:
            return column.fixed
        texts = column.json.to_pylist()[:-1]
        fixed = np.ones(len(texts) + 1, dtype=bool)
        textual = prop.shape == "scalar" and prop.json_type == "string"
        values = column.values
        tried = [
            i
            for i, text in enumerate(texts)
            if text and not (textual and (values is None or type(values[i]) is str))
        ]
        if tried:
            flat = ".".join("1" if part.isdigit() else part for part in column_name.split("."))
            records = [_nested(column_name.split("."), loads(texts[i])) for i in tried]
            cells = self.flattener.flatten_all(records).columns.get(flat)
            back = cells.to_pylist() if cells is not None else [None] * len(tried)
            for i, text in zip(tried, back, strict=True):
                value = None if text is None else self.convert.value(prop, text)
                fixed[i] = value is not None and to_json(value) == texts[i]
        column.fixed = fixed
        return fixed

    def coordinates(self, path: str, fragments: list[str | None]) -> np.ndarray:
        """Per distinct JSON of a geo property (None: absent, which is fixed)."""
        fixed = np.ones(len(fragments), dtype=bool)
        if self.builder.geo_format == "DecimalDegree":
            return fixed
        tried = [i for i, text in enumerate(fragments) if text]
        records = [{path: loads(fragments[i] or "")} for i in tried]
        flat = self.flattener.flatten_all(records).columns
        axes = [flat.get(f"{path}.{axis}") for axis in ("Latitude", "Longitude")]
        lists = [a.to_pylist() if a is not None else [None] * len(tried) for a in axes]
        for k, i in enumerate(tried):
            cells = {
                f"{path}.{axis}": texts[k]
                for axis, texts in zip(("Latitude", "Longitude"), lists, strict=True)
                if texts[k] is not None
            }
            built = self.builder.build(cells).get(path)
            fixed[i] = built is not None and to_json(built) == fragments[i]
        return fixed


def _nested(parts: list[str], value: Any) -> Any:
    """A record with `value` at the place of a column (an item number: the first item)."""
    for part in reversed(parts):
        value = [value] if part.isdigit() else {part: value}
    return value
