"""Column mappings: a foreign spreadsheet layout read as the canonical one.

A mapping file (YAML 1.2, validated against `mapping.schema.json`)::

    version: 1
    columns:
      EVSE-ID: EvseID                       # the file's header: the canonical column
      Ladeart:
        to: ChargingFacilities.1.PowerType
        values: {AC 3-phasig: AC_3_PHASE}   # value translations
      Leistung (W):
        to: ChargingFacilities.1.Power
        unit: {from: W, to: kW}             # or factor: 0.001
      Koordinaten:
        to: [GeoCoordinates.Latitude, GeoCoordinates.Longitude]
        split: ','                          # '52.52, 13.41' -> two columns
      Bemerkung: null                       # not OICP data: ignored (still listed as TBL001)

Headers and translated values match ignoring case and runs of spaces. This module reads the
first edition, whose columns are renamed and converted as the sheet is read. The second
edition (`version: 2`, `edition2`) also unpivots numbered column groups, filters rows and
builds fields from constants and templates: the sheet is rebuilt (`rebuild`) before it is
read. `poicheck map` proposes a mapping from a file's headers (`propose`); `origin` gives the
findings of mapped input the cell of the user's sheet.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from poicheck.errors import UsageError
from poicheck.files.yaml_loader import load_yaml
from poicheck.ruleset.model import Property, RuleSet

if TYPE_CHECKING:
    from poicheck.readers.sheet import Sheet

# Unit -> (quantity, size in the quantity's base unit): conversions within a quantity only.
UNITS: dict[str, tuple[str, Decimal]] = {
    "W": ("power", Decimal(1)),
    "kW": ("power", Decimal(1000)),
    "MW": ("power", Decimal(1_000_000)),
    "mV": ("voltage", Decimal("0.001")),
    "V": ("voltage", Decimal(1)),
    "kV": ("voltage", Decimal(1000)),
    "mA": ("current", Decimal("0.001")),
    "A": ("current", Decimal(1)),
    "kA": ("current", Decimal(1000)),
    "Wh": ("energy", Decimal(1)),
    "kWh": ("energy", Decimal(1000)),
    "MWh": ("energy", Decimal(1_000_000)),
    "mg/kWh": ("emission", Decimal("0.001")),
    "g/kWh": ("emission", Decimal(1)),
    "kg/kWh": ("emission", Decimal(1000)),
}
NUMBER = re.compile(r"(-?[0-9]+)(?:([.,])([0-9]+))?")


def fold(text: object) -> str:
    """A header or value as it is matched: case and runs of (non-breaking) spaces ignored."""
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True)
class ColumnRule:
    """How one column of the file becomes one or more canonical columns."""

    header: str
    targets: tuple[str, ...]
    values: Mapping[str, str] = field(default_factory=dict)  # folded spelling -> value
    factor: Decimal | None = None
    separator: str | None = None
    listed: bool = False  # the target is a ';'-separated list: translate item by item

    @property
    def converts(self) -> bool:
        """Whether values change on the way (the file's native values no longer apply)."""
        return bool(self.values) or self.factor is not None or self.separator is not None

    def transform(self, cells: pd.Series) -> tuple[list[pd.Series], list[tuple[int, str]]]:
        """The target columns' cells, and the (position, value) of cells that cannot be split."""
        distinct = list(dict.fromkeys(cells.tolist()))
        if self.separator is not None:
            return self._split(cells, distinct)
        converted = {value: self._convert(str(value)) for value in distinct}
        return [cells.map(converted).astype(cells.dtype)], []

    def _convert(self, text: str) -> str:
        if not text.strip():
            return text
        if self.values:
            text = self._translate(text)
        if self.factor is not None:
            text = scaled(text, self.factor)
        return text

    def _translate(self, text: str) -> str:
        whole = self.values.get(fold(text))
        if whole is not None or not self.listed:
            return whole if whole is not None else text
        items = [item.strip() for item in text.split(";")]
        return ";".join(self.values.get(fold(item), item) for item in items)

    def _split(
        self, cells: pd.Series, distinct: list[Any]
    ) -> tuple[list[pd.Series], list[tuple[int, str]]]:
        assert self.separator is not None
        pattern = r"\s+" if not self.separator.strip() else rf"\s*{re.escape(self.separator)}\s*"
        parts: dict[Any, list[str] | None] = {}
        for value in distinct:
            text = str(value).strip()
            pieces = re.split(pattern, text) if text else [""] * len(self.targets)
            parts[value] = pieces if len(pieces) == len(self.targets) else None
        failed = [(i, str(value)) for i, value in enumerate(cells.tolist()) if parts[value] is None]
        columns = [
            cells.map(lambda v, k=k: (parts[v] or [""] * len(self.targets))[k]).astype(cells.dtype)
            for k in range(len(self.targets))
        ]
        return columns, failed


def scaled(text: str, factor: Decimal) -> str:
    """A number times a unit factor, written without exponent or trailing zeros; text that is
    not a plain number (or is ambiguous, like 22,000) stays as it is."""
    match = NUMBER.fullmatch(text.strip())
    if match is None:
        return text
    whole, mark, fraction = match.groups()
    if mark == "," and len(fraction) == 3:
        return text  # a thousands separator or a decimal comma: not certain
    try:
        number = Decimal(f"{whole}.{fraction}" if fraction else whole) * factor
    except InvalidOperation:
        return text
    result = format(number.normalize(), "f")
    return "0" if result in ("-0", "0") else result


@dataclass(frozen=True)
class ColumnMapping:
    """A loaded mapping: rules by folded header. A first-edition mapping renames and converts
    columns as the sheet is read; a second-edition one (`edition2.TableMapping`) `rebuilds`
    the sheet before it is read."""

    rebuilds: ClassVar[bool] = False
    source: str
    rules: Mapping[str, ColumnRule]

    def rule_for(self, header: str) -> ColumnRule | None:
        return self.rules.get(fold(header)) if header.strip() else None

    def bound(self, operator_id: str | None) -> ColumnMapping:
        """The mapping for a run with this operator (templates may name it)."""
        return self

    def rebuild(self, sheet: Sheet) -> Sheet:
        """The sheet in the canonical layout: a second-edition mapping rebuilds it; the first
        edition reads it as it is (renaming and converting columns on the way)."""
        return sheet


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    text = resources.files("poicheck.mapping").joinpath("mapping.schema.json").read_text()
    return Draft202012Validator(json.loads(text))


def mapping_schema() -> dict[str, Any]:
    """The JSON Schema of mapping files."""
    return dict(_validator().schema)


def load_mapping(
    path: str | Path, ruleset: RuleSet, *, operator_id: str | None = None
) -> ColumnMapping:
    """Load and check a mapping file; raise UsageError naming the file, the key at fault and
    its line. `operator_id` is what a template's {operator_id} stands for."""
    from poicheck.mapping.lines import with_line

    path = Path(path)
    if not path.is_file():
        raise UsageError("no such mapping file", location=str(path))
    document = _stringify_keys(load_yaml(path, error=UsageError))
    try:
        return parse_mapping(document, ruleset, str(path)).bound(operator_id)
    except UsageError as exc:
        raise with_line(exc, path) from exc


def as_mapping(
    mapping: str | Path | ColumnMapping | None,
    ruleset: RuleSet,
    *,
    operator_id: str | None = None,
) -> ColumnMapping | None:
    """A mapping given as a file (loaded and checked) or already loaded, for a run with this
    operator; None stays None."""
    if isinstance(mapping, str | Path):
        return load_mapping(mapping, ruleset, operator_id=operator_id)
    return mapping.bound(operator_id) if mapping is not None else None


def parse_mapping(document: Any, ruleset: RuleSet, source: str = "<mapping>") -> ColumnMapping:
    """A mapping (either edition) from its loaded YAML document."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(document))
    if error is not None:
        key = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise UsageError(f"at key '{key}': {error.message}", location=source)
    if document["version"] == 2:
        from poicheck.mapping.edition2 import parse_edition2

        return parse_edition2(document, ruleset, source)
    rules: dict[str, ColumnRule] = {}
    for header, spec in document["columns"].items():
        folded = fold(header)
        if folded in rules:
            raise UsageError(
                f"at key 'columns/{header}': the header {rules[folded].header!r} is given already "
                "(headers match ignoring case and spaces)",
                location=source,
            )
        rules[folded] = _rule(header, spec, ruleset, source)
    return ColumnMapping(source=source, rules=rules)


def _stringify_keys(document: Any) -> Any:
    """YAML keys as text: a header 2024 or a value `yes:` stays a string key."""
    if isinstance(document, dict):
        return {_text(k): _stringify_keys(v) for k, v in document.items()}
    if isinstance(document, list):
        return [_stringify_keys(v) for v in document]
    return document


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _rule(header: str, spec: Any, ruleset: RuleSet, source: str) -> ColumnRule:
    key = f"columns/{header}"
    if spec is None:
        return ColumnRule(header, ())
    if isinstance(spec, str):
        spec = {"to": spec}
    to = spec["to"]
    names = [to] if isinstance(to, str) else to
    targets = tuple(_target(name, ruleset, f"{key}/to", source) for name in names)
    prop = ruleset.property_for_column(targets[0])
    assert prop is not None
    values = {
        fold(spelling): _value(value, prop, f"{key}/values/{spelling}", source)
        for spelling, value in spec.get("values", {}).items()
    }
    factor = _factor(spec, f"{key}/unit", source)
    separator = spec.get("split")
    return ColumnRule(header, targets, values, factor, separator, prop.shape == "list")


def _target(name: str, ruleset: RuleSet, key: str, source: str) -> str:
    canonical = ruleset.alias_map().get(name, name)
    if ruleset.property_for_column(canonical) is not None:
        return canonical
    known = [p.path for p in ruleset.scope_properties("record") if not p.is_container]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else " (see docs/layout.md)"
    raise UsageError(
        f"at key '{key}': {name!r} is not a column of the canonical layout{hint}", location=source
    )


def _value(value: Any, prop: Property, key: str, source: str) -> str:
    text = _text(value)
    allowed: tuple[str, ...] | None = prop.enum
    if prop.base == "boolean":
        allowed = ("true", "false")
    if allowed is None:
        return text
    items = [item.strip() for item in text.split(";")] if prop.shape == "list" else [text]
    wrong = [item for item in items if item not in allowed]
    if wrong:
        raise UsageError(
            f"at key '{key}': {wrong[0]!r} is not a value of {prop.path} "
            f"(allowed: {', '.join(allowed)})",
            location=source,
        )
    return text


def _factor(spec: Mapping[str, Any], key: str, source: str) -> Decimal | None:
    if "factor" in spec:
        return Decimal(str(spec["factor"]))
    if "unit" not in spec:
        return None
    given, wanted = spec["unit"]["from"], spec["unit"]["to"]
    for unit in (given, wanted):
        if unit not in UNITS:  # case matters: mW is not MW
            raise UsageError(
                f"at key '{key}': unknown unit {unit!r} (known: {', '.join(UNITS)})",
                location=source,
            )
    (quantity, size), (wanted_quantity, wanted_size) = UNITS[given], UNITS[wanted]
    if quantity != wanted_quantity:
        raise UsageError(
            f"at key '{key}': cannot convert {given} ({quantity}) to {wanted} ({wanted_quantity})",
            location=source,
        )
    return size / wanted_size
