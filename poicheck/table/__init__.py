"""The canonical table: one row per EVSE, one text column per property path, and its layout.

Every reader produces a CanonicalTable; every check and renderer works from it. Cells are text
(pandas' pyarrow-backed `str` dtype) and empty cells are missing values; the rules type them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.ruleset.model import Property, RuleSet, wildcard_matcher

T = TypeVar("T")

if TYPE_CHECKING:
    from poicheck.table.origin import Origin

TEXT: Literal["str"] = "str"


@dataclass(frozen=True)
class Source:
    """Where a table came from."""

    path: str
    format: str
    sheet: str | None = None


@dataclass(frozen=True)
class RawFinding:
    """A finding seen by a reader (raw structure); the engine renders it like any other."""

    rule: str
    record: int | None
    field: str
    pointer: str
    value: str | None = None
    details: Mapping[str, Any] = dataclass_field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Block:
    """One operator's records in a document that holds several operators' (an OICP pull
    response, a national dump): they are checked as that operator's own push would be."""

    records: np.ndarray  # indices of the table's records, ascending
    envelope: dict[str, str | None]
    pointer: str  # JSON pointer of the object holding the block's OperatorID and OperatorName
    # The columns the block's records have (None: all): a push of them would have no other.
    columns: tuple[str, ...] | None = None


@dataclass
class CanonicalTable:
    """The canonical table of one input, with provenance for every row."""

    frame: pd.DataFrame
    source: Source
    rows: np.ndarray
    envelope: dict[str, str | None] | None = None
    reader_findings: list[RawFinding] = dataclass_field(default_factory=list)
    # Per geo property, the OICP notation each record used on the wire (JSON input only).
    notations: dict[str, np.ndarray] = dataclass_field(default_factory=dict)
    # Columns the reader already encoded as distinct values (a cache: exactly the frame's
    # cells; whoever changes a column of the frame drops its entry).
    encoded: dict[str, Distinct] = dataclass_field(default_factory=dict, repr=False, compare=False)
    # A table read through a column mapping: the cell of the user's sheet behind each value.
    origin: Origin | None = dataclass_field(default=None, repr=False, compare=False)
    # The findings of the input with their pointers turned into pointers into its own document,
    # when that is no OICP JSON (OCPI Locations: poicheck.ocpi.locate).
    locate: Callable[[pd.DataFrame], pd.DataFrame] | None = dataclass_field(
        default=None, repr=False, compare=False
    )
    # JSON documents of other shapes than a push request (poicheck.engine.blocks): per record, the
    # JSON pointer of the record in its document (findings' pointers are made relative to the
    # record, then prefixed with it); the operators' blocks, when the document has them (else
    # `envelope` is the one operator's); and notes about the whole document, one line each.
    origins: np.ndarray | None = None
    blocks: list[Block] | None = None
    notes: list[str] = dataclass_field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.rows) != len(self.frame):
            raise ValueError("one row number per record is needed")

    def between(self, start: int, stop: int) -> CanonicalTable:
        """Records start..stop-1 as a table of their own (zero-copy; reader findings, which
        are placed on the whole table, are left out)."""
        encoded = {
            name: Distinct(column.values, column.codes[start:stop])
            for name, column in self.encoded.items()
        }
        return CanonicalTable(
            frame=self.frame.iloc[start:stop].reset_index(drop=True),
            source=self.source,
            rows=self.rows[start:stop],
            envelope=self.envelope,
            notations={name: values[start:stop] for name, values in self.notations.items()},
            encoded=encoded,
            origin=self.origin.between(start, stop) if self.origin is not None else None,
        )


