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

from poicheck.cli import cli, echo, guarded, input_options, quiet_option, say_error
from poicheck.cli.inputs import Inputs
from poicheck.cli.validate import ValidateOptions, fail_on_option, load_report
from poicheck.errors import UsageError
from poicheck.files.output import check_output, is_input
from poicheck.render.html import LIMIT


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
    """The outputs, each checked against every file the run reads; return those files."""
    outputs = [path for path in (options.html, options.markdown) if path is not None]
    if not outputs:
        raise UsageError("nothing to write: give --html FILE and/or --markdown FILE")
    inputs = options.validation.inputs.files()
    for path in outputs:
        check_output(path, inputs)
    if len(outputs) == 2 and is_input(outputs[0], outputs[1:]):
        raise UsageError("--html and --markdown name the same file")
    return inputs


def run(options: ReportOptions) -> int:
    """Validate, write the reports, print the summary; return the exit code."""
    from poicheck.files.output import write_text
    from poicheck.render import render
    from poicheck.render._common import score_line
    from poicheck.render.html import render_html
    from poicheck.render.text import summary_line

    inputs = _check_outputs(options)  # before a long run, not after it
    report, fail_on = load_report(options.validation)
    written = []
    if options.html is not None:
        html = render_html(report, title=options.title, limit=options.limit)
        write_text(options.html, html, inputs=inputs)
        written.append(options.html)
    if options.markdown is not None:
        text = render("markdown", report, max_findings=options.max_findings)
        write_text(options.markdown, text, inputs=inputs)
        written.append(options.markdown)
    for result in report.unreadable:
        say_error(f"{result.file}: {result.error}")
    if not options.validation.inputs.quiet:
        click.echo(summary_line(report))
        score = score_line(report)
        if score:
            click.echo(score)
        for path in written:
            echo(f"Wrote {path}")
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
