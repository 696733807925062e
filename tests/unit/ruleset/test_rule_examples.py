"""Every rule's own failing and passing examples, from the rule files, as one test each.

`pytest -k ADR004` runs the examples of one rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.checks import get_kind
from poicheck.ruleset.examples import Outcome, example_problem, run_example
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import Rule, RuleSet
from tests.records import VALID_CELLS, frame_of

RULESET = load_ruleset()
CASES = [
    pytest.param(rule, outcome, example, id=f"{rule.id}-{outcome}-{i}")
    for rule in sorted(RULESET.rules.values(), key=lambda r: r.id)
    for outcome in ("fail", "pass")
    for i, example in enumerate(rule.examples[outcome])
]


@pytest.mark.slow
@pytest.mark.parametrize(("rule", "outcome", "example"), CASES)
def test_rule_example(rule: Rule, outcome: Outcome, example: Any, tmp_path: Path) -> None:
    """As `poicheck rules test` runs a rule file's examples (poicheck.ruleset.examples), and
    more: the finding's severity, record and field."""
    report = run_example(rule, example, tmp_path, RULESET)
    problem = example_problem(rule, outcome, report)
    assert problem == "", f"{rule.id} {outcome} example {example!r}: {problem}"
    hits = [f for f in report.findings if f.rule == rule.id]
    for hit in hits:
        assert hit.severity == rule.severity
        assert hit.message
        rows = len(example["rows"]) if isinstance(example, dict) and "rows" in example else 1
        if get_kind(rule.kind).scope != "reader" and rule.scope == "record":
            assert hit.record in range(rows)
            assert any(
                hit.field == f or hit.field.startswith(f.split("*")[0].rstrip("."))
                for f in rule.fields
            ), (hit.field, rule.fields)


def test_valid_record_is_clean(ruleset: RuleSet) -> None:
    report = validate(frame_of(VALID_CELLS), ruleset=ruleset)
    assert report.findings == []


def test_every_rule_has_failing_and_passing_examples(ruleset: RuleSet) -> None:
    for rule in ruleset.rules.values():
        assert rule.examples["fail"], rule.id
        assert rule.examples["pass"], rule.id
