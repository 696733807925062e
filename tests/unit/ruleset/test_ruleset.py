"""The rule set: the shipped files load and are consistent; broken rule files are refused with
a message that names the file and the key; selection by id and prefix."""

from __future__ import annotations

import inspect
import re
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import poicheck.oicp.convert
from poicheck import validate
from poicheck.checks import get_kind
from poicheck.errors import RuleFileError, UsageError
from poicheck.files.yaml_loader import load_yaml
from poicheck.ruleset.loader import default_rules_dir, load_ruleset
from poicheck.ruleset.model import Property, RuleIds, RuleSet, wildcard_matcher
from tests.records import VALID_CELLS, frame_of

RULE_ID = re.compile(r"^[A-Z]{3}[0-9]{3}$")
PRESENCE_KINDS = {"required", "required_any", "required_in_group", "required_if"}
SHIPPED = default_rules_dir()


def rule_text(
    rule_id: str = "XYZ001",
    kind: str = "length",
    field: str = "HardwareManufacturer",
    extra: str = "",
) -> str:
    """One rule in a rule file; valid as it stands, broken by the arguments."""
    return (
        "rules:\n"
        f"  - id: {rule_id}\n"
        "    name: test-rule\n"
        f"    kind: {kind}\n"
        "    consequence: refused\n"
        f"    field: {field}\n"
        f"{extra}"
        "    examples: {fail: ['a'], pass: ['b']}\n"
    )


# --- the shipped rule set -----------------------------------------------------------------------


def test_shipped_rule_set_loads(ruleset: RuleSet) -> None:
    assert ruleset.name == "oicp-2.3"
    assert ruleset.version
    assert sorted(Path(f).name for f in ruleset.files) == sorted(
        p.name for p in SHIPPED.glob("*.yaml")
    )
    assert "EvseID" in ruleset.properties
    assert ruleset.properties["EvseID"].mandatory
    assert {"EVS001", "TBL001", "ACC017"} <= set(ruleset.rules)
    assert load_ruleset() is load_ruleset()  # loaded once per process


@pytest.mark.slow
def test_every_rule_id_is_unique_across_the_rule_files() -> None:
    ids = [
        rule["id"]
        for path in sorted(SHIPPED.glob("*.yaml"))
        for rule in (load_yaml(path, trusted=True) or {}).get("rules", [])
    ]
    assert ids
    assert [rule_id for rule_id, count in Counter(ids).items() if count > 1] == []


def test_every_rule_id_has_the_id_format(ruleset: RuleSet) -> None:
    assert [r for r in ruleset.rules if not RULE_ID.fullmatch(r)] == []
    assert all(rule.id == key for key, rule in ruleset.rules.items())


def test_every_rule_names_known_fields_and_kinds(ruleset: RuleSet) -> None:
    for rule in ruleset.rules.values():
        kind = get_kind(rule.kind)
        for field in rule.fields:
            if field == "*":
                assert kind.scope == "reader", rule.id
                continue
            assert field in ruleset.properties, (rule.id, field)
            assert ruleset.properties[field].scope == rule.scope, (rule.id, field)


def _covers(field: str, prop: Property, ruleset: RuleSet) -> bool:
    if field == "*":  # reader rules about the input's structure cover nothing in particular
        return False
    if field == prop.path:
        return True
    if prop.path.startswith(field + "."):  # a rule on the container
        return True
    if field.startswith(prop.path + "."):  # a rule on a member of this container
        return True
    if "*" in field:  # a wildcard path that matches the property's (concrete) path
        return bool(wildcard_matcher(field, ruleset.properties).fullmatch(prop.path))
    return False


def test_every_record_property_is_covered_by_a_rule(ruleset: RuleSet) -> None:
    fields = [f for r in ruleset.rules.values() if r.scope == "record" for f in r.fields]
    uncovered = [
        prop.path
        for prop in ruleset.scope_properties("record")
        if not any(_covers(field, prop, ruleset) for field in fields)
    ]
    assert uncovered == []


