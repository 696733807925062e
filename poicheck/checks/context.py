"""What the checks of one table share while they run: the table's layout plus the run's
context (who may own EvseIDs, the rows of a slice, notes, message details, the readers'
evidence and the values computed once per table). The engine makes one per table or slice;
kinds receive it as their `layout` argument."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

from poicheck.ruleset.model import RuleSet
from poicheck.table import Layout

T = TypeVar("T")


class CheckContext(Layout):
    """A table's layout and the run context of its checks."""

    def __init__(self, columns: Iterable[str], ruleset: RuleSet, scope: str = "record") -> None:
        super().__init__(columns, ruleset, scope)
        # Who may own EvseIDs (the operator and its sub-operators), for the identity kinds.
        self.operator_ids: tuple[str, ...] = ()
        # The rows of the whole table this slice holds (None: the whole table).
        self.rows: np.ndarray | None = None
        # Notes for the user (e.g. a check skipped for want of data) and per-check details
        # for messages.
        self.notes: list[str] = []
        self.details: dict[str, dict[str, Any]] = {}
        # Per `<reader rule id>|<field>`, the rows it reported: evidence for the rules across
        # rows (poicheck.checks.groups).
        self.flagged: dict[str, np.ndarray] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """What `compute` returns, computed once per table: the checks of a table share parsed
        columns, lookups and verdicts through this (`key` names what is computed)."""
        if key not in self._memo:
            self._memo[key] = compute()
        found: T = self._memo[key]
        return found
