"""`poicheck validate`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from poicheck.cli import (
    cli,
    encoding_callback,
    files_read,
    format_option,
    guarded,
    operator_options,
    rules_option,
    say,
    split_ids,
)
from poicheck.limits import CHUNK_ROWS, MAX_CSV_BYTES, MiB
from poicheck.render import renderer_names

if TYPE_CHECKING:
    from poicheck.report import Report


@dataclass(frozen=True)
class ValidateOptions:
    """Everything `poicheck validate` was asked to do, as plain typed values."""

    paths: tuple[Path, ...]
    output_format: str = "text"
    output: Path | None = None
    rules: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    mapping: Path | None = None
    operator_id: str | None = None
    operator_name: str | None = None
    sub_operator_ids: tuple[str, ...] = ()
    config: Path | None = None
    quiet: bool = False
    max_findings: int | None = None
    engine: str = "arrow"
    chunk_rows: int | None = None
    workers: int | None = None


def load_report(options: ValidateOptions) -> tuple[Report, str]:
    """Validate with the configuration merged in (the command line wins); return the report
    and the --fail-on level. A progress bar shows on a terminal for long runs."""
    from poicheck.api import validate
    from poicheck.cli.progress import progress_bar
    from poicheck.config import discover

    # The configuration near the data fills in what the command line does not say.
    config = discover(list(options.paths), options.config)
    fail_on = options.fail_on or config.fail_on or "error"
    with progress_bar(quiet=options.quiet) as bar:
        report = validate(
            list(options.paths),
            rules=[*config.rules, *options.rules],
            select=options.select or config.select,
            ignore=options.ignore or config.ignore,
            sheet=options.sheet,
            encoding=options.encoding,
            mapping=options.mapping or config.mapping,
            operator_id=options.operator_id or config.operator_id,
            operator_name=options.operator_name or config.operator_name,
            sub_operator_ids=options.sub_operator_ids or config.sub_operator_ids,
            progress=bar,
            engine=options.engine,
            chunk_rows=options.chunk_rows,
            workers=options.workers,
        )
    return report, fail_on


def run(options: ValidateOptions, *, color: bool) -> int:
    """Validate, render, write; return the exit code."""
    from poicheck.output import check_output, write_text
    from poicheck.render import render

    inputs = files_read(
        options.paths, rules=options.rules, mapping=options.mapping, config=options.config
    )
    if options.output is not None:
        check_output(options.output, inputs)  # before a long run, not after it
    report, fail_on = load_report(options)
    if options.max_findings is not None:
        report.limit(options.max_findings)
    text = render(
        options.output_format, report, color=color and options.output is None, fail_on=fail_on
    )
    if options.output is not None:
        write_text(options.output, text, inputs=inputs)
    else:
        click.echo(text, nl=False, color=color)
    for result in report.unreadable:
        say("error", f"{result.file}: {result.error}")
    return report.exit_code(fail_on)


def use_color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option(*renderer_names())
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write the report to FILE (`-`: standard output).",
)
@rules_option
@click.option(
    "--select", help="Only these rule ids or prefixes, comma-separated (e.g. ADR,GEO002)."
)
@click.option("--ignore", help="Skip these rule ids or prefixes, comma-separated.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default=None,
    help="Lowest severity that makes the exit code 1 (default: error).",
)
@click.option("--sheet", help="Worksheet to read from .xlsx files (default: first visible).")
@click.option(
    "--encoding",
    callback=encoding_callback,
    help="Encoding of .csv files, e.g. cp1252 or utf-16 (default: detected).",
)
@click.option(
    "--mapping",
    type=click.Path(path_type=Path),
    help="Column mapping (YAML) for a foreign spreadsheet layout; `poicheck map` proposes one.",
)
@operator_options
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Configuration file (default: .poicheck.yaml or pyproject.toml [tool.poicheck] "
    "found above the first input).",
)
@click.option(
    "--max-findings",
    type=click.IntRange(min=0),
    help="List at most N findings, the most severe first; counts and exit code cover all.",
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
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress bar (it only shows on a terminal anyway); `report` prints no summary.",
)
@guarded
def validate(**values: Any) -> None:
    """Validate EVSE data in .xlsx, .csv, OICP .json or JSON Lines (.jsonl) files."""
    sys.exit(run(options_from(values), color=use_color()))


def options_from(values: Mapping[str, Any]) -> ValidateOptions:
    """ValidateOptions from the values of validate's click options (also used by `report`,
    which shares them); options a command does not have keep their defaults."""
    renamed = {"extra_rules": "rules", "config_path": "config"}
    fields = {f.name for f in dataclass_fields(ValidateOptions)}
    given = {renamed.get(k, k): v for k, v in values.items()}
    given["select"] = split_ids(given.get("select"))
    given["ignore"] = split_ids(given.get("ignore"))
    return ValidateOptions(**{k: v for k, v in given.items() if k in fields})
