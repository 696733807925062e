"""Templates of a mapping (edition 2): values built from the row, the group and cells.

`{row}` is the Excel row of the record, `{n}` (or `{group}`) its group's number, `{operator_id}` the
operator given with --operator-id, and any other `{Header}` the cell of that column in the
row. `{row:05}` pads with zeros to five digits (`{row:5}` with spaces); `{{` and `}}` are
braces. A record whose referenced cell is empty gets no value (a default may then apply).
Evaluated for all records at once (pyarrow), never row by row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RESERVED = ("row", "n", "group", "operator_id")
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_WIDTH = re.compile(r"(.*?):(0?)([1-9][0-9]?)")


class TemplateError(ValueError):
    """A template that cannot be read (the message says why)."""


@dataclass(frozen=True)
class Ref:
    """A `{name}` of a template, with its padding."""

    name: str
    width: int = 0
    zero: bool = False


@dataclass(frozen=True)
class Template:
    """A parsed template: literal texts and references, in order."""

    text: str
    parts: tuple[str | Ref, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[str | Ref] = []
        last = 0
        for match in _FIELD.finditer(text):
            literal = text[last : match.start()]
            last = match.end()
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append(literal + token[0])
                continue
            if match.group(1) is None:
                raise TemplateError(
                    f"a single '{token}' at {match.start() + 1}: write '{token * 2}'"
                )
            parts.append(literal)
            parts.append(_ref(match.group(1)))
        parts.append(text[last:])
        return cls(text, tuple(p for p in parts if p != ""))

    @property
    def names(self) -> list[str]:
        """The names it refers to, in order."""
        return [p.name for p in self.parts if isinstance(p, Ref)]

    def headers(self) -> list[str]:
        """The headers of the file it refers to (not row, n or operator_id)."""
        return [name for name in self.names if name not in RESERVED]

    def render(self, count: int, value: Callable[[str], Sequence[object] | str]) -> np.ndarray:
        """The template for `count` records; `value(name)` gives a reference's values (one
        per record, None for empty) or one text for all. None where a value is missing."""
        pieces: list[pa.Array | pa.Scalar] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(pa.scalar(part, pa.large_string()))
                continue
            given = value(part.name)
            if isinstance(given, str):
                pieces.append(pa.scalar(_padded_text(given, part), pa.large_string()))
                continue
            array = pa.array(given, type=pa.large_string(), from_pandas=True)
            array = pc.if_else(pc.equal(pc.utf8_trim_whitespace(array), ""), None, array)
            if part.width:
                array = pc.utf8_lpad(array, part.width, padding="0" if part.zero else " ")
            pieces.append(array)
        if not any(isinstance(p, pa.Array) for p in pieces):  # constant text
            constant = pc.binary_join_element_wise(*pieces, "").as_py() if pieces else ""
            return np.full(count, constant, dtype=object)
        joined = pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))
        return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def _ref(inner: str) -> Ref:
    name = inner.strip()
    width = _WIDTH.fullmatch(name)
    if width is not None:
        return Ref(width.group(1).strip(), int(width.group(3)), width.group(2) == "0")
    if not name:
        raise TemplateError("'{}' names nothing: write {row}, {n}, {operator_id} or {Header}")
    return Ref(name)


def _padded_text(text: str, ref: Ref) -> str:
    return text.rjust(ref.width, "0" if ref.zero else " ") if ref.width else text
