"""Mapping files, second edition: a foreign layout rebuilt into the canonical table.

Besides the first edition's `columns` (header -> canonical column, with translations and
units), a second-edition file has:

- `groups`: numbered column groups (`Steckertypen{n}`, `P{n} [kW]` for n in 1..4), each
  group of a row one EVSE of its own;
- `fields`: canonical columns built from constants, defaults, templates
  (`{operator_id}*E{row:05}*{n}`) or another reading of a column (`from:`);
- `filter`: the rows to read (one operator's rows);
- per column: `split` at a separator or the first / last space, `pattern` (a regular
  expression whose groups are the targets), `list` (the separator of items in a cell),
  `round`, `default`.

The example `docs/examples/bnetza-2019.yaml` reads the German federal register's layout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from poicheck.errors import UsageError
from poicheck.mapping import ColumnMapping, ColumnRule, _factor, _target, _text, _value, fold
from poicheck.mapping.convert import SPACES, Conversion
from poicheck.mapping.template import RESERVED, Template, TemplateError
from poicheck.ruleset.model import RuleSet

if TYPE_CHECKING:
    from poicheck.readers.sheet import Sheet

GROUP = "{n}"


@dataclass(frozen=True)
class Reading:
    """A column of the file (its header has {n} in a group) read into canonical targets;
    `conversion` None ignores it."""

    header: str
    conversion: Conversion | None
    key: str

    def header_for(self, number: str) -> str:
        return self.header.replace(GROUP, number)


@dataclass(frozen=True)
class Field:
    """A canonical column built otherwise than from one column: a constant, a template,
    a second reading of a column (`source`), and the default for records without a value."""

    target: str
    key: str
    value: str | None = None
    template: Template | None = None
    source: Reading | None = None
    default: str | None = None


@dataclass(frozen=True)
class Condition:
    """A row filter on one column: its cell is one of `values` (folded) or holds `pattern`."""

    header: str
    key: str
    values: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Groups:
    """Numbered column groups: the numbers, the column that makes a group present, and the
    group's columns (headers with {n})."""

    numbers: tuple[str, ...]
    present: str | None
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class TableMapping(ColumnMapping):
    """A second-edition mapping. `rules` (the first edition's view: header -> targets) names
    every header the mapping reads, so that the header row is found as with the first."""

    rebuilds: ClassVar[bool] = True
    readings: tuple[Reading, ...] = ()
    groups: Groups | None = None
    fields: tuple[Field, ...] = ()
    filter: tuple[Condition, ...] = ()
    operator_id: str | None = None
    ruleset: RuleSet | None = dataclass_field(default=None, repr=False, compare=False)

    def bound(self, operator_id: str | None) -> TableMapping:
        """The mapping with the operator whose id `{operator_id}` stands for."""
        return replace(self, operator_id=operator_id) if operator_id else self

    def rebuild(self, sheet: Sheet) -> Sheet:
        """The canonical sheet of a sheet in the foreign layout (see `rebuild`)."""
        from poicheck.mapping.rebuild import rebuild

        return rebuild(self, sheet)


def parse_edition2(document: Mapping[str, Any], ruleset: RuleSet, source: str) -> TableMapping:
    """A second-edition mapping from its loaded YAML document (valid against the schema)."""
    parser = _Parser(ruleset, source)
    readings = [
        parser.reading(header, spec, f"columns/{header}")
        for header, spec in (document.get("columns") or {}).items()
    ]
    groups = parser.groups(document["groups"]) if "groups" in document else None
    fields = [
        parser.field(target, spec, f"fields/{target}")
        for target, spec in (document.get("fields") or {}).items()
    ]
    conditions = [
        _condition(header, spec, f"filter/{header}", source)
        for header, spec in (document.get("filter") or {}).items()
    ]
    if not (readings or groups or fields):
        raise UsageError(
            "at key '(top level)': the mapping maps nothing: give columns, groups or fields",
            location=source,
        )
    parser.check_templates(fields, groups)
    rules = _rules(readings, groups, fields, conditions, source)
    return TableMapping(
        source=source,
        rules=rules,
        readings=tuple(readings),
        groups=groups,
        fields=tuple(fields),
        filter=tuple(conditions),
        ruleset=ruleset,
    )


