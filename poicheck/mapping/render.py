"""A mapping proposal (`poicheck map`) written as a commented YAML mapping file, second
edition: `columns`, numbered `groups`, `fields`, and the mandatory properties left without a
source as commented placeholders (the proposal never invents data)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poicheck.mapping.propose import Entry, Proposal
    from poicheck.mapping.suggest import FieldProposal


def q(value: Any) -> str:
    """A JSON value, which is YAML 1.2 flow (strings double-quoted), with its letters kept."""
    return json.dumps(value, ensure_ascii=False)


def render(proposal: Proposal, *, command: str = "") -> str:
    """The proposal as a commented YAML mapping file."""
    lines = [
        f"# poicheck column mapping proposed by `poicheck map` for {proposal.source},",
        f"# header in row {proposal.header_row}. Review every entry, above all those marked "
        '"check".',
        "# Keys of columns are the file's headers (case and spaces do not matter), values",
        "# canonical columns (docs/layout.md); null ignores a column. Then run:",
    ]
    if command:
        lines.append(f"#   {command}")
    if proposal.canonical:
        lines.append("# Already canonical: " + ", ".join(h.strip() for h in proposal.canonical))
    if not (proposal.entries or proposal.groups or proposal.fields):
        return "\n".join([*lines, "version: 1", "columns: {}", *_missing(proposal, True)]) + "\n"
    lines += ["version: 2", "columns:" + ("" if proposal.entries else " {}")]
    for entry in proposal.entries:
        lines += _entry(entry, "  ")
    lines += _groups(proposal)
    if proposal.fields:
        lines.append("fields:")
        for item in proposal.fields:
            lines += _field(item)
    return "\n".join([*lines, *_missing(proposal, not proposal.fields)]) + "\n"


def _groups(proposal: Proposal) -> list[str]:
    groups = proposal.groups
    if groups is None:
        return []
    numbers = ", ".join(n if n.isdigit() and n[0] != "0" else q(n) for n in groups.numbers)
    lines = [
        "groups:  # numbered columns: each group of a row becomes an EVSE of its own",
        f"  numbers: [{numbers}]",
    ]
    if groups.present is not None:
        lines.append(f"  present: {q(groups.present)}  # a group with this cell empty is no EVSE")
    lines.append("  columns:")
    for entry in groups.entries:
        lines += _entry(entry, "    ")
    return lines


def _entry(entry: Entry, indent: str) -> list[str]:
    head = f"{indent}{q(entry.header)}:"
    comment = f"  # {entry.note}" if entry.note else ""
    if not entry.targets:
        return [f"{head} null{comment}"]
    plain = not (entry.values or entry.unit or entry.unresolved or entry.items or entry.places)
    if len(entry.targets) == 1 and plain and entry.places is None:
        return [f"{head} {q(entry.targets[0])}{comment}"]
    inner = indent + "  "
    lines = [f"{head}{comment}"]
    to = q(entry.targets[0]) if len(entry.targets) == 1 else q(list(entry.targets))
    lines.append(f"{inner}to: {to}")
    for name, value in (
        ("split", entry.split),
        ("pattern", entry.pattern),
        ("list", entry.items),
        ("round", entry.places),
    ):
        if value is not None:
            lines.append(f"{inner}{name}: {q(value)}")
    if entry.unit is not None:
        lines.append(f"{inner}unit: {{from: {q(entry.unit[0])}, to: {q(entry.unit[1])}}}")
    if entry.values:
        lines.append(f"{inner}values:")
        for spelling, (value, why) in entry.values.items():
            lines.append(f"{inner}  {q(spelling)}: {q(value)}  # {why}")
    for spelling in entry.unresolved:
        allowed = ", ".join(entry.allowed)
        lines.append(
            f"{inner}# {q(spelling)} has no match: add it under values with one of {allowed}"
        )
    return lines


def _field(item: FieldProposal) -> list[str]:
    head = f"  {q(item.target)}:"
    simple = {k: v for k, v in item.spec.items() if k != "values"}
    if "values" not in item.spec:
        flow = ", ".join(f"{k}: {q(v)}" for k, v in simple.items())
        return [f"{head} {{{flow}}}  # {item.note}"]
    lines = [f"{head}  # {item.note}"]
    lines += [f"    {k}: {q(v)}" for k, v in simple.items()]
    lines.append("    values:")
    lines += [f"      {q(k)}: {q(v)}" for k, v in item.spec["values"].items()]
    return lines


def _missing(proposal: Proposal, heading: bool) -> list[str]:
    """The mandatory properties without a source, as commented fields to fill in."""
    if not proposal.missing:
        return []
    lines = [
        "# Mandatory in OICP and not in the file: poicheck reports every EVSE without them.",
        "# Give each a value for all EVSEs, or a default for those without one (the examples",
        "# are placeholders, not data):",
    ]
    if heading:
        lines.append("# fields:")
    for path, example, description in proposal.missing:
        value = q(example if example is not None else "...")
        lines.append(f"#   {q(path)}: {{default: {value}}}  # {description}")
    return lines
