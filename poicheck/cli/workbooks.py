"""`poicheck form`, `poicheck annotate` and `poicheck template`: workbooks for people.

Each exits 0 when the workbook is written, whatever the findings (`poicheck validate` is the
gate), and 2 without writing anything when an input is unusable or an option is wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from poicheck.cli import (
    cli,
    echo,
    guarded,
    input_options,
    output_option,
    quiet_option,
    rules_option,
    say,
    split_ids,
)
from poicheck.cli.inputs import Inputs

_output_option = output_option("The workbook to write (.xlsx).", required=True, dir_okay=False)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class FormOptions:
    """`poicheck form`: the data, the workbook to write, and optionally a foreign form to fill."""

    inputs: Inputs
    output: Path
    template: Path | None = None
    template_sheet: str | None = None
    property_column: str | None = None
    answer_column: str | None = None
    note_column: str | None = None


def _note(message: str) -> None:
    say("note", message)


def _say(inputs: Inputs, message: str) -> None:
    """The summary line of a workbook written (not with --quiet)."""
    if not inputs.quiet:
        echo(message)


def _mapping(inputs: Inputs, ruleset: Any) -> Any:
    """The column mapping named by --mapping, loaded once for reading and annotating."""
    if inputs.mapping is None:
        return None
    from poicheck.mapping import load_mapping

    return load_mapping(inputs.mapping, ruleset, operator_id=inputs.operator_id)


def _validate(inputs: Inputs, sources: Sequence[Any], mapping: Any) -> Any:
    """The report of `sources` (paths, or tables already read) under the options."""
    from poicheck.api import validate

    return validate(list(sources), **{**inputs.checks(), "mapping": mapping})


def run_form(options: FormOptions) -> int:
    """Check the data, write the form (or fill the template); return the exit code."""
    from poicheck.workbooks.answers import ANSWERS, answer_counts
    from poicheck.workbooks.cells import check_output, save_workbook
    from poicheck.workbooks.fill import TemplateSpec, fill_template
    from poicheck.workbooks.form import data_check, form_workbook

    template = [options.template] if options.template else []
    inputs = [*options.inputs.files(), *template]
    check_output(options.output, inputs)
    from poicheck.readers import read_table
    from poicheck.ruleset.loader import load_ruleset

    data, _ = options.inputs.configured()
    # Read once: the tables feed both the checks and the form's "provided" counts.
    ruleset = load_ruleset(list(data.rules))
    ruleset.select(data.select, data.ignore)  # an unknown rule id stops before the reading
    mapping = _mapping(data, ruleset)
    tables = [
        read_table(p, ruleset, sheet=data.sheet, encoding=data.encoding, mapping=mapping)
        for p in data.paths
    ]
    report = _validate(data, tables, mapping)
    check = data_check(
        report, tables, operator_id=data.operator_id, operator_name=data.operator_name
    )
    counts = answer_counts(check.answers)
    summary = ", ".join(f"{counts[a]} {a}" for a in ANSWERS)
    if options.template is None:
        save_workbook(form_workbook(check), options.output, inputs)
        _say(data, f"{options.output}: {len(check.answers)} properties: {summary}")
        return 0
    spec = TemplateSpec(
        path=options.template,
        sheet=options.template_sheet,
        property_column=options.property_column,
        answer_column=options.answer_column,
        note_column=options.note_column,
    )
    workbook, result = fill_template(spec, check.answers, report.ruleset, out=options.output)
    save_workbook(workbook, options.output, inputs)
    _say(
        data,
        f"{options.output}: filled {len(result.filled)} rows of sheet '{result.sheet}' "
        f"(properties in column {result.property_column}, answers in column "
        f"{result.answer_column}): {summary}",
    )
    for row, text in result.unmatched:
        _note(f"row {row} '{text}' names no EvseDataRecord property; left as it was")
    if result.missing:
        _note("not in the template: " + ", ".join(result.missing))
    for warning in result.warnings:
        _note(warning)
    return 0


def run_annotate(inputs: Inputs, output: Path) -> int:
    """Check one workbook and write its annotated copy; return the exit code."""
    from poicheck.errors import UsageError
    from poicheck.workbooks.annotate import annotate_workbook
    from poicheck.workbooks.cells import check_output, save_workbook

    if len(inputs.paths) != 1 or inputs.paths[0].suffix.lower() not in (".xlsx", ".xlsm"):
        raise UsageError("annotate takes one .xlsx workbook")
    read = inputs.files()
    check_output(output, read)
    from poicheck.ruleset.loader import load_ruleset

    inputs, _ = inputs.configured()
    mapping = _mapping(inputs, load_ruleset(list(inputs.rules)))
    report = _validate(inputs, inputs.paths, mapping)
    workbook, result = annotate_workbook(inputs.paths[0], report, out=output, mapping=mapping)
    save_workbook(workbook, output, read)
    _say(
        inputs,
        f"{output}: {result.findings} findings on {result.cells} cells of sheet "
        f"'{result.sheet}' (header row {result.header_row}); listed in sheet "
        f"'{result.findings_sheet}'",
    )
    if result.sheet_only:
        _note(
            f"{result.sheet_only} findings about the file or the push envelope have no cell; "
            f"they are only in sheet '{result.findings_sheet}'"
        )
    for warning in result.warnings:
        _note(warning)
    return 0


def run_template(out: Path, rules: tuple[Path, ...], languages: tuple[str, ...], items: int) -> int:
    """Write the empty input workbook; return the exit code."""
    from poicheck.ruleset.loader import load_ruleset
    from poicheck.workbooks.cells import check_output, save_workbook
    from poicheck.workbooks.template import template_columns, template_workbook

    check_output(out, rules)
    ruleset = load_ruleset(list(rules))
    save_workbook(template_workbook(ruleset, languages=languages, items=items), out, rules)
    columns = template_columns(ruleset, languages=languages, items=items)
    echo(f"{out}: {len(columns)} columns, one example row")
    return 0


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@input_options
@click.option(
    "--template",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Fill this form workbook (e.g. the onboarding team's) instead of poicheck's own.",
)
@click.option("--template-sheet", help="The template's sheet (default: detected).")
@click.option("--property-column", help="Template column of property names (letter or header).")
@click.option("--answer-column", help="Template column for the answers (letter or header).")
@click.option("--note-column", help="Template column for poicheck's notes (default: none).")
@quiet_option
@guarded
def form(
    paths: tuple[Path, ...],
    output: Path,
    template: Path | None,
    template_sheet: str | None,
    property_column: str | None,
    answer_column: str | None,
    note_column: str | None,
    **kwargs: Any,
) -> None:
    """Write the POI data-check form, answered from the data in PATHS."""
    options = FormOptions(
        inputs=Inputs.of(paths, kwargs),
        output=output,
        template=template,
        template_sheet=template_sheet,
        property_column=property_column,
        answer_column=answer_column,
        note_column=note_column,
    )
    sys.exit(run_form(options))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@_output_option
@input_options
@quiet_option
@guarded
def annotate(path: Path, output: Path, **kwargs: Any) -> None:
    """Copy the workbook PATH with every failing cell highlighted and commented."""
    sys.exit(run_annotate(Inputs.of((path,), kwargs), output))


@cli.command()
@_output_option
@rules_option
@click.option(
    "--languages",
    default="en",
    show_default=True,
    help="Languages of the InfoText columns, comma-separated (first = shown first).",
)
@click.option(
    "--items",
    type=click.IntRange(1, 20),
    default=1,
    show_default=True,
    help="Columns for this many items of each list of objects (ChargingFacilities...).",
)
@guarded
def template(output: Path, extra_rules: tuple[Path, ...], languages: str, items: int) -> None:
    """Write an empty input workbook in the canonical layout, with an example row."""
    sys.exit(run_template(output, extra_rules, split_ids(languages), items))