def test_every_mandatory_record_property_has_a_presence_rule(ruleset: RuleSet) -> None:
    present = {
        field
        for rule in ruleset.rules.values()
        if rule.kind in PRESENCE_KINDS and rule.scope == "record"
        for field in rule.fields
    }
    missing = []
    for prop in ruleset.scope_properties("record"):
        if not prop.mandatory:
            continue
        if prop.shape in ("object", "geo"):
            # No cell of its own: present when its mandatory members are required.
            members = [
                p.path
                for p in ruleset.scope_properties("record")
                if p.path.startswith(prop.path + ".") and p.mandatory
            ]
            if not members or not all(m in present for m in members):
                missing.append(prop.path)
        elif prop.path not in present:
            missing.append(prop.path)
    assert missing == []


def test_every_type_enum_and_pattern_is_used(ruleset: RuleSet) -> None:
    by_property = {p.type_name for p in ruleset.properties.values()}
    by_rule = {
        str(value)
        for rule in ruleset.rules.values()
        for key, value in rule.params.items()
        if key in ("type", "day", "time")
    }
    # The canonical table holds decimal degrees; these notations are read by the JSON reader.
    by_reader = {"GeoCoordinatesGoogleFormatType", "GeoCoordinatesDegreeMinuteSecondsFormatType"}
    reader_source = inspect.getsource(poicheck.oicp.convert)
    assert all(f'"{name}"' in reader_source for name in by_reader)
    unused = [
        name
        for name, datatype in ruleset.types.items()
        if (datatype.enum or datatype.pattern) and name not in by_property | by_rule | by_reader
    ]
    assert unused == []


def test_energy_types_are_either_grey_or_renewable(ruleset: RuleSet) -> None:
    """NRG007 lists the grey EnergyType values, NRG008 the renewable ones: together every
    value of 03 EnergyType, each once, so that a new value cannot be forgotten."""
    grey = list(ruleset.rules["NRG007"].params["values"])
    renewable = list(ruleset.rules["NRG008"].params["values"])
    assert sorted(grey + renewable) == sorted(ruleset.types["EnergyType"].enum or ())


@pytest.mark.parametrize("name", sorted(load_ruleset().types))
def test_type_pattern_compiles_and_matches_its_example(name: str, ruleset: RuleSet) -> None:
    datatype = ruleset.types[name]
    assert datatype.pattern or datatype.enum, f"{name} restricts nothing"
    if datatype.enum:
        assert len(set(datatype.enum)) == len(datatype.enum)
        if datatype.example is not None:
            assert datatype.example in datatype.enum
    if datatype.pattern:
        compiled = re.compile(datatype.pattern, re.ASCII)
        assert datatype.pattern.startswith("^")
        assert datatype.pattern.endswith("$")
        if datatype.example is not None:
            assert compiled.fullmatch(datatype.example), datatype.example
            # The same pattern in pyarrow's RE2, where the checks run it.
            verdict = pc.match_substring_regex(
                pa.array([datatype.example]), datatype.pattern
            ).to_pylist()
            assert verdict == [True]


def test_aliases_do_not_shadow_properties(ruleset: RuleSet) -> None:
    aliases = ruleset.alias_map()
    assert aliases["ChargingStationID"] == "ChargingStationId"
    assert not set(aliases) & set(ruleset.properties)


# --- YAML 1.2 -----------------------------------------------------------------------------------


def test_yaml_1_1_booleans_stay_strings() -> None:
    assert load_yaml("on: Everyday\nx: yes\ny: no\n") == {"on": "Everyday", "x": "yes", "y": "no"}


def test_yaml_1_1_sexagesimal_and_off_stay_strings() -> None:
    assert load_yaml("t: '08:00'\nu: 08:00\nv: off\nw: true\n") == {
        "t": "08:00",
        "u": "08:00",
        "v": "off",
        "w": True,
    }


def test_yaml_error_names_the_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_yaml(path, error=RuleFileError)
    assert caught.value.location is not None
    assert caught.value.location.startswith(f"{path}:")
    assert "invalid YAML" in caught.value.message


# --- broken rule files --------------------------------------------------------------------------


def load_with(broken: Path) -> RuleSet:
    """The shipped rule set plus one more file, read first so that a file the schema refuses
    fails fast (cross-checks such as duplicate ids still see every shipped file)."""
    return load_ruleset([SHIPPED], base=broken)


