"""`poicheck map`: propose a column mapping from a file's headers and values, for review.

Headers are matched against the canonical columns (full path and last part, e.g.
Address.PostalCode and PostalCode) and against the common names in `aliases.yaml`, ignoring
case, spaces, punctuation and umlauts; close matches are marked "check". Values of
enumeration and boolean columns that are not valid get translations from the same vocabulary
or the closest allowed value; a column of "lat, lon" pairs a split; a unit in the header
(Leistung (W)) a unit conversion to the unit the data model names.
"""

from __future__ import annotations

import difflib
import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from poicheck.files.yaml_loader import load_yaml
from poicheck.mapping import UNITS, fold
from poicheck.ruleset.model import Property, RuleSet

CLOSE = 0.82  # similarity of folded names from which a header is proposed (marked "check")
PAIR = re.compile(r"\s*-?[0-9]+(?:[.,][0-9]+)?\s*[,;|/ ]\s*-?[0-9]+(?:[.,][0-9]+)?\s*")
NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")
HEADER_UNIT = re.compile(r"[(\[]\s*([A-Za-z/%]+)\s*[)\]]|\bin\s+([A-Za-z/]+)\s*$")
TARGET_UNIT = re.compile(r"\bin (kW|W|V|A|g/kWh)\b")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e"})


@dataclass
class Entry:
    """The proposal for one header."""

    header: str
    targets: tuple[str, ...] = ()
    note: str = ""
    values: dict[str, tuple[str, str]] = field(default_factory=dict)  # spelling -> (value, why)
    unresolved: list[str] = field(default_factory=list)
    allowed: tuple[str, ...] = ()
    unit: tuple[str, str] | None = None
    split: str | None = None


@dataclass
class Proposal:
    """A proposed mapping for one file."""

    source: str
    header_row: int
    entries: list[Entry]
    canonical: list[str]


@cache
def vocabulary() -> dict[str, Any]:
    """The common names of columns and spellings of values (aliases.yaml)."""
    text = resources.files("poicheck.mapping").joinpath("aliases.yaml").read_text("utf-8")
    document = load_yaml(text)
    assert isinstance(document, dict)
    return document


def key(text: str) -> str:
    """A name reduced to what matching compares: lower-case letters and digits."""
    return re.sub(r"[^a-z0-9]", "", fold(text).translate(UMLAUTS))


def _bare(header: str) -> str:
    return HEADER_UNIT.sub("", header).strip()


