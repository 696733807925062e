"""The typed, immutable rule set: data types, properties (the data model) and rules."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from poicheck.errors import UsageError

Scope = Literal["record", "envelope"]
Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
# Input families a rule may be limited to (`applies_to`): spreadsheets and tables hold numbers
# and texts that poicheck writes as OICP JSON; wire inputs are OICP JSON as it would be sent.
INPUT_FAMILIES = {
    "csv": "table",
    "xlsx": "table",
    "dataframe": "table",
    "json": "wire",
    "jsonl": "wire",
    # OCPI Locations: poicheck writes them as OICP JSON, as it writes a spreadsheet's cells.
    "ocpi": "table",
}
# The consequence whose findings `poicheck export` acts on by leaving the value out (real
# hardware OICP cannot express); its meaning is declared in the rule files (`consequences`).
DROPPED = "dropped"

BASE_JSON_TYPES = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "decimal": "number",
    "datetime": "string",
}
CONTAINER_SHAPES = frozenset({"object", "object_list", "infotext_list", "geo"})


@dataclass(frozen=True)
class DataType:
    """A named OICP data type (a restricted string or an enumeration)."""

    name: str
    base: str
    description: str
    spec: str
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    example: str | None = None


@dataclass(frozen=True)
class Property:
    """One property of the envelope or of EvseDataRecordType, addressed by its table path."""

    path: str
    scope: Scope
    shape: str
    use: str
    description: str
    spec: str
    type_name: str | None = None
    base: str = "string"
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    digits: int | None = None
    aliases: tuple[str, ...] = ()
    example: str | None = None
    assigned_by_hubject: bool = False

    @property
    def is_container(self) -> bool:
        """True for properties that have no cell of their own (objects, lists of objects)."""
        return self.shape in CONTAINER_SHAPES

    @property
    def json_type(self) -> str:
        """The JSON type of the property's value on the wire."""
        if self.shape in ("list", "object_list", "infotext_list", "opening_times"):
            return "array"
        if self.shape in ("object", "geo"):
            return "object"
        return BASE_JSON_TYPES[self.base]

    @property
    def mandatory(self) -> bool:
        return self.use == "mandatory"

    @property
    def max_value(self) -> int | None:
        """The largest number a `digits`-limited integer or decimal can hold."""
        return 10**self.digits - 1 if self.digits else None

    def describe_format(self) -> str:
        """A short human description of length, digits, pattern or enumeration."""
        parts: list[str] = []
        if self.min_length is not None and self.max_length is not None:
            parts.append(f"{self.min_length}-{self.max_length} characters")
        elif self.max_length is not None:
            parts.append(f"max. {self.max_length} characters")
        if self.digits:
            parts.append(f"max. {self.digits} digits")
        if self.enum:
            parts.append("one of: " + ", ".join(self.enum))
        elif self.pattern:
            parts.append(f"pattern {self.pattern}")
        if self.shape == "list":
            parts.append("several values separated by ';'")
        return "; ".join(parts)


