"""What a push sends: the export's files in the manifest's order, verified, and the push log
that lets a second run resume after the last acknowledged file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from poicheck.errors import EXIT_FINDINGS, PoicheckError, UsageError
from poicheck.export.model import MANIFEST
from poicheck.export.model import PUSH_LOG as LOG
from poicheck.files.limits import MAX_PREVIOUS_BYTES, MAX_PUSH_BODY_BYTES
from poicheck.files.output import write_bytes
from poicheck.files.user import read_regular, regular_sha256

ACKNOWLEDGED = "acknowledged"


class PushRefusedError(PoicheckError):
    """Hubject refused a file, or no acknowledgement came: the push stopped there (exit 1)."""

    exit_code = EXIT_FINDINGS


@dataclass(frozen=True)
class PushFile:
    """One request body of the export, as the manifest lists it."""

    name: str
    action: str
    records: int
    sha256: str
    # (source file, row) of each record in body order, from the manifest's runs (1.2).
    sources: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class Plan:
    """An export directory ready to push: operator, files in sending order."""

    directory: Path
    operator_id: str
    sub_operator_ids: tuple[str, ...]
    files: tuple[PushFile, ...]
    cautions: tuple[str, ...] = ()  # what the export asked a person to review

    def body(self, item: PushFile) -> bytes:
        """The file's bytes, checked again against the manifest right before sending (the bytes
        hashed are the bytes sent: a file changed after the check cannot slip through)."""
        path = self.directory / item.name
        data = read_regular(path, MAX_PUSH_BODY_BYTES, error=UsageError)
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise _changed(path)
        return data

    def verify(self, item: PushFile) -> None:
        """Check the file against the manifest without holding it (the pre-flight over every
        file: a fullLoad of a million records is ~1.9 GB)."""
        path = self.directory / item.name
        if regular_sha256(path, MAX_PUSH_BODY_BYTES, error=UsageError) != item.sha256:
            raise _changed(path)

    def inputs(self) -> list[Path]:
        """The export's files: the push log may never replace one of them."""
        return [self.directory / MANIFEST, *(self.directory / f.name for f in self.files)]


def _changed(path: Path) -> UsageError:
    return UsageError(
        "changed since the export (sha256 differs from manifest.json): not sent; export again",
        location=str(path),
    )


def _read(path: Path) -> bytes:
    return read_regular(path, MAX_PREVIOUS_BYTES, error=UsageError)


def load_plan(directory: Path) -> Plan:
    """Read DIR/manifest.json and check every file it lists against its sha256, before
    anything is sent (a changed file is never sent)."""
    if not directory.is_dir():
        raise UsageError(
            "is not a directory (give the directory `poicheck export` wrote)",
            location=str(directory),
        )
    path = directory / MANIFEST
    if not path.is_file():
        raise UsageError("holds no manifest.json: not a poicheck export", location=str(directory))
    try:
        manifest = json.loads(_read(path).decode("utf-8"))
        operator = manifest["operator"]
        files = tuple(
            PushFile(
                str(entry["file"]),
                str(entry["action"]),
                int(entry["records"]),
                str(entry["sha256"]),
                _expand(entry.get("record_sources", ())),
            )
            for entry in manifest["files"]
        )
        plan = Plan(
            directory,
            str(operator["OperatorID"]),
            tuple(operator.get("sub_operator_ids", ())),
            files,
            _cautions(manifest),
        )
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"not a poicheck manifest ({exc})", location=str(path)) from exc
    if str(manifest.get("manifest_version", "")).split(".")[0] != "1":
        raise UsageError(
            f"manifest_version {manifest.get('manifest_version')} is not one this poicheck "
            "knows; push it with the poicheck that exported it",
            location=str(path),
        )
    for item in files:
        if "/" in item.name or "\\" in item.name or item.name.startswith("."):
            raise UsageError(f"lists a file outside the export: {item.name}", location=str(path))
        plan.verify(item)
    return plan


def _cautions(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The export's warnings that still hold when it is pushed (manifest review, counts)."""
    counts = manifest.get("records") or {}
    review = manifest.get("review") or {}
    deletes = review.get("deletes") or {}
    out = []
    if counts.get("left_out") and manifest.get("mode") == "fullLoad":
        out.append(
            f"{counts['left_out']} record(s) were left out of this fullLoad: Hubject will "
            "not hold them after it (manifest.json left_out)"
        )
    if counts.get("included_with_errors"):
        out.append(
            f"{counts['included_with_errors']} record(s) are sent despite errors "
            "(--include-invalid; manifest.json included_with_errors)"
        )
    if deletes.get("over_limit"):
        out.append(
            f"this push deletes {deletes.get('records')} EVSEs, "
            f"{deletes.get('share_of_previous')} % of those Hubject holds, more than the "
            f"{deletes.get('limit')} % limit (manifest.json review.deletes)"
        )
    if review.get("moved"):
        out.append(
            f"{len(review['moved'])} EVSE(s) move more than {review.get('moved_over_km')} "
            "km (manifest.json review.moved)"
        )
    return tuple(out)


def _expand(runs: list[dict[str, Any]]) -> tuple[tuple[str, int | None], ...]:
    """`[{"file", "row", "records"}]` runs -> one (file, row) per record (manifest 1.2)."""
    out: list[tuple[str, int | None]] = []
    for run in runs:
        first = run["row"]
        for offset in range(int(run["records"])):
            out.append((str(run["file"]), None if first is None else int(first) + offset))
    return tuple(out)


@dataclass
class PushLog:
    """DIR/push-log.jsonl: one JSON line per answer (or missing answer), oldest first."""

    path: Path
    inputs: list[Path]
    entries: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, plan: Plan) -> PushLog:
        path = plan.directory / LOG
        entries = []
        if path.exists():
            for number, line in enumerate(_read(path).decode("utf-8").splitlines(), start=1):
                try:
                    entries.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise UsageError(
                        f"line {number} is not JSON ({exc.msg}); move the log away to start over",
                        location=str(path),
                    ) from exc
        return cls(path, plan.inputs(), entries)

    def acknowledged(self, item: PushFile) -> bool:
        """Whether these very bytes were acknowledged with 000 since the last --restart."""
        restarts = [n for n, e in enumerate(self.entries) if e.get("restart")]
        since = self.entries[restarts[-1] + 1 :] if restarts else self.entries
        return any(
            e.get("file") == item.name
            and e.get("sha256") == item.sha256
            and e.get("outcome") == ACKNOWLEDGED
            for e in since
        )

    def add(self, **entry: Any) -> None:
        """Append an entry (with the time, UTC) and write the log before anything else is sent."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        self.entries.append({"time": now, **entry})
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in self.entries)
        write_bytes(self.path, text.encode("utf-8"), inputs=self.inputs)
