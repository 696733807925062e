"""The library entry point: `poicheck.validate(...)`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from poicheck.checks._frame import numbers
from poicheck.engine import ENGINES, empty_findings, table_findings
from poicheck.errors import InputError, UsageError
from poicheck.mapping import ColumnMapping, load_mapping
from poicheck.progress import ProgressCallback, ProgressEvent
from poicheck.readers import read_table
from poicheck.readers.tabular import build_table
from poicheck.report import FileResult, Report
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.score import FILLED_PREFIX, completeness, filled
from poicheck.table import CanonicalTable, Source, object_values

Input = str | Path | pd.DataFrame | CanonicalTable


def validate(
    source: Input | Sequence[Input],
    *,
    rules: Sequence[str | Path] = (),
    ruleset: RuleSet | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    sheet: str | None = None,
    encoding: str | None = None,
    operator_id: str | None = None,
    operator_name: str | None = None,
    sub_operator_ids: Iterable[str] = (),
    mapping: str | Path | ColumnMapping | None = None,
    progress: ProgressCallback | None = None,
    engine: str = "arrow",
) -> Report:
    """Validate one or more inputs (paths or canonical DataFrames) and return a Report.

    Args:
        source: a path (.xlsx, .csv, .json), a DataFrame in the canonical layout, a
            CanonicalTable already read, or a list of these.
        rules: extra rule files or directories, added to the shipped OICP 2.3 rule set.
        ruleset: a rule set already loaded (overrides `rules`).
        select: rule ids or id prefixes to run (all when empty).
        ignore: rule ids or id prefixes not to run.
        sheet: the worksheet to read from workbooks (default: the first visible one).
        encoding: the encoding of CSV files (default: detected).
        operator_id: the pushing operator, when the input carries no envelope.
        operator_name: the operator's name, when the input carries no envelope.
        sub_operator_ids: sub-operators whose EvseIDs the operator may push as well.
        mapping: a column mapping (file or loaded) that reads a foreign spreadsheet layout as
            the canonical one; applies to .xlsx and .csv inputs.
        progress: called with a ProgressEvent before reading, before checking and after
            checking each input (the library itself never prints).
        engine: "arrow" runs the cell checks directly on pyarrow arrays; "pandera" runs them
            as the lazy pandera schema compiled from the same rules (same findings, slower).

    A file that cannot be read does not stop the run: it is listed in `Report.files` with the
    reason, and `Report.exit_code()` is 2.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}' (known: {', '.join(ENGINES)})")
    base = ruleset if ruleset is not None else load_ruleset(rules)
    active = base.select(select, ignore)
    if isinstance(mapping, (str, Path)):
        mapping = load_mapping(mapping, base)
    single = (str, Path, pd.DataFrame, CanonicalTable)
    sources = [source] if isinstance(source, single) else list(source)
    results: list[FileResult] = []
    frames = []
    records: list[pd.DataFrame] = []
    notes: list[str] = []
    done = 0
    for index, item in enumerate(sources):
        step = ProgressEvent.callback(progress, index, len(sources), item)
        step("read", done)
        try:
            table = _read(item, base, sheet=sheet, encoding=encoding, mapping=mapping)
        except InputError as exc:
            results.append(
                FileResult(file=exc.location or str(item), format=None, error=exc.message)
            )
            step("done", done)
            continue
        if operator_id or operator_name:
            # The input's own envelope wins: an explicit OperatorID in a request is checked.
            envelope = dict(table.envelope or {})
            if operator_id and not envelope.get("OperatorID"):
                envelope["OperatorID"] = operator_id
            if operator_name and not envelope.get("OperatorName"):
                envelope["OperatorName"] = operator_name
            table.envelope = envelope
        results.append(
            FileResult(
                file=table.source.path,
                format=table.source.format,
                sheet=table.source.sheet,
                records=len(table.frame),
            )
        )
        step("check", done, len(table.frame))
        owner = (table.envelope or {}).get("OperatorID")
        owners = tuple(i for i in (owner, *sub_operator_ids) if i) if owner else ()
        found = table_findings(table, active, operator_ids=owners, engine=engine)
        notes.extend(f"{table.source.path}: {note}" for note in found.attrs.get("notes", []))
        frames.append(found)
        records.append(_record_frame(table, active))
        done += len(table.frame)
        step("done", done, len(table.frame))
    frames = [f for f in frames if len(f)]
    frame = pd.concat(frames, ignore_index=True) if frames else empty_findings()
    return Report(
        ruleset=active,
        files=results,
        frame=frame,
        notes=notes,
        records=pd.concat(records, ignore_index=True) if records else None,
    )


def _record_frame(table: CanonicalTable, ruleset: RuleSet) -> pd.DataFrame:
    """One row per record: where it is, its position (for the report's scatter) and how
    complete it is (the score's completeness, and per property whether it is filled)."""
    ids = table.frame["EvseID"] if "EvseID" in table.frame.columns else None
    flags = filled(table.frame, ruleset)
    return pd.DataFrame(
        {
            "file": table.source.path,
            "record": np.arange(len(table.frame), dtype=np.int64),
            "row": table.rows,
            "evse_id": object_values(ids) if ids is not None else None,
            "completeness": completeness(table.frame, ruleset),
            "latitude": numbers(table.frame, "GeoCoordinates.Latitude"),
            "longitude": numbers(table.frame, "GeoCoordinates.Longitude"),
            **{f"{FILLED_PREFIX}{path}": flags[path].to_numpy() for path in flags.columns},
        }
    )


def _read(
    item: Input,
    ruleset: RuleSet,
    *,
    sheet: str | None,
    encoding: str | None,
    mapping: ColumnMapping | None = None,
) -> CanonicalTable:
    if isinstance(item, CanonicalTable):  # already read (export reads once, then validates)
        return item
    if isinstance(item, pd.DataFrame):
        frame = item.reset_index(drop=True).astype("str").where(item.notna().to_numpy(), None)
        positional = pd.DataFrame(frame.to_numpy(), columns=range(frame.shape[1]), dtype="str")
        return build_table(
            list(item.columns), positional, Source("<dataframe>", "dataframe"), ruleset
        )
    return read_table(item, ruleset, sheet=sheet, encoding=encoding, mapping=mapping)


__all__ = ["np", "validate"]
