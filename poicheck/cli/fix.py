"""`poicheck fix`: a corrected copy of the input and the list of its changes.

Exit codes: 0 the copy has no error left; 1 errors remain; 2 usage error or unusable input
(nothing written); 3 internal error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from poicheck.cli import (
    cli,
    echo,
    format_option,
    guarded,
    input_options,
    output_option,
    quiet_option,
)
from poicheck.cli.inputs import Inputs


@dataclass(frozen=True)
class FixCommand:
    """Everything `poicheck fix` was asked to do, as plain typed values."""

    inputs: Inputs
    output: Path | None
    unsafe: bool = False
    diff: bool = False
    output_format: str = "text"


def run(command: FixCommand) -> int:
    """Fix, print the change list or its summary, return the exit code."""
    from poicheck.fix.render import render_json, render_text
    from poicheck.fix.run import FixOptions, fix_file

    inputs, _ = command.inputs.configured()
    options = FixOptions(
        output=command.output,
        unsafe=command.unsafe,
        diff=command.diff,
        checks=inputs.checks(),
    )
    result = fix_file(inputs.paths[0], options, inputs=inputs.files())
    if command.output_format == "json":
        click.echo(render_json(result), nl=False)
    elif command.diff or not inputs.quiet:
        echo_lines = render_text(result, diff=command.diff).splitlines()
        for line in echo_lines:
            echo(line)
    return result.exit_code()


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@output_option(
    "The corrected copy, in the input's format (.csv, .xlsx, .json, .jsonl).", dir_okay=False
)
@click.option(
    "--unsafe-fixes",
    "unsafe",
    is_flag=True,
    help="Also apply the unsafe fixes: guesses a person should review (swapped coordinates, "
    "400 V on three-phase AC, a national phone number, a time zone from the position).",
)
@click.option("--diff", is_flag=True, help="Show every change; write nothing.")
@format_option("text", "json")
@input_options
@quiet_option
@guarded
def fix(
    path: Path, output: Path | None, unsafe: bool, diff: bool, output_format: str, **kwargs: Any
) -> None:
    """Write a corrected copy of PATH with the fixes the rules declare, and list them."""
    command = FixCommand(
        inputs=Inputs.of((path,), kwargs),
        output=output,
        unsafe=unsafe,
        diff=diff,
        output_format=output_format,
    )
    sys.exit(run(command))
