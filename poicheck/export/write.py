"""Writing an export directory, and the summary people read afterwards."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from poicheck.errors import UsageError
from poicheck.escape import printable_lines
from poicheck.export.model import (
    MANIFEST,
    PUSH_LOG,
    REVIEW_MOVE_KM,
    SNAPSHOT,
    Excluded,
    Export,
    Review,
)
from poicheck.files.outdir import replace_directory

SHOWN_LEFT_OUT = 20


def write_export(export: Export, out_dir: str | Path, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write the export to `out_dir`, all or nothing (poicheck.files.outdir).

    `out_dir` may be new, empty, or an earlier export (which is replaced whole, so that no
    stale payload file of an earlier run can be pushed by mistake). A directory holding
    anything else, or one of the `inputs`, is refused.
    """
    outputs = export.sources()  # spooled bodies are linked or copied, never read into memory
    log = Path(out_dir) / PUSH_LOG
    if log.is_file() and not log.is_symlink():  # what was pushed from here stays on record
        outputs[PUSH_LOG] = log.read_bytes()
    replace_directory(out_dir, outputs, inputs=inputs, check=_check_replaceable)


def _check_replaceable(target: Path) -> None:
    entries = {p.name for p in target.iterdir()}
    if not entries:
        return
    manifest = target / MANIFEST
    owned = _files_of(manifest) if manifest.is_file() else None
    if owned is None:
        raise UsageError(
            "is not empty and holds no poicheck export (manifest.json); choose a new or empty "
            "directory",
            location=str(target),
        )
    foreign = sorted(entries - owned - {PUSH_LOG})
    if foreign:
        raise UsageError(
            f"holds files that are not part of its export ({', '.join(foreign[:5])}); "
            "move them away or choose another directory",
            location=str(target),
        )


def _files_of(manifest: Path) -> set[str] | None:
    """The names an earlier poicheck export wrote, or None if this is not such a manifest."""
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict) or "manifest_version" not in document:
        return None
    names = {MANIFEST}
    snapshot = document.get("snapshot") or {}
    index = snapshot.get("index") if isinstance(snapshot, dict) else None
    for entry in [*document.get("files", []), snapshot, index or {}]:
        if isinstance(entry, dict) and isinstance(entry.get("file"), str):
            names.add(entry["file"])
    return names


def summary(export: Export, out_dir: str | Path) -> str:
    """What was written, in sending order, and what was left out (text for people)."""
    out = Path(out_dir)
    sent = sum(f.records for f in export.files)
    valid = export.records_read - len(_read_left_out(export))
    requests = f"{len(export.files)} request{'' if len(export.files) == 1 else 's'}"
    lines = [
        f"{valid} of {export.records_read} records fit to push for {export.operator_id} "
        f"({export.operator_name}); {out}/ holds {requests} ({export.mode}, {sent} "
        f"record{'' if sent == 1 else 's'} to send){':' if export.files else '.'}"
    ]
    for number, item in enumerate(export.files, start=1):
        lines.append(f"  {number}. {item.name}  {item.action}  {item.records} records")
    if not export.files:
        lines.append("Nothing to send.")
    if export.changes is not None:
        changes = export.changes
        lines.append(
            f"Changes since the previous state: {changes.insert} insert, {changes.update} "
            f"update, {changes.delete} delete, {changes.unchanged} unchanged."
        )
    if export.files:
        lines.append(
            f"{MANIFEST} lists the files in this order: push them one at a time, each only "
            "after Hubject acknowledged the previous one."
        )
    if export.snapshot_body is not None:
        lines.append(
            f"{SNAPSHOT} is what Hubject holds once they are pushed: give {out}/{MANIFEST} as "
            "--previous next time (the delta then builds only the records that changed)."
        )
    lines.extend(_listing("Left out", export.left_out))
    lines.extend(_listing("Sent despite errors (--include-invalid)", export.included_invalid))
    lines.extend(_review(export.review))
    return printable_lines(lines) + "\n"  # values from the data shown escaped


def _review(review: Review) -> list[str]:
    """What to look at before pushing: values left out of sent records, deletions, moves."""
    lines = []
    if review.dropped:
        counted = Counter(d.rule for d in review.dropped)
        rules = ", ".join(f"{rule} {n}" for rule, n in sorted(counted.items()))
        lines.append(
            f"Values OICP 2.3 cannot express, left out of the records sent: {len(review.dropped)}"
            f" ({rules}); listed in {MANIFEST} under review.dropped_values."
        )
    if review.many_deletes:
        lines.append(
            f"Review: {review.deletes} of the {review.previous_records} EVSEs Hubject holds "
            f"({review.deleted_share:.1f} %) are deleted, more than {review.max_deletions:g} %; "
            f"listed in {MANIFEST} under review.deletes."
        )
    if review.moved:
        lines.append(f"Review: {len(review.moved)} EVSE(s) move more than {REVIEW_MOVE_KM:g} km:")
        for moved in review.moved[:SHOWN_LEFT_OUT]:
            lines.append(f"  {moved.evse_id}  {moved.km:,.1f} km")
        if len(review.moved) > SHOWN_LEFT_OUT:
            lines.append(f"  ... and {len(review.moved) - SHOWN_LEFT_OUT} more")
    return lines


def _read_left_out(export: Export) -> list[Excluded]:
    return [e for e in export.left_out if e.record is not None]


def _listing(title: str, items: tuple[Excluded, ...]) -> list[str]:
    if not items:
        return []
    lines = [f"{title}: {len(items)} record(s), listed in {MANIFEST}:"]
    for item in items[:SHOWN_LEFT_OUT]:
        where = f"{item.file} row {item.row}" if item.row is not None else item.file
        first = item.reasons[0] if item.reasons else None
        reason = f"{first.rule or first.field}  {first.message}" if first else ""
        more = f" (+{len(item.reasons) - 1} more)" if len(item.reasons) > 1 else ""
        lines.append(f"  {where}  {item.evse_id or '(no EvseID)'}  {reason}{more}")
    if len(items) > SHOWN_LEFT_OUT:
        lines.append(f"  ... and {len(items) - SHOWN_LEFT_OUT} more")
    return lines