class Matcher:
    """Matches headers to canonical columns."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.names: dict[str, dict[str, str]] = {}  # column -> key -> how it is known
        for prop in ruleset.scope_properties("record"):
            if prop.is_container:
                continue
            column = _concrete(prop.path, ruleset)
            names = self.names.setdefault(column, {})
            names[key(column)] = "canonical name"
            names.setdefault(key(column.rsplit(".", 1)[-1]), "property name")
        for column, aliases in vocabulary()["columns"].items():
            names = self.names.setdefault(column, {})
            for alias in aliases:
                names.setdefault(key(alias), "known name")
        self.combined = {key(h) for item in vocabulary()["combined"] for h in item["headers"]}

    def is_canonical(self, header: str) -> bool:
        name = header.strip()
        name = self.ruleset.alias_map().get(name, name)
        return bool(name) and self.ruleset.property_for_column(name) is not None

    def candidates(self, header: str) -> list[tuple[float, str, str]]:
        """(score, column, reason) for the columns a header may name, best first."""
        wanted = key(_bare(header))
        if not wanted:
            return []
        out = []
        for column, names in self.names.items():
            if wanted in names:
                out.append((1.0, column, names[wanted]))
                continue
            best = max(difflib.SequenceMatcher(None, wanted, name).ratio() for name in names)
            if best >= CLOSE:
                out.append((best, column, "check: close to " + column))
        return sorted(out, key=lambda item: (-item[0], item[1]))

    def known(self, header: str) -> bool:
        return self.is_canonical(header) or bool(self.candidates(header))


def _concrete(path: str, ruleset: RuleSet) -> str:
    parts = path.split(".")
    for i, part in enumerate(parts):
        if part == "*":
            parent = ruleset.properties[".".join(parts[:i])]
            parts[i] = "1" if parent.shape == "object_list" else "en"
    return ".".join(parts)


def propose(
    header: Sequence[str], rows: Sequence[Sequence[str]], ruleset: RuleSet, *, source: str, row: int
) -> Proposal:
    """A mapping proposal for a header row and the data rows below it."""
    matcher = Matcher(ruleset)
    canonical = [h for h in header if h.strip() and matcher.is_canonical(h)]
    taken = {ruleset.alias_map().get(h.strip(), h.strip()) for h in canonical}
    entries: list[Entry] = []
    ranked = []
    for position, name in enumerate(header):
        values = [r[position] for r in rows if position < len(r) and r[position].strip()]
        if name.strip() and matcher.is_canonical(name):
            entry = _canonical_values(name.strip(), values, ruleset)
            entries.extend([entry] if entry is not None else [])
            continue
        if name.strip():
            ranked.append((position, name, values, matcher.candidates(name)))
    # Surest matches first, so that a close guess never takes a column an alias names.
    ranked.sort(key=lambda item: -(item[3][0][0] if item[3] else 0.0))
    for _, name, values, candidates in ranked:
        entry = _entry(name, values, candidates, taken, matcher)
        entries.append(entry)
        taken.update(entry.targets)
    order = {name: i for i, name in enumerate(header)}
    entries.sort(key=lambda e: order.get(e.header, 0))
    return Proposal(source, row, entries, canonical)


def _entry(
    header: str,
    values: list[str],
    candidates: list[tuple[float, str, str]],
    taken: set[str],
    matcher: Matcher,
) -> Entry:
    split = _split(values)
    if split is not None and (key(header) in matcher.combined or not candidates):
        pair = tuple(vocabulary()["combined"][0]["to"])
        if not taken & set(pair):
            sample = values[0] if values else ""
            return Entry(header, pair, f'values look like "{sample}"', split=split)
    for _, column, reason in candidates:
        if column in taken:
            continue
        entry = Entry(header, (column,), reason)
        prop = matcher.ruleset.property_for_column(column)
        assert prop is not None
        _values(entry, prop, values)
        _unit(entry, prop, header, values)
        return entry
    return Entry(header, (), "no match: ignored (poicheck reports it once, as TBL001)")


def _canonical_values(header: str, values: list[str], ruleset: RuleSet) -> Entry | None:
    """An entry for a canonical column whose values need translating, else None."""
    column = ruleset.alias_map().get(header, header)
    prop = ruleset.property_for_column(column)
    assert prop is not None
    entry = Entry(header, (column,), "canonical column; its values need translating")
    _values(entry, prop, values)
    return entry if entry.values or entry.unresolved else None


def _split(values: list[str]) -> str | None:
    """The separator of a column of number pairs ('52.52, 13.41'), if it is one."""
    if not values or sum(bool(PAIR.fullmatch(v)) for v in values) < 0.8 * len(values):
        return None
    for separator in (";", "|", "/", ",", " "):
        pattern = r"\s+" if separator == " " else rf"\s*{re.escape(separator)}\s*"
        parts = [re.split(pattern, v.strip()) for v in values]
        if all(len(p) == 2 and all(NUMBER.fullmatch(x) for x in p) for p in parts):
            return separator
    return None


def _values(entry: Entry, prop: Property, values: list[str]) -> None:
    """Translations for the values an enumeration or boolean column does not allow."""
    if prop.base == "boolean":
        allowed: tuple[str, ...] = ("true", "false")
        spellings = vocabulary()["values"]["boolean"]
    elif prop.enum:
        allowed = prop.enum
        spellings = vocabulary()["values"].get(prop.type_name or "", {})
    else:
        return
    entry.allowed = allowed
    known = {fold(k): str(v) for k, v in spellings.items()}
    folded_allowed = {fold(a): a for a in allowed}
    items = [i.strip() for v in values for i in (v.split(";") if prop.shape == "list" else [v])]
    for item in dict.fromkeys(i for i in items if i):
        if item in allowed or (prop.base == "boolean" and item.lower() in allowed):
            continue
        if fold(item) in known:
            entry.values[item] = (known[fold(item)], "known spelling")
            continue
        close = difflib.get_close_matches(fold(item), list(folded_allowed), n=1, cutoff=0.6)
        if close:
            entry.values[item] = (folded_allowed[close[0]], "check: closest allowed value")
        else:
            entry.unresolved.append(item)


def _unit(entry: Entry, prop: Property, header: str, values: list[str]) -> None:
    """A unit conversion when the header names another unit than the data model's."""
    target = TARGET_UNIT.search(prop.description)
    if target is None or target.group(1) not in UNITS:
        return
    wanted = target.group(1)
    match = HEADER_UNIT.search(header)
    given = next((g for g in match.groups() if g), None) if match else None
    if given in UNITS and given != wanted and UNITS[given][0] == UNITS[wanted][0]:
        entry.unit = (given, wanted)
        entry.note += f"; the header says {given}, OICP wants {wanted}"
        return
    numbers = [float(v.replace(",", ".")) for v in values if NUMBER.fullmatch(v.strip())]
    if given is None and wanted == "kW" and numbers and statistics.median(numbers) >= 1000:
        entry.unit = ("W", "kW")
        entry.note += "; check: the values look like watts, OICP wants kW"


