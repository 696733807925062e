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
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from poicheck.files.yaml_loader import load_yaml
from poicheck.mapping import UNITS, fold
from poicheck.mapping.render import render as render  # the proposal as YAML
from poicheck.mapping.suggest import (
    FieldProposal,
    Groups,
    combined,
    evse_id_template,
    find_groups,
    list_separator,
    missing,
    power_type,
    rounding,
    stem_of,
)
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
    pattern: str | None = None
    items: str | None = None  # separator of the items in a cell
    places: int | None = None  # round to


@dataclass
class Proposal:
    """A proposed mapping for one file."""

    source: str
    header_row: int
    entries: list[Entry]
    canonical: list[str]
    groups: Groups | None = None
    fields: list[FieldProposal] = field(default_factory=list)
    # Mandatory properties without a source: (column, example, description).
    missing: list[tuple[str, str | None, str]] = field(default_factory=list)

    @property
    def uses_operator(self) -> bool:
        """Whether a template names {operator_id} (the run needs --operator-id)."""
        return any("{operator_id}" in str(f.spec.get("template", "")) for f in self.fields)


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
        self.coordinates = {key(h) for h in vocabulary()["combined"][0]["headers"]}

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
        if key(header) in self.combined:
            return True
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
    groups = find_groups(header, matcher)
    grouped = _propose_groups(groups, rows, taken, matcher) if groups else set()
    seen: set[str] = set()
    for position, name in enumerate(header):
        if position in grouped or (fold(name) in seen and fold(name)):
            continue  # a header given twice: the reader reads the first (TBL002)
        seen.add(fold(name))
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
    proposal = Proposal(source, row, entries, canonical, groups)
    _propose_fields(proposal, rows, header, taken, ruleset)
    return proposal


def _propose_groups(
    groups: Groups, rows: Sequence[Sequence[str]], taken: set[str], matcher: Matcher
) -> set[int]:
    """The entries of numbered column groups (values of every group's column together);
    the positions they cover."""
    covered: set[int] = set()
    for template, positions in groups.columns.items():
        values = [r[p] for p in positions for r in rows if p < len(r) and r[p].strip()]
        entry = _entry(template, values, matcher.candidates(stem_of(template)), taken, matcher)
        groups.entries.append(entry)
        taken.update(entry.targets)
        covered.update(positions)
    for wanted in ("Plugs", "EvseID", "ChargingFacilities.1.Power"):
        found = next((e for e in groups.entries if wanted in e.targets), None)
        if found is not None:
            groups.present = found.header
            break
    return covered


def _propose_fields(
    proposal: Proposal,
    rows: Sequence[Sequence[str]],
    header: Sequence[str],
    taken: set[str],
    ruleset: RuleSet,
) -> None:
    """Fields for what the file has no column for, and the mandatory properties left."""
    entries = [*proposal.entries, *(proposal.groups.entries if proposal.groups else [])]
    if "EvseID" not in taken:
        proposal.fields.append(evse_id_template(proposal.groups))
    plugs = next((e for e in entries if "Plugs" in e.targets), None)
    if plugs is not None and "ChargingFacilities.1.PowerType" not in taken:
        positions = [i for i, h in enumerate(header) if h.strip() == plugs.header.strip()]
        if proposal.groups is not None and plugs.header in proposal.groups.columns:
            positions = proposal.groups.columns[plugs.header]
        cells = [r[p] for p in positions for r in rows if p < len(r) and r[p].strip()]
        items = [i.strip() for c in cells for i in (c.split(plugs.items) if plugs.items else [c])]
        found = power_type(plugs, [i for i in items if i])
        if found is not None:
            proposal.fields.append(found)
    given = taken | {f.target for f in proposal.fields}
    for prop in missing(ruleset, given):
        path, example = prop.path, prop.example
        if prop.is_container:  # a list of texts: its first language
            path = _concrete(prop.path + ".*", ruleset)
            example = ruleset.properties[prop.path + ".*"].example
        proposal.missing.append((path, example, prop.description))


def _entry(
    header: str,
    values: list[str],
    candidates: list[tuple[float, str, str]],
    taken: set[str],
    matcher: Matcher,
) -> Entry:
    split = _split(values)
    if split is not None and (key(header) in matcher.coordinates or not candidates):
        pair = tuple(vocabulary()["combined"][0]["to"])
        if not taken & set(pair):
            sample = values[0] if values else ""
            return Entry(header, pair, f'values look like "{sample}"', split=split)
    two = combined(header, values)
    if two is not None and not taken & set(two[0]):
        targets, how, note = two
        return Entry(header, targets, note, split=how.get("split"), pattern=how.get("pattern"))
    for _, column, reason in candidates:
        if column in taken:
            continue
        entry = Entry(header, (column,), reason)
        prop = matcher.ruleset.property_for_column(column)
        assert prop is not None
        if prop.shape == "list":
            entry.items = list_separator(values, _known_values(prop))
        _values(entry, prop, values)
        _unit(entry, prop, header, values)
        places = rounding(prop, values)
        if places is not None:
            entry.places = places[0]
            entry.note += f"; {places[1]}"
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
    separator = entry.items or (";" if prop.shape == "list" else None)
    items = [i.strip() for v in values for i in (v.split(separator) if separator else [v])]
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


def _known_values(prop: Property) -> set[str]:
    """The folded values and known spellings of an enumeration."""
    spellings = vocabulary()["values"].get(prop.type_name or "", {})
    return {fold(v) for v in (*(prop.enum or ()), *spellings)}


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


def propose_file(
    path: str, ruleset: RuleSet, *, sheet: str | None = None, encoding: str | None = None
) -> Proposal:
    """A mapping proposal for a spreadsheet: its header row found, its values sampled."""
    from poicheck.errors import InputError
    from poicheck.readers import preview
    from poicheck.readers.sheet import choose_header

    view = preview(path, sheet=sheet, encoding=encoding)
    matcher = Matcher(ruleset)
    index = choose_header(view.rows, matcher.known)
    if index is None:
        raise InputError("the file is empty", location=str(path))
    header = view.rows[index]
    return propose(header, view.rows[index + 1 :], ruleset, source=view.source, row=index + 1)
