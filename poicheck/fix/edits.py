"""What the writers of the corrected copy share: the cell edits and where columns are.

An edit names a record's canonical cell and its new text. Each writer finds the cell in the
input's own structure (a sheet cell, a CSV field, a JSON value) and changes only that; an
edit it cannot place (a formula, a merged cell, a column the mapping converts, a coordinate
in DMS notation) is skipped and said why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from poicheck.ruleset.model import Property, RuleSet

if TYPE_CHECKING:
    from poicheck.mapping import ColumnMapping


@dataclass(frozen=True)
class Edit:
    """The new text of one canonical cell (`wire`: the same text, as the JSON type OICP
    takes)."""

    record: int
    row: int
    column: str
    text: str
    wire: bool = False
    prop: Property | None = None


@dataclass
class Written:
    """A corrected copy: its bytes, the edits it could not make (and why), notes."""

    data: bytes
    skipped: list[tuple[Edit, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def edits_of(changes: pd.DataFrame, ruleset: RuleSet) -> list[Edit]:
    """The plan's changes as edits, in file order."""
    return [
        Edit(
            record=int(record),
            row=int(row),
            column=str(column),
            text=str(after),
            wire=bool(wire),
            prop=ruleset.property_for_column(str(column)),
        )
        for record, row, column, after, wire in zip(
            changes["record"],
            changes["row"],
            changes["column"],
            changes["after"],
            changes["wire"],
            strict=True,
        )
    ]


@dataclass(frozen=True)
class Place:
    """Where a canonical column is in a sheet or CSV file: its 0-based position, or why its
    cells cannot be written there."""

    position: int | None
    why_not: str = ""


def places(
    header: Sequence[object], ruleset: RuleSet, mapping: ColumnMapping | None
) -> dict[str, Place]:
    """Canonical column -> its place, planned as the readers plan it."""
    from poicheck.readers.tabular import plan_columns

    columns, _ = plan_columns(header, pd.DataFrame(columns=range(len(header))), ruleset, mapping)
    out: dict[str, Place] = {}
    for column in columns:
        rule = column.rule
        if rule is not None and rule.converts:
            why = f"column '{rule.header}' is converted by the mapping; fix it there"
            out[column.name] = Place(None, why)
        else:
            out[column.name] = Place(column.position)
    return out


def numeric(prop: Property | None) -> bool:
    return prop is not None and prop.shape == "scalar" and prop.base in ("integer", "decimal")
