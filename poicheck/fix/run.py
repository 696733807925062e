"""`poicheck fix` as a library call: read, plan, write the corrected copy, validate the copy.

The copy is validated as any input is, with the same options: what it still has is what
`validate` would say of it, and the score before and after comes from the two reports. With
`diff`, the copy is written to a temporary directory for that validation and removed; the
output is not written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from poicheck.errors import InputError, UsageError
from poicheck.files.limits import MAX_CSV_BYTES, MiB
from poicheck.fix.edits import Edit, Written, edits_of
from poicheck.fix.plan import CHANGE_COLUMNS, Plan, keys, plan_fixes
from poicheck.results.report import Report
from poicheck.ruleset.model import SEVERITIES, RuleSet
from poicheck.ruleset.reader_ids import DECIMAL_COMMAS
from poicheck.table import CanonicalTable

# Outputs of one format family per input format: the copy keeps the input's format.
FAMILIES = {
    "csv": (".csv", ".txt", ".tsv"),
    "xlsx": (".xlsx", ".xlsm"),
    "json": (".json",),
    "jsonl": (".jsonl", ".ndjson"),
}


@dataclass(frozen=True)
class FixOptions:
    """What to fix and how to read and check the input (the keyword arguments of
    `poicheck.validate` in `checks`)."""

    output: Path | None
    unsafe: bool = False
    diff: bool = False
    checks: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class FixResult:
    """What `fix_file` did: the plan, what the writer could not place, the reports of the
    input and of the copy."""

    path: Path
    format: str
    sheet: str | None
    output: Path | None
    written: bool
    plan: Plan
    changes: pd.DataFrame  # the changes made in the copy (CHANGE_COLUMNS)
    not_written: pd.DataFrame  # CHANGE_COLUMNS and `reason`
    before: Report
    after: Report
    notes: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        """0 when the copy has no error left, 1 when it has."""
        return 1 if self.after.counts()["error"] else 0

    def summary(self) -> dict[str, Any]:
        """Counts and scores (the `summary` of the JSON output)."""
        before, after = keys(self.before.frame), keys(self.after.frame)
        applicability = self.changes["applicability"].value_counts()
        return {
            "file": str(self.path),
            "format": self.format,
            "sheet": self.sheet,
            "output": None if self.output is None else str(self.output),
            "written": self.written,
            "changes": len(self.changes),
            "safe": int(applicability.get("safe", 0)),
            "unsafe": int(applicability.get("unsafe", 0)),
            "unsafe_left": len(self.plan.unsafe_left),
            "held_back": len(self.plan.held_back),
            "not_written": len(self.not_written),
            "fixed": _counts(self.before.frame, before - after),
            "remaining": self.after.counts(),
            "introduced": _counts(self.after.frame, after - before),
            "score": {"before": _score(self.before), "after": _score(self.after)},
            "passes": self.plan.passes,
        }


def _counts(frame: pd.DataFrame, wanted: set[tuple[int, str, str]]) -> dict[str, int]:
    located = frame[frame["record"].notna()]
    hit = [
        (int(r), str(rule), "" if f is None else str(f)) in wanted
        for r, rule, f in zip(located["record"], located["rule"], located["field"], strict=True)
    ]
    counted = located[pd.Series(hit, index=located.index, dtype=bool)]["severity"].value_counts()
    return {severity: int(counted.get(severity, 0)) for severity in SEVERITIES}


def _score(report: Report) -> float | None:
    summary = report.score.summary() if report.score is not None else None
    return None if summary is None else float(summary["overall"])


def fix_file(path: str | Path, options: FixOptions, *, inputs: Sequence[Path] = ()) -> FixResult:
    """Fix one input file into `options.output` (not with `options.diff`). `inputs` are
    every file the run reads (none of them may be the output)."""
    from poicheck.api import validate
    from poicheck.mapping import as_mapping
    from poicheck.readers import check_file, read_table
    from poicheck.ruleset.loader import load_ruleset

    path = Path(path)
    fmt = check_file(path)
    _check_output(path, fmt, options, inputs)
    if path.stat().st_size > MAX_CSV_BYTES:
        raise InputError(
            f"the file has {path.stat().st_size // MiB} MiB, more than the "
            f"{MAX_CSV_BYTES // MiB} MiB poicheck fix reads at once; split it",
            location=str(path),
        )
    checks = dict(options.checks)
    base = load_ruleset(checks.pop("rules", ()))
    mapping = as_mapping(checks.pop("mapping", None), base)
    table = read_table(
        path, base, sheet=checks.get("sheet"), encoding=checks.get("encoding"), mapping=mapping
    )

    def check(item: CanonicalTable | Path) -> Report:
        report = validate(item, ruleset=base, mapping=mapping, **checks)
        if report.unreadable:
            first = report.unreadable[0]
            raise InputError(first.error or "cannot be read", location=first.file)
        return report

    before = check(table)
    plan = plan_fixes(table, before, check, before.ruleset, unsafe=options.unsafe)
    written = _write(path, fmt, table, plan, before.ruleset, mapping, options, checks)
    placed, not_written = _placed(plan.changes, written.skipped)
    after = _validated_copy(path, written.data, options, inputs, check)
    return FixResult(
        path=path,
        format=fmt,
        sheet=table.source.sheet,
        output=options.output,
        written=not options.diff,
        plan=plan,
        changes=placed,
        not_written=not_written,
        before=before,
        after=after,
        notes=[*plan.notes, *written.notes],
    )


def _check_output(path: Path, fmt: str, options: FixOptions, inputs: Iterable[Path]) -> None:
    from poicheck.files.output import check_output

    if options.output is None:
        if not options.diff:
            raise UsageError("name the corrected copy with -o/--output (or show it with --diff)")
        return
    if options.output.suffix.lower() not in FAMILIES[fmt]:
        wanted = " or ".join(FAMILIES[fmt])
        raise UsageError(
            f"the corrected copy keeps the input's format: name it {wanted}",
            location=str(options.output),
        )
    check_output(options.output, [path, *inputs])


def _write(
    path: Path,
    fmt: str,
    table: CanonicalTable,
    plan: Plan,
    ruleset: RuleSet,
    mapping: Any,
    options: FixOptions,
    checks: Mapping[str, Any],
) -> Written:
    from poicheck.fix.write_csv import write_csv
    from poicheck.fix.write_json import write_json
    from poicheck.fix.write_xlsx import write_xlsx

    edits: list[Edit] = edits_of(plan.changes, ruleset)
    if not edits:  # nothing to change: the copy is the input, byte for byte
        return Written(path.read_bytes())
    if fmt == "csv":
        commas = plan.report.frame.loc[plan.report.frame["rule"] == DECIMAL_COMMAS, "field"]
        return write_csv(
            path,
            edits,
            ruleset,
            encoding=checks.get("encoding"),
            mapping=mapping,
            comma_columns=frozenset(str(f) for f in commas),
        )
    if fmt == "xlsx":
        return write_xlsx(
            path, edits, ruleset, sheet_name=table.source.sheet, out=options.output, mapping=mapping
        )
    return write_json(path, edits, ruleset, lines=fmt == "jsonl")


def _placed(
    changes: pd.DataFrame, skipped: list[tuple[Edit, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The changes the writer made, and those it could not (with the reason)."""
    reasons = {(edit.record, edit.column): why for edit, why in skipped}
    where = list(zip(changes["record"].astype(int), changes["column"].astype(str), strict=True))
    missed = pd.Series([w in reasons for w in where], index=changes.index, dtype=bool)
    not_written = changes[missed].assign(reason=[reasons[w] for w in where if w in reasons])
    columns = [*CHANGE_COLUMNS, "reason"]
    return changes[~missed].reset_index(drop=True), not_written.reset_index(drop=True)[columns]


def _validated_copy(
    path: Path, data: bytes, options: FixOptions, inputs: Sequence[Path], check: Any
) -> Report:
    from poicheck.files.output import write_bytes

    if not options.diff and options.output is not None:
        write_bytes(options.output, data, inputs=[path, *inputs])
        return check(options.output)
    with tempfile.TemporaryDirectory(prefix="poicheck-fix-") as directory:
        copy = Path(directory) / path.name
        copy.write_bytes(data)
        return check(copy)