BROKEN = {
    "yaml-syntax": ("rules:\n  - id: XYZ001\n   name: bad-indent\n", ["invalid YAML", ":3:"]),
    "yaml-duplicate-key": (rule_text(extra="    kind: length\n"), ["invalid YAML", '"kind"']),
    "unknown-key": (rule_text(extra="    colour: red\n"), ["rules/0", "'colour'"]),
    "bad-id-format": (rule_text(rule_id="XY001"), ["rules/0/id", "XY001"]),
    "lower-case-id": (rule_text(rule_id="xyz001"), ["rules/0/id", "xyz001"]),
    "missing-examples": (
        "rules:\n  - id: XYZ001\n    name: test-rule\n    kind: length\n    consequence: refused\n"
        "    field: EvseID\n",
        ["rules/0", "'examples'"],
    ),
    "bad-severity": (rule_text(extra="    severity: fatal\n"), ["rules/0/severity", "fatal"]),
    "unknown-consequence": (
        rule_text().replace("consequence: refused", "consequence: ignored"),
        ["rule XYZ001", "unknown consequence 'ignored'", "refused"],
    ),
    "missing-consequence": (
        rule_text().replace("    consequence: refused\n", ""),
        ["rules/0", "'consequence'"],
    ),
    "backslash-d-in-type-pattern": (
        "types:\n  FooType:\n    base: string\n    pattern: '^\\d{3}$'\n"
        "    description: x\n    spec: y\n",
        ["types/FooType/pattern"],
    ),
    "unanchored-type-pattern": (
        "types:\n  FooType:\n    base: string\n    pattern: '[0-9]{3}'\n"
        "    description: x\n    spec: y\n",
        ["types/FooType/pattern"],
    ),
    "duplicate-id-with-shipped-rule": (rule_text(rule_id="EVS001"), ["EVS001", "rules-identity"]),
    "duplicate-id-in-file": (
        rule_text() + rule_text().removeprefix("rules:\n"),
        ["XYZ001", "also used"],
    ),
    "unknown-kind": (rule_text(kind="nonsense"), ["XYZ001", "unknown kind 'nonsense'"]),
    "field-not-a-property": (rule_text(field="Address.Zip"), ["XYZ001", "'Address.Zip'"]),
    "field-of-another-scope": (
        rule_text(extra="    scope: envelope\n"),
        ["XYZ001", "'HardwareManufacturer'", "envelope"],
    ),
    "missing-required-parameter": (
        rule_text(kind="pattern", field="Address.City"),
        ["XYZ001", "parameter(s) pattern", "'Address.City'"],
    ),
    "required-if-without-when": (
        rule_text(kind="required_if", field="OpeningTimes"),
        ["XYZ001", "parameter(s) when"],
    ),
    "unknown-type-parameter": (
        rule_text(kind="pattern", field="EvseID", extra="    params: {type: NoSuchType}\n"),
        ["XYZ001", "NoSuchType"],
    ),
    "not-a-mapping": ("- just\n- a list\n", ["(top level)"]),
    "caused-by-unknown-rule": (
        rule_text(extra="    caused_by: [XYZ999]\n"),
        ["XYZ001", "caused_by names unknown rule(s) XYZ999"],
    ),
    "caused-by-itself": (
        rule_text(extra="    caused_by: [XYZ001]\n"),
        ["XYZ001", "caused_by names the rule itself"],
    ),
    "caused-by-loop": (
        rule_text(extra="    caused_by: [XYZ002]\n")
        + rule_text(rule_id="XYZ002", extra="    caused_by: [XYZ001]\n").removeprefix("rules:\n"),
        ["caused_by makes a loop: XYZ001 -> XYZ002 -> XYZ001"],
    ),
    "evidence-unknown-rule": (
        rule_text(
            kind="group_together",
            field="ChargingStationId",
            extra="    params: {max_distance: 100, evidence: [ADR003, GEO999]}\n",
        ),
        ["XYZ001", "evidence names unknown rule(s) GEO999"],
    ),
    "caused-by-record-unknown-rule": (
        rule_text(extra="    caused_by_record: [{rules: [XYZ999]}]\n"),
        ["XYZ001", "caused_by names unknown rule(s) XYZ999"],
    ),
    "caused-by-record-loop": (
        rule_text(extra="    caused_by_record: [{rules: [XYZ002], when: 'x'}]\n")
        + rule_text(rule_id="XYZ002", extra="    caused_by: [XYZ001]\n").removeprefix("rules:\n"),
        ["caused_by makes a loop: XYZ001 -> XYZ002 -> XYZ001"],
    ),
    "caused-by-record-bad-pattern": (
        rule_text(extra="    caused_by_record: [{rules: [XYZ001], when: '(unclosed'}]\n"),
        ["XYZ001", "caused_by_record", "invalid regular expression"],
    ),
    "caused-by-record-unknown-key": (
        rule_text(extra="    caused_by_record: [{rules: [ADR003], on: record}]\n"),
        ["caused_by_record"],
    ),
}


