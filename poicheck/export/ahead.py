"""The previous state of a delta, read in a forked process beside the building (issue 22).

Reading a snapshot of a million records (two gigabytes) takes seconds of one core. The process
is forked when the export starts, while the parent is small, and waits: it reads only once the
inputs are checked (`start`), while the parent builds the new records on one core, so that it
takes the reading and the checking (which use both cores) no time. The parent receives the
state in a thread, so that the process ends as soon as it is done. Where forking is not
possible, or the process fails, the state is read in the parent when it is asked for, and a
file that cannot be used is then reported just as when it was read after the inputs. A large
previous file not in poicheck's layout is read in the parent too (`previous.streamed`): its
records would have to be sent back whole.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

from poicheck.engine import workers as parallel
from poicheck.export.previous import StateLines


class Ahead:
    """`read()` in a forked process, started on `start()`; `result()` gives its value."""

    def __init__(self, read: Callable[[], StateLines], *, fork: bool = True) -> None:
        self._read = read
        self._forked: parallel.Forked[StateLines | None] | None = None
        self._thread: threading.Thread | None = None
        self._value: StateLines | None = None
        self._error: BaseException | None = None
        if fork and parallel.can_fork():
            context = multiprocessing.get_context("fork")
            self._go, self._cancelled = context.Event(), context.Event()
            go, cancelled = self._go, self._cancelled

            def compute() -> StateLines | None:
                go.wait()
                return None if cancelled.is_set() else read()

            self._forked = parallel.Forked(compute)

    def start(self) -> None:
        """Let the forked process read (the inputs are checked)."""
        if self._forked is None or self._thread is not None:
            return
        self._go.set()
        self._thread = threading.Thread(target=self._receive, args=(self._forked,), daemon=True)
        self._thread.start()

    def _receive(self, forked: parallel.Forked[Any]) -> None:
        try:
            self._value = forked.result()
        except BaseException as exc:  # raised where the state is asked for
            self._error = exc

    def result(self) -> StateLines:
        if self._forked is None:
            return self._read()
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._value is None:  # cancelled, then asked for after all
            return self._read()
        return self._value

    def cancel(self) -> None:
        """No state will be asked for (the export stopped): let the process end."""
        if self._forked is None or self._thread is not None:
            return
        self._cancelled.set()
        self.start()
