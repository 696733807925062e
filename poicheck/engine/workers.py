"""Work shared with forked worker processes, which see the parent's tables copy-on-write.

Checking is CPU-bound Python and numpy, so threads would wait on each other; a forked child
starts in milliseconds with the whole canonical table already in its memory (nothing is
copied or pickled on the way in, only the findings on the way back). Forking is used on
Linux only; elsewhere, and for small inputs, the work runs in the calling process.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")

MIN_RECORDS = 50_000  # below this, forking costs more than it saves


def available_workers() -> int:
    """The CPUs this process may run on (1 where forking is not used)."""
    return available_threads() if can_fork() else 1


def in_threads(work: Callable[[S], T], items: Sequence[S], records: int) -> list[T]:
    """`work` on every item, in one thread per CPU for a large table (`records` rows): for
    work that pyarrow does, which releases the interpreter lock. In order."""
    workers = available_threads() if records >= MIN_RECORDS else 1
    if workers > 1 and len(items) > 1:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(work, items))
    return [work(item) for item in items]


def available_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


class Forked(Generic[T]):
    """`compute()` running in a forked child; `result()` waits for its value.

    A child that fails or dies delivers nothing, and `result()` then runs `compute()` in the
    calling process: a result never depends on the child (only the time does).
    """

    def __init__(self, compute: Callable[[], T], *, nice: int = 0) -> None:
        self._compute = compute
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_deliver, args=(compute, send, os.getpid(), nice), daemon=True
        )
        self._process.start()
        send.close()

    def ready(self) -> bool:
        """Whether the child has delivered (or died): `result()` then does not wait for it."""
        return self._receive.closed or self._receive.poll()

    def cancel(self) -> None:
        """Stop the child; its work is not wanted."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._receive.close()

    def result(self) -> T:
        try:
            delivered, value = self._receive.recv()
        except (EOFError, OSError):
            delivered, value = False, None
        finally:
            self._receive.close()
            self._process.join()
        return value if delivered else self._compute()


def _deliver(compute: Callable[[], Any], send: Any, parent: int, nice: int = 0) -> None:
    _die_with(parent)
    if nice:  # work for idle cores only: the parent's own work goes first
        with contextlib.suppress(OSError):
            os.nice(nice)
    try:
        outcome = (True, compute())
    except BaseException:  # the parent computes it again and sees the real error
        outcome = (False, None)
    try:
        send.send(outcome)
    except Exception:  # e.g. a value that cannot be pickled
        send.send((False, None))
    finally:
        send.close()


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Have the kernel kill this forked child when its parent dies (a killed parent would
    otherwise leave it blocked on its pipe forever, holding its copy of the table). A parent
    that died before this was set has already made `parent` no longer this one's parent."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the parent's death goes unnoticed
        return
    if os.getppid() != parent:
        os._exit(1)
