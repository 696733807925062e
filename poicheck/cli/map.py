"""`poicheck map`: propose a column mapping for a foreign spreadsheet layout."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    if proposal.uses_operator:
        command += " --operator-id 'XX*XXX'"
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
    echo(f"{options.output}: {_summary(proposal)}. Review it, then run:", err=True)
    echo(f"  {command}", err=True)
    if proposal.missing:
        names = ", ".join(path for path, _, _ in proposal.missing)
        echo(
            f"Mandatory in OICP with no source in the file (give them under fields): {names}",
            err=True,
        )
    return 0


def _summary(proposal: Any) -> str:
    """What the proposal maps, ignores and guesses."""
    groups = proposal.groups
    entries = [*proposal.entries, *(groups.entries if groups else [])]
    mapped = [e for e in entries if e.targets]
    check = sum(
        "check:" in e.note or any("check:" in why for _, why in e.values.values()) for e in mapped
    ) + sum("check:" in f.note for f in proposal.fields)
    parts = [f"{len(mapped)} column(s) mapped"]
    if groups is not None:
        numbered = sum(bool(e.targets) for e in groups.entries)
        first, last = groups.numbers[0], groups.numbers[-1]
        parts.append(f"{numbered} of them numbered {first} to {last}, one EVSE per group")
    parts.append(f"{len(proposal.fields)} field(s) built")
    parts.append(f"{check} to check")
    parts.append(f"{len(entries) - len(mapped)} ignored")
    parts.append(f"{len(proposal.canonical)} canonical already")
    return ", ".join(parts)


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
