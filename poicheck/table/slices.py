"""A table in memory checked slice by slice, its cells kept as distinct values (issue 22).

A canonical table of a million CSV rows holds its cells twice: as the frame's text columns
(about 1.2 GB) and as each column's distinct values with one number per cell (the reader's
encoding, about 0.3 GB). The export needs the encoding after checking (it builds the records
from it), not the frame. `Slices` keeps the encoding only and gives `validate` the records a
slice at a time, each slice's text columns made from the encoding when it is checked: the
same cells, so the same findings as the whole table checked at once (the engine checks
chunks exactly as one table), at a fraction of the memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.table import TEXT, CanonicalTable, Distinct


@dataclass(frozen=True)
class Slices:
    """The records of `table` as slices of `rows` records (the table's frame is not kept)."""

    table: CanonicalTable  # a copy without the frame's columns; `encoded` holds every column
    columns: list[str]
    rows: int

    @classmethod
    def of(cls, table: CanonicalTable, rows: int) -> Slices:
        """Slices of `table`: every column is encoded (into `table.encoded`, which the caller
        may then use), so that the caller can let the frame go. A document of operator blocks
        (`origins`) is checked block by block instead (poicheck.engine.blocks)."""
        if table.origins is not None:
            raise ValueError("a document of operator blocks is not checked in slices")
        columns = [str(c) for c in table.frame.columns]
        for name in columns:
            if name not in table.encoded:
                table.encoded[name] = Distinct.of(table.frame[name])
        kept = replace(table, frame=table.frame[[]], encoded=dict(table.encoded))
        return cls(kept, columns, max(1, rows))

    def __len__(self) -> int:
        return len(self.table.rows)

    def __iter__(self) -> Iterator[CanonicalTable]:
        """The slices in record order; the reader's findings go with the slice of their
        record (renumbered), those at no record with the first slice."""
        total = len(self)
        for start in range(0, max(total, 1), self.rows):
            yield self._slice(start, min(total, start + self.rows))

    def _slice(self, start: int, stop: int) -> CanonicalTable:
        whole = self.table
        part = whole.between(start, stop)
        part.frame = pd.DataFrame(
            {name: _texts(part.encoded[name]) for name in self.columns},
            index=pd.RangeIndex(stop - start),
        )
        part.reader_findings = [
            replace(f, record=f.record - start) if f.record is not None else f
            for f in whole.reader_findings
            if (f.record is None and start == 0)
            or (f.record is not None and start <= f.record < stop)
        ]
        if start == 0:
            part.locate = whole.locate
        return part


def _texts(column: Distinct) -> pd.Series:
    """A slice's cells of one column, as the frame holds them (missing where empty)."""
    cells = pc.take(column.values, column.indices)
    return pd.Series(pd.array(cells.cast(pa.large_string()), dtype=TEXT))
