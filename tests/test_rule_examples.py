"""Every rule's own failing and passing examples, from the rule files, as one test each.

`pytest -k ADR004` runs the examples of one rule.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.checks import get_kind
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import Rule, RuleSet
from tests.corpus import write_example
from tests.records import VALID_CELLS, frame_of, json_record, write_json

RULESET = load_ruleset()
CASES = [
    pytest.param(rule, outcome, example, id=f"{rule.id}-{outcome}-{i}")
    for rule in sorted(RULESET.rules.values(), key=lambda r: r.id)
    for outcome in ("fail", "pass")
    for i, example in enumerate(rule.examples[outcome])
]


def concrete(field: str, ruleset: RuleSet) -> str:
    """The first concrete column of a wildcard field (index 1, or language en)."""
    parts = field.split(".")
    for i, part in enumerate(parts):
        if part == "*":
            parent = ruleset.properties[".".join(parts[:i])]
            parts[i] = "1" if parent.shape == "object_list" else "en"
    return ".".join(parts)


def value_of(example: Any) -> str:
    if isinstance(example, dict) and "repeat" in example:
        return str(example["repeat"] * example["times"])
    return str(example)


def run_example(rule: Rule, example: Any, tmp_path: Path, ruleset: RuleSet) -> list[Any]:
    select = [rule.id]
    if rule.scope == "envelope":
        envelope = {"ActionType": "fullLoad", "OperatorID": "DE*PCK", "OperatorName": "PoiCheck"}
        value = value_of(example)
        envelope[rule.fields[0]] = value
        if value == "":
            del envelope[rule.fields[0]]
        document = {
            "ActionType": envelope.pop("ActionType", None),
            "OperatorEvseData": {**envelope, "EvseDataRecord": [json_record(ruleset)]},
        }
        if document["ActionType"] is None:
            del document["ActionType"]
        path = write_json(tmp_path / "request.json", document)
        return validate(path, select=select).findings
    if isinstance(example, dict) and "json" in example:
        record = {**json_record(ruleset), **example["json"]}
        path = write_json(tmp_path / "records.json", [record])
        return validate(path, select=select).findings
    if isinstance(example, dict) and "ocpi" in example:
        path = write_json(tmp_path / "locations.json", example["ocpi"])
        return validate(path, select=select).findings
    if isinstance(example, dict) and "jsonl" in example:
        path = tmp_path / "records.jsonl"
        path.write_text(str(example["jsonl"]), encoding="utf-8")
        return validate(path, select=select).findings
    if isinstance(example, dict) and "columns" in example:
        header = list(example["columns"])
        values = [VALID_CELLS.get(c, "x") for c in header]
        path = tmp_path / "data.csv"
        path.write_text(",".join(header) + "\n" + ",".join(values) + "\n", encoding="utf-8")
        return validate(path, select=select).findings
    if isinstance(example, dict) and ("csv" in example or "sheet" in example):
        path, mapping = write_example(tmp_path, example)  # spreadsheet reader rules
        return validate(path, select=select, mapping=mapping).findings
    operator = example.get("operator") if isinstance(example, dict) else None
    if isinstance(example, dict) and "rows" in example:
        rows = [{**VALID_CELLS, **{k: str(v) for k, v in row.items()}} for row in example["rows"]]
        return validate(frame_of(*rows), select=select, operator_id=operator).findings
    cells = dict(VALID_CELLS)
    if isinstance(example, dict) and "cells" in example:
        cells.update({k: str(v) for k, v in example["cells"].items()})
    else:
        cells[concrete(rule.fields[0], ruleset)] = value_of(example)
    return validate(frame_of(cells), select=select, operator_id=operator).findings


@pytest.mark.parametrize(("rule", "outcome", "example"), CASES)
def test_rule_example(rule: Rule, outcome: str, example: Any, tmp_path: Path) -> None:
    findings = run_example(rule, example, tmp_path, RULESET)
    hits = [f for f in findings if f.rule == rule.id]
    if outcome == "pass":
        assert hits == [], f"{rule.id} fired on its passing example {example!r}: {hits}"
        return
    assert hits, f"{rule.id} did not fire on its failing example {example!r}"
    for hit in hits:
        assert hit.severity == rule.severity
        assert hit.message
        # No placeholder left unfilled (a JSON object quoted as an example has braces too).
        assert not re.search(r"\{[a-z_]+\}", hit.message), hit.message
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
