"""Documents that hold several operators' records (an OICP pull response, a national dump).

Each operator block of such a document has its own envelope (OperatorID, OperatorName): its
records are checked exactly as that operator's own eRoamingPushEvseData request would be (the
ownership of EvseIDs against that OperatorID, the rules across records within the block, the
envelope's rules at the block), and the findings of all blocks make the document's. Findings
are located in the document: a record's pointer is prefixed with the record's own pointer
(`/EVSEData/1/EVSEDataRecord/4/Address/City`), an envelope finding points into its block.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from poicheck.engine import workers as parallel
from poicheck.engine.binding import ENVELOPE_POINTERS
from poicheck.engine.run import Checker
from poicheck.errors import UsageError
from poicheck.findings import empty_findings, typed_findings
from poicheck.oicp.identifiers import normalise_operator_id
from poicheck.ruleset.model import RuleSet
from poicheck.table import Block, CanonicalTable, canonical_order

Envelope = dict[str, str | None]


def blocks_of(table: CanonicalTable) -> list[Block]:
    """The table's operator blocks, or the whole table as one block of its envelope."""
    if table.blocks is not None:
        return table.blocks
    return [Block(np.arange(len(table.frame)), dict(table.envelope or {}), "")]


def check_blocks(
    table: CanonicalTable,
    new_checker: Callable[[Envelope | None], Checker],
    workers: int = 1,
) -> pd.DataFrame:
    """The findings of a document's records, block by block, located in the document.

    `new_checker(envelope)` makes the checker of one block, for that block's envelope (which
    it may complete with an operator given on the command line). The findings' `notes` are
    the document's notes and then those of the checks. Blocks are checked in `workers`
    processes (a block costs some 55 ms of checking however few its records, and a pull
    response has hundreds); one block alone shares its records among them instead.
    """
    blocks = blocks_of(table)
    # The reader's findings at no record go with the first records checked.
    first = next((i for i, b in enumerate(blocks) if len(b.records)), -1)
    tasks = [(block, i == first) for i, block in enumerate(blocks)]
    if len(blocks) == 1 or workers <= 1 or len(blocks) < MIN_BLOCKS:
        inner = workers if len(blocks) == 1 else 1
        done = [
            _check_block(table, block, unplaced, new_checker, inner) for block, unplaced in tasks
        ]
    else:
        done = _in_workers(table, tasks, new_checker, workers)
    notes = list(table.notes)
    for _, said in done:
        notes.extend(n for n in said if n not in notes)
    parts = [found for found, _ in done if len(found)]
    if not parts:
        found = empty_findings()
    else:
        found = pd.concat(parts, ignore_index=True)
        # Blocks may interleave (a pull page lists its records in any operator order): in
        # record order, the envelopes' findings first, as in a push request's report.
        order_by = found["record"].astype("float64").fillna(-1.0).to_numpy()
        found = typed_findings(found.iloc[np.argsort(order_by, kind="stable")])
        found = found.reset_index(drop=True)
    found.attrs["notes"] = notes
    return found


MIN_BLOCKS = 8  # fewer blocks are checked in the calling process
LISTED = 20  # blocks listed in a message

Checked = tuple[pd.DataFrame, list[str]]


def _in_workers(
    table: CanonicalTable,
    tasks: list[tuple[Block, bool]],
    new_checker: Callable[[Envelope | None], Checker],
    workers: int,
) -> list[Checked]:
    """The blocks' results in block order, every `workers`-th block checked by one process
    (poicheck.engine.workers: forked, seeing the table copy-on-write)."""
    shares = [tasks[i::workers] for i in range(min(workers, len(tasks)))]
    # The first block in this process first: what the checks load once (place data,
    # compiled patterns) is then in memory before the children are forked.
    mine = _check_all(table, shares[0][:1], new_checker)
    forked = [
        parallel.Forked(functools.partial(_check_all, table, share, new_checker))
        for share in shares[1:]
    ]
    mine += _check_all(table, shares[0][1:], new_checker)
    results = [mine, *(f.result() for f in forked)]
    placed = {
        start + step * len(shares): outcome
        for start, result in enumerate(results)
        for step, outcome in enumerate(result)
    }
    return [placed[i] for i in range(len(tasks))]


def _check_all(
    table: CanonicalTable,
    tasks: list[tuple[Block, bool]],
    new_checker: Callable[[Envelope | None], Checker],
) -> list[Checked]:
    return [_check_block(table, block, unplaced, new_checker, 1) for block, unplaced in tasks]


def _check_block(
    table: CanonicalTable,
    block: Block,
    unplaced: bool,
    new_checker: Callable[[Envelope | None], Checker],
    workers: int,
) -> Checked:
    """One block's findings, located in the document, and the notes of its checks."""
    checker = new_checker(block.envelope or None)
    if len(block.records):
        part = take(table, block.records, block.envelope, unplaced=unplaced, columns=block.columns)
        checker.add(part, workers)
    found = checker.findings()
    return _located(found, block, table.origins), list(found.attrs.get("notes", []))


