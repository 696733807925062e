"""poicheck's own payload JSON Schema: generated from the rule files, strict where Hubject is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import export as _export  # noqa: F401
from poicheck.files.yaml_loader import load_yaml
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.schema import record_schema, request_schema, validator_for
from tests.records import json_record

ROOT = Path(__file__).resolve().parents[3]
HUBJECT_EXAMPLE = (
    ROOT.parent / "shared/reference/oicp-2.3/openapi-cpo/schemas/eRoamingPushEvseData.yaml"
)


@pytest.fixture(scope="module")
def schema(ruleset: RuleSet) -> dict[str, Any]:
    return request_schema(ruleset)


@pytest.fixture(scope="module")
def record_def(schema: dict[str, Any]) -> dict[str, Any]:
    return dict(schema["$defs"]["EvseDataRecord"])


def request_of(*records: dict[str, Any], action: str = "fullLoad") -> dict[str, Any]:
    return {
        "ActionType": action,
        "OperatorEvseData": {
            "OperatorID": "DE*PCK",
            "OperatorName": "PoiCheck Demo Hub",
            "EvseDataRecord": list(records),
        },
    }


def test_both_schemas_are_valid_draft_2020_12(ruleset: RuleSet) -> None:
    Draft202012Validator.check_schema(request_schema(ruleset))
    Draft202012Validator.check_schema(record_schema(ruleset))
    assert request_schema(ruleset)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_patterns_enums_and_lengths_are_the_rule_sets(
    ruleset: RuleSet, record_def: dict[str, Any]
) -> None:
    checked = 0
    for prop in ruleset.scope_properties("record"):
        if prop.shape != "scalar" or "." in prop.path:
            continue
        node = record_def["properties"][prop.path]
        if prop.enum:
            assert node["enum"] == list(prop.enum), prop.path
        if prop.pattern and not prop.enum:
            assert node["pattern"] == prop.pattern, prop.path
        if prop.max_length is not None:
            assert node["maxLength"] == prop.max_length, prop.path
        checked += 1
    assert checked > 15
    city = record_def["properties"]["Address"]["properties"]["City"]
    street = record_def["properties"]["Address"]["properties"]["Street"]
    assert (city["minLength"], city["maxLength"]) == (1, 50)
    assert (street["minLength"], street["maxLength"]) == (
        ruleset.properties["Address.Street"].min_length,
        ruleset.properties["Address.Street"].max_length,
    )


def test_numbers_are_bounded_by_digits_and_rules(
    ruleset: RuleSet, record_def: dict[str, Any]
) -> None:
    facility = record_def["properties"]["ChargingFacilities"]["items"]["properties"]
    for name in ("Power", "Voltage", "Amperage"):
        prop = ruleset.properties[f"ChargingFacilities.*.{name}"]
        assert facility[name]["type"] == "integer"
        assert facility[name]["maximum"] == prop.max_value
        assert facility[name]["minimum"] == 0
    impact = record_def["properties"]["EnvironmentalImpact"]["properties"]
    assert impact["CO2Emission"]["type"] == "number"


def test_required_properties_are_the_mandatory_ones(
    ruleset: RuleSet, record_def: dict[str, Any]
) -> None:
    mandatory = [
        p.path for p in ruleset.scope_properties("record") if p.mandatory and "." not in p.path
    ]
    assert record_def["required"] == mandatory
    assert record_def["additionalProperties"] is False
    names = record_def["properties"]["ChargingStationNames"]
    assert names["minItems"] == 1


def test_a_valid_record_and_the_valid_sample_pass(ruleset: RuleSet, samples: Path) -> None:
    validator = validator_for(request_schema(ruleset))
    assert validator.errors(request_of(json_record(ruleset))) == []
    document = json.loads((samples / "valid/evse-valid.json").read_text(encoding="utf-8"))
    assert validator.errors(document) == []


def _mutate(record: dict[str, Any], change: str) -> dict[str, Any]:
    out = copy.deepcopy(record)
    if change == "boolean-as-string":
        out["IsOpen24Hours"] = "true"
    elif change == "dynamic-info-as-boolean":
        out["DynamicInfoAvailable"] = True
    elif change == "integer-as-string":
        out["ChargingFacilities"][0]["Power"] = "22"
    elif change == "power-beyond-digits":
        out["ChargingFacilities"][0]["Power"] = 1000
    elif change == "empty-optional-list":
        out["AdditionalInfo"] = []
    elif change == "empty-optional-string":
        out["HardwareManufacturer"] = ""
    elif change == "null-optional":
        out["ChargingPoolID"] = None
    elif change == "empty-optional-object":
        out["EnvironmentalImpact"] = {}
    elif change == "two-notations":
        out["GeoCoordinates"]["Google"] = {"Coordinates": "52.521918 13.413215"}
    elif change == "no-notation":
        out["GeoCoordinates"] = {}
    elif change == "seven-decimals":
        out["GeoCoordinates"]["DecimalDegree"]["Latitude"] = "52.5219181"
    elif change == "alias-name":
        out["ChargingStationID"] = out.pop("ChargingStationId")
    elif change == "unknown-property":
        out["Bemerkung"] = "intern"
    elif change == "full-width-digit":
        out["HotlinePhoneNumber"] = "+49301234567８"
    elif change == "closed-without-opening-times":
        out["IsOpen24Hours"] = False
        out.pop("OpeningTimes", None)
    elif change == "city-too-long":
        out["Address"]["City"] = "x" * 51
    elif change == "missing-mandatory":
        del out["Plugs"]
    elif change == "bad-language":
        out["ChargingStationNames"][0]["lang"] = "EN"
    elif change == "bad-day":
        out["IsOpen24Hours"] = False
        out["OpeningTimes"] = [{"on": "Mo", "Period": [{"begin": "08:00", "end": "18:00"}]}]
    return out


CHANGES = [
    "boolean-as-string",
    "dynamic-info-as-boolean",
    "integer-as-string",
    "power-beyond-digits",
    "empty-optional-list",
    "empty-optional-string",
    "null-optional",
    "empty-optional-object",
    "two-notations",
    "no-notation",
    "seven-decimals",
    "alias-name",
    "unknown-property",
    "full-width-digit",
    "closed-without-opening-times",
    "city-too-long",
    "missing-mandatory",
    "bad-language",
    "bad-day",
]


@pytest.mark.parametrize("change", CHANGES)
def test_what_hubject_refuses_does_not_pass(ruleset: RuleSet, change: str) -> None:
    record = _mutate(json_record(ruleset), change)
    errors = validator_for(record_schema(ruleset)).errors(record)
    assert errors, change
    # The reference implementation agrees (an independent check of the schema itself).
    assert not Draft202012Validator(record_schema(ruleset)).is_valid(record), change


def test_opening_times_pass_when_the_station_is_closed_at_times(ruleset: RuleSet) -> None:
    record = _mutate(json_record(ruleset), "closed-without-opening-times")
    record["OpeningTimes"] = [{"Period": [{"begin": "08:00", "end": "18:00"}], "on": "Workdays"}]
    assert validator_for(record_schema(ruleset)).errors(record) == []


def test_dollar_is_the_very_end_as_in_ecma_regexes(ruleset: RuleSet) -> None:
    # Python's `$` also matches before a final newline; Hubject's (and the schema's) does not.
    record = json_record(ruleset)
    record["EvseID"] = "DE*PCK*E1001*1\n"
    assert validator_for(record_schema(ruleset)).errors(record)


def test_errors_name_the_pointer(ruleset: RuleSet) -> None:
    record = _mutate(json_record(ruleset), "power-beyond-digits")
    errors = validator_for(request_schema(ruleset)).errors(request_of(record))
    assert errors == [
        "/OperatorEvseData/EvseDataRecord/0/ChargingFacilities/0/Power: "
        "1000 is greater than the maximum of 999"
    ]


def test_the_envelope_is_checked(ruleset: RuleSet) -> None:
    validator = validator_for(request_schema(ruleset))
    assert validator.errors(request_of(action="replace"))
    bad_operator = request_of()
    bad_operator["OperatorEvseData"]["OperatorID"] = "DE-PCK"
    assert validator.errors(bad_operator)
    assert validator.errors(request_of()) == []  # EvseDataRecord is M 0..n


@pytest.mark.skipif(not HUBJECT_EXAMPLE.exists(), reason="shared reference not beside the repo")
def test_hubjects_request_example_passes_once_its_names_follow_the_table(
    ruleset: RuleSet,
) -> None:
    example = load_yaml(HUBJECT_EXAMPLE)["example"]
    (record,) = example["OperatorEvseData"]["EvseDataRecord"]
    validator = validator_for(request_schema(ruleset))
    assert any("ChargingStationID" in e for e in validator.errors(example))  # errata E001
    record["ChargingStationId"] = record.pop("ChargingStationID")
    assert validator.errors(example) == []


def test_schema_command_prints_the_request_schema(ruleset: RuleSet, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.output) == request_schema(ruleset)
    result = runner.invoke(cli, ["schema", "--record"], catch_exceptions=False)
    assert json.loads(result.output) == record_schema(ruleset)
    target = tmp_path / "payload.schema.json"
    result = runner.invoke(cli, ["schema", "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == request_schema(ruleset)
