"""`poicheck form`, `poicheck annotate` and `poicheck template`: workbooks for people.

Each exits 0 when the workbook is written, whatever the findings (`poicheck validate` is the
gate), and 2 without writing anything when an input is unusable or an option is wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import click

from poicheck.cli import (
    cli,
    echo,
    encoding_callback,
    files_read,
    guarded,
    operator_options,
    rules_option,
    say,
    split_ids,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class DataOptions:
    """How to read and check the data a workbook is made from."""

    paths: tuple[Path, ...]
    out: Path
    rules: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sheet: str | None = None
    encoding: str | None = None
    operator_id: str | None = None
    operator_name: str | None = None
    sub_operator_ids: tuple[str, ...] = ()
    config: Path | None = None
    mapping: Path | None = None


@dataclass(frozen=True)
class FormOptions:
    """`poicheck form`: the data, and optionally a foreign form to fill."""

    data: DataOptions
    template: Path | None = None
    template_sheet: str | None = None
    property_column: str | None = None
    answer_column: str | None = None
    note_column: str | None = None


def _note(message: str) -> None:
    say("note", message)


def _configured(options: DataOptions) -> DataOptions:
    """The options completed by the configuration found near the data (as `validate` does)."""
    from poicheck.config import discover

    config = discover(list(options.paths), options.config)
    return replace(
        options,
        rules=(*(Path(p) for p in config.rules), *options.rules),
        select=options.select or config.select,
        ignore=options.ignore or config.ignore,
        operator_id=options.operator_id or config.operator_id,
        operator_name=options.operator_name or config.operator_name,
        sub_operator_ids=options.sub_operator_ids or config.sub_operator_ids,
        mapping=options.mapping or (Path(config.mapping) if config.mapping else None),
    )


def _mapping(options: DataOptions, ruleset: Any) -> Any:
    """The column mapping named by --mapping, loaded once for reading and annotating."""
    if options.mapping is None:
        return None
    from poicheck.mapping import load_mapping

    return load_mapping(options.mapping, ruleset)


def _validate(options: DataOptions, sources: Sequence[Any], mapping: Any) -> Any:
    """The report of `sources` (paths, or tables already read) under the options."""
    from poicheck.api import validate

    return validate(
        list(sources),
        mapping=mapping,
        rules=list(options.rules),
        select=options.select,
        ignore=options.ignore,
        sheet=options.sheet,
        encoding=options.encoding,
        operator_id=options.operator_id,
        operator_name=options.operator_name,
        sub_operator_ids=options.sub_operator_ids,
    )


def run_form(options: FormOptions) -> int:
    """Check the data, write the form (or fill the template); return the exit code."""
    from poicheck.workbooks.answers import ANSWERS, answer_counts
    from poicheck.workbooks.cells import check_output, save_workbook
    from poicheck.workbooks.fill import TemplateSpec, fill_template
    from poicheck.workbooks.form import data_check, form_workbook

    given = options.data
    read = files_read(given.paths, rules=given.rules, mapping=given.mapping, config=given.config)
    inputs = [*read, *([options.template] if options.template else [])]
    check_output(options.data.out, inputs)
    from poicheck.readers import read_table
    from poicheck.ruleset.loader import load_ruleset

    data = _configured(options.data)
    # Read once: the tables feed both the checks and the form's "provided" counts.
    ruleset = load_ruleset(list(data.rules))
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
        save_workbook(form_workbook(check), data.out, inputs)
        echo(f"{data.out}: {len(check.answers)} properties: {summary}")
        return 0
    spec = TemplateSpec(
        path=options.template,
        sheet=options.template_sheet,
        property_column=options.property_column,
        answer_column=options.answer_column,
        note_column=options.note_column,
    )
    workbook, result = fill_template(spec, check.answers, report.ruleset, out=data.out)
    save_workbook(workbook, data.out, inputs)
    echo(
        f"{data.out}: filled {len(result.filled)} rows of sheet '{result.sheet}' (properties in "
        f"column {result.property_column}, answers in column {result.answer_column}): {summary}"
    )
    for row, text in result.unmatched:
        _note(f"row {row} '{text}' names no EvseDataRecord property; left as it was")
    if result.missing:
        _note("not in the template: " + ", ".join(result.missing))
    for warning in result.warnings:
        _note(warning)
    return 0


def run_annotate(options: DataOptions) -> int:
    """Check one workbook and write its annotated copy; return the exit code."""
    from poicheck.errors import UsageError
    from poicheck.workbooks.annotate import annotate_workbook
    from poicheck.workbooks.cells import check_output, save_workbook

    if len(options.paths) != 1 or options.paths[0].suffix.lower() not in (".xlsx", ".xlsm"):
        raise UsageError("annotate takes one .xlsx workbook")
    inputs = files_read(
        options.paths, rules=options.rules, mapping=options.mapping, config=options.config
    )
    check_output(options.out, inputs)
    from poicheck.ruleset.loader import load_ruleset

    options = _configured(options)
    mapping = _mapping(options, load_ruleset(list(options.rules)))
    report = _validate(options, options.paths, mapping)
    workbook, result = annotate_workbook(options.paths[0], report, out=options.out, mapping=mapping)
    save_workbook(workbook, options.out, inputs)
    echo(
        f"{options.out}: {result.findings} findings on {result.cells} cells of sheet "
        f"'{result.sheet}' (header row {result.header_row}); listed in sheet "
        f"'{result.findings_sheet}'"
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


def data_options(func: F) -> F:
    """The options that say how to read and check the data."""
    options = [
        click.option("--select", help="Only these rule ids or prefixes, comma-separated."),
        click.option("--ignore", help="Skip these rule ids or prefixes, comma-separated."),
        click.option(
            "--sheet", help="Worksheet to read from .xlsx files (default: first visible)."
        ),
        click.option(
            "--encoding",
            callback=encoding_callback,
            help="Encoding of .csv files (default: detected).",
        ),
        operator_options,
        click.option(
            "--mapping",
            type=click.Path(path_type=Path),
            help="Column mapping (YAML) for a foreign spreadsheet layout.",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            help="Configuration file (default: .poicheck.yaml found above the first input).",
        ),
        rules_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _out_option(func: F) -> F:
    return click.option(
        "--out",
        "-o",
        required=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help="The workbook to write (.xlsx).",
    )(func)


def _data(paths: tuple[Path, ...], out: Path, kwargs: dict[str, Any]) -> DataOptions:
    return DataOptions(
        paths=paths,
        out=out,
        rules=kwargs["extra_rules"],
        select=split_ids(kwargs["select"]),
        ignore=split_ids(kwargs["ignore"]),
        sheet=kwargs["sheet"],
        encoding=kwargs["encoding"],
        operator_id=kwargs["operator_id"],
        operator_name=kwargs["operator_name"],
        sub_operator_ids=kwargs["sub_operator_ids"],
        config=kwargs["config_path"],
        mapping=kwargs["mapping"],
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out_option
@data_options
@click.option(
    "--template",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Fill this form workbook (e.g. the onboarding team's) instead of poicheck's own.",
)
@click.option("--template-sheet", help="The template's sheet (default: detected).")
@click.option("--property-column", help="Template column of property names (letter or header).")
@click.option("--answer-column", help="Template column for the answers (letter or header).")
@click.option("--note-column", help="Template column for poicheck's notes (default: none).")
@guarded
def form(
    paths: tuple[Path, ...],
    out: Path,
    template: Path | None,
    template_sheet: str | None,
    property_column: str | None,
    answer_column: str | None,
    note_column: str | None,
    **kwargs: Any,
) -> None:
    """Write the POI data-check form, answered from the data in PATHS."""
    options = FormOptions(
        data=_data(paths, out, kwargs),
        template=template,
        template_sheet=template_sheet,
        property_column=property_column,
        answer_column=answer_column,
        note_column=note_column,
    )
    sys.exit(run_form(options))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@_out_option
@data_options
@guarded
def annotate(path: Path, out: Path, **kwargs: Any) -> None:
    """Copy the workbook PATH with every failing cell highlighted and commented."""
    sys.exit(run_annotate(_data((path,), out, kwargs)))


@cli.command()
@_out_option
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
def template(out: Path, extra_rules: tuple[Path, ...], languages: str, items: int) -> None:
    """Write an empty input workbook in the canonical layout, with an example row."""
    sys.exit(run_template(out, extra_rules, split_ids(languages), items))
