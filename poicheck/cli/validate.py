"""`poicheck validate`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from poicheck.cli import (
    F,
    cli,
    format_option,
    guarded,
    input_options,
    output_option,
    quiet_option,
    say_error,
)
from poicheck.cli.inputs import Inputs
from poicheck.errors import UsageError
from poicheck.files.limits import CHUNK_ROWS, MAX_CSV_BYTES, MiB
from poicheck.render import renderer_names

if TYPE_CHECKING:
    from poicheck.results.report import Report


@dataclass(frozen=True)
class ValidateOptions:
    """Everything `poicheck validate` was asked to do, as plain typed values."""

    inputs: Inputs
    output_format: str = "text"
    output: Path | None = None
    fail_on: str | None = None
    max_findings: int | None = None
    statistics: bool = False
    engine: str = "arrow"
    chunk_rows: int | None = None
    workers: int | None = None


def load_report(options: ValidateOptions) -> tuple[Report, str]:
    """Validate with the configuration merged in (the command line wins); return the report
    and the --fail-on level. A progress bar shows on a terminal for long runs."""
    from poicheck.api import validate
    from poicheck.cli.progress import progress_bar

    inputs, config = options.inputs.configured()
    fail_on = options.fail_on or config.fail_on or "error"
    with progress_bar(quiet=inputs.quiet) as bar:
        report = validate(
            list(inputs.paths),
            **inputs.checks(),
            progress=bar,
            engine=options.engine,
            chunk_rows=options.chunk_rows,
            workers=options.workers,
        )
    return report, fail_on


def run(options: ValidateOptions, *, color: bool) -> int:
    """Validate, render, write; return the exit code."""
    from poicheck.files.output import check_output, write_text
    from poicheck.render import render

    if options.statistics and options.output_format != "text":
        raise UsageError("--statistics is a text summary; it does not go with --format")
    inputs = options.inputs.files()
    if options.output is not None:
        check_output(options.output, inputs)  # before a long run, not after it
    report, fail_on = load_report(options)
    if options.max_findings is not None:
        report.limit(options.max_findings)
    text = render(
        options.output_format,
        report,
        color=color and options.output is None,
        fail_on=fail_on,
        statistics=options.statistics,
    )
    if options.output is not None:
        write_text(options.output, text, inputs=inputs)
    else:
        click.echo(text, nl=False, color=color)
    for result in report.unreadable:
        say_error(f"{result.file}: {result.error}")
    return report.exit_code(fail_on)


def use_color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def fail_on_option(func: F) -> F:
    """`--fail-on`: the lowest severity that makes the exit code 1."""
    return click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info", "never"]),
        default=None,
        help="Lowest severity that makes the exit code 1 (default: error).",
    )(func)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option(*renderer_names())
@output_option("Write the report to FILE (`-`: standard output).", dir_okay=False)
@fail_on_option
@input_options
@click.option(
    "--max-findings",
    type=click.IntRange(min=0),
    help="List at most N findings, the most severe first; counts and exit code cover all.",
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Print only the findings by rule (count, EVSEs, severity, consequence, an example), "
    "the counts and the score.",
)
@click.option(
    "--engine",
    type=click.Choice(["arrow", "pandera"]),
    default="arrow",
    show_default=True,
    help="Run the cell checks directly on pyarrow arrays, or as a lazy pandera schema "
    "compiled from the same rules (same findings, slower).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Read CSV and JSON Lines files N records at a time, in bounded memory (same "
    "findings); 0 reads "
    f"every file at once [default: chunks of {CHUNK_ROWS:,} for files over "
    f"{MAX_CSV_BYTES // MiB:,} MiB].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Processes that check a large file together (Linux; same findings) "
    "[default: one per available CPU].",
)
@quiet_option
@guarded
def validate(paths: tuple[Path, ...], **values: Any) -> None:
    """Validate EVSE data in .xlsx, .csv, OICP .json or JSON Lines (.jsonl) files, or in the
    data files of a folder."""
    options = ValidateOptions(
        inputs=Inputs.of(paths, values),
        **{f.name: values[f.name] for f in dataclass_fields(ValidateOptions) if f.name in values},
    )
    sys.exit(run(options, color=use_color()))
