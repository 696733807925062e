"""Progress: the library reports through a callback; the bar shows on a terminal only, never in
CI, never with --quiet, and only for long runs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from poicheck import validate
from poicheck.cli import cli
from poicheck.cli import validate as _validate  # noqa: F401  (registers the command)
from poicheck.cli.progress import CLEAR, MANY_RECORDS, ProgressBar, progress_bar, wanted
from poicheck.engine.progress import ProgressEvent

ROOT = Path(__file__).resolve().parents[3]
VALID = ROOT / "samples/valid/evse-valid.csv"


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def event(stage: str, index: int, total: int, records: int = 0, done: int = 0) -> ProgressEvent:
    return ProgressEvent(stage, index, total, f"file{index}.csv", records, done)  # type: ignore[arg-type]


def test_validate_reports_each_input_through_the_callback() -> None:
    events: list[ProgressEvent] = []
    validate([VALID, ROOT / "no/such/file.csv"], progress=events.append)
    assert [(e.stage, e.index, e.total) for e in events] == [
        ("read", 0, 2),
        ("check", 0, 2),
        ("done", 0, 2),
        ("read", 1, 2),
        ("done", 1, 2),  # an unreadable input is finished too
    ]
    assert events[1].records == 60
    assert events[2].records_done == 60
    assert events[4].records_done == 60


@pytest.mark.parametrize(
    ("stream", "quiet", "environ", "expected"),
    [
        (Terminal(), False, {}, True),
        (Terminal(), True, {}, False),
        (Terminal(), False, {"CI": "true"}, False),
        (Terminal(), False, {"GITHUB_ACTIONS": "true"}, False),
        (Terminal(), False, {"TERM": "dumb"}, False),
        (io.StringIO(), False, {}, False),
    ],
)
def test_a_bar_is_wanted_on_an_interactive_terminal_only(
    stream: io.StringIO, quiet: bool, environ: dict[str, str], expected: bool
) -> None:
    assert wanted(stream, quiet=quiet, environ=environ) is expected


def test_short_runs_draw_nothing() -> None:
    stream = Terminal()
    bar = ProgressBar(stream, tick=None)
    for stage in ("read", "check", "done"):
        bar(event(stage, 0, 2, records=60))
    bar.close()
    assert stream.getvalue() == ""


def test_many_files_draw_a_bar_that_erases_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    stream = Terminal()
    bar = ProgressBar(stream, tick=None)
    bar(event("read", 0, 10))
    bar(event("check", 2, 10, records=100, done=200))
    assert "3/10 files, 300 records, 0s: checking file2.csv" in stream.getvalue()
    assert "[===" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith(CLEAR)


def test_a_big_file_starts_the_bar_once_its_rows_are_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    stream = Terminal()
    bar = ProgressBar(stream, tick=None)
    bar(event("read", 0, 1))
    assert stream.getvalue() == ""
    bar(event("check", 0, 1, records=MANY_RECORDS + 1))
    assert f"{MANY_RECORDS + 1:,} records" in stream.getvalue()
    bar.close()


def test_the_line_fits_the_terminal() -> None:
    bar = ProgressBar(Terminal(), tick=None)
    bar(event("check", 0, 9, records=10))
    assert len(bar.line(30)) == 29


def test_progress_bar_context_gives_none_when_not_wanted() -> None:
    with progress_bar(quiet=False, stream=io.StringIO()) as bar:
        assert bar is None
    with progress_bar(quiet=True, stream=Terminal()) as bar:
        assert bar is None


@pytest.mark.slow
def test_the_command_line_draws_no_bar_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    inputs = ["samples/valid/evse-valid.csv"] * 6  # "many files"
    result = CliRunner().invoke(cli, ["validate", *inputs], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr
    assert "poicheck |" not in result.stderr
