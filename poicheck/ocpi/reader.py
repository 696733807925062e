"""OCPI Locations as the canonical table: converted to EvseDataRecords, which are flattened
exactly as the OICP JSON reader flattens a request (`poicheck.oicp.convert.Flattener`), so the same
EVSE gives the same cells, findings and exports from either protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from poicheck.ocpi.convert import Converter
from poicheck.ocpi.detect import FORMAT, locations
from poicheck.oicp.convert import Flattener
from poicheck.oicp.pointers import escape
from poicheck.readers.json import _frame
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import JSON_LONE_SURROGATE, JSON_WIRE_TYPE
from poicheck.table import CanonicalTable, RawFinding, Source


def read_ocpi(
    document: Any,
    path: Path,
    ruleset: RuleSet,
    repairs: list[tuple[list[str | int], str]] | None = None,
) -> CanonicalTable:
    """The canonical table of a parsed OCPI document: one record per EVSE (docs/ocpi.md).

    A record's row is its number among the EVSEs of the file (1-based); findings point into
    the OCPI document (`CanonicalTable.locate`) and name the OICP property as their field.
    `repairs` are the strings whose lone surrogates the JSON parser replaced (JSN007).
    """
    converted = Converter(ruleset).convert(locations(document, str(path)))
    flat = Flattener(ruleset).flatten_all(converted.records)
    # NOTE: the records are poicheck's own, so a wire type the Flattener finds wrong is a
    # value OCPI gave as text that is no number (max_voltage "abc"): it is passed on as text
    # on purpose, for the OICP rule of its property to judge at its OCPI pointer.
    issues = [issue for issue in flat.issues if issue.rule != JSON_WIRE_TYPE]
    return CanonicalTable(
        frame=_frame(flat, ruleset),
        source=Source(str(path), FORMAT),
        rows=np.arange(1, flat.size + 1, dtype=np.int64),
        envelope=converted.envelope,
        reader_findings=[*_surrogates(repairs or []), *converted.findings, *issues],
        notations=flat.notations,
        locate=converted.places.locate,
    )


def _surrogates(repairs: list[tuple[list[str | int], str]]) -> list[RawFinding]:
    """JSN007 for each string whose lone surrogate was replaced, at its OCPI pointer."""
    out = []
    for steps, text in repairs:
        pointer = "".join("/" + escape(str(step)) for step in steps)
        out.append(RawFinding(JSON_LONE_SURROGATE, None, "*", pointer, text[:80]))
    return out
