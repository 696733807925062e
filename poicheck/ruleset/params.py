"""A rule's parameters against its kind: those the kind declares (names, types), those it
requires for each field, and the parameters a check finally runs with (the property's
constraints, then the rule's own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from poicheck.errors import RuleFileError
from poicheck.ruleset.model import Property, Rule, RuleSet

if TYPE_CHECKING:
    from poicheck.checks.params import Context
    from poicheck.checks.registry import Kind


def kind_of(spec: Mapping[str, Any], context: Context, where: str) -> Kind:
    """The rule's kind, its parameters checked against what the kind declares."""
    from poicheck.checks import get_kind, kind_names
    from poicheck.checks.params import check_params

    if spec["kind"] not in kind_names():
        raise RuleFileError(
            f"unknown kind '{spec['kind']}' (known: {', '.join(kind_names())})", location=where
        )
    kind = get_kind(spec["kind"])
    problems = check_params(kind.name, kind.params, spec.get("params", {}), context)
    if problems:
        (key, problem), more = problems[0], len(problems) - 1
        others = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise RuleFileError(f"{key}: {problem}{others}", location=where)
    return kind


def check_fields(rule: Rule, kind: Kind, ruleset: RuleSet, where: str) -> None:
    """Each field of the rule is a property of its scope, and the kind's required parameters
    are given or known from each property."""
    for field_path in rule.fields:
        if field_path == "*" and kind.scope == "reader":
            continue
        prop = ruleset.properties.get(field_path)
        if prop is None or prop.scope != rule.scope:
            raise RuleFileError(
                f"field '{field_path}' is not a property of the {rule.scope}", location=where
            )
        given = _given_params(rule, prop, ruleset)
        missing = [name for name in kind.required if name not in given]
        if missing:
            raise RuleFileError(
                f"kind '{kind.name}' needs parameter(s) {', '.join(missing)} for field "
                f"'{field_path}', neither given nor known from the property",
                location=where,
            )


def _layers(rule: Rule, prop: Property | None, ruleset: RuleSet) -> tuple[dict[str, Any], ...]:
    """A rule's parameters for one field in two layers: the property's constraints with a
    named type's pattern or enumeration, and the rule's own (without `type`)."""
    from poicheck.checks import get_kind

    base: dict[str, Any] = get_kind(rule.kind).defaults(prop) if prop is not None else {}
    own = dict(rule.params)
    type_name = own.pop("type", None)
    if type_name is not None:
        named = ruleset.types[type_name]
        base.update({k: v for k, v in (("pattern", named.pattern), ("enum", named.enum)) if v})
    return base, own


def _given_params(rule: Rule, prop: Property | None, ruleset: RuleSet) -> dict[str, Any]:
    """A rule's parameters for one field as its kind declares them (names of types not yet
    resolved by the kind): what its `required` parameters are looked for in."""
    base, own = _layers(rule, prop, ruleset)
    return {**base, **own}


def resolve_params(rule: Rule, prop: Property | None, ruleset: RuleSet) -> dict[str, Any]:
    """A rule's parameters for one field: the property's constraints, then the rule's own."""
    from poicheck.checks import get_kind

    kind = get_kind(rule.kind)
    params, own = _layers(rule, prop, ruleset)
    if kind.resolve is not None:
        own = kind.resolve(own, ruleset.types)
    params.update(own)
    params["fields"] = rule.fields
    return params
