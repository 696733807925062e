"""Kinds declare their parameters: a rule naming an unknown parameter, or giving one a value of
the wrong type, is a rule-file error located in the file (file, rule id, key path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from poicheck.errors import RuleFileError
from poicheck.ruleset.loader import default_rules_dir, load_ruleset

SHIPPED = default_rules_dir()


def custom_rule(kind: str, field: str, params: str) -> str:
    return (
        "rules:\n"
        "  - id: XYZ001\n"
        "    name: test-rule\n"
        f"    kind: {kind}\n"
        "    consequence: refused\n"
        f"    field: {field}\n"
        f"    params: {params}\n"
        "    examples: {fail: ['a'], pass: ['b']}\n"
    )


def test_misspelt_optional_parameter_is_refused(tmp_path: Path) -> None:
    """`tolerat:` for `tolerate:` used to load without a word and do nothing."""
    path = tmp_path / "house.yaml"
    path.write_text(
        custom_rule("enum_list", "AuthenticationModes", "{tolerat: PlugTypeBeyondOICP}"),
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as caught:
        load_ruleset([path])
    message = str(caught.value)
    assert str(path) in message
    assert "rule XYZ001" in message
    assert "params.tolerat" in message
    assert "did you mean tolerate?" in message
