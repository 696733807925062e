"""A sheet as the readers see it before the canonical table: raw text cells, the header row
found among title rows, and what the reader noticed (notes). Shared by the CSV and XLSX
readers, the mapping's rebuild, annotate and fix."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import ROWS_ABOVE_HEADER
from poicheck.table import Source

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping, ColumnRule
    from poicheck.table.origin import Origin


HEAD_ROWS = 10  # the header is looked for among the first non-empty rows


@dataclass(frozen=True)
class Note:
    """Something a reader noticed, located by spreadsheet row and raw column position."""

    rule: str
    row: int | None = None
    position: int | None = None
    value: str | None = None
    details: Mapping[str, Any] = dataclass_field(default_factory=dict)
    field: str | None = None
    record: int | None = None  # a rebuilt sheet's body row (rows do not name records there)


@dataclass
class Sheet:
    """The raw text cells of one sheet or CSV file: the header and the rows below it.

    `body` has positional columns 0..n-1 of text ('' or missing for empty cells); `natives`
    holds, per position, the native values of cells that were not text (xlsx numbers, dates)
    by body row; `notes` what the reader saw on the way. A sheet a mapping rebuilt
    (poicheck.mapping.rebuild) has the Excel row of each body row in `rows` (several records
    may share one) and the foreign cell of each value in `origin`.
    """

    header: list[str]
    body: pd.DataFrame
    source: Source
    first_row: int = 2
    natives: dict[int, dict[int, Any]] = dataclass_field(default_factory=dict)
    notes: list[Note] = dataclass_field(default_factory=list)
    rows: np.ndarray | None = None
    origin: Origin | None = None


@dataclass(frozen=True)
class Column:
    """One canonical column to build: its name, its raw position and the mapping rule."""

    name: str
    position: int
    rule: ColumnRule | None = None
    part: int = 0  # which target of a split


def known_header(ruleset: RuleSet, mapping: ColumnMapping | None) -> Callable[[str], bool]:
    """Whether a header names a column poicheck reads (canonical, alias, or mapped)."""
    aliases = ruleset.alias_map()

    def known(header: str) -> bool:
        name = str(header).strip()
        if mapping is not None and mapping.rule_for(name) is not None:
            return True
        return bool(name) and ruleset.property_for_column(aliases.get(name, name)) is not None

    return known


def names_evse_id(ruleset: RuleSet, mapping: ColumnMapping | None) -> Callable[[str], bool]:
    """Whether a header is the EvseID column (canonical, alias or mapped): the column every
    sheet of EVSE data has, and lists or documentation sheets do not."""
    aliases = ruleset.alias_map()

    def is_evse_id(header: str) -> bool:
        name = str(header).strip()
        rule = mapping.rule_for(name) if mapping is not None else None
        if rule is not None:
            return "EvseID" in rule.targets
        return aliases.get(name, name) == "EvseID"

    return is_evse_id


def choose_header(rows: Sequence[Sequence[str]], known: Callable[[str], bool]) -> int | None:
    """The header among the first non-empty rows: the one that names the most known columns
    (the first non-empty row when none names any)."""
    filled = [i for i, row in enumerate(rows) if any(str(c).strip() for c in row)][:HEAD_ROWS]
    if not filled:
        return None
    return max(filled, key=lambda i: (sum(known(str(c)) for c in rows[i]), -i))


def above_header(rows: Sequence[Sequence[str]], index: int, first_row: int = 1) -> list[Note]:
    """A note for the non-empty rows above the chosen header (titles, extra header rows)."""
    skipped = [first_row + i for i, row in enumerate(rows[:index]) if any(c.strip() for c in row)]
    if not skipped:
        return []
    details = {"rows": ranges(skipped), "header": first_row + index}
    return [
        Note(
            ROWS_ABOVE_HEADER,
            value=" | ".join(c for c in rows[skipped[0] - first_row] if c)[:80],
            details=details,
        )
    ]


def ranges(numbers: Sequence[int]) -> str:
    """'rows 3-5, 9' for [3, 4, 5, 9]; 'row 3' for [3]."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(f"{start}" if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ("row " if len(numbers) == 1 else "rows ") + ", ".join(parts)