class _Parser:
    """Checks and builds the parts of a mapping; every error names the key at fault."""

    def __init__(self, ruleset: RuleSet, source: str) -> None:
        self.ruleset = ruleset
        self.source = source
        self.given: dict[str, str] = {}  # target -> the key that fills it
        self.grouped = False

    def fail(self, key: str, message: str) -> UsageError:
        return UsageError(f"at key '{key}': {message}", location=self.source)

    def reading(self, header: str, spec: Any, key: str, *, claim: bool = True) -> Reading:
        if spec is None:
            return Reading(header, None, key)
        if isinstance(spec, str):
            spec = {"to": spec}
        names = [spec["to"]] if isinstance(spec["to"], str) else list(spec["to"])
        targets = tuple(_target(name, self.ruleset, f"{key}/to", self.source) for name in names)
        if claim:
            for target in targets:
                self.claim(target, key)
        return Reading(header, self.conversion(spec, targets, key), key)

    def claim(self, target: str, key: str) -> None:
        if target in self.given:
            raise self.fail(key, f"{target} is filled at key '{self.given[target]}' already")
        self.given[target] = key

    def conversion(self, spec: Mapping[str, Any], targets: tuple[str, ...], key: str) -> Conversion:
        props = [self.ruleset.property_for_column(t) for t in targets]
        first = props[0]
        assert first is not None
        if "unit" in spec and "factor" in spec:
            raise self.fail(key, "give unit or factor, not both")
        split, pattern = spec.get("split"), self.pattern(spec, key)
        if split is not None and pattern is not None:
            raise self.fail(key, "give split or pattern, not both")
        if len(targets) > 1 and split is None and pattern is None:
            raise self.fail(f"{key}/to", "several targets need a split or a pattern")
        if len(targets) == 1 and split is not None:
            raise self.fail(f"{key}/split", "a split needs several targets (to: [A, B])")
        if split in SPACES and len(targets) != 2:
            raise self.fail(f"{key}/split", f"'{split}' splits into two targets")
        allowed = {len(targets), *((0,) if len(targets) == 1 else ())}
        if pattern is not None and pattern.groups not in allowed:
            raise self.fail(
                f"{key}/pattern",
                f"the pattern has {pattern.groups} group(s) for {len(targets)} target(s)",
            )
        if "list" in spec and first.shape != "list":
            raise self.fail(f"{key}/list", f"{first.path} holds one value, not a list")
        values = {}
        for spelling, value in (spec.get("values") or {}).items():
            for prop in props:
                assert prop is not None
                values[fold(spelling)] = _value(
                    value, prop, f"{key}/values/{spelling}", self.source
                )
        default = spec.get("default")
        if default is not None:
            default = _value(default, first, f"{key}/default", self.source)
        factor: Decimal | None = _factor(spec, f"{key}/unit", self.source)
        return Conversion(
            targets,
            values=values,
            factor=factor,
            places=spec.get("round"),
            items=spec.get("list"),
            listed=first.shape == "list",
            split=split,
            pattern=pattern,
            default=default,
        )

    def pattern(self, spec: Mapping[str, Any], key: str) -> re.Pattern[str] | None:
        if "pattern" not in spec:
            return None
        return _compiled(spec["pattern"], f"{key}/pattern", self.source)

    def groups(self, spec: Mapping[str, Any]) -> Groups:
        self.grouped = True
        numbers = tuple(_text(n) for n in spec["numbers"])
        for header in [*spec["columns"], *([spec["present"]] if "present" in spec else [])]:
            if GROUP not in header:
                where = "present" if header == spec.get("present") else f"columns/{header}"
                raise self.fail(
                    f"groups/{where}", f"{header!r} has no {{n}} where the group's number goes"
                )
        readings = tuple(
            self.reading(header, value, f"groups/columns/{header}")
            for header, value in spec["columns"].items()
        )
        return Groups(numbers, spec.get("present"), readings)

    def field(self, target: str, spec: Any, key: str) -> Field:
        column = _target(target, self.ruleset, key, self.source)
        if column != target:
            raise self.fail(key, f"write the canonical name {column}")
        prop = self.ruleset.property_for_column(column)
        assert prop is not None
        if not isinstance(spec, dict):
            spec = {"value": spec}
        kinds = [k for k in ("value", "template", "from") if k in spec]
        if len(kinds) > 1:
            raise self.fail(key, f"give one of value, template or from, not {' and '.join(kinds)}")
        options = set(spec) - {"value", "template", "from", "default"}
        if options and "from" not in spec:
            raise self.fail(key, f"{', '.join(sorted(options))} only go with from:")
        default = spec.get("default")
        if default is not None:
            default = _value(default, prop, f"{key}/default", self.source)
        if kinds:
            self.claim(column, key)
        if "value" in spec:
            value = _value(spec["value"], prop, f"{key}/value", self.source)
            return Field(column, key, value=value, default=default)
        if "template" in spec:
            try:
                template = Template.parse(spec["template"])
            except TemplateError as exc:
                raise self.fail(f"{key}/template", str(exc)) from exc
            return Field(column, key, template=template, default=default)
        if "from" in spec:
            reading = self.reading(spec["from"], {**spec, "to": column}, key, claim=False)
            return Field(column, key, source=reading, default=default)
        return Field(column, key, default=default)

    def check_templates(self, fields: list[Field], groups: Groups | None) -> None:
        """{n} only where there are groups; a group column only in a group."""
        for item in fields:
            uses = item.template.names if item.template else []
            header = item.source.header if item.source else ""
            if ({"n", "group"} & set(uses) or GROUP in header) and groups is None:
                raise self.fail(item.key, "{n} is the number of a group: give groups")
            for name in uses:
                if GROUP in name:
                    raise self.fail(
                        f"{item.key}/template", "a template names cells of the row, not of a group"
                    )


