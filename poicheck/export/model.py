"""What an export is asked to do and what it produces, as plain typed values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poicheck.errors import EXIT_FINDINGS, PoicheckError, RuleFileError
from poicheck.ruleset.model import RuleSet

if TYPE_CHECKING:
    from poicheck.export.body import Body
    from poicheck.mapping import ColumnMapping

# ActionType values whose meaning the export depends on (02 eRoamingPushEvseData Message).
# They are checked against the rule set's ActionType enumeration (`check_actions`).
FULL_LOAD = "fullLoad"
INSERT = "insert"
UPDATE = "update"
DELETE = "delete"
ACTIONS = (FULL_LOAD, INSERT, UPDATE, DELETE)
DELTA_ACTIONS = (INSERT, UPDATE, DELETE)
# Records per request for insert / update / delete. Hubject documents no limit; 1000 records
# (about 2.5 MB of indented JSON) stays well below the body limits of common HTTP gateways.
DEFAULT_BATCH_SIZE = 1000
# A fullLoad may delete at most this share (in %) of the EVSEs of the --previous state without
# --allow-deletions; a delta deleting more is listed for review.
DEFAULT_MAX_DELETIONS = 10.0
# An update that moves an EVSE farther than this (km) is listed for review: more often a
# swapped or mistyped coordinate than a charger that was moved.
REVIEW_MOVE_KM = 1.0


def hubject_assigned(ruleset: RuleSet) -> tuple[str, ...]:
    """Properties Hubject assigns in PullEvseData responses (deltaType, lastUpdate): a CPO does
    not send them, and they never make a record different (03 EvseDataRecordType)."""
    return tuple(p.path for p in ruleset.properties.values() if p.assigned_by_hubject)


MANIFEST = "manifest.json"
SNAPSHOT = "snapshot.json"
INDEX = "snapshot-index.arrow"  # poicheck.export.index
# Written by `poicheck push` into the export directory: which files Hubject acknowledged. A
# new export into the directory carries it over (a file whose bytes were acknowledged is not
# sent again).
PUSH_LOG = "push-log.jsonl"
MANIFEST_VERSION = "1.2"  # 1.2: files[].record_sources (where the sent records came from)


def check_actions(ruleset: RuleSet) -> None:
    """Fail clearly if the rule files' ActionType no longer has the values the export knows."""
    declared = set(ruleset.types["ActionType"].enum or ())
    if declared != set(ACTIONS):
        raise RuleFileError(
            f"ActionType lists {sorted(declared)}; the export knows {sorted(ACTIONS)}"
        )


class DeletionRefusedError(PoicheckError):
    """A fullLoad that would make Hubject delete EVSEs, refused without --allow-deletions:
    nothing is written (exit code 1, as for findings that keep records out)."""

    exit_code = EXIT_FINDINGS


@dataclass(frozen=True)
class ExportOptions:
    """Everything `poicheck export` was asked to do (the command line or library callers).

    Attributes:
        operator_id: the pushing operator (else the inputs' JSON envelope).
        operator_name: the operator's name (else the inputs' JSON envelope).
        sub_operator_ids: sub-operators configured at Hubject whose EvseIDs may be pushed.
        action: fullLoad, insert, update or delete; None = fullLoad, or the delta plan when
            `previous` is given.
        batch_size: records per insert / update / delete request (not for fullLoad).
        geo_format: Google, DecimalDegree or DegreeMinuteSeconds.
        previous: previously pushed payload files, a manifest, or a snapshot.
        include_invalid: also send records with error findings (if they fit the schema).
        ignore: rule ids or prefixes not to run.
        sheet: worksheet of workbook inputs.
        encoding: encoding of CSV inputs.
        allow_deletions: write a fullLoad even though it makes Hubject delete EVSEs (records
            left out, or more than `max_deletions` % of the previous state).
        max_deletions: the share (%) of the previous state's EVSEs a fullLoad may delete.
        severities: rule id (or prefix) -> severity, overriding the rule files'.
        mapping: a column mapping (file or loaded) for spreadsheets in a foreign layout.
        select: rule ids or prefixes to run (all when empty); the others do not leave
            records out.
        ocpi_defaults: OICP property -> value for the EVSEs of OCPI inputs that give none
            (the configuration's `ocpi.defaults`).
    """

    operator_id: str | None = None
    operator_name: str | None = None
    sub_operator_ids: tuple[str, ...] = ()
    action: str | None = None
    batch_size: int | None = None
    geo_format: str = "DecimalDegree"
    previous: tuple[Path, ...] = ()
    include_invalid: bool = False
    ignore: tuple[str, ...] = ()
    sheet: str | None = None
    encoding: str | None = None
    allow_deletions: bool = False
    max_deletions: float = DEFAULT_MAX_DELETIONS
    severities: Mapping[str, str] = field(default_factory=dict)
    mapping: str | Path | ColumnMapping | None = None
    select: tuple[str, ...] = ()
    ocpi_defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DroppedValue:
    """A value OICP 2.3 cannot express, left out of a record that is sent (consequence
    `dropped`)."""

    file: str
    row: int
    evse_id: str | None
    rule: str
    field: str
    value: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Moved:
    """An EVSE whose update moves it by more than REVIEW_MOVE_KM."""

    evse_id: str
    before: tuple[float, float]
    after: tuple[float, float]
    km: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "evse_id": self.evse_id,
            "before": list(self.before),
            "after": list(self.after),
            "km": round(self.km, 3),
        }


