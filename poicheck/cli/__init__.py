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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from poicheck.errors import EXIT_INTERNAL, EXIT_USAGE, PoicheckError
from poicheck.escape import printable, printable_lines
from poicheck.version import __version__

if TYPE_CHECKING:
    from poicheck.cli.config import Config

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
    path = click.Path(path_type=Path)
    return _stack(
        func,
        [
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
                "--config",
                "config_path",
                type=path,
                metavar="FILE",
                help="Configuration file (default: .poicheck.yaml or pyproject.toml "
                "[tool.poicheck] found above the first input).",
            ),
            click.option(
                "--operator-id",
                metavar="ID",
                help="OperatorID of the push (else the input's JSON envelope or the "
                "configuration).",
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
            click.option(
                "--recursive",
                "-r",
                is_flag=True,
                help="Read the folders inside a folder given as PATH too.",
            ),
        ],
    )


def quiet_option(func: F) -> F:
    """`--quiet/-q`: no progress bar, configuration line or summary; errors still show."""
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress bar, no 'using configuration' line and no summary; notes and errors "
        "still show.",
    )(func)


@dataclass(frozen=True)
class Inputs:
    """The values of input_options (and --quiet): the data and how to read and check it."""

    paths: tuple[Path, ...]
    rules: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sheet: str | None = None
    encoding: str | None = None
    mapping: Path | None = None
    operator_id: str | None = None
    operator_name: str | None = None
    sub_operator_ids: tuple[str, ...] = ()
    config: Path | None = None
    quiet: bool = False
    # Only from the configuration (`severity:`): rule id or prefix -> severity.
    severities: Mapping[str, str] = field(default_factory=dict)
    # Only from the configuration (`ocpi.defaults`): OICP values OCPI Locations do not give.
    ocpi_defaults: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, paths: Sequence[Path], values: Mapping[str, Any]) -> Inputs:
        """From a command's option values (by their parameter names). A folder stands for
        the data files in it (poicheck.readers.folders); what it leaves out is said in a note."""
        from poicheck.readers.folders import expand

        files, notes = expand(paths, recursive=bool(values.get("recursive")))
        for note in notes:
            say("note", note)
        return cls(
            paths=tuple(files),
            rules=tuple(values.get("extra_rules", ())),
            select=values.get("select", ()),
            ignore=values.get("ignore", ()),
            sheet=values.get("sheet"),
            encoding=values.get("encoding"),
            mapping=values.get("mapping"),
            operator_id=values.get("operator_id"),
            operator_name=values.get("operator_name"),
            sub_operator_ids=tuple(values.get("sub_operator_ids", ())),
            config=values.get("config_path"),
            quiet=bool(values.get("quiet")),
        )

    def configured(self) -> tuple[Inputs, Config]:
        """Completed by the configuration found near the data (the command line wins), and
        that configuration; its file is named on stderr unless --quiet."""
        from poicheck.cli.config import discover

        config = discover(list(self.paths), self.config)
        if config.path and not self.quiet:
            echo(f"poicheck: using configuration {Path(config.path).resolve()}", err=True)
        done = replace(
            self,
            rules=(*(Path(p) for p in config.rules), *self.rules),
            select=self.select or config.select,
            ignore=self.ignore or config.ignore,
            mapping=self.mapping or (Path(config.mapping) if config.mapping else None),
            operator_id=self.operator_id or config.operator_id,
            operator_name=self.operator_name or config.operator_name,
            sub_operator_ids=self.sub_operator_ids or config.sub_operator_ids,
            severities=self.severities or config.severity,
            ocpi_defaults=self.ocpi_defaults or config.ocpi_defaults,
        )
        return done, config

    def files(self) -> list[Path]:
        """Every file the run reads (see `files_read`): none may be an output."""
        return files_read(self.paths, rules=self.rules, mapping=self.mapping, config=self.config)

    def checks(self) -> dict[str, Any]:
        """The keyword arguments of `poicheck.validate` these options stand for."""
        return {
            "rules": list(self.rules),
            "select": self.select,
            "ignore": self.ignore,
            "sheet": self.sheet,
            "encoding": self.encoding,
            "mapping": self.mapping,
            "operator_id": self.operator_id,
            "operator_name": self.operator_name,
            "sub_operator_ids": self.sub_operator_ids,
            "severities": self.severities,
            "ocpi_defaults": self.ocpi_defaults,
        }


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
