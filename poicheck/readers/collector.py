"""Python's cyclic garbage collector paused while a reader makes millions of objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off for the block, as it was before afterwards.

    Parsing a document or turning a sheet's cells into Python objects makes millions of
    objects in no reference cycle; with the collector on, each full collection walks all of
    them again (more than half the reading time of a large file). Everything made in the
    block is freed by reference counting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
