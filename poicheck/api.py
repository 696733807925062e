"""The library entry point: `poicheck.validate(...)`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from poicheck.engine import empty_findings, table_findings
from poicheck.errors import InputError
from poicheck.readers import read_table
from poicheck.readers.tabular import build_table
from poicheck.report import FileResult, Report
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable, Source

Input = str | Path | pd.DataFrame


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
) -> Report:
    """Validate one or more inputs (paths or canonical DataFrames) and return a Report.

    Args:
        source: a path (.xlsx, .csv, .json), a DataFrame in the canonical layout, or a list.
        rules: extra rule files or directories, added to the shipped OICP 2.3 rule set.
        ruleset: a rule set already loaded (overrides `rules`).
        select: rule ids or id prefixes to run (all when empty).
        ignore: rule ids or id prefixes not to run.
        sheet: the worksheet to read from workbooks (default: the first visible one).
        encoding: the encoding of CSV files (default: detected).
        operator_id: the pushing operator, when the input carries no envelope.
        operator_name: the operator's name, when the input carries no envelope.

    A file that cannot be read does not stop the run: it is listed in `Report.files` with the
    reason, and `Report.exit_code()` is 2.
    """
    base = ruleset if ruleset is not None else load_ruleset(rules)
    active = base.select(select, ignore)
    sources = [source] if isinstance(source, (str, Path, pd.DataFrame)) else list(source)
    results: list[FileResult] = []
    frames = []
    for item in sources:
        try:
            table = _read(item, base, sheet=sheet, encoding=encoding)
        except InputError as exc:
            results.append(
                FileResult(file=exc.location or str(item), format=None, error=exc.message)
            )
            continue
        if operator_id or operator_name:
            envelope = dict(table.envelope or {})
            if operator_id:
                envelope["OperatorID"] = operator_id
            if operator_name:
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
        frames.append(table_findings(table, active))
    frames = [f for f in frames if len(f)]
    frame = pd.concat(frames, ignore_index=True) if frames else empty_findings()
    return Report(ruleset=active, files=results, frame=frame)


def _read(
    item: Input, ruleset: RuleSet, *, sheet: str | None, encoding: str | None
) -> CanonicalTable:
    if isinstance(item, pd.DataFrame):
        frame = item.reset_index(drop=True).astype("str").where(item.notna().to_numpy(), None)
        positional = pd.DataFrame(frame.to_numpy(), columns=range(frame.shape[1]), dtype="str")
        return build_table(
            list(item.columns), positional, Source("<dataframe>", "dataframe"), ruleset
        )
    return read_table(item, ruleset, sheet=sheet, encoding=encoding)


__all__ = ["np", "validate"]
