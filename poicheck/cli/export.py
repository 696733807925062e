"""`poicheck export` (push-ready payloads) and `poicheck schema` (the payload JSON Schema)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from poicheck.cli import (
    cli,
    guarded,
    input_options,
    output_option,
    quiet_option,
    rules_option,
    say,
)
from poicheck.cli.inputs import Inputs
from poicheck.export.model import (
    ACTIONS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_DELETIONS,
    ExportOptions,
)
from poicheck.oicp.coordinates import NOTATIONS


@dataclass(frozen=True)
class ExportCommand:
    """What `poicheck export` was asked to do: the inputs, where to write, and the export
    options (poicheck.export.ExportOptions, shared with library callers)."""

    inputs: Inputs
    out_dir: Path
    options: ExportOptions
    max_deletions_given: bool = False


def run(command: ExportCommand) -> int:
    """Export, write, print the summary and notes; return the exit code."""
    from poicheck.export import build_export, summary, write_export
    from poicheck.files.outdir import check_directory

    read = command.inputs.files()
    check_directory(command.out_dir, read)  # before a long run, not after it
    inputs, config = command.inputs.configured()
    given = command.options
    options = replace(
        given,
        severities=given.severities or inputs.severities,
        max_deletions=(
            given.max_deletions
            if command.max_deletions_given or config.max_deletions is None
            else config.max_deletions
        ),
        operator_id=inputs.operator_id,
        operator_name=inputs.operator_name,
        sub_operator_ids=inputs.sub_operator_ids,
        select=inputs.select,
        ignore=inputs.ignore,
        sheet=inputs.sheet,
        encoding=inputs.encoding,
        mapping=inputs.mapping,
        ocpi_defaults=inputs.ocpi_defaults,
    )
    # Spooled beside the output, so that writing it links the large files rather than
    # copying them (issue 22).
    workdir = command.out_dir.resolve().parent
    export = build_export(list(inputs.paths), options, rules=list(inputs.rules), workdir=workdir)
    write_export(export, command.out_dir, inputs=read)
    if not inputs.quiet:
        click.echo(summary(export, command.out_dir), nl=False)
    for note in export.notes:
        say("note", note)
    return export.exit_code()


@cli.command("export")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_option(
    "Directory for the payload files, manifest.json, snapshot.json and its index (new, "
    "empty, or an earlier export, which is replaced).",
    dest="out_dir",
    required=True,
)
@click.option(
    "--action",
    type=click.Choice(ACTIONS),
    help="ActionType of every request (default: fullLoad, or the delta plan with --previous).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help=f"Records per insert/update/delete request (default {DEFAULT_BATCH_SIZE}); never "
    "for fullLoad, which is always one request.",
)
@click.option(
    "--geo-format",
    type=click.Choice(NOTATIONS),
    default="DecimalDegree",
    show_default=True,
    help="Notation of the coordinates.",
)
@click.option(
    "--previous",
    multiple=True,
    type=click.Path(path_type=Path),
    help="What was pushed before: payload files, a manifest.json (fastest: its snapshot's "
    "index lets unchanged records be taken over) or a snapshot.json (repeatable, applied in "
    "order); plans the minimal insert/update/delete requests.",
)
@click.option(
    "--include-invalid",
    is_flag=True,
    help="Also send records with error findings (those that fit the schema).",
)
@click.option(
    "--allow-deletions",
    is_flag=True,
    help="Write a fullLoad even though Hubject would delete EVSEs: records left out for "
    "errors, or more than --max-deletions of the --previous state.",
)
@click.option(
    "--max-deletions",
    type=click.FloatRange(0, 100),
    default=None,
    metavar="PERCENT",
    help=f"Share of the --previous state's EVSEs a fullLoad may delete without "
    f"--allow-deletions; a delta deleting more is listed for review [default: "
    f"{DEFAULT_MAX_DELETIONS:g}, or max_deletions in the configuration].",
)
@input_options
@quiet_option
@guarded
def export(
    paths: tuple[Path, ...],
    out_dir: Path,
    action: str | None,
    batch_size: int | None,
    geo_format: str,
    previous: tuple[Path, ...],
    include_invalid: bool,
    allow_deletions: bool,
    max_deletions: float | None,
    **inputs: Any,
) -> None:
    """Write push-ready eRoamingPushEvseData requests for the valid records of PATH...

    Exit codes: 0 every record exported; 1 records were left out for errors (a delta or
    insert/update is written, listed in manifest.json; a fullLoad is not written unless
    --allow-deletions) or a fullLoad would delete more than --max-deletions of the previous
    state (not written); 2 usage error, unusable input, or EvseIDs of a foreign operator
    (Hubject status 018): nothing written.
    """
    options = ExportOptions(
        action=action,
        batch_size=batch_size,
        geo_format=geo_format,
        previous=previous,
        include_invalid=include_invalid,
        allow_deletions=allow_deletions,
        max_deletions=DEFAULT_MAX_DELETIONS if max_deletions is None else max_deletions,
    )
    command = ExportCommand(
        Inputs.of(paths, inputs), out_dir, options, max_deletions_given=max_deletions is not None
    )
    sys.exit(run(command))


@cli.command("schema")
@click.option(
    "--record",
    is_flag=True,
    help="Only the EvseDataRecord schema (default: the whole eRoamingPushEvseData request).",
)
@output_option("Write it to FILE.", dir_okay=False)
@rules_option
@guarded
def schema(record: bool, output: Path | None, extra_rules: tuple[Path, ...]) -> None:
    """Print poicheck's JSON Schema (Draft 2020-12) of the payloads `export` writes."""
    from poicheck.files.output import write_text
    from poicheck.ruleset.loader import load_ruleset
    from poicheck.ruleset.schema import record_schema, request_schema

    ruleset = load_ruleset(list(extra_rules))
    document = record_schema(ruleset) if record else request_schema(ruleset)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is not None:
        write_text(output, text, inputs=extra_rules)
    else:
        click.echo(text, nl=False)
