"""Progress of a validation run, reported through an optional callback.

The library only calls the callback; drawing a bar (on an interactive terminal only) is the
command line's business: `poicheck.cli.progress`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Stage = Literal["read", "check", "done"]


@dataclass(frozen=True)
class ProgressEvent:
    """Where a run stands: input `index` of `total` entered `stage`.

    Attributes:
        stage: "read" before an input is read, "check" once it is read and its rules run,
            "done" when it is finished (also when it could not be read).
        index: the 0-based position of the input.
        total: the number of inputs of the run.
        name: the input as given (a path, or "<dataframe>").
        records: the records of this input (0 until it is read).
        records_done: the records of all inputs finished before this event.
    """

    stage: Stage
    index: int
    total: int
    name: str
    records: int = 0
    records_done: int = 0

    @staticmethod
    def callback(
        progress: ProgressCallback | None, index: int, total: int, item: Any
    ) -> Callable[..., None]:
        """A `step(stage, records_done, records=0)` function for one input (a no-op without
        a callback)."""
        source = getattr(item, "source", None)  # a CanonicalTable already read
        name = (
            str(item) if isinstance(item, (str, Path)) else getattr(source, "path", "<dataframe>")
        )

        def step(stage: Stage, records_done: int, records: int = 0) -> None:
            if progress is not None:
                progress(ProgressEvent(stage, index, total, name, records, records_done))

        return step


ProgressCallback = Callable[[ProgressEvent], None]
