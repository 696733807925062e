"""OICP JSON of other shapes than a push request: Hubject's pull responses and national open
data, documents that hold several operators' EvseDataRecords.

- OICP 2.2 eRoamingEvseData, the answer to eRoamingPullEvseData_V2.2 (hubject/oicp,
  OICP-2.2 `evse-api-docs-2.2.json`, definitions ERoamingEvseData and EvseData):
  `{"EvseData": {"OperatorEvseData": [OperatorEvseDataType...]}, "StatusCode": {...}}`; also
  the bare `{"OperatorEvseData": [...]}` without an ActionType.
- OICP 2.3 eRoamingPullEvseData pages (EMP 02 Services and Operations, eRoamingEVSEData
  Message; OICP 2.3 Release Notes: OperatorEvseData is no longer in the response, pagination
  is new): `{"content": [PullEvseDataRecordType...], "number", "size", "totalElements",
  "numberOfElements", "first", "last", "totalPages", "StatusCode"}`, or an array of such pages.
  A PullEvseDataRecordType is an EvseDataRecordType that carries its own OperatorID and
  OperatorName (EMP 03 Data Types).
- National open data in OICP's shape: `{"EVSEData": [{"OperatorID", "OperatorName",
  "EVSEDataRecord": [...]}]}` (the Swiss federal register spells the keys so).

The structural keys (EvseData, OperatorEvseData, EvseDataRecord, OperatorID, OperatorName)
are matched whatever their case. Each operator block (03 OperatorEvseDataType) is an envelope
of its own: a `Block` of the canonical table, checked as that operator's push would be
(`poicheck.engine.blocks`). There is no ActionType: a pull response or a register is no push, so
the rules about it do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from poicheck.errors import InputError
from poicheck.oicp.convert import FlatTable, Flattener, text_of
from poicheck.oicp.pointers import escape
from poicheck.readers.json import _frame
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import JSON_LONE_SURROGATE
from poicheck.table import Block, CanonicalTable, RawFinding, Source, canonical_order

Path_ = list[str | int]

PAGE_KEYS = ("number", "size", "totalElements", "numberOfElements", "first", "last", "totalPages")
ENVELOPE_KEYS = ("OperatorID", "OperatorName")
# Record-level fields of OICP 2.2 that OICP 2.3 replaced (Release Notes, eRoamingEVSEData).
OICP_22_FIELDS = ("ChargingStationName", "EnChargingStationName", "ChargingModes")
SHOWN = 5  # operators named in a note


def shape_of(document: Any) -> str | None:
    """Which of the shapes this module reads `document` has, or None (a push request, an
    OperatorEvseData object, records: the OICP JSON reader's own)."""
    if isinstance(document, list):
        return "pages" if document and all(_is_page(item) for item in document) else None
    if not isinstance(document, dict):
        return None
    data = _value(document, "EvseData")
    if isinstance(data, dict) and isinstance(_value(data, "OperatorEvseData"), list):
        return "pull-2.2"
    if isinstance(data, list):
        return "national"
    if _is_page(document):
        return "page"
    if "ActionType" not in document and isinstance(_value(document, "OperatorEvseData"), list):
        return "operator-blocks"
    return None


def _is_page(document: Any) -> bool:
    """A page: a `content` array, with a page's counts or EVSE records in it (any other
    document's `content` is not EVSE data)."""
    if not isinstance(document, dict) or not isinstance(document.get("content"), list):
        return False
    first = document["content"][:1]
    return any(k in document for k in PAGE_KEYS) or any(
        isinstance(r, dict) and _key(r, "EvseID") is not None for r in first
    )


@dataclass
class _Document:
    """The records of a document in document order, where each is, and its blocks."""

    records: list[Any] = field(default_factory=list)
    paths: list[Path_] = field(default_factory=list)
    blocks: list[tuple[dict[str, str | None], Path_, list[int]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Blocks made of records that carry their operator (pages): a block's pointer is then
    # that of its first record.
    by_record: bool = False

    def add_block(self, block: dict[str, Any], here: Path_, path: Path) -> None:
        """One OperatorEvseDataType: its envelope and records."""
        key = _key(block, "EvseDataRecord")
        records = block[key] if key is not None else []
        if not isinstance(records, list):
            raise InputError(f"{_pointer([*here, str(key)])} is not an array", location=str(path))
        start = len(self.records)
        self.records.extend(records)
        self.paths.extend([*here, str(key), i] for i in range(len(records)))
        self.blocks.append((_envelope(block), here, list(range(start, len(self.records)))))


def read(
    document: Any, repairs: list[tuple[Path_, str]], path: Path, ruleset: RuleSet
) -> CanonicalTable:
    """The canonical table of a document of one of the shapes (`shape_of`)."""
    shape = shape_of(document)
    doc = _Document()
    if shape == "pull-2.2" or shape == "operator-blocks":
        outer = [] if shape == "operator-blocks" else [str(_key(document, "EvseData"))]
        parent = _value(document, "EvseData") if outer else document
        inner = str(_key(parent, "OperatorEvseData"))
        _blocks(doc, parent[inner], [*outer, inner], path)
    elif shape == "national":
        key = str(_key(document, "EvseData"))
        _blocks(doc, document[key], [key], path)
    else:
        pages = document if shape == "pages" else [document]
        _pages(doc, pages, [] if shape == "page" else None)
    for part in document if isinstance(document, list) else [document]:
        doc.notes.extend(n for n in _status(part) if n not in doc.notes)
    doc.notes.extend(_record_notes(doc.records))
    return _table(doc, repairs, path, ruleset)


def _blocks(doc: _Document, blocks: Any, here: Path_, path: Path) -> None:
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise InputError(
                f"{_pointer([*here, i])} is not an operator block (an object with OperatorID, "
                "OperatorName and EvseDataRecord)",
                location=str(path),
            )
        doc.add_block(block, [*here, i], path)


def _pages(doc: _Document, pages: list[dict[str, Any]], single: Path_ | None) -> None:
    """The records of eRoamingPullEvseData pages, in blocks by their own OperatorID, and a
    note when pages of the response are missing (a page that is not the last one, alone,
    is an incomplete picture)."""
    groups: dict[str | None, tuple[dict[str, str | None], Path_, list[int]]] = {}
    for number, page in enumerate(pages):
        base: Path_ = single if single is not None else [number]
        for i, record in enumerate(page["content"]):
            here: Path_ = [*base, "content", i]
            envelope = _envelope(record) if isinstance(record, dict) else _envelope({})
            if isinstance(record, dict):
                # The record's operator is its envelope: the record itself is what a push holds.
                record = {k: v for k, v in record.items() if _canonical(k) not in ENVELOPE_KEYS}
            group = groups.setdefault(envelope["OperatorID"], (envelope, here, []))
            if not group[0]["OperatorName"] and envelope["OperatorName"]:
                group[0]["OperatorName"] = envelope["OperatorName"]
            group[2].append(len(doc.records))
            doc.records.append(record)
            doc.paths.append(here)
        doc.notes.extend(_count_note(page, base))
    doc.blocks.extend(groups.values())
    doc.by_record = True
    missing = _missing_pages(pages)
    if missing:
        doc.notes.append(missing)


def _missing_pages(pages: list[dict[str, Any]]) -> str:
    """A note when the pages are not the whole response ("" when they are, or when they do
    not say): pages are numbered from 0 (`?page=0&size=20`, EMP 02 eRoamingPullEvseData)."""
    numbers = [p.get("number") for p in pages]
    totals = {p.get("totalPages") for p in pages} - {None}
    total = next(iter(totals)) if len(totals) == 1 else None
    if isinstance(total, int) and not isinstance(total, bool):
        whole = set(range(total)) <= {n for n in numbers if isinstance(n, int)}
    else:
        whole = not any(p.get("last") is False or p.get("first") is False for p in pages)
    if whole:
        return ""
    held = ", ".join(str(n + 1) if isinstance(n, int) else "?" for n in numbers)
    of = f" of {total}" if isinstance(total, int) else ""
    elements = {p.get("totalElements") for p in pages} - {None}
    count = f" ({next(iter(elements))} records in all)" if len(elements) == 1 else ""
    word = "page" if len(pages) == 1 else "pages"
    return (
        f"an incomplete eRoamingPullEvseData response, {word} {held}{of}{count}: the records "
        "of the other pages are not checked, and the rules that compare records (duplicate "
        "EvseIDs, stations, pools) see only these"
    )


def _count_note(page: dict[str, Any], base: Path_) -> list[str]:
    """A note when a page holds fewer or more records than it says (a file cut short?)."""
    said = page.get("numberOfElements")
    held = len(page["content"])
    if not isinstance(said, int) or isinstance(said, bool) or said == held:
        return []
    where = _pointer(base) or "the page"
    return [f"{where}: numberOfElements says {said} records, but content holds {held}"]


def _status(document: dict[str, Any]) -> list[str]:
    """A note when the response says it failed (a StatusCode other than 000)."""
    status = document.get("StatusCode")
    if not isinstance(status, dict) or status.get("Code") in (None, "000"):
        return []
    said = ": ".join(text_of(status[k]) for k in ("Code", "Description") if status.get(k))
    return [f"the response's StatusCode is {said}; its data may be partial"]


def _record_notes(records: list[Any]) -> list[str]:
    """Notes about what the records as a whole are: OICP 2.2 records, a delta pull."""
    objects = [r for r in records if isinstance(r, dict)]
    notes = []
    old = sorted({k for r in objects for k in r if k in OICP_22_FIELDS})
    if old:
        notes.append(
            f"records with OICP 2.2 fields ({', '.join(old)}) are checked as OICP 2.3 "
            "EvseDataRecords, in which these fields do not exist (OICP 2.3 Release Notes, "
            "eRoamingEVSEData)"
        )
    deltas = [r.get("deltaType") for r in objects if "deltaType" in r]
    if deltas:
        deleted = sum(d == "delete" for d in deltas)
        notes.append(
            f"{len(deltas)} records carry a deltaType ({deleted} 'delete'): the changes of a "
            "delta pull (LastCall), not every EVSE"
        )
    return notes


def _table(
    doc: _Document, repairs: list[tuple[Path_, str]], path: Path, ruleset: RuleSet
) -> CanonicalTable:
    """The canonical table: each block flattened on its own (its columns, in the order its
    records show them, are those of its push), the blocks' cells then in document order."""
    flattener = Flattener(ruleset)
    at = [np.array(records, dtype=np.int64) for _, _, records in doc.blocks]
    flats = [flattener.flatten_all([doc.records[i] for i in records]) for records in at]
    flat = _merged(flats, at, len(doc.records))
    blocks = [
        Block(records, envelope, _pointer(here), tuple(canonical_order(list(f.columns), ruleset)))
        for (envelope, here, _), records, f in zip(doc.blocks, at, flats, strict=True)
    ]
    if len(blocks) > 1:
        listed = "; ".join(_block_line(b, doc.by_record) for b in blocks[:SHOWN])
        more = f"; and {len(blocks) - SHOWN} more" if len(blocks) > SHOWN else ""
        doc.notes.insert(
            0,
            f"{len(blocks)} operator blocks, each checked as that operator's own push: "
            f"{listed}{more}",
        )
    return CanonicalTable(
        frame=_frame(flat, ruleset),
        source=Source(str(path), "json"),
        rows=np.arange(1, flat.size + 1, dtype=np.int64),
        envelope=dict(blocks[0].envelope) if len(blocks) == 1 else None,
        reader_findings=_repairs(repairs, doc.paths) + flat.issues,
        notations=flat.notations,
        origins=np.array([_pointer(p) for p in doc.paths], dtype=object),
        blocks=blocks,
        notes=doc.notes,
    )


def _merged(flats: list[FlatTable], at: list[np.ndarray], size: int) -> FlatTable:
    """The blocks' flattened records as one FlatTable in document order (block `i`'s records
    are the document's records `at[i]`)."""
    if len(flats) == 1 and np.array_equal(at[0], np.arange(size)):
        return flats[0]
    order = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    back = np.empty(size, dtype=np.int64)
    back[order] = np.arange(size)  # where each document record is among the blocks' records
    taken = pa.array(back)
    columns = {}
    for name in dict.fromkeys(name for f in flats for name in f.columns):
        pieces = [f.columns.get(name, pa.nulls(f.size, pa.large_string())) for f in flats]
        columns[name] = pa.concat_arrays(pieces).take(taken)
    notations = {}
    for name in dict.fromkeys(name for f in flats for name in f.notations):
        blank = np.full(0, "", dtype=object)
        pieces = [f.notations.get(name, np.full(f.size, "", dtype=object)) for f in flats]
        notations[name] = np.concatenate([blank, *pieces])[back]
    issues = [
        replace(issue, record=int(records[issue.record])) if issue.record is not None else issue
        for f, records in zip(flats, at, strict=True)
        for issue in f.issues
    ]
    issues.sort(key=lambda issue: -1 if issue.record is None else issue.record)
    return FlatTable(size, columns, issues, notations)


def _block_line(block: Block, by_record: bool) -> str:
    operator = block.envelope.get("OperatorID") or "(no OperatorID)"
    count = len(block.records)
    at = "the first at " if by_record else "at "
    return f"{operator} ({count} record{'' if count == 1 else 's'}, {at}{block.pointer})"


def _repairs(found: list[tuple[Path_, str]], paths: list[Path_]) -> list[RawFinding]:
    """JSN007 for each string whose lone surrogates were repaired: at its record (pointer
    relative to the record, as for a push request), or at no record with its pointer in the
    document."""
    index = {tuple(p): i for i, p in enumerate(paths)}
    depths = sorted({len(p) for p in paths})
    out = []
    for where, text in found:
        record, inside = None, where
        for depth in depths:
            if depth < len(where) and tuple(where[:depth]) in index:
                record, inside = index[tuple(where[:depth])], where[depth:]
                break
        field_ = ".".join(str(s + 1) if isinstance(s, int) else s for s in inside) or "*"
        out.append(RawFinding(JSON_LONE_SURROGATE, record, field_, _pointer(inside), text[:80]))
    return out


def _envelope(block: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in ENVELOPE_KEYS:
        key = _key(block, name)
        value = block.get(key) if key is not None else None
        out[name] = text_of(value) if value not in (None, "") else None
    return out


def _canonical(key: str) -> str:
    """A structural key as OICP spells it (`EVSEDataRecord` -> `EvseDataRecord`)."""
    return _SPELLING.get(key.casefold(), key)


_SPELLING = {
    name.casefold(): name
    for name in ("EvseData", "OperatorEvseData", "EvseDataRecord", *ENVELOPE_KEYS)
}


def _key(document: dict[str, Any], name: str) -> str | None:
    """The key of `document` that is `name` whatever its case (the first such)."""
    if name in document:
        return name
    return next(
        (k for k in document if isinstance(k, str) and k.casefold() == name.casefold()), None
    )


def _value(document: dict[str, Any], name: str) -> Any:
    key = _key(document, name)
    return document[key] if key is not None else None


def _pointer(path: Path_) -> str:
    return "".join("/" + escape(str(step)) for step in path)
