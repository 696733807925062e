"""Kinds declare their parameters: a rule naming an unknown parameter, or giving one a value of
the wrong type, is a rule-file error located in the file (file, rule id, key path)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from poicheck.checks import KINDS, get_kind, kind_names
from poicheck.checks.params import Context, check_params
from poicheck.cli import cli
from poicheck.cli import rules as _rules  # noqa: F401  (registers the commands)
from poicheck.engine import per_file
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


def refused(tmp_path: Path, text: str) -> str:
    """The message of the RuleFileError a rule file (beside the shipped ones) raises."""
    path = tmp_path / f"house-{abs(hash(text))}.yaml"  # loads are cached by path
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_ruleset([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: rule XYZ001: params."), message
    return message


@pytest.mark.parametrize(
    ("kind", "field", "params", "fragments"),
    [
        (
            "length",
            "Address.City",
            "{tidied: 'yes'}",
            ["params.tidied: must be true or false, not a text ('yes')"],
        ),
        ("length", "Address.City", "{max: 5.5}", ["params.max: must be a whole number"]),
        ("integer", "ChargingFacilities.*.Power", "{min: true}", ["params.min", "not a boolean"]),
        (
            "range_by_sibling",
            "ChargingFacilities.*.Voltage",
            "{sibling: PowerType, ranges: {DC: {mni: 1, max: 2}}}",
            ["params.ranges.DC.mni: unknown key 'mni' (did you mean min?)"],
        ),
        (
            "differs_from",
            "ChargingStationNames.*",
            "{other: EvseId}",
            ["params.other: 'EvseId' names no property of the rule set (did you mean EvseID?)"],
        ),
        (
            "enum_list",
            "Plugs",
            "{tolerate: PlugTypeBeyondOicp}",
            ["params.tolerate", "names no type", "did you mean PlugTypeBeyondOICP?"],
        ),
        ("enum_list", "Plugs", "{tolerate: 3}", ["a type name or a list of texts, not a number"]),
        (
            "power_formula",
            "ChargingFacilities.*.Power",
            "{relative: 0.1, absolute: 1, above_only: [DX]}",
            ["params.above_only.0: 'DX' is not one of AC_1_PHASE, AC_3_PHASE, DC"],
        ),
        (
            "required_if",
            "OpeningTimes",
            "{when: {IsOpen24Hour: 'false'}}",
            ["params.when.IsOpen24Hour", "did you mean IsOpen24Hours?"],
        ),
        ("required", "EvseID", "{when: {}}", ["kind 'required' has no parameter 'when'"]),
        (
            "boolean",
            "IsOpen24Hours",
            "{fields: [EvseID], pattern: '^x$'}",
            ["it takes none", "(and 1 more problem)"],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_wrong_parameter_is_refused_with_its_key_path(
    tmp_path: Path, kind: str, field: str, params: str, fragments: list[str]
) -> None:
    message = refused(tmp_path, custom_rule(kind, field, params))
    for fragment in fragments:
        assert fragment in message


def test_cli_refuses_the_rule_file_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "house.yaml"
    path.write_text(custom_rule("length", "Address.City", "{tidy: true}"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "list", "--rules", str(path)])
    assert result.exit_code == 2
    assert f"{path}: rule XYZ001: params.tidy: kind 'length' has no parameter 'tidy'" in (
        result.stderr
    )
    assert "did you mean tidied?" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_subprocess_validate_with_a_misspelt_parameter_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "house.yaml"
    rules.write_text(
        custom_rule("enum_list", "AuthenticationModes", "{tolerat: PlugTypeBeyondOICP}"),
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    data.write_text("EvseID\nDE*PCK*E1\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "poicheck", "validate", str(data), "--rules", str(rules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "params.tolerat" in done.stderr
    assert "did you mean tolerate?" in done.stderr
    assert done.stdout == ""


# --- every kind, every declared parameter ---------------------------------------------------

CONTEXT = Context(types=("PlugTypeBeyondOICP",), properties=("EvseID", "Plugs"))
DECLARED = [(kind, p.name) for kind in kind_names() for p in get_kind(kind).params]


@settings(max_examples=150, deadline=None)
@given(case=st.sampled_from(DECLARED), data=st.data())
def test_any_near_miss_of_a_declared_name_is_refused(case: tuple[str, str], data: Any) -> None:
    """A declared name with one letter dropped, doubled or changed is no parameter."""
    kind, name = case
    declared = get_kind(kind).params
    at = data.draw(st.integers(0, len(name) - 1))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz_"))
    edit = data.draw(st.sampled_from(["drop", "double", "change"]))
    misspelt = {
        "drop": name[:at] + name[at + 1 :],
        "double": name[:at] + name[at] + name[at:],
        "change": name[:at] + letter + name[at + 1 :],
    }[edit]
    if misspelt in {p.name for p in declared}:
        return
    problems = check_params(kind, declared, {misspelt: "x"}, CONTEXT)
    assert problems[0][0] == f"params.{misspelt}"
    assert f"has no parameter '{misspelt}'" in problems[0][1]


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(DECLARED), value=JSONISH)
def test_any_value_is_judged_without_an_exception(case: tuple[str, str], value: Any) -> None:
    """Whatever YAML gives a parameter, the check says what is wrong at a key path under it
    (a rule file must never end in a traceback)."""
    kind, name = case
    for path, problem in check_params(kind, get_kind(kind).params, {name: value}, CONTEXT):
        assert path == f"params.{name}" or path.startswith(f"params.{name}."), path
        assert problem


@pytest.mark.parametrize("kind", kind_names())
def test_every_declared_parameter_is_read_by_its_kind(kind: str) -> None:
    """A declaration the kind never reads would let a rule set a parameter that does nothing:
    each declared name appears in the kind's module (as a key, or in its message)."""
    # The readers run the reader kind's rules; the engine groups their findings per file.
    module = per_file if kind == "reader" else inspect.getmodule(KINDS[kind].func)
    source = inspect.getsource(module)  # type: ignore[arg-type]
    for param in get_kind(kind).params:
        if param.name == "type":  # read by the loader: a named type's pattern or enumeration
            continue
        assert f'"{param.name}"' in source or "{" + param.name + "}" in source, param.name
