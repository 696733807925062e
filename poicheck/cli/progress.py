"""A progress bar on stderr for long runs, on an interactive terminal only.

Never in CI logs, never when stderr is not a terminal, never with `--quiet`; and even then only
once a run proves long: many inputs, or more than about 50,000 records.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from poicheck.engine.progress import ProgressEvent
from poicheck.escape import printable

MANY_FILES = 5
MANY_RECORDS = 50_000
# Set by the common CI services (`CI` by nearly all of them).
CI_VARIABLES = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "TF_BUILD",
    "JENKINS_URL",
    "TEAMCITY_VERSION",
    "CIRCLECI",
    "TRAVIS",
    "BITBUCKET_BUILD_NUMBER",
)
# How far into an input each stage is: reading takes roughly as long as checking.
STAGE_SHARE = {"read": 0.0, "check": 0.5, "done": 1.0}
SPINNER = "|/-\\"
CLEAR = "\r\x1b[2K"


def wanted(stream: TextIO, *, quiet: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a bar may be drawn on `stream` at all."""
    env = os.environ if environ is None else environ
    if quiet or env.get("TERM") == "dumb":
        return False
    if any(env.get(name) for name in CI_VARIABLES):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class ProgressBar:
    """A ProgressCallback that draws one self-erasing line once the run proves long."""

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
        tick: float | None = 0.25,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.tick = tick
        self.started = clock()
        self.event: ProgressEvent | None = None
        self.active = False
        self.drawn = False
        self.frames = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self.event = event
            if not self.active and (
                event.total >= MANY_FILES or event.records_done + event.records > MANY_RECORDS
            ):
                self.active = True
                self._start_ticker()
            if self.active:
                self._draw()

    def line(self, width: int) -> str:
        """The bar as it stands, at most `width` characters."""
        event = self.event
        if event is None:
            return ""
        fraction = (event.index + STAGE_SHARE[event.stage]) / max(event.total, 1)
        size = 20
        filled = min(size, int(fraction * size))
        bar = "=" * filled + (">" if filled < size else "") + " " * (size - filled - 1)
        records = event.records_done + (event.records if event.stage == "check" else 0)
        doing = {"read": "reading", "check": "checking", "done": "done"}[event.stage]
        spin = SPINNER[self.frames % len(SPINNER)]
        elapsed = int(self.clock() - self.started)
        text = (
            f"poicheck {spin} [{bar}] {min(event.index + 1, event.total)}/{event.total} "
            f"files, {records:,} records, {elapsed}s: {doing} {printable(Path(event.name).name)}"
        )
        return text[: max(width - 1, 0)]

    def _draw(self) -> None:
        width = shutil.get_terminal_size((80, 24)).columns
        self.stream.write(CLEAR + self.line(width))
        self.stream.flush()
        self.drawn = True

    def _start_ticker(self) -> None:
        if self.tick is None:
            return

        def run() -> None:
            assert self.tick is not None
            while not self._stop.wait(self.tick):
                with self._lock:
                    self.frames += 1
                    self._draw()

        self._thread = threading.Thread(target=run, name="poicheck-progress", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop redrawing and erase the bar, so that the report starts on a clean line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            if self.drawn:
                self.stream.write(CLEAR)
                self.stream.flush()
                self.drawn = False


@contextmanager
def progress_bar(*, quiet: bool, stream: TextIO | None = None) -> Iterator[ProgressBar | None]:
    """A ProgressBar for `validate(progress=...)` when one may be shown, else None; erased
    on leaving (also after an error)."""
    target = sys.stderr if stream is None else stream
    if not wanted(target, quiet=quiet):
        yield None
        return
    bar = ProgressBar(target)
    try:
        yield bar
    finally:
        bar.close()
