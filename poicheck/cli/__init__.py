"""The command line: parse options, call the library, pick a renderer, return the exit code.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error (click's
own included) or unusable input; 3 internal error (a bug: please report it). Every error is
one `poicheck: error: ...` line on stderr.
"""

from __future__ import annotations

import copy
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from poicheck.errors import EXIT_INTERNAL, EXIT_USAGE, PoicheckError
from poicheck.escape import printable, printable_lines
from poicheck.version import __version__

F = TypeVar("F", bound=Callable[..., Any])


def split_ids(value: str | None) -> tuple[str, ...]:
    """`ADR, GEO002` -> ("ADR", "GEO002"): rule ids or prefixes given comma-separated."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def say_error(message: str, file: IO[Any] | None = None, details: tuple[str, ...] = ()) -> None:
    """An error in poicheck's one style: each line of the message on stderr starts
    `poicheck: error: `, then its details; values from the data are shown escaped."""
    lines = [f"poicheck: error: {line}" for line in message.splitlines() or [""]]
    click.echo(printable_lines([*lines, *details]), file=file, err=file is None)


def _fail(message: str, code: int, details: tuple[str, ...] = ()) -> None:
    say_error(message, details=details)
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
    from poicheck.files.user import check_encoding

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
    from poicheck.cli.config import discover

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


sheet_option = click.option(
    "--sheet", metavar="NAME", help="Worksheet to read from .xlsx files (default: first visible)."
)
encoding_option = click.option(
    "--encoding",
    metavar="ENC",
    callback=encoding_callback,
    help="Encoding of .csv files, e.g. cp1252 or utf-16 (default: detected).",
)


def _rule_ids(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    """`--select ADR,GEO002` -> RuleIds that remember the option, for a located error."""
    from poicheck.ruleset.model import RuleIds

    return RuleIds(split_ids(value), f"--{param.name}")


def _stack(func: F, options: Sequence[Callable[[F], F]]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def input_options(func: F) -> F:
    """The options of every command that reads EVSE data: how to read it, which rules check
    it, who pushes it, and the configuration (README "Input options")."""
    return _stack(func, [*_reading_options(), *_operator_options()])


def _reading_options() -> list[Callable[[F], F]]:
    """How to read the data and which rules check it."""
    path = click.Path(path_type=Path)
    return [
        click.option(
            "--mapping",
            type=path,
            metavar="FILE",
            help="Column mapping (YAML) for a foreign spreadsheet layout; `poicheck map` "
            "proposes one.",
        ),
        click.option(
            "--select",
            metavar="IDS",
            callback=_rule_ids,
            help="Only these rule ids or prefixes, comma-separated (e.g. ADR,GEO002).",
        ),
        click.option(
            "--ignore",
            metavar="IDS",
            callback=_rule_ids,
            help="Skip these rule ids or prefixes, comma-separated.",
        ),
        rules_option,
        sheet_option,
        encoding_option,
        click.option(
            "--recursive",
            "-r",
            is_flag=True,
            help="Read the folders inside a folder given as PATH too.",
        ),
    ]


def _operator_options() -> list[Callable[[F], F]]:
    """Who pushes the data, and the configuration."""
    return [
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            metavar="FILE",
            help="Configuration file (default: .poicheck.yaml or pyproject.toml "
            "[tool.poicheck] found above the first input).",
        ),
        click.option(
            "--operator-id",
            metavar="ID",
            help="OperatorID of the push (else the input's JSON envelope or the configuration).",
        ),
        click.option(
            "--operator-name",
            metavar="NAME",
            help="OperatorName of the push (else the JSON envelope or the configuration).",
        ),
        click.option(
            "--sub-operator-id",
            "sub_operator_ids",
            metavar="ID",
            multiple=True,
            help="A sub-operator configured at Hubject whose EvseIDs the operator may push "
            "(repeatable).",
        ),
    ]


def quiet_option(func: F) -> F:
    """`--quiet/-q`: no progress bar, configuration line or summary; errors still show."""
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress bar, no 'using configuration' line and no summary; notes and errors "
        "still show.",
    )(func)


class _AliasedOption(click.Option):
    """An option with old spellings that still work but are shown neither in --help nor in
    error messages."""

    def __init__(self, *args: Any, hidden_aliases: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_aliases = tuple(hidden_aliases)

    def _shown(self) -> click.Option:
        shown = copy.copy(self)
        shown.opts = [name for name in self.opts if name not in self.hidden_aliases]
        return shown

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        return click.Option.get_help_record(self._shown(), ctx)

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return click.Option.get_error_hint(self._shown(), ctx)


def output_option(
    help: str, *, dest: str = "output", required: bool = False, dir_okay: bool = True
) -> Callable[[F], F]:
    """`-o/--output` (the one spelling of every command that writes a file or directory);
    `--out`, its old spelling, still works but is not shown."""
    return click.option(
        "--output",
        "-o",
        "--out",
        dest,
        cls=_AliasedOption,
        hidden_aliases=("--out",),
        required=required,
        type=click.Path(path_type=Path, dir_okay=dir_okay),
        help=help,
    )


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


class _ClickError(click.ClickException):
    """One of click's own errors (a missing argument, a bad choice) in poicheck's style."""

    exit_code = EXIT_USAGE

    def __init__(self, original: click.ClickException) -> None:
        super().__init__(original.format_message())
        self.ctx: click.Context | None = getattr(original, "ctx", None)

    def show(self, file: IO[Any] | None = None) -> None:
        hint = f" Try '{self.ctx.command_path} --help' for help." if self.ctx else ""
        say_error(f"{self.format_message()}{hint}", file)


# click shows the help for a command given without arguments by raising this usage error.
_SHOWS_HELP = tuple(
    c for c in [getattr(click.exceptions, "NoArgsIsHelpError", None)] if c is not None
)


@contextmanager
def _styled() -> Iterator[None]:
    try:
        yield
    except (*_SHOWS_HELP, _ClickError):
        raise
    except click.ClickException as exc:
        raise _ClickError(exc) from exc


class PoicheckGroup(click.Group):
    """A group whose own and whose commands' click errors read `poicheck: error: ...` and exit
    2, like poicheck's other errors."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _styled():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _styled():
            return super().invoke(ctx)


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        os.environ["POICHECK_DEBUG"] = "1"


@click.group(cls=PoicheckGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    from poicheck.cli import fix as _fix  # noqa: F401
    from poicheck.cli import map as _map  # noqa: F401
    from poicheck.cli import push as _push  # noqa: F401
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