@dataclass(frozen=True)
class Review:
    """What a person should look at before pushing: values left out of sent records, many
    deletions, EVSEs that move far."""

    dropped: tuple[DroppedValue, ...] = ()
    deletes: int = 0
    previous_records: int = 0
    deleted_evse_ids: tuple[str, ...] = ()
    moved: tuple[Moved, ...] = ()
    max_deletions: float = DEFAULT_MAX_DELETIONS

    @property
    def deleted_share(self) -> float:
        """Deleted EVSEs in % of the previous state (0 without one)."""
        return 100.0 * self.deletes / self.previous_records if self.previous_records else 0.0

    @property
    def many_deletes(self) -> bool:
        return self.deletes > 0 and self.deleted_share > self.max_deletions

    def as_dict(self) -> dict[str, Any]:
        return {
            "dropped_values": [d.as_dict() for d in self.dropped],
            "deletes": {
                "records": self.deletes,
                "share_of_previous": round(self.deleted_share, 1),
                "over_limit": self.many_deletes,
                "limit": self.max_deletions,
                "evse_ids": list(self.deleted_evse_ids) if self.many_deletes else [],
            },
            "moved_over_km": REVIEW_MOVE_KM,
            "moved": [m.as_dict() for m in self.moved],
        }


@dataclass(frozen=True)
class Reason:
    """Why a record is left out: a finding (rule id) or a schema violation (rule None)."""

    rule: str | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Excluded:
    """A record that is not sent (or, with --include-invalid, sent despite its errors)."""

    file: str
    row: int | None
    record: int | None
    evse_id: str | None
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "record": self.record,
            "evse_id": self.evse_id,
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass
class Candidate:
    """A record that goes out: its EvseDataRecord and where it came from."""

    key: str
    evse_id: str
    file: str
    row: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class PayloadFile:
    """One eRoamingPushEvseData request body, serialised (held in memory or spooled)."""

    name: str
    action: str
    records: int
    body: Body
    # Where the records of the body came from, in body order: runs of consecutive rows of one
    # file ({"file", "row", "records"}; "(previous)" with row None for deletes planned from
    # the previous state). `poicheck push` names the spreadsheet row of a record Hubject
    # refuses with it.
    runs: tuple[dict[str, Any], ...] = ()

    @property
    def data(self) -> bytes:
        return self.body.read()

    @property
    def sha256(self) -> str:
        return self.body.sha256

    @property
    def sources(self) -> tuple[tuple[str, int | None], ...]:
        """(source file, row) of each record, in body order."""
        return tuple(
            (run["file"], None if run["row"] is None else run["row"] + k)
            for run in self.runs
            for k in range(run["records"])
        )

    def entry(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "action": self.action,
            "records": self.records,
            "sha256": self.sha256,
            "record_sources": [dict(run) for run in self.runs],
        }


def source_runs(sources: Sequence[tuple[str, int | None]]) -> list[dict[str, Any]]:
    """Records from consecutive rows of one file as one run `{"file", "row", "records"}`:
    a fullLoad of a spreadsheet is one run, not 100,000 entries (12 MB and 0.5 s of JSON)."""
    runs: list[dict[str, Any]] = []
    for file, row in sources:
        last = runs[-1] if runs else None
        if last is not None and last["file"] == file:
            if row is None and last["row"] is None:
                last["records"] += 1
                continue
            if row is not None and last["row"] is not None and row == last["row"] + last["records"]:
                last["records"] += 1
                continue
        runs.append({"file": file, "row": row, "records": 1})
    return runs


@dataclass(frozen=True)
class Changes:
    """How the new data differs from the previous state (by normalised EvseID)."""

    insert: int
    update: int
    delete: int
    unchanged: int
    kept: int

    @classmethod
    def of(cls, plan: Any) -> Changes:
        """The counts of a delta plan: its inserts, updates and deletes, unchanged and kept."""
        return cls(
            insert=len(plan.inserts),
            update=len(plan.updates),
            delete=len(plan.deletes),
            unchanged=plan.unchanged,
            kept=plan.kept,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "insert": self.insert,
            "update": self.update,
            "delete": self.delete,
            "unchanged": self.unchanged,
            "kept_left_out": self.kept,
        }


@dataclass(frozen=True)
class Export:
    """An export: payload files, manifest, snapshot, and what was left out.

    Large bodies are spooled to a private directory that lives as long as the export
    (`spool`); `data` and `snapshot` read them."""

    operator_id: str
    operator_name: str
    mode: str
    files: tuple[PayloadFile, ...]
    manifest: bytes
    snapshot_body: Body | None
    records_read: int
    index_body: Body | None = None  # the snapshot's index (poicheck.export.index)
    left_out: tuple[Excluded, ...] = ()
    included_invalid: tuple[Excluded, ...] = ()
    changes: Changes | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    review: Review = field(default_factory=Review)
    spool: Any = field(default=None, repr=False, compare=False)

    @property
    def snapshot(self) -> bytes | None:
        """The state after the push, as the fullLoad request that would produce it."""
        return self.snapshot_body.read() if self.snapshot_body is not None else None

    def outputs(self) -> dict[str, bytes]:
        """File name to bytes, for everything the export directory holds."""
        return {
            name: source if isinstance(source, bytes) else source.read_bytes()
            for name, source in self.sources().items()
        }

    def sources(self) -> dict[str, bytes | Path]:
        """File name to bytes, or to the spool file that holds them."""
        out: dict[str, bytes | Path] = {f.name: f.body.source() for f in self.files}
        if self.snapshot_body is not None:
            out[SNAPSHOT] = self.snapshot_body.source()
        if self.index_body is not None:
            out[INDEX] = self.index_body.source()
        out[MANIFEST] = self.manifest
        return out

    def exit_code(self) -> int:
        """0 when every record read was exported, 1 when records were left out."""
        return 1 if self.left_out else 0
