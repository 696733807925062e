"""Every fix hint a rule's message gives for its own failing examples is right: a JSON value it
suggests parses and is valid for OICP where it stands, a value it proposes is an allowed one.

`tests/unit/ruleset/test_rule_examples.py` runs the examples; this renders their messages
and reads them.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.oicp.wire import type_hint
from poicheck.ruleset.examples import run_example
from tests.records import json_record, write_json
from tests.unit.ruleset.test_rule_examples import RULESET

pytestmark = pytest.mark.slow  # its fixtures take seconds: not in the quick loop

# A JSON value a message on a JSON input tells the reader to write: after "; write" or
# "such as".
SUGGESTION = re.compile(
    r"(?:; write|such as) (?P<value>\[.*\]|\{.*\}|\"[^\"]*\"|-?[0-9][0-9.]*|true|false)"
    r"(?: without quotes| in quotes)?(?:;|$)"
)
PROPOSAL = re.compile(r"did you mean '(?P<value>[^']*)'\?")


def rendered(tmp_path: Path) -> list[tuple[str, Any, Any]]:
    out = []
    for rule in sorted(RULESET.rules.values(), key=lambda r: r.id):
        for i, example in enumerate(rule.examples["fail"]):
            here = tmp_path / f"{rule.id}-{i}"
            here.mkdir()
            for finding in run_example(rule, example, here, RULESET).findings:
                if finding.rule == rule.id:
                    out.append((rule.id, example, finding))
    return out


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Any, Any]]:
    return rendered(tmp_path_factory.mktemp("hints"))


def put(record: dict[str, Any], pointer: str, value: Any) -> None:
    """Set the value at a JSON `pointer` (/ChargingFacilities/0/Power) of a record."""
    steps: list[str | int] = [int(p) if p.isdigit() else p for p in pointer[1:].split("/")]
    node: Any = record
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value


@pytest.mark.slow
def test_suggested_json_values_parse_and_are_valid_for_oicp(
    messages: list[tuple[str, Any, Any]], tmp_path: Path
) -> None:
    checked = 0
    for rule, example, finding in messages:
        match = SUGGESTION.search(finding.message)
        if match is None or not (isinstance(example, dict) and "json" in example):
            continue  # a table's findings suggest cell texts, not JSON
        value = json.loads(match.group("value"))  # a suggestion is JSON
        record = copy.deepcopy({**json_record(RULESET), **example["json"]})
        put(record, finding.pointer, value)
        path = write_json(tmp_path / f"fixed-{checked}.json", [record])
        errors = [
            f
            for f in validate(path).findings
            if f.severity == "error" and f.field.startswith(finding.field)
        ]
        assert errors == [], (rule, finding.message, errors)
        checked += 1
    assert checked >= 5  # booleans, numbers with and without unit, strings, lists, times


def test_proposed_values_are_allowed(messages: list[tuple[str, Any, Any]]) -> None:
    checked = 0
    for rule, _, finding in messages:
        match = PROPOSAL.search(finding.message)
        if match is None or rule in ("JSN002", "TBL001"):  # those propose names, not values
            continue
        field = re.sub(r"\.[0-9]+\.", ".*.", finding.field)
        enum = RULESET.properties[field].enum
        assert enum, (rule, finding.message)
        assert match.group("value") in enum, (rule, finding.message)
        checked += 1
    assert checked >= 10


def test_no_hint_guesses_another_number(messages: list[tuple[str, Any, Any]]) -> None:
    (mode,) = [f for r, _, f in messages if r == "PWR010" and "Mode_5" in f.message]
    assert "did you mean" not in mode.message


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("IsOpen24Hours", "yes", "; write true without quotes"),
        ("IsOpen24Hours", " Nein ", "; write false without quotes"),
        ("IsOpen24Hours", "24/7", "; OICP's booleans are true and false, without quotes"),
        ("ChargingFacilities.*.Power", "22kW", "; write 22 without quotes"),
        ("ChargingFacilities.*.Power", "3.7", "; give a whole number, without quotes or unit"),
        ("ChargingFacilities.*.Power", "1000", "; give a whole number, without quotes or unit"),
        ("EnvironmentalImpact.CO2Emission", "12.5 g", "; write 12.5 without quotes"),
        ("Plugs", "Type 2 Outlet; CHAdeMO", '; write ["Type 2 Outlet", "CHAdeMO"]'),
        ("Plugs", "Type 2", ""),
        ("DynamicInfoAvailable", True, '; write "true"'),
        ("ChargingPoolID", 17, ""),
    ],
)
def test_type_hint(field: str, value: Any, hint: str) -> None:
    assert type_hint(RULESET.properties[field], value) == hint
