"""Reader findings reported once per file: a rule with `params: {per_file: N}` (JSN003, an
optional property sent as null) is a pattern of the export, not a fault of one record, so its
findings of one file, field and wording become one, on the first record, with the count and
the first N records in the message (`{times}`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from poicheck.engine.binding import render_message
from poicheck.ruleset.model import Rule
from poicheck.table import RawFinding


@dataclass
class _Group:
    rule: Rule
    raw: RawFinding
    row: dict[str, Any]
    count: int = 0
    rows: list[int] = field(default_factory=list)


class PerFile:
    """Gathers the findings of `per_file` rules over the chunks of one input."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str, str], _Group] = {}

    @staticmethod
    def applies(rule: Rule, raw: RawFinding) -> bool:
        return bool(rule.params.get("per_file")) and raw.record is not None

    def add(
        self, rule: Rule, raw: RawFinding, row: int, build: Callable[[], dict[str, Any]]
    ) -> None:
        """Count `raw` (at table row `row`) in the group of its rule, field and details;
        `build` makes the finding of the group's first."""
        key = (rule.id, raw.field, repr(sorted(raw.details.items())))
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(rule, raw, build())
        group.count += 1
        if len(group.rows) < int(rule.params["per_file"]):
            group.rows.append(row)

    def rows(self) -> list[dict[str, Any]]:
        """One finding per group, on its first record, its message with the count."""
        out = []
        for group in self._groups.values():
            raw = group.raw
            times = ""
            if group.count > 1:
                shown = ", ".join(f"{n:,}" for n in group.rows)
                more = ", ..." if group.count > len(group.rows) else ""
                times = f" in {group.count:,} records (rows {shown}{more})"
            extra = {"field": raw.field, "value": raw.value or "", "hint": "", **raw.details}
            message = render_message(None, group.rule, raw.value, {**extra, "times": times})
            out.append({**group.row, "message": message})
        return out
