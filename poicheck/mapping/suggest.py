"""What `poicheck map` proposes beyond renaming (second edition): numbered column groups,
combined columns split by a pattern or at the first space, list separators inside a cell,
rounding, fields the file has no column for (an EvseID template, the power type from the
plug), and the mandatory OICP properties that have no source.

Everything here is a proposal for review, worded as such; nothing is applied unread.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from poicheck.mapping import fold
from poicheck.ruleset.model import Property, RuleSet

if TYPE_CHECKING:
    from poicheck.mapping.propose import Entry, Matcher

NUMBERED = re.compile(r"(\D*?)([0-9]{1,2})(\D.*)?")
DECIMALS = re.compile(r"-?[0-9]+[.,]([0-9]+)")
LIST_SEPARATORS = (",", "/", "|", "+")
COORDINATE = "GeoCoordinatesDecimalDegreeFormatType"


@dataclass
class Groups:
    """Numbered column groups found in a header: their numbers, the header (with {n}) that
    makes a group an EVSE, and per header template the positions of its columns."""

    numbers: list[str]
    present: str | None = None
    columns: dict[str, list[int]] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)


@dataclass
class FieldProposal:
    """A proposed entry of `fields`: its YAML value lines, and why."""

    target: str
    spec: dict[str, Any]
    note: str


def find_groups(header: Sequence[str], matcher: Matcher) -> Groups | None:
    """Columns numbered alike (`Steckertypen1`, `P1 [kW]` ... `Steckertypen4`, `P4 [kW]`),
    when at least one of them names a column poicheck knows."""
    templates: dict[str, dict[str, int]] = {}
    for position, name in enumerate(header):
        text = name.strip()
        match = NUMBERED.fullmatch(text)
        if not text or match is None or matcher.is_canonical(text):
            continue
        stem, number, rest = match.group(1), match.group(2), match.group(3) or ""
        template = f"{stem}{{n}}{rest}"
        templates.setdefault(template, {}).setdefault(number, position)
    numbered = {t: n for t, n in templates.items() if len(n) >= 2}
    if not numbered:
        return None
    common = Counter(tuple(sorted(n, key=int)) for n in numbered.values()).most_common(1)[0][0]
    columns = {
        template: [numbers[n] for n in common if n in numbers]
        for template, numbers in numbered.items()
        if set(numbers) <= set(common)
    }
    if not any(matcher.candidates(stem_of(t)) for t in columns):
        return None
    return Groups(list(common), columns=columns)


def stem_of(template: str) -> str:
    """A group header without its number, as it is matched: `P{n} [kW]` -> `P [kW]`."""
    return " ".join(template.replace("{n}", " ").split())


def combined(header: str, values: list[str]) -> tuple[tuple[str, ...], dict[str, str], str] | None:
    """(targets, split or pattern, what the values look like) of a column that holds two
    canonical columns by its name and its values (`Adresse`: "Laiblinger Weg 50")."""
    from poicheck.mapping.propose import key, vocabulary

    name = key(header)
    for item in vocabulary()["combined"]:
        looks = item.get("looks")
        if looks is None or name not in {key(h) for h in item["headers"]}:
            continue
        fitting = [v for v in values if re.search(looks, v.strip())]
        if values and len(fitting) >= 0.5 * len(values):
            how = {"pattern": item["pattern"]} if "pattern" in item else {"split": item["split"]}
            return tuple(item["to"]), how, f'values look like "{fitting[0]}"'
    return None


def list_separator(values: list[str], known: set[str]) -> str | None:
    """The separator of items in the cells of a list column ("AC Steckdose Typ 2, AC
    Schuko"), when splitting there names more known values than the whole cells do."""
    whole = sum(fold(v) in known for v in values)
    best, most = None, whole
    for separator in LIST_SEPARATORS:
        if not any(separator in v for v in values):
            continue
        items = [i.strip() for v in values for i in v.split(separator) if i.strip()]
        hits = sum(fold(i) in known for i in items)
        if hits > most:
            best, most = separator, hits
    return best


def rounding(prop: Property, values: list[str]) -> tuple[int, str] | None:
    """Rounding for coordinates with more than six decimals and whole-number columns with
    decimals: (places, why)."""
    decimals = [len(m.group(1)) for v in values if (m := DECIMALS.fullmatch(v.strip()))]
    if not decimals:
        return None
    if prop.type_name == COORDINATE and max(decimals) > 6:
        return 6, "rounded: OICP takes at most 6 decimals"
    if prop.base == "integer":
        return 0, "check: rounded, OICP wants whole numbers (3.7 kW is written 4)"
    return None


def missing(ruleset: RuleSet, taken: set[str]) -> list[Property]:
    """The mandatory properties of a record (below mandatory containers) with no source."""
    out = []
    for prop in ruleset.scope_properties("record"):
        if not prop.mandatory or prop.assigned_by_hubject or not _under_mandatory(prop, ruleset):
            continue
        if prop.is_container:
            children = [
                p for p in ruleset.scope_properties("record") if p.path.startswith(prop.path + ".")
            ]
            if any(p.mandatory for p in children):
                continue  # its mandatory members are listed themselves
            if not any(t.startswith(prop.path.replace(".*", ".") + ".") for t in taken):
                out.append(prop)
            continue
        if not any(_same(prop.path, t) for t in taken):
            out.append(prop)
    return out


def _under_mandatory(prop: Property, ruleset: RuleSet) -> bool:
    parts = prop.path.split(".")
    for end in range(1, len(parts)):
        parent = ruleset.properties.get(".".join(parts[:end]))
        if parent is not None and not parent.mandatory:
            return False
    return True


def _same(path: str, column: str) -> bool:
    pattern = "[^.]+".join(re.escape(p) for p in path.split("*"))
    return re.fullmatch(pattern, column) is not None


def evse_id_template(groups: Groups | None) -> FieldProposal:
    template = "{operator_id}*E{row:05}" + ("*{n}" if groups else "")
    why = (
        "check: the file has no EvseID column; made from the Excel row"
        + (" and the group's number" if groups else "")
        + " under --operator-id (not an EvseID the operator registered)"
    )
    return FieldProposal("EvseID", {"template": template}, why)


def power_type(plugs: Entry, items: list[str]) -> FieldProposal | None:
    """The power type from the (first) plug of a cell, for a file without a power type;
    `items` are the plugs the cells name."""
    from poicheck.mapping.propose import vocabulary

    power_of = vocabulary()["power_of_plug"]
    values: dict[str, str] = {}
    for item in dict.fromkeys(items):
        plug = plugs.values[item][0] if item in plugs.values else item
        if plug in power_of:
            values[item] = power_of[plug]
    if not values:
        return None
    spec: dict[str, Any] = {"from": plugs.header}
    if plugs.items:
        spec["pattern"] = f"^([^{re.escape(plugs.items)}]*)"
    spec["values"] = values
    return FieldProposal(
        "ChargingFacilities.1.PowerType", spec, "check: from the (first) plug of the cell"
    )