@pytest.mark.parametrize(("text", "fragments"), list(BROKEN.values()), ids=list(BROKEN))
def test_broken_rule_file_is_refused(text: str, fragments: list[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_with(broken)
    message = str(caught.value)
    assert str(broken) in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("escape", ["\\d", "\\w"])
def test_ascii_escape_in_a_rule_pattern_is_refused(escape: str, tmp_path: Path) -> None:
    """The rule-file schema forbids \\d, \\w, \\s and \\b in patterns (write [0-9]); a rule's own
    `pattern` parameter is a pattern too."""
    broken = tmp_path / "broken.yaml"
    extra = f"    params: {{pattern: '^{escape}+$'}}\n"
    broken.write_text(rule_text(kind="pattern", field="EvseID", extra=extra), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_with(broken)
    assert str(broken) in str(caught.value)
    assert "pattern" in str(caught.value)


def test_broken_file_in_a_copy_of_the_shipped_directory(tmp_path: Path) -> None:
    intact = tmp_path / "intact"
    shutil.copytree(SHIPPED, intact)
    assert set(load_ruleset(base=intact).rules) == set(load_ruleset().rules)
    base = tmp_path / "oicp-2.3"
    shutil.copytree(SHIPPED, base)
    broken = base / "rules-zzz.yaml"
    broken.write_text(rule_text(rule_id="ADR004"), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_ruleset(base=base)
    assert str(broken) in str(caught.value)
    assert "ADR004" in str(caught.value)
    assert "rules-address.yaml" in str(caught.value)


def test_missing_rule_file_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="no such rule file"):
        load_ruleset([tmp_path / "nope.yaml"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RuleFileError, match="no rule files"):
        load_ruleset(base=empty)


def test_extra_rule_file_adds_a_working_rule(tmp_path: Path) -> None:
    extra = tmp_path / "house-rules.yaml"
    extra.write_text(
        rule_text(
            rule_id="HSE001",
            field="HardwareManufacturer",
            extra="    severity: warning\n    params: {max: 2}\n",
        ),
        encoding="utf-8",
    )
    ruleset = load_ruleset([extra])
    assert ruleset.rules["HSE001"].severity == "warning"
    assert str(extra) in ruleset.files
    report = validate(frame_of(VALID_CELLS), ruleset=ruleset, select=["HSE"])
    assert [(f.rule, f.field, f.value) for f in report.findings] == [
        ("HSE001", "HardwareManufacturer", "ABB")
    ]


# --- select and ignore --------------------------------------------------------------------------


def test_select_by_prefix(ruleset: RuleSet) -> None:
    chosen = ruleset.select(["EVS"])
    assert set(chosen.rules) == {r for r in ruleset.rules if r.startswith("EVS")}
    assert chosen.rules
    assert chosen.properties is ruleset.properties
    assert chosen.types is ruleset.types


def test_select_by_id_is_case_and_space_insensitive(ruleset: RuleSet) -> None:
    assert set(ruleset.select([" evs001 ", "ADR002"]).rules) == {"EVS001", "ADR002"}


def test_ignore_by_id_and_prefix(ruleset: RuleSet) -> None:
    kept = ruleset.select(ignore=["ADR", "evs001"])
    assert not any(r.startswith("ADR") for r in kept.rules)
    assert "EVS001" not in kept.rules
    assert set(kept.rules) == {
        r for r in ruleset.rules if not r.startswith("ADR") and r != "EVS001"
    }


def test_select_and_ignore_together(ruleset: RuleSet) -> None:
    chosen = ruleset.select(["ADR00"], ["ADR001"])
    assert set(chosen.rules) == {f"ADR00{i}" for i in range(2, 10)}


def test_select_nothing_or_an_unknown_prefix(ruleset: RuleSet) -> None:
    assert set(ruleset.select().rules) == set(ruleset.rules)
    assert set(ruleset.select(["", "  "]).rules) == set(ruleset.rules)
    # Selecting makes a new rule set; the original keeps all its rules.
    assert len(ruleset.rules) > len(ruleset.select(["EVS"]).rules)


def test_an_unknown_id_or_prefix_is_a_usage_error_with_a_suggestion(ruleset: RuleSet) -> None:
    # A typo would run no rule at all (or ignore none) and turn a CI gate off silently.
    with pytest.raises(UsageError, match=r"^select: unknown rule id or prefix 'ZZZ'; ") as caught:
        ruleset.select(["ZZZ"])
    assert caught.value.location == "select"
    with pytest.raises(UsageError, match=r"'GEO0002' \(did you mean GEO002\?\)"):
        ruleset.select(ignore=["ADR", "geo0002"])
    where = RuleIds(["EVS03"], "/data/.poicheck.yaml: ignore")
    with pytest.raises(UsageError, match=r"^/data/.poicheck.yaml: ignore: .*did you mean EVS003"):
        ruleset.select(ignore=where)
    with pytest.raises(UsageError, match=r"^select: unknown rule id or prefix 'XYZ'"):
        validate(frame_of(VALID_CELLS), ruleset=ruleset, select=["XYZ"])


def test_rule_ids_of_extra_rule_files_are_known(ruleset: RuleSet, tmp_path: Path) -> None:
    local = tmp_path / "local.yaml"
    local.write_text(rule_text(rule_id="LOC001"), encoding="utf-8")
    with pytest.raises(UsageError, match="'LOC'"):
        ruleset.select(["LOC"])
    assert set(load_ruleset([local]).select(["loc"]).rules) == {"LOC001"}


@pytest.mark.slow
def test_validate_select_and_ignore(ruleset: RuleSet) -> None:
    cells = {**VALID_CELLS, "EvseID": "de*pck*1", "Address.Country": "DE"}
    findings = validate(frame_of(cells), ruleset=ruleset).findings
    # The lower case of an EvseID that is no EvseID at all is folded into EVS002.
    assert {f.rule for f in findings} == {"EVS002", "ADR002"}
    assert [r["rule"] for f in findings if f.rule == "EVS002" for r in f.related or []] == [
        "EVS003"
    ]
    selected = validate(frame_of(cells), ruleset=ruleset, select=["EVS"], ignore=["EVS003"])
    assert {f.rule for f in selected.findings} == {"EVS002"}


def test_severity_follows_the_consequence_unless_the_rule_says_otherwise(
    ruleset: RuleSet,
) -> None:
    for rule in ruleset.rules.values():
        assert rule.consequence in ruleset.consequences, rule.id
    defaults = {name: c.severity for name, c in ruleset.consequences.items()}
    differing = {r.id for r in ruleset.rules.values() if r.severity != defaults[r.consequence]}
    # An unknown key may be a misspelt one, a file read in another encoding may read wrong:
    # both worth a warning.
    assert differing == {"JSN002", "TBL014"}


def test_configured_severities_override_rules_and_prefixes(ruleset: RuleSet) -> None:
    changed = ruleset.with_severities({"GEO": "info", "GEO008": "error"}, "severity")
    assert changed.rules["GEO008"].severity == "error"
    assert changed.rules["GEO011"].severity == "info"
    assert changed.rules["ADR001"].severity == ruleset.rules["ADR001"].severity
    with pytest.raises(UsageError, match=r"'GOE008'.*did you mean GEO008"):
        ruleset.with_severities({"GOE008": "info"}, "severity")
