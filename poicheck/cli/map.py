"""`poicheck map`: propose a column mapping for a foreign spreadsheet layout."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from poicheck.cli import (
    cli,
    echo,
    encoding_option,
    guarded,
    output_option,
    rules_option,
    sheet_option,
)


@dataclass(frozen=True)
class MapOptions:
    """Everything `poicheck map` was asked to do, as plain typed values."""

    path: Path
    output: Path | None = None
    force: bool = False
    sheet: str | None = None
    encoding: str | None = None
    rules: tuple[Path, ...] = ()


def run(options: MapOptions) -> int:
    """Propose, check that the proposal loads, write it (or print it); return the exit code."""
    from poicheck.errors import UsageError
    from poicheck.files.output import check_output, write_text
    from poicheck.files.yaml_loader import load_yaml
    from poicheck.mapping import parse_mapping
    from poicheck.mapping.propose import propose_file, render
    from poicheck.ruleset.loader import load_ruleset

    read = [options.path, *options.rules]
    if options.output is not None:
        check_output(options.output, read)  # before the proposal, not after it
    ruleset = load_ruleset(list(options.rules))
    proposal = propose_file(
        str(options.path), ruleset, sheet=options.sheet, encoding=options.encoding
    )
    out = options.output or Path("MAPPING.yaml")
    command = f"poicheck validate {options.path} --mapping {out}"
    text = render(proposal, command=command)
    parse_mapping(load_yaml(text), ruleset, "<proposal>")  # a proposal always loads
    if options.output is None:
        click.echo(text, nl=False)
        return 0
    if options.output.exists() and not options.force:
        raise UsageError(
            "exists already (a reviewed mapping?); give --force to replace it",
            location=str(options.output),
        )
    write_text(options.output, text, inputs=read)
    mapped = [e for e in proposal.entries if e.targets]
    check = sum(
        "check:" in e.note or any("check:" in why for _, why in e.values.values()) for e in mapped
    )
    echo(
        f"{options.output}: {len(mapped)} column(s) mapped ({check} to check), "
        f"{len(proposal.entries) - len(mapped)} ignored, {len(proposal.canonical)} canonical "
        "already. Review it, then run:",
        err=True,
    )
    echo(f"  {command}", err=True)
    return 0


@cli.command(name="map")
@click.argument("path", type=click.Path(path_type=Path))
@output_option("Write the mapping to FILE (YAML).", dir_okay=False)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@sheet_option
@encoding_option
@rules_option
@guarded
def map_command(
    path: Path,
    output: Path | None,
    force: bool,
    sheet: str | None,
    encoding: str | None,
    extra_rules: tuple[Path, ...],
) -> None:
    """Propose a column mapping for a spreadsheet in another layout (review it, then use it
    with `poicheck validate --mapping`)."""
    options = MapOptions(path, output, force, sheet, encoding, extra_rules)
    sys.exit(run(options))