@dataclass(frozen=True)
class Consequence:
    """What a finding means for the record at Hubject, and what `poicheck export` does."""

    name: str
    severity: Severity
    title: str
    export: str


Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class FixSpec:
    """A fix declared on a rule: a fix kind with parameters and how certain it is.

    `safe`: the meaning is certain (case, separators, a unit in a number cell); `unsafe`: a
    guess a person must confirm (swapped coordinates); `poicheck fix` applies unsafe fixes
    only with --unsafe-fixes. `fields` limits the fix to some of the rule's fields.
    """

    kind: str
    applicability: Applicability
    params: Mapping[str, Any] = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    examples: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class RecordCause:
    """Rules whose finding on the same record causes a rule's finding: on one of `fields`
    (or inside it; any field when empty), when that finding's message matches `when` (a
    regular expression; None: always)."""

    rules: tuple[str, ...]
    when: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A check with a stable id: which kind of check runs on which fields with which parameters."""

    id: str
    name: str
    kind: str
    fields: tuple[str, ...]
    scope: Scope
    severity: Severity
    category: str
    params: Mapping[str, Any]
    examples: Mapping[str, tuple[Any, ...]]
    source: str
    message: str | None = None
    why: str | None = None
    spec: str | None = None
    consequence: str = "refused"
    applies_to: str | None = None
    # Rules whose finding on the same cell causes this rule's finding (folded into it).
    caused_by: tuple[str, ...] = ()
    # The fixes `poicheck fix` may apply to a finding of the rule, tried in order.
    fixes: tuple[FixSpec, ...] = ()
    # Rules whose finding on another field of the same record causes it (issue 15).
    caused_by_record: tuple[RecordCause, ...] = ()

    @property
    def causes(self) -> tuple[str, ...]:
        """Every rule named as a cause, on the same cell or on the same record."""
        named = [*self.caused_by, *(r for link in self.caused_by_record for r in link.rules)]
        return tuple(dict.fromkeys(named))

    def applies(self, input_format: str) -> bool:
        """Whether the rule runs on an input of this format (csv, xlsx, json, ...)."""
        return self.applies_to is None or INPUT_FAMILIES.get(input_format) == self.applies_to


@dataclass(frozen=True)
class Erratum:
    """A point where Hubject's documents disagree, and the choice poicheck makes."""

    id: str
    topic: str
    documents: str
    choice: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """Everything the rule files say, resolved and cross-checked."""

    name: str
    version: str
    title: str
    types: Mapping[str, DataType]
    properties: Mapping[str, Property]
    rules: Mapping[str, Rule]
    files: tuple[str, ...] = ()
    errata: tuple[Erratum, ...] = ()
    score: Mapping[str, Any] = field(default_factory=dict)
    consequences: Mapping[str, Consequence] = field(default_factory=dict)
    _matchers: tuple[tuple[re.Pattern[str], Property], ...] = field(
        default=(), repr=False, compare=False
    )

    def scope_properties(self, scope: Scope) -> list[Property]:
        return [p for p in self.properties.values() if p.scope == scope]

    def property_for_column(self, column: str, scope: Scope = "record") -> Property | None:
        """The property a canonical column belongs to (wildcards resolved), or None."""
        prop = self.properties.get(column)
        if prop is not None:
            return prop if prop.scope == scope and not prop.is_container else None
        for matcher, candidate in self._matchers:
            if candidate.scope == scope and matcher.fullmatch(column):
                return candidate
        return None

    def alias_map(self) -> dict[str, str]:
        """Alternative spellings (errata) mapped to the canonical path."""
        return {alias: p.path for p in self.properties.values() for alias in p.aliases}

    def with_rules(self, rules: Iterable[Rule]) -> RuleSet:
        return RuleSet(
            name=self.name,
            version=self.version,
            title=self.title,
            types=self.types,
            properties=self.properties,
            rules={rule.id: rule for rule in rules},
            files=self.files,
            errata=self.errata,
            score=self.score,
            consequences=self.consequences,
            _matchers=self._matchers,
        )

    def with_severities(self, severities: Mapping[str, str], source: str) -> RuleSet:
        """The rule set with some rules' severities changed (`severity:` in the configuration):
        each key is a rule id or an id prefix; a longer key wins over a shorter one."""
        from dataclasses import replace

        self.known_ids(RuleIds(severities, source), source)
        ordered = sorted(severities.items(), key=lambda item: len(item[0]))
        changed = []
        for rule in self.rules.values():
            level = rule.severity
            for code, wanted in ordered:
                if rule.id.startswith(code.strip().upper()):
                    level = wanted  # type: ignore[assignment]
            changed.append(rule if level == rule.severity else replace(rule, severity=level))
        return self.with_rules(changed)

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> RuleSet:
        """Keep the rules whose id starts with a selected prefix and none of the ignored ones.

        Raises UsageError for an id or prefix no rule has (a typo would otherwise run no rule,
        or skip none, without a word); RuleIds say where they were given, plain lists are
        reported as "select" / "ignore".
        """
        chosen = self.known_ids(select, "select")
        dropped = self.known_ids(ignore, "ignore")
        kept = [
            rule
            for rule in self.rules.values()
            if (not chosen or any(rule.id.startswith(code) for code in chosen))
            and not any(rule.id.startswith(code) for code in dropped)
        ]
        return self.with_rules(kept)

    def known_ids(self, ids: Iterable[str], default_source: str) -> list[str]:
        """The ids or prefixes, stripped and upper-cased; a UsageError (with a did-you-mean)
        for the first that starts no rule id."""
        codes = [code.strip().upper() for code in ids if code.strip()]
        for code in codes:
            if not any(rule_id.startswith(code) for rule_id in self.rules):
                source = ids.source if isinstance(ids, RuleIds) else default_source
                raise UsageError(_unknown_id(code, self.rules), location=source)
        return codes


class RuleIds(tuple[str, ...]):
    """Rule ids or prefixes together with where they were given (`--select`, a configuration
    file's `ignore`), so that an unknown one is reported there."""

    source: str

    def __new__(cls, ids: Iterable[str], source: str) -> RuleIds:
        made = super().__new__(cls, ids)
        made.source = source
        return made

    def __getnewargs__(self) -> tuple[tuple[str, ...], str]:
        return tuple(self), self.source


def _unknown_id(code: str, rule_ids: Collection[str]) -> str:
    """`unknown rule id or prefix 'GEO0002' (did you mean GEO002?)`: the closest id or
    prefix (ADR, GEO...)."""
    known = sorted({*rule_ids, *(re.sub(r"[0-9]+$", "", i) for i in rule_ids)})
    close = difflib.get_close_matches(code, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown rule id or prefix '{code}'{hint}; `poicheck rules list` shows them all"


def wildcard_matcher(path: str, properties: Mapping[str, Property]) -> re.Pattern[str]:
    """A regex for the concrete columns of a wildcard path.

    `*` after an object list is a 1-based index; after an InfoText list it is a language code
    (anything without a dot, so that an invalid code is still recognised as a language column).
    """
    parts = path.split(".")
    out: list[str] = []
    for i, part in enumerate(parts):
        if part != "*":
            out.append(re.escape(part))
            continue
        parent = properties.get(".".join(parts[:i]))
        out.append("[1-9][0-9]*" if parent and parent.shape == "object_list" else "[^.]+")
    return re.compile(r"\.".join(out))