def render(proposal: Proposal, *, command: str = "") -> str:
    """The proposal as a commented YAML mapping file."""
    q = json.dumps  # a JSON string is a YAML 1.2 double-quoted scalar
    lines = [
        f"# poicheck column mapping proposed by `poicheck map` for {proposal.source},",
        f"# header in row {proposal.header_row}. Review every entry, above all those marked "
        '"check".',
        "# Keys are the file's headers (case and spaces do not matter), values canonical",
        "# columns (docs/layout.md); null ignores a column. Then run:",
    ]
    if command:
        lines.append(f"#   {command}")
    if proposal.canonical:
        lines.append("# Already canonical: " + ", ".join(h.strip() for h in proposal.canonical))
    lines += ["version: 1", "columns:" + ("" if proposal.entries else " {}")]
    for entry in proposal.entries:
        lines += _render_entry(entry, q)
    return "\n".join(lines) + "\n"


def _render_entry(entry: Entry, q: Any) -> list[str]:
    head = f"  {q(entry.header, ensure_ascii=False)}:"
    comment = f"  # {entry.note}" if entry.note else ""
    if not entry.targets:
        return [f"{head} null{comment}"]
    if len(entry.targets) == 1 and not (entry.values or entry.unit or entry.unresolved):
        return [f"{head} {q(entry.targets[0])}{comment}"]
    lines = [f"{head}{comment}"]
    to = q(entry.targets[0]) if len(entry.targets) == 1 else q(list(entry.targets))
    lines.append(f"    to: {to}")
    if entry.split is not None:
        lines.append(f"    split: {q(entry.split)}")
    if entry.unit is not None:
        lines.append(f"    unit: {{from: {q(entry.unit[0])}, to: {q(entry.unit[1])}}}")
    if entry.values:
        lines.append("    values:")
        for spelling, (value, why) in entry.values.items():
            lines.append(f"      {q(spelling, ensure_ascii=False)}: {q(value)}  # {why}")
    for spelling in entry.unresolved:
        allowed = ", ".join(entry.allowed)
        lines.append(
            f"    # {q(spelling, ensure_ascii=False)} has no match: add it under values "
            f"with one of {allowed}"
        )
    return lines


def propose_file(
    path: str, ruleset: RuleSet, *, sheet: str | None = None, encoding: str | None = None
) -> Proposal:
    """A mapping proposal for a spreadsheet: its header row found, its values sampled."""
    from poicheck.errors import InputError
    from poicheck.readers import preview
    from poicheck.readers.tabular import choose_header

    view = preview(path, sheet=sheet, encoding=encoding)
    matcher = Matcher(ruleset)
    index = choose_header(view.rows, matcher.known)
    if index is None:
        raise InputError("the file is empty", location=str(path))
    header = view.rows[index]
    return propose(header, view.rows[index + 1 :], ruleset, source=view.source, row=index + 1)