def _condition(header: str, spec: Any, key: str, source: str) -> Condition:
    if isinstance(spec, dict):
        return Condition(header, key, pattern=_compiled(spec["pattern"], f"{key}/pattern", source))
    values = spec if isinstance(spec, list) else [spec]
    return Condition(header, key, values=frozenset(fold(_text(v)) for v in values))


def _compiled(text: str, key: str, source: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        raise UsageError(
            f"at key '{key}': not a regular expression: {exc}", location=source
        ) from exc


def _rules(
    readings: list[Reading],
    groups: Groups | None,
    fields: list[Field],
    conditions: list[Condition],
    source: str,
) -> dict[str, ColumnRule]:
    """Every header the mapping reads, as the first edition's rules (for finding the header
    row and annotating the file); a header given twice is an error."""
    rules: dict[str, ColumnRule] = {}

    def add(header: str, targets: tuple[str, ...], key: str, *, unique: bool = True) -> None:
        folded = fold(header)
        if folded in rules:
            if unique and rules[folded].targets and targets:
                raise UsageError(
                    f"at key '{key}': the header {rules[folded].header!r} is given already "
                    "(headers match ignoring case and spaces)",
                    location=source,
                )
            return
        rules[folded] = ColumnRule(header, targets)

    for reading in readings:
        add(reading.header, _targets(reading), reading.key)
    for reading in groups.readings if groups else ():
        for number in groups.numbers if groups else ():
            add(reading.header_for(number), _targets(reading), reading.key)
    for item in fields:
        names = item.template.headers() if item.template else []
        names += [item.source.header] if item.source else []
        numbers = groups.numbers if groups else ("",)
        for name in names:
            for number in numbers if GROUP in name else ("",):
                add(name.replace(GROUP, number), (), item.key, unique=False)
    for condition in conditions:
        add(condition.header, (), condition.key, unique=False)
    return rules


def _targets(reading: Reading) -> tuple[str, ...]:
    return reading.conversion.targets if reading.conversion else ()


__all__ = ["RESERVED", "Condition", "Field", "Groups", "Reading", "TableMapping", "parse_edition2"]
