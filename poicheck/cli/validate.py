"""`poicheck validate`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from poicheck.cli import cli, format_option, guarded, rules_option


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class ValidateOptions:
    """Everything `poicheck validate` was asked to do, as plain typed values."""

    paths: tuple[Path, ...]
    output_format: str = "text"
    output: Path | None = None
    rules: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    sheet: str | None = None
    encoding: str | None = None
    operator_id: str | None = None
    operator_name: str | None = None


def run(options: ValidateOptions, *, color: bool) -> int:
    """Validate, render, write; return the exit code."""
    from poicheck.api import validate
    from poicheck.output import write_text_atomic
    from poicheck.render import render

    report = validate(
        list(options.paths),
        rules=list(options.rules),
        select=options.select,
        ignore=options.ignore,
        sheet=options.sheet,
        encoding=options.encoding,
        operator_id=options.operator_id,
        operator_name=options.operator_name,
    )
    text = render(options.output_format, report, color=color and options.output is None)
    if options.output is not None:
        write_text_atomic(options.output, text)
    else:
        click.echo(text, nl=False, color=color)
    for result in report.unreadable:
        click.echo(f"poicheck: error: {result.file}: {result.error}", err=True)
    return report.exit_code(options.fail_on)


def use_color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option("text", "json")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the report to FILE.")
@rules_option
@click.option(
    "--select", help="Only these rule ids or prefixes, comma-separated (e.g. ADR,GEO002)."
)
@click.option("--ignore", help="Skip these rule ids or prefixes, comma-separated.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="error",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option("--sheet", help="Worksheet to read from .xlsx files (default: first visible).")
@click.option("--encoding", help="Encoding of .csv files (default: detected).")
@click.option("--operator-id", help="OperatorID of the push, when the input has no envelope.")
@click.option("--operator-name", help="OperatorName of the push, when the input has no envelope.")
@guarded
def validate(
    paths: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    extra_rules: tuple[Path, ...],
    select: str | None,
    ignore: str | None,
    fail_on: str,
    sheet: str | None,
    encoding: str | None,
    operator_id: str | None,
    operator_name: str | None,
) -> None:
    """Validate EVSE data in .xlsx, .csv or OICP .json files."""
    options = ValidateOptions(
        paths=paths,
        output_format=output_format,
        output=output,
        rules=extra_rules,
        select=_ids(select),
        ignore=_ids(ignore),
        fail_on=fail_on,
        sheet=sheet,
        encoding=encoding,
        operator_id=operator_id,
        operator_name=operator_name,
    )
    sys.exit(run(options, color=use_color()))
