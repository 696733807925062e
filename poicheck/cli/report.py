"""`poicheck report`: a self-contained HTML compliance report and a Markdown summary.

It takes the same inputs, input options and --fail-on as `poicheck validate` (the very same
click options, so the two never drift apart), and exits like it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from poicheck.cli import Inputs, cli, guarded, input_options, quiet_option, say_error
from poicheck.cli.validate import ValidateOptions, fail_on_option, load_report
from poicheck.errors import UsageError
from poicheck.report_html import LIMIT


@dataclass(frozen=True)
class ReportOptions:
    """What `poicheck report` was asked to do."""

    validation: ValidateOptions
    html: Path | None = None
    markdown: Path | None = None
    title: str | None = None
    limit: int = LIMIT
    max_findings: int = 50


def _check_outputs(options: ReportOptions) -> list[Path]:
    outputs = [path for path in (options.html, options.markdown) if path is not None]
    if not outputs:
        raise UsageError("nothing to write: give --html FILE and/or --markdown FILE")
    inputs = {path.resolve() for path in options.validation.inputs.paths}
    for path in outputs:
        if path.resolve() in inputs:
            raise UsageError("is an input; the report never overwrites it", location=str(path))
        if path.is_dir():
            raise UsageError("is a directory", location=str(path))
        if not path.resolve().parent.is_dir():
            raise UsageError("the directory does not exist", location=str(path))
    if len(set(outputs)) < len(outputs):
        raise UsageError("--html and --markdown name the same file")
    return outputs


def run(options: ReportOptions) -> int:
    """Validate, write the reports, print the summary; return the exit code."""
    from poicheck.output import write_text_atomic
    from poicheck.render import render
    from poicheck.render._common import score_line
    from poicheck.render.text import summary_line
    from poicheck.report_html import render_html

    _check_outputs(options)  # before a long run, not after it
    report, fail_on = load_report(options.validation)
    written = []
    if options.html is not None:
        write_text_atomic(
            options.html, render_html(report, title=options.title, limit=options.limit)
        )
        written.append(options.html)
    if options.markdown is not None:
        text = render("markdown", report, max_findings=options.max_findings)
        write_text_atomic(options.markdown, text)
        written.append(options.markdown)
    for result in report.unreadable:
        say_error(f"{result.file}: {result.error}")
    if not options.validation.inputs.quiet:
        click.echo(summary_line(report))
        score = score_line(report)
        if score:
            click.echo(score)
        for path in written:
            click.echo(f"Wrote {path}")
    return report.exit_code(fail_on)


@cli.command("report")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--html",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Write the self-contained HTML report (score, charts, findings, EVSEs) to FILE.",
)
@click.option(
    "--markdown",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Write a Markdown summary for a pull-request comment to FILE.",
)
@click.option("--title", help="Title of the HTML report.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=LIMIT,
    show_default=True,
    help="Rows of the HTML findings and EVSE tables, at most (most severe first).",
)
@click.option(
    "--max-findings",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Findings listed in the Markdown summary, at most.",
)
@fail_on_option
@input_options
@quiet_option
@guarded
def report(
    paths: tuple[Path, ...],
    html: Path | None,
    markdown: Path | None,
    title: str | None,
    limit: int,
    max_findings: int,
    fail_on: str | None,
    **inputs: Any,
) -> None:
    """Write an HTML compliance report and/or a Markdown summary of EVSE data files.

    Takes the inputs, input options and --fail-on of `poicheck validate`, and exits like it:
    1 when findings at or above --fail-on remain (after writing the reports), 2 for unusable
    input.
    """
    options = ReportOptions(
        validation=ValidateOptions(Inputs.of(paths, inputs), fail_on=fail_on),
        html=html,
        markdown=markdown,
        title=title,
        limit=limit,
        max_findings=max_findings,
    )
    sys.exit(run(options))
