"""Rule documentation generated from the rule files (`poicheck rules explain`, README tables)."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from poicheck.checks import get_kind
from poicheck.ruleset.loader import resolve_params
from poicheck.ruleset.model import Rule, RuleSet


def example_text(example: Any) -> str:
    """An example value of a rule file as a person reads it."""
    if isinstance(example, dict):
        if "repeat" in example:
            return f"{example['repeat'] * 3}... ({example['times']} characters)"
        if "cells" in example:
            return ", ".join(f"{k} = {v!r}" for k, v in example["cells"].items())
        if "json" in example:
            return "JSON " + json.dumps(example["json"], ensure_ascii=False)
        if "columns" in example:
            return "columns " + ", ".join(example["columns"])
    return repr(example)


def describe(rule: Rule, ruleset: RuleSet) -> str:
    """What the rule requires, in one sentence per field."""
    kind = get_kind(rule.kind)
    sentences = []
    for field in rule.fields:
        prop = ruleset.properties.get(field)
        params = resolve_params(rule, prop, ruleset)
        sentence = kind.describe(params)
        if sentence:
            sentences.append(f"{field} {sentence}.")
    return " ".join(dict.fromkeys(sentences))


def rule_summary(rule: Rule, ruleset: RuleSet) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity,
        "category": rule.category,
        "kind": rule.kind,
        "fields": list(rule.fields),
        "description": describe(rule, ruleset),
        "spec": rule.spec or _spec(rule, ruleset),
    }


def _spec(rule: Rule, ruleset: RuleSet) -> str:
    specs = [ruleset.properties[f].spec for f in rule.fields if f in ruleset.properties]
    return "; ".join(dict.fromkeys(specs))


def explain_rule(rule: Rule, ruleset: RuleSet) -> str:
    """The full documentation of one rule."""
    wrap = textwrap.TextWrapper(width=88, initial_indent="  ", subsequent_indent="  ")
    lines = [f"{rule.id} {rule.name} ({rule.severity}, kind {rule.kind})", ""]
    lines.append("Fields: " + ", ".join(rule.fields))
    description = describe(rule, ruleset)
    if description:
        lines += ["", "What it checks:", wrap.fill(description)]
    for field in rule.fields:
        prop = ruleset.properties.get(field)
        if prop is not None:
            lines += ["", f"{field} ({prop.use}):", wrap.fill(prop.description)]
            break
    if rule.why:
        lines += ["", "Why it matters:", wrap.fill(rule.why)]
    lines += ["", "Source: " + (rule.spec or _spec(rule, ruleset) or rule.source)]
    lines += ["", "Fails:"] + [f"  {example_text(e)}" for e in rule.examples["fail"]]
    lines += ["", "Passes:"] + [f"  {example_text(e)}" for e in rule.examples["pass"]]
    lines += ["", f"Defined in {rule.source}"]
    return "\n".join(lines)
