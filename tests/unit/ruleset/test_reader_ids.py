"""The rules reader code reports are named once (poicheck.ruleset.reader_ids) and checked
against the rule set when it loads: a misspelt id is a loud error, not a dropped finding."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import poicheck
from poicheck.errors import RuleFileError
from poicheck.ruleset import reader_ids
from poicheck.ruleset.loader import check_reader_rules, load_ruleset
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import READER_RULES

PACKAGE = Path(poicheck.__file__).parent
RULE_ID = re.compile(r"^[A-Z]{3}[0-9]{3}$")
CONSTANTS = {
    name: value
    for name, value in vars(reader_ids).items()
    if name.isupper() and isinstance(value, str)
}


def test_the_reader_rules_are_exactly_the_rule_sets_reader_rules(ruleset: RuleSet) -> None:
    defined = {rule.id for rule in ruleset.rules.values() if rule.kind == "reader"}
    assert set(READER_RULES) == defined
    assert len(READER_RULES) == len(CONSTANTS) == 45


def test_each_constant_is_named_after_its_rule(ruleset: RuleSet) -> None:
    """UNKNOWN_COLUMN is TBL001 unknown-column: a constant cannot point at the wrong rule."""
    for name, rule_id in CONSTANTS.items():
        assert name == ruleset.rules[rule_id].name.upper().replace("-", "_"), rule_id


def test_a_misspelt_id_in_the_module_is_a_loud_error(ruleset: RuleSet) -> None:
    """As if UNKNOWN_COLUMN had been written 'TBL01': the rule set refuses to load."""
    source = inspect.getsource(reader_ids).replace('"TBL001"', '"TBL01"')
    namespace: dict[str, object] = {"__name__": "misspelt"}
    exec(compile(source, "reader_ids.py", "exec"), namespace)
    misspelt = namespace["READER_RULES"]
    assert isinstance(misspelt, frozenset)
    with pytest.raises(RuleFileError, match=r"the readers report rule\(s\) TBL01, which no rule"):
        check_reader_rules(ruleset, misspelt)


def test_the_loader_checks_the_ids_when_the_rule_set_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import poicheck.ruleset.loader as loader

    monkeypatch.setattr(loader, "READER_RULES", READER_RULES | {"XLS099"})
    empty = tmp_path / "nothing.yaml"  # a new path: loads are cached by path
    empty.write_text("rules: []\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="the readers report rule\\(s\\) XLS099"):
        load_ruleset([empty])


def test_a_custom_reader_rule_is_refused(tmp_path: Path) -> None:
    """No reader reports a rule a user writes: kind reader there would never fire."""
    path = tmp_path / "house.yaml"
    path.write_text(
        "rules:\n  - id: XYZ001\n    name: house-rule\n    kind: reader\n"
        "    consequence: refused\n    field: '*'\n    examples: {fail: ['a'], pass: ['b']}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as caught:
        load_ruleset([path])
    assert str(caught.value).startswith(f"{path}: rule XYZ001: kind 'reader' is for the rules")


def rule_id_literals(path: Path) -> list[str]:
    """Rule ids written as string literals in a module (docstrings left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and RULE_ID.match(node.value)
        and id(node) not in docstrings
    ]


@pytest.mark.slow
def test_no_module_writes_a_rule_id_as_text() -> None:
    """Reader code uses the constants: an id typed as text could be misspelt unseen."""
    found = {
        str(path.relative_to(PACKAGE)): rule_id_literals(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "reader_ids.py"
    }
    assert {path: ids for path, ids in found.items() if ids} == {}


@pytest.mark.slow
def test_every_constant_is_used_by_reader_code() -> None:
    imported: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "poicheck.ruleset.reader_ids":
                imported.update(alias.name for alias in node.names)
    assert set(CONSTANTS) - imported == set()
