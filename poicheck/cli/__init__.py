"""The command line: parse options, call the library, pick a renderer, return the exit code.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error or
unusable input; 3 internal error (a bug: please report it).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from poicheck import __version__
from poicheck.errors import EXIT_INTERNAL, EXIT_USAGE, PoicheckError
from poicheck.escape import printable, printable_lines

F = TypeVar("F", bound=Callable[..., Any])


def split_ids(value: str | None) -> tuple[str, ...]:
    """`ADR, GEO002` -> ("ADR", "GEO002"): rule ids or prefixes given comma-separated."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _fail(message: str, code: int, details: tuple[str, ...] = ()) -> None:
    click.echo(printable_lines([f"poicheck: error: {message}", *details]), err=True)
    sys.exit(code)


def echo(text: str, *, err: bool = False) -> None:
    """A line for people about data (a file, a sheet name): control characters escaped."""
    click.echo(printable(text), err=err)


def say(kind: str, message: str) -> None:
    """`poicheck: note: ...` (or error) on stderr; data values in it shown escaped."""
    click.echo(printable(f"poicheck: {kind}: {message}"), err=True)


def guarded(func: F) -> F:
    """Turn PoicheckErrors into one clear line on stderr; never show a traceback unless --debug."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PoicheckError as exc:
            if os.environ.get("POICHECK_DEBUG"):
                traceback.print_exc()
            _fail(exc.headline, exc.exit_code, exc.details)
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:  # `poicheck ... | head`: the reader is gone, nobody to tell
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_USAGE)
        except Exception as exc:  # a bug; keep the user's terminal free of a traceback
            if os.environ.get("POICHECK_DEBUG"):
                traceback.print_exc()
            _fail(
                f"internal error ({type(exc).__name__}: {exc}); rerun with --debug and report it",
                EXIT_INTERNAL,
            )
        return None

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def encoding_callback(_ctx: Any, _param: Any, value: str | None) -> str | None:
    """`--encoding`: a text encoding Python knows, checked before anything is read."""
    from poicheck.userfiles import check_encoding

    if value is None:
        return None
    try:
        return check_encoding(value)
    except PoicheckError as exc:
        raise click.BadParameter(exc.message) from exc


def files_read(
    paths: Iterable[Path],
    *,
    rules: Iterable[Path] = (),
    mapping: Path | None = None,
    config: Path | None = None,
) -> list[Path]:
    """Every file a run reads (data, rule files, the mapping, the configuration given or found
    near the data, and what it names): none of them may be an output."""
    from poicheck.config import discover

    paths = list(paths)
    found = discover(paths, config)
    return [*paths, *rules, *([mapping] if mapping else []), *(Path(f) for f in found.files())]


def rules_option(func: F) -> F:
    """`--rules PATH` (repeatable): extra rule files or directories."""
    return click.option(
        "--rules",
        "extra_rules",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Extra rule file or directory, added to the shipped rule set (repeatable).",
    )(func)


def operator_options(func: F) -> F:
    """`--operator-id`, `--operator-name` and `--sub-operator-id` (repeatable): who pushes."""
    options = [
        click.option(
            "--operator-id",
            help="OperatorID of the push (else the input's JSON envelope or the configuration).",
        ),
        click.option(
            "--operator-name",
            help="OperatorName of the push (else the JSON envelope or the configuration).",
        ),
        click.option(
            "--sub-operator-id",
            "sub_operator_ids",
            multiple=True,
            help="A sub-operator configured at Hubject whose EvseIDs the operator may push "
            "(repeatable).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def format_option(*choices: str) -> Callable[[F], F]:
    """`--format` with the given choices, the first being the default."""

    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(list(choices)),
            default=choices[0],
            show_default=True,
            help="Output format.",
        )(func)

    return decorate


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        os.environ["POICHECK_DEBUG"] = "1"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="poicheck")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_debug,
    help="Show tracebacks of errors (for bug reports).",
)
def cli() -> None:
    """Check EV charging-point master data against OICP 2.3 before pushing it to Hubject."""


def main() -> None:
    """Console-script entry point."""
    # poicheck never multiplies matrices, but numpy's OpenBLAS starts a worker thread per
    # CPU that spins for a while (2-3 % of the CPU in a profile of a large run); set before
    # numpy is first imported. A user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from poicheck.cli import export as _export  # noqa: F401  (registers commands)
    from poicheck.cli import map as _map  # noqa: F401
    from poicheck.cli import report as _report  # noqa: F401
    from poicheck.cli import rules as _rules  # noqa: F401  (registers commands)
    from poicheck.cli import validate as _validate  # noqa: F401
    from poicheck.cli import workbooks as _workbooks  # noqa: F401

    try:
        cli(prog_name="poicheck")  # standalone mode: always ends in SystemExit
    except SystemExit as done:
        if not isinstance(done.code, int | None):
            raise
        code = done.code or 0
    # Leave without tearing the interpreter down: freeing a million-row table object by
    # object took ~0.3 s after the output was written. Everything is written and closed by
    # now (outputs are atomic, workers joined); only the standard streams need a flush.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing left to show
        pass
    os._exit(code)