def take(
    table: CanonicalTable,
    records: np.ndarray,
    envelope: Envelope | None,
    *,
    unplaced: bool,
    columns: Sequence[str] | None = None,
) -> CanonicalTable:
    """The records at `records` (ascending indices) as a table of their own, with
    `envelope` and `columns` (None: all): their reader findings renumbered, and
    (`unplaced`) the reader's findings placed at no record.

    NOTE: a column that none of the records has stays out. A rule on a list item's member
    (PWR013 on ChargingFacilities.1.Amperage) runs where the table has the column: a block
    with a column only other blocks have would get findings its own push would not."""
    local = {int(r): i for i, r in enumerate(records)}
    findings = [
        f if f.record is None else replace(f, record=local[f.record])
        for f in table.reader_findings
        if (f.record is None and unplaced) or (f.record is not None and f.record in local)
    ]
    frame = table.frame if columns is None else table.frame[list(columns)]
    return CanonicalTable(
        frame=frame.iloc[records].reset_index(drop=True),
        source=table.source,
        rows=table.rows[records],
        envelope=envelope,
        reader_findings=findings,
        notations={name: values[records] for name, values in table.notations.items()},
        origins=table.origins[records] if table.origins is not None else None,
    )


def _located(found: pd.DataFrame, block: Block, origins: np.ndarray | None) -> pd.DataFrame:
    """A block's findings at the document's records and pointers."""
    if not len(found):
        return found
    found = found.copy()
    placed = found["record"].notna().to_numpy()
    local = found["record"].to_numpy(dtype="float64", na_value=np.nan)[placed].astype(np.int64)
    records = block.records[local]
    found.loc[placed, "record"] = records
    if origins is not None:
        pointers = found.loc[placed, "pointer"].fillna("").astype(str).to_numpy(dtype=object)
        found.loc[placed, "pointer"] = origins[records].astype(object) + pointers
    if block.pointer:
        envelope = ~placed & (
            found["pointer"].to_numpy(dtype=object)
            == found["field"].map(ENVELOPE_POINTERS).to_numpy(dtype=object)
        )
        found.loc[envelope, "pointer"] = block.pointer + "/" + found.loc[envelope, "field"]
    return found


def for_operator(
    table: CanonicalTable, operator_id: str | None, ruleset: RuleSet
) -> tuple[CanonicalTable, str]:
    """The records of one operator of a document with several operators' blocks (a push
    carries one operator's records), and a note on the blocks left out ("" when none).

    Without `operator_id`, a document of one operator is taken whole; one of several
    operators is a usage error that lists them.
    """
    if table.blocks is None:
        return table, ""
    by_operator: dict[str, list[Block]] = {}
    for block in table.blocks:
        key = normalise_operator_id(block.envelope.get("OperatorID") or "")
        by_operator.setdefault(key, []).append(block)
    if operator_id is None and len(by_operator) == 1:
        chosen = next(iter(by_operator))
    elif operator_id is None:
        raise UsageError(
            f"{table.source.path} holds the records of {len(by_operator)} operators; a push "
            "carries one operator's: give --operator-id",
            details=[f"  {line}" for line in describe(table.blocks, limit=LISTED)],
        )
    else:
        chosen = normalise_operator_id(operator_id)
        if chosen not in by_operator:
            raise UsageError(
                f"{table.source.path} holds no records of operator {operator_id}",
                details=[f"  {line}" for line in describe(table.blocks, limit=LISTED)],
            )
    kept = by_operator[chosen]
    records = np.sort(np.concatenate([b.records for b in kept]))
    # The columns in the order a push of these records would have them: each block's, in
    # document order, then sorted as the canonical table is.
    seen = (c for b in kept for c in (table.frame.columns if b.columns is None else b.columns))
    columns = canonical_order(list(dict.fromkeys(seen)), ruleset)
    part = take(table, records, dict(kept[0].envelope), unplaced=True, columns=columns)
    others = [b for b in table.blocks if b not in kept]  # Block: compared by identity
    note = ""
    if others:
        blocks = "block" if len(others) == 1 else "blocks"
        note = (
            f"{table.source.path}: the records of {len(others)} other operator {blocks} are "
            f"left out ({'; '.join(describe(others, limit=5))})"
        )
    return part, note


def describe(blocks: Sequence[Block], limit: int | None = None) -> list[str]:
    """One line per block: its OperatorID, name, number of records and pointer."""
    shown = blocks if limit is None else blocks[:limit]
    lines = []
    for block in shown:
        operator = block.envelope.get("OperatorID") or "(no OperatorID)"
        name = block.envelope.get("OperatorName")
        named = f" '{name}'" if name else ""
        count = len(block.records)
        lines.append(
            f"{operator}{named}: {count} record{'' if count == 1 else 's'} at {block.pointer}"
        )
    if limit is not None and len(blocks) > limit:
        lines.append(f"and {len(blocks) - limit} more")
    return lines
