"""What `poicheck fix` prints: the change list and its summary, as text or JSON.

Text: with `diff`, every change (row, EvseID, rule, field, before -> after, applicability);
otherwise the changes counted per rule. Then what was held back, the unsafe fixes left for
--unsafe-fixes, and the summary: what was fixed, what remains, the score before and after.
Every value from the data is shown through `poicheck.escape.printable`.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pandas as pd

from poicheck import __version__
from poicheck.escape import printable
from poicheck.fix.run import FixResult

SCHEMA_VERSION = "1.0"
LISTED = ["file", "sheet", "row", "record", "evse_id", "field", "pointer", "rule"]


def shown(value: Any, wire: bool, before: bool, expects_text: bool) -> str:
    """A value as the change list shows it: the cell's text; for a change of JSON type only,
    the JSON (`"true"` -> `true`)."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if not wire:
        return text
    quoted = before != expects_text  # the string was the wrong type, or the non-string was
    return json.dumps(text, ensure_ascii=False) if quoted else text


def change_items(result: FixResult, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Changes (or held back, left, not written ones) as the JSON output lists them."""
    ruleset = result.before.ruleset
    items = []
    for row in frame.to_dict(orient="records"):
        column = str(row["column"])
        prop = ruleset.property_for_column(column)
        text = prop is not None and prop.json_type == "string"
        wire = bool(row["wire"])
        item: dict[str, Any] = {
            "file": str(result.path),
            "sheet": result.sheet,
            "row": int(row["row"]),
            "record": int(row["record"]),
            "evse_id": None if pd.isna(row["evse_id"]) else str(row["evse_id"]),
            "field": column,
            "pointer": str(row["pointer"]),
            "rule": str(row["rule"]),
            "before": shown(row["before"], wire, True, text),
            "after": shown(row["after"], wire, False, text),
            "applicability": str(row["applicability"]),
        }
        if "reason" in row:
            item["reason"] = str(row["reason"])
        items.append(item)
    return items


def render_json(result: FixResult) -> str:
    """The JSON document: tool, summary, changes, held back, left for --unsafe-fixes, not
    written, notes."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {
            "name": "poicheck",
            "version": __version__,
            "ruleset": result.before.ruleset.name,
            "ruleset_version": result.before.ruleset.version,
        },
        "summary": result.summary(),
        "changes": change_items(result, result.changes),
        "held_back": change_items(result, result.plan.held_back),
        "unsafe_fixes": change_items(result, result.plan.unsafe_left),
        "not_written": change_items(result, result.not_written),
        "notes": list(result.notes),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _line(item: dict[str, Any], where: str) -> str:
    said = (
        f"{item['rule']}  {item['field']}: '{item['before']}' -> '{item['after']}' "
        f"({item['applicability']})"
    )
    if "reason" in item:
        said += f": {item['reason']}"
    return printable(f"{where}{said}")


def _listed(result: FixResult, frame: pd.DataFrame, title: str) -> list[str]:
    if frame.empty:
        return []
    lines = [printable(title)]
    last = None
    for item in change_items(result, frame):
        place = f"  row {item['row']}" + (f"  {item['evse_id']}" if item["evse_id"] else "")
        if place != last:
            lines.append(printable(place))
            last = place
        lines.append(_line(item, "    "))
    return lines


def _per_rule(result: FixResult, frame: pd.DataFrame) -> list[str]:
    ruleset = result.before.ruleset
    counted = frame.groupby(["rule", "applicability"], sort=False).size()
    lines = []
    for key, count in counted.items():
        rule_id, applicability = cast(tuple[str, str], key)
        rule = ruleset.rules.get(str(rule_id))
        name = rule.name if rule else ""
        lines.append(f"  {rule_id} {name}: {_plural(int(count), 'cell')} ({applicability})")
    return lines


def _per_reason(result: FixResult, frame: pd.DataFrame, title: str) -> list[str]:
    """Held back or not written changes counted per rule and reason (--diff lists them)."""
    if frame.empty:
        return []
    ruleset = result.before.ruleset
    lines = [title]
    for key, count in frame.groupby(["rule", "reason"], sort=False).size().items():
        rule_id, reason = cast(tuple[str, str], key)
        rule = ruleset.rules.get(str(rule_id))
        name = rule.name if rule else ""
        lines.append(printable(f"  {rule_id} {name}: {_plural(int(count), 'cell')}: {reason}"))
    return lines


def render_text(result: FixResult, *, diff: bool = False) -> str:
    """The change list (every change with `diff`, else per rule) and the summary."""
    summary = result.summary()
    target = "nothing written (--diff)" if diff else f"-> {result.output}"
    lines = [printable(f"{result.path}  {target}")]
    if diff:
        lines += _listed(result, result.changes, "changes:")
    else:
        lines += _per_rule(result, result.changes)
    held = "held back (the fix would not help or would make something else wrong):"
    for frame, title in ((result.plan.held_back, held), (result.not_written, "not written:")):
        lines += _listed(result, frame, title) if diff else _per_reason(result, frame, title)
    left = result.plan.unsafe_left
    if not left.empty:
        rules = ", ".join(f"{r} ({n})" for r, n in left.groupby("rule", sort=False).size().items())
        lines.append(
            f"{_plural(len(left), 'more cell change')} with --unsafe-fixes (guesses to review): "
            + rules
        )
    lines.extend(printable(f"note: {note}") for note in result.notes)
    lines.extend(_summary_lines(summary))
    return "\n".join(lines) + "\n"


def _summary_lines(summary: dict[str, Any]) -> list[str]:
    score = summary["score"]
    changes = summary["changes"]
    parts = [f"{summary['safe']} safe"] + (
        [f"{summary['unsafe']} unsafe"] if summary["unsafe"] else []
    )
    head = f"{_plural(changes, 'cell change')} ({', '.join(parts)})"
    if score["before"] is not None and score["after"] is not None:
        verb = "raise" if score["after"] > score["before"] else "change"
        if score["after"] == score["before"]:
            verb = "leave"
        tail = (
            f" the data score at {score['before']:.1f}"
            if verb == "leave"
            else f" the data score from {score['before']:.1f} to {score['after']:.1f}"
        )
        head += f" {verb}{tail}."
    fixed, remaining, new = summary["fixed"], summary["remaining"], summary["introduced"]
    lines = [
        head,
        f"Fixed: {_counts(fixed)}. Remaining: {_counts(remaining)}.",
    ]
    if any(new.values()):
        lines.append(f"Appeared in the copy: {_counts(new)} (see `poicheck validate`).")
    return lines


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(
        _plural(counts[s], word)
        for s, word in (("error", "error"), ("warning", "warning"), ("info", "info"))
    )
