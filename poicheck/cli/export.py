"""`poicheck export` (push-ready payloads) and `poicheck schema` (the payload JSON Schema)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import click

from poicheck.cli import (
    cli,
    encoding_callback,
    files_read,
    guarded,
    operator_options,
    rules_option,
    say,
    split_ids,
)
from poicheck.export.model import ACTIONS, DEFAULT_BATCH_SIZE, ExportOptions
from poicheck.geo import NOTATIONS


@dataclass(frozen=True)
class ExportCommand:
    """What `poicheck export` was asked to do: the inputs, where to write, and the export
    options (poicheck.export.ExportOptions, shared with library callers)."""

    paths: tuple[Path, ...]
    out_dir: Path
    options: ExportOptions
    rules: tuple[Path, ...] = ()
    config: Path | None = None


def run(command: ExportCommand) -> int:
    """Export, write, print the summary and notes; return the exit code."""
    from poicheck.config import discover
    from poicheck.export import build_export, summary, write_export
    from poicheck.outdir import check_directory

    inputs = files_read(command.paths, rules=command.rules, config=command.config)
    check_directory(command.out_dir, inputs)  # before a long run, not after it
    # The configuration near the data fills in what the command line does not say.
    config = discover(list(command.paths), command.config)
    given = command.options
    options = replace(
        given,
        operator_id=given.operator_id or config.operator_id,
        operator_name=given.operator_name or config.operator_name,
        sub_operator_ids=given.sub_operator_ids or config.sub_operator_ids,
        ignore=given.ignore or config.ignore,
    )
    export = build_export(list(command.paths), options, rules=[*config.rules, *command.rules])
    write_export(export, command.out_dir, inputs=inputs)
    click.echo(summary(export, command.out_dir), nl=False)
    for note in export.notes:
        say("note", note)
    return export.exit_code()


@cli.command("export")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory for the payload files, manifest.json and snapshot.json (new, empty, or an "
    "earlier export, which is replaced).",
)
@operator_options
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
    help="What was pushed before: payload files, a manifest.json or a snapshot.json "
    "(repeatable, applied in order); plans the minimal insert/update/delete requests.",
)
@click.option(
    "--include-invalid",
    is_flag=True,
    help="Also send records with error findings (those that fit the schema).",
)
@rules_option
@click.option("--ignore", help="Skip these rule ids or prefixes, comma-separated.")
@click.option("--sheet", help="Worksheet to read from .xlsx files (default: first visible).")
@click.option(
    "--encoding", callback=encoding_callback, help="Encoding of .csv files (default: detected)."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Configuration file (default: .poicheck.yaml or pyproject.toml [tool.poicheck] "
    "found above the first input).",
)
@guarded
def export(
    paths: tuple[Path, ...],
    out_dir: Path,
    operator_id: str | None,
    operator_name: str | None,
    sub_operator_ids: tuple[str, ...],
    action: str | None,
    batch_size: int | None,
    geo_format: str,
    previous: tuple[Path, ...],
    include_invalid: bool,
    extra_rules: tuple[Path, ...],
    ignore: str | None,
    sheet: str | None,
    encoding: str | None,
    config_path: Path | None,
) -> None:
    """Write push-ready eRoamingPushEvseData requests for the valid records of PATH...

    Exit codes: 0 every record exported; 1 written, but records were left out (listed in
    manifest.json); 2 usage error, unusable input, or EvseIDs of a foreign operator (Hubject
    status 018): nothing written.
    """
    options = ExportOptions(
        operator_id=operator_id,
        operator_name=operator_name,
        sub_operator_ids=sub_operator_ids,
        action=action,
        batch_size=batch_size,
        geo_format=geo_format,
        previous=previous,
        include_invalid=include_invalid,
        ignore=split_ids(ignore),
        sheet=sheet,
        encoding=encoding,
    )
    command = ExportCommand(paths, out_dir, options, rules=extra_rules, config=config_path)
    sys.exit(run(command))


@cli.command("schema")
@click.option(
    "--record",
    is_flag=True,
    help="Only the EvseDataRecord schema (default: the whole eRoamingPushEvseData request).",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write it to FILE.")
@rules_option
@guarded
def schema(record: bool, output: Path | None, extra_rules: tuple[Path, ...]) -> None:
    """Print poicheck's JSON Schema (Draft 2020-12) of the payloads `export` writes."""
    from poicheck.output import write_text
    from poicheck.ruleset.loader import load_ruleset
    from poicheck.schema import record_schema, request_schema

    ruleset = load_ruleset(list(extra_rules))
    document = record_schema(ruleset) if record else request_schema(ruleset)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is not None:
        write_text(output, text, inputs=extra_rules)
    else:
        click.echo(text, nl=False)
