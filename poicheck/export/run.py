"""The export, start to end: collect the records, plan the requests, serialise, write.

The records that go out are written as they are built (`columns.Sink`): a fullLoad straight
into its request, insert / update batches without a previous state straight into theirs, a
delta into a spool the planner picks the changed records from (issue 22).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from poicheck.api import Input
from poicheck.errors import PoicheckError, UsageError
from poicheck.export import delta, payload
from poicheck.export.ahead import Ahead
from poicheck.export.body import Body, Spool
from poicheck.export.columns import Sink
from poicheck.export.fixed import FixedPoints
from poicheck.export.index import Borrowed, fingerprint
from poicheck.export.model import (
    ACTIONS,
    DEFAULT_BATCH_SIZE,
    FULL_LOAD,
    Export,
    ExportOptions,
    check_actions,
)
from poicheck.export.planner import Planner, full_load
from poicheck.export.previous import Checks, LinesReader, StateLines, indexed, streamed
from poicheck.export.records import Collected, collect
from poicheck.export.scan import KeyMismatch
from poicheck.files.user import check_encoding
from poicheck.oicp import coordinates as geo
from poicheck.oicp.convert import Builder
from poicheck.oicp.identifiers import normalise_operator_id
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.schema import SchemaValidator, record_schema, request_schema, validator_for
from poicheck.table import CanonicalTable

Record = dict[str, Any]
SPOOL = "delta"  # the ActionType of the spool a delta's records are written to (never sent)


def build_export(
    sources: Input | Sequence[Input],
    options: ExportOptions | None = None,
    *,
    ruleset: RuleSet | None = None,
    rules: Sequence[str | Path] = (),
    workdir: str | Path | None = None,
) -> Export:
    """Build the payload files, manifest and snapshot of an export.

    Args:
        sources: paths (.xlsx, .csv, .json) or canonical DataFrames, one or a list.
        options: what to export and how (ExportOptions()).
        ruleset: a rule set already loaded (overrides `rules`).
        rules: extra rule files or directories.
        workdir: where large bodies are spooled (a private directory in it, removed with
            the export; default: the system's temporary directory). On the file system of
            the output directory, `write_export` links the files instead of copying them.

    Raises:
        UsageError: options that do not fit together, no operator, an invalid envelope, or
            EvseIDs of a foreign operator (Operator018Error).
        InputError: an input or previous file that cannot be used.
    """
    options = options or ExportOptions()
    base = ruleset if ruleset is not None else load_ruleset(rules)
    if options.severities:
        base = base.with_severities(options.severities, "severity")
    check_actions(base)
    _check_options(options, base)
    single = (str, Path, pd.DataFrame, CanonicalTable)
    items = [sources] if isinstance(sources, single) else list(sources)
    schema = record_schema(base)
    record_validator = validator_for(schema)
    builder = Builder(base, geo_format=options.geo_format)
    spool = Spool(workdir)
    sink = _sink(options, spool)
    writes_snapshot = bool(options.previous) or full_load(options)
    points = FixedPoints(builder) if writes_snapshot else None
    ahead = None
    made = Reuse(fingerprint(base, options.geo_format, schema))
    if options.previous:
        reader = LinesReader(Builder(base, geo_format=options.geo_format))
        ahead = Ahead(
            functools.partial(reader.read, options.previous), fork=streamed(options.previous)
        )
        snapshots = indexed(options.previous)
        if snapshots:
            ahead.start()  # a state read by its index costs little: it is wanted for building
            # Their sha256, in a process forked now, while this one is small: forked later,
            # it would hold on to memory this process lets go of.
            made.checks = Checks(snapshots)
            if not full_load(options):
                made.borrow = functools.partial(_borrowed, ahead, made)
    try:
        return _export(items, options, base, record_validator, spool, sink, points, ahead, made)
    finally:
        if ahead is not None:
            ahead.cancel()  # the export stopped before it asked for the previous state


def _export(
    items: list[Input],
    options: ExportOptions,
    base: RuleSet,
    record_validator: SchemaValidator,
    spool: Spool,
    sink: Sink,
    points: FixedPoints | None,
    ahead: Ahead | None,
    made: Reuse,
) -> Export:
    started = ahead.start if ahead is not None else None
    collected = collect(items, options, base, record_validator, sink, points, started, made.borrow)
    request_validator = validator_for(request_schema(base))
    operator = (collected.operator_id, collected.operator_name)
    # The envelope alone (rules about it may have been ignored): a bad one spoils every file.
    problems = request_validator.errors(payload.request(FULL_LOAD, *operator, []))
    if problems:
        raise UsageError("the push envelope does not fit the schema: " + "; ".join(problems))
    run = _Run(options, base, collected, record_validator, spool, sink.close(), made)
    for stream in (True, False):  # a previous line not what its start says: read it whole
        previous = None
        if ahead is not None and stream:
            previous = ahead.result()
        elif options.previous:
            builder = Builder(base, geo_format=options.geo_format)
            previous = LinesReader(builder, stream=stream).read(options.previous)
        try:
            return run.export(previous)
        except KeyMismatch:
            if not stream:
                raise
    raise AssertionError("unreachable")


@dataclass
class _Run:
    """An export once its records are collected: planned against a previous state."""

    options: ExportOptions
    ruleset: RuleSet
    collected: Collected
    validator: SchemaValidator
    spool: Spool
    bodies: list[tuple[Body, int]]
    made: Reuse

    def export(self, previous: StateLines | None) -> Export:
        collected, options = self.collected, self.options
        notes = list(collected.notes)
        if previous is not None:
            previous.check_later(self.made.checks)
            _check_previous_operator(previous, collected.operator_id)
            notes.extend(previous.notes)
        left_out = list(collected.left_out)
        semantics = delta.Semantics(self.ruleset)
        planner = Planner(options, collected, semantics, self.validator, left_out, notes)
        planner.fingerprint = self.made.value
        planned = planner.plan(self.bodies, self.spool, previous)
        if previous is not None:
            previous.checked()  # a previous file read by its index is what was exported
        review = planner.review(planned, previous)
        counts = {
            "read": collected.records_read,
            "sent": sum(f.records for f in planned.files),
            "left_out": len(left_out),
            "included_with_errors": len(collected.included_invalid),
        }
        manifest = payload.manifest_bytes(
            ruleset=self.ruleset,
            operator=(collected.operator_id, collected.operator_name),
            sub_operator_ids=options.sub_operator_ids,
            geo_format=options.geo_format,
            mode=planned.mode,
            files=planned.files,
            snapshot=planned.snapshot,
            snapshot_records=planned.snapshot_records,
            index=planned.index,
            counts=counts,
            changes=planned.changes,
            sources=collected.sources,
            previous=[str(p) for p in options.previous],
            left_out=left_out,
            included_invalid=collected.included_invalid,
            notes=notes,
            review=review,
        )
        return Export(
            operator_id=collected.operator_id,
            operator_name=collected.operator_name,
            mode=planned.mode,
            files=tuple(planned.files),
            manifest=manifest,
            snapshot_body=planned.snapshot,
            index_body=planned.index,
            records_read=collected.records_read,
            left_out=tuple(left_out),
            included_invalid=tuple(collected.included_invalid),
            changes=planned.changes,
            notes=tuple(notes),
            review=review,
            spool=self.spool,
        )


@dataclass
class Reuse:
    """What of the previous export this one can reuse: the fingerprint of the lines it
    makes (`index.fingerprint`: lines made alike may be taken over), where the build finds
    the previous lines it may take (a delta against an indexed snapshot), and the checks of
    the previous snapshots' sha256, started early."""

    value: str
    borrow: Callable[[], Borrowed | None] | None = None
    checks: Checks | None = None  # of the previous snapshots read by their index


def _borrowed(ahead: Ahead, made: Reuse) -> Borrowed | None:
    """The previous snapshot's lines, where it was read by an index made as this export
    makes lines. A previous state that cannot be read gives none here: the planner asks
    for it again and reports why."""
    try:
        state = ahead.result()
    except PoicheckError:
        return None
    state.check_later(made.checks)  # the lines are trusted once they are checked
    built = state.built
    if built is None or built.fingerprint != made.value:
        return None
    return Borrowed(state.key_array(), state.entries, built, list(state.sources))


def _sink(options: ExportOptions, spool: Spool) -> Sink:
    """Where the records that go out are written as they are built."""
    if full_load(options):
        return Sink(spool, FULL_LOAD)
    if not options.previous:
        size = options.batch_size or DEFAULT_BATCH_SIZE
        return Sink(spool, str(options.action), size=size)
    return Sink(spool, SPOOL, hashed=False)


def _check_options(options: ExportOptions, ruleset: RuleSet) -> None:
    ruleset.select(options.select, options.ignore)  # an unknown rule id, before the reading
    if options.geo_format not in geo.NOTATIONS:
        raise UsageError(
            f"unknown geo format '{options.geo_format}'; use one of {', '.join(geo.NOTATIONS)}"
        )
    if options.action is not None and options.action not in ACTIONS:
        raise UsageError(f"unknown ActionType '{options.action}'; use one of {', '.join(ACTIONS)}")
    if options.encoding is not None:
        check_encoding(options.encoding)
    if options.batch_size is not None and options.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if options.batch_size is not None and full_load(options):
        implied = "" if options.action else " (the default without --action and --previous)"
        raise UsageError(
            f"--batch-size cannot split a fullLoad{implied}: every fullLoad replaces everything "
            "Hubject holds for the operator, so of several fullLoad requests only the last "
            "would remain. Push one fullLoad, or batches of --action insert / update, or plan "
            "a delta with --previous"
        )
    pattern = ruleset.types["OperatorIDType"].pattern or ""
    for sub in options.sub_operator_ids:
        if not re.fullmatch(pattern, sub, flags=re.ASCII):
            raise UsageError(
                f"--sub-operator-id '{sub}' is not an ISO (DE*A36) or DIN (+49*536) operator ID"
            )


def _check_previous_operator(previous: StateLines, operator_id: str) -> None:
    known = previous.operator_id
    if known and normalise_operator_id(known) != normalise_operator_id(operator_id):
        raise UsageError(
            f"the previous data is of OperatorID {known}, this export of {operator_id}; a delta "
            "between two operators would delete the other operator's records"
        )