class Distinct:
    """A text column as its distinct values and each cell's number among them (-1 for an
    empty cell): per-value work runs once per distinct value, then is broadcast back.

    The numbers are kept as numpy (`codes`); pyarrow's form (`indices`, null for an empty
    cell) is made when asked for, so a column's numbers are held once."""

    def __init__(self, values: pa.Array, codes: np.ndarray) -> None:
        self.values = values
        self.codes = codes
        self.derived: dict[str, Any] = {}  # values computed from `values` once, by name

    @classmethod
    def of(cls, series: pd.Series) -> Distinct:
        column = pa.array(series.array, type=pa.large_string())
        if isinstance(column, pa.ChunkedArray):
            return cls.encode_chunks(column)
        return cls.encode(column)

    @classmethod
    def encode_chunks(cls, column: pa.ChunkedArray) -> Distinct:
        """A column read in blocks, encoded block by block (no copy of the whole column):
        pyarrow numbers the values of all blocks in one dictionary."""
        if column.num_chunks <= 1:
            return cls.encode(column.combine_chunks())
        encoded = pc.dictionary_encode(column)
        dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
        shared = [
            _addresses(dictionary) == _addresses(chunk.dictionary) for chunk in encoded.chunks
        ]
        if not all(shared):  # not one dictionary (another pyarrow?): the safe way
            return cls.encode(column.combine_chunks())
        codes = [
            chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False) for chunk in encoded.chunks
        ]
        return cls(dictionary, np.concatenate(codes).astype(np.int32, copy=False))

    @classmethod
    def encode(cls, column: pa.Array) -> Distinct:
        encoded = pc.dictionary_encode(column)
        return cls.from_indices(encoded.dictionary, encoded.indices)

    @classmethod
    def from_indices(cls, values: pa.Array, indices: pa.Array) -> Distinct:
        codes = np.asarray(indices.fill_null(-1).to_numpy(zero_copy_only=False))
        return cls(values, codes.astype(np.int32, copy=False))

    @classmethod
    def concat(cls, parts: Sequence[Distinct]) -> Distinct:
        """The cells of `parts` one after another, numbered in one list of distinct values
        (the values of parts of one table are shared; others are merged)."""
        if len(parts) == 1:
            return parts[0]
        if all(part.values is parts[0].values for part in parts):
            return cls(parts[0].values, np.concatenate([part.codes for part in parts]))
        merged = pc.dictionary_encode(pa.concat_arrays([part.values for part in parts]))
        renumber = np.asarray(merged.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        codes, start = [], 0
        for part in parts:
            number = np.append(renumber[start : start + len(part.values)], -1)
            codes.append(number[part.codes])  # an empty cell (-1) picks the -1 at the end
            start += len(part.values)
        return cls(merged.dictionary, np.concatenate(codes))

    @property
    def indices(self) -> pa.Array:
        return pa.array(self.codes, mask=self.codes < 0, type=pa.int32())

    @cached_property
    def used(self) -> np.ndarray:
        """Per distinct value: does a cell hold it? (After rows were dropped, some values
        may be held by no cell.)"""
        held = np.zeros(len(self.values) + 1, dtype=bool)
        held[self.codes] = True  # an empty cell (-1) marks the extra flag at the end
        return held[:-1]

    def compacted(self) -> Distinct:
        """The same cells with only the distinct values some cell holds (a slice of a table
        keeps the whole table's values; checks run per value, so drop the others)."""
        used = self.used
        if used.all():
            return self
        number = np.cumsum(used) - 1
        codes = self.codes
        renumbered = np.where(codes >= 0, number[np.maximum(codes, 0)], -1).astype(np.int32)
        return Distinct(self.values.filter(pa.array(used)), renumbered)

    def filter(self, keep: np.ndarray) -> Distinct:
        """The cells where `keep` is true (the distinct values stay as they are)."""
        return Distinct(self.values, self.codes[keep])

    def longest(self) -> int:
        return int(pc.max(pc.utf8_length(self.values)).as_py() or 0)

    def broadcast(self, mask: pa.Array | np.ndarray, empty: bool = False) -> np.ndarray:
        """A per-distinct-value mask as a per-cell numpy mask (`empty` for empty cells)."""
        per_value = np.asarray(mask, dtype=bool)
        # An empty cell's code is -1: it picks the `empty` put at the end.
        return np.append(per_value, empty)[self.codes]


def _addresses(array: pa.Array) -> list[int | None]:
    return [buffer.address if buffer is not None else None for buffer in array.buffers()]


def object_values(series: pd.Series) -> np.ndarray:
    """A text column as a numpy object array with None for empty cells."""
    return np.asarray(series.astype(object).where(series.notna(), None), dtype=object)


def empty_to_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with whitespace-only cells turned into missing values."""
    out = {}
    for name in frame.columns:
        column = frame[name].astype(TEXT)
        blank = column.str.strip() == ""
        out[name] = column.mask(blank.fillna(False).astype(bool))
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame))) if out else frame


class Layout:
    """Which property each column of a table belongs to, and how list columns group."""

    def __init__(self, columns: Iterable[str], ruleset: RuleSet, scope: str = "record") -> None:
        self.ruleset = ruleset
        self.columns = list(columns)
        self.property_of: dict[str, Property] = {}
        self.unknown: list[str] = []
        # Columns as distinct values, shared by all checks of the table (see `distinct`).
        self.encoded: dict[str, Distinct] = {}
        # Columns of a slice of a larger table, encoded with the whole table's values:
        # compacted (see Distinct.compacted) when a check first asks for them.
        self.slices: dict[str, Distinct] = {}
        for column in self.columns:
            prop = ruleset.property_for_column(column, scope)  # type: ignore[arg-type]
            if prop is None:
                self.unknown.append(column)
            else:
                self.property_of[column] = prop

    def distinct(self, frame: pd.DataFrame, column: str) -> Distinct:
        """A column of `frame` (the table this layout describes) as distinct values, encoded
        once per table."""
        found = self.encoded.get(column)
        if found is None:
            part = self.slices.pop(column, None)
            found = part.compacted() if part is not None else Distinct.of(frame[column])
            self.encoded[column] = found
        return found

    @cached_property
    def _wildcards(self) -> dict[str, Any]:
        return {}

    def matching(self, path: str) -> list[str]:
        """Concrete columns of a (possibly wildcard) path, in table order."""
        if "*" not in path:
            return [path] if path in self.property_of else []
        matcher = self._wildcards.get(path)
        if matcher is None:
            matcher = self._wildcards[path] = wildcard_matcher(path, self.ruleset.properties)
        return [c for c in self.columns if c in self.property_of and matcher.fullmatch(c)]

    @cached_property
    def _below(self) -> dict[str, list[str]]:
        """Container path -> the known columns below it, in table order: built once, so that
        asking for every item's siblings stays linear in the columns (2,000 list items)."""
        below: dict[str, list[str]] = {}
        for column in self.columns:
            if column in self.property_of:
                parts = column.split(".")
                for end in range(1, len(parts)):
                    below.setdefault(".".join(parts[:end]), []).append(column)
        return below

    def members(self, container: str) -> list[str]:
        """All columns below a container property (an object, a list, a geo property)."""
        return list(self._below.get(container, ()))

    def items(self, container: str) -> Mapping[str, Sequence[str]]:
        """A list container's items: index (or language) to the columns of that item (worked
        out once per container and shared: not to be changed)."""
        known = self._items.get(container)
        if known is None:
            known = self._items[container] = self._grouped(container)
        return known

    @cached_property
    def _items(self) -> dict[str, dict[str, list[str]]]:
        return {}

    def _grouped(self, container: str) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for column in self._below.get(container, ()):
            key = column[len(container) + 1 :].split(".", 1)[0]
            groups.setdefault(key, []).append(column)
        if self.ruleset.properties[container].shape == "object_list":
            return dict(sorted(groups.items(), key=lambda kv: int(kv[0])))
        return groups

    def item_of(self, column: str) -> tuple[str, str] | None:
        """(container, item key) for a column inside an object list or InfoText list."""
        parts = column.split(".")
        for i in range(len(parts) - 1, 0, -1):
            container = ".".join(parts[:i])
            prop = self.ruleset.properties.get(container)
            if prop is not None and prop.shape in ("object_list", "infotext_list"):
                return container, parts[i]
        return None


def canonical_order(columns: Sequence[str], ruleset: RuleSet) -> list[str]:
    """Columns in data-model order, unknown ones last.

    Object-list items are grouped (all of item 1, then item 2); languages of an InfoText list
    keep the order they came in, since the first language is the one shown first.
    """
    order = {path: i for i, path in enumerate(ruleset.properties)}
    layout = Layout(columns, ruleset)

    def key(column: str) -> tuple[int, int, int]:
        prop = layout.property_of[column]
        item = layout.item_of(column)
        if item and ruleset.properties[item[0]].shape == "object_list":
            return (order[item[0]], int(item[1]), order[prop.path])
        return (order[prop.path], 0, 0)

    known = sorted((c for c in columns if c in layout.property_of), key=key)
    return known + [c for c in columns if c not in layout.property_of]


def ensure_columns(frame: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Add every record column that is missing, as empty cells: each concrete (non-wildcard)
    one, and the mandatory members of each object-list item the table has.

    A mandatory member (ChargingFacilities.*.Power, OICP 2.3 03 Data Types,
    ChargingFacilityType) is mandatory whatever the other records hold: without its column a
    table in which no record gives it would have nothing for the check to look at.
    """
    present = set(frame.columns)
    missing = [
        p.path
        for p in ruleset.scope_properties("record")
        if not p.is_container and "*" not in p.path and p.path not in present
    ]
    missing += [c for c in mandatory_members(frame.columns, ruleset) if c not in present]
    if not missing:
        return frame
    empty = pd.array(pa.nulls(len(frame), pa.large_string()), dtype=TEXT)
    extra = pd.DataFrame({name: pd.Series(empty, index=frame.index) for name in missing})
    return pd.concat([frame, extra], axis=1)


def mandatory_members(columns: Iterable[str], ruleset: RuleSet) -> list[str]:
    """The mandatory member columns of every object-list item among `columns` (whether or
    not they are among them), in the order the items first appear."""
    layout = Layout(columns, ruleset)
    wanted: dict[str, list[str]] = {}
    for prop in ruleset.scope_properties("record"):
        container, _, name = prop.path.rpartition(".*.")
        if container and prop.use == "mandatory" and "*" not in container:
            wanted.setdefault(container, []).append(name)
    out: dict[str, None] = {}
    for column in layout.property_of:
        item = layout.item_of(column)
        if item is not None and item[0] in wanted:
            for name in wanted[item[0]]:
                out.setdefault(f"{item[0]}.{item[1]}.{name}")
    return list(out)
