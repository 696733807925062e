"""Near-miss shapes and keys in OICP JSON (issue 15, item 3): a value under a key spelt
otherwise (`power` for `Power`), a Google string for its object, a single object for a list,
a number as a string, each named once at its JSON pointer, and the record then checked as it
evidently means; the record still goes to Hubject only without errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.oicp.convert import Flattener, WireModel
from poicheck.oicp.from_json import spelling
from poicheck.ruleset.loader import load_ruleset
from tests.acceptance.test_verdict import assert_one_verdict
from tests.records import json_record, write_json

RULESET = load_ruleset()
FLATTENER = Flattener(RULESET)
OPERATOR = {"operator_id": "DE*PCK"}
VALID = json_record(RULESET)
OBJECTS = ("Address", "EnvironmentalImpact")
OBJECT_LISTS = ("ChargingFacilities", "EnergySource")


def _findings(record: Any, tmp_path: Path, name: str = "r.json") -> list[Any]:
    path = write_json(tmp_path / name, [record])
    return validate(path, ruleset=RULESET, **OPERATOR).findings  # type: ignore[arg-type]


def _facility(**members: Any) -> dict[str, Any]:
    record = copy.deepcopy(VALID)
    record["ChargingFacilities"] = [members]
    return record


def _key_paths(record: dict[str, Any]) -> list[tuple[str | int, ...]]:
    """Where the data model's property names stand in a record: top-level keys and those of
    its objects and object-list items."""
    out: list[tuple[str | int, ...]] = []
    for key, value in record.items():
        out.append((key,))
        if key in OBJECTS:
            out += [(key, inner) for inner in value]
        elif key in OBJECT_LISTS:
            out += [(key, i, inner) for i, item in enumerate(value) for inner in item]
    return out


def _respelt(record: dict[str, Any], path: tuple[str | int, ...], key: str) -> dict[str, Any]:
    """`record` with the key at `path` written `key`, in its place among the keys."""
    record = copy.deepcopy(record)
    *parents, last = path
    node: Any = record
    for step in parents:
        node = node[step]
    items = [(key if k == last else k, v) for k, v in node.items()]
    node.clear()
    node.update(items)
    return record


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join(f"/{step}" for step in path)


def _related(findings: list[Any]) -> list[str]:
    """The rules folded into the findings (their `related` items)."""
    return [item["rule"] for f in findings for item in f.related or []]


def _seen(findings: list[Any]) -> list[tuple[str, str, str, str]]:
    return sorted((f.rule, f.field, f.pointer, f.message) for f in findings)


def test_lower_case_facility_keys_are_named_and_the_power_is_still_checked(
    tmp_path: Path,
) -> None:
    record = _facility(powertype="AC_3_PHASE", Voltage=230, Amperage=32, power=50)
    got = {(f.rule, f.pointer) for f in _findings(record, tmp_path)}
    assert ("JSN008", "/ChargingFacilities/0/power") in got
    assert ("JSN008", "/ChargingFacilities/0/powertype") in got
    # 50 kW is no three-phase AC power (PWR017; not 3 x 230 V x 32 A either: related PWR015)
    assert "PWR017" in {rule for rule, _ in got}
    assert "PWR015" in _related(_findings(record, tmp_path))
    assert not {"PWR003", "PWR004", "PWR006", "PWR016", "JSN002"} & {rule for rule, _ in got}


def test_the_exact_key_wins_and_the_near_miss_is_a_duplicate(tmp_path: Path) -> None:
    record = _facility(PowerType="AC_3_PHASE", Voltage=230, Amperage=32, Power=22, power=50)
    table = FLATTENER.flatten_all([record])
    assert table.columns["ChargingFacilities.1.Power"].to_pylist() == ["22"]
    got = [(f.rule, f.pointer) for f in _findings(record, tmp_path)]
    assert got == [("JSN009", "/ChargingFacilities/0/power")]


def test_separators_and_known_aliases_are_near_misses_too() -> None:
    record = {k: v for k, v in VALID.items() if k not in ("EvseID", "ChargingStationId")}
    record = {"Evse_ID": VALID["EvseID"], "chargingStationID": "BER-ALX-01", **record}
    flat = FLATTENER.flatten(record)
    assert flat.cells["EvseID"] == VALID["EvseID"]
    assert flat.cells["ChargingStationId"] == "BER-ALX-01"
    assert [(f.rule, f.pointer, f.details["name"]) for f in flat.issues] == [
        ("JSN008", "/Evse_ID", "EvseID"),
        ("JSN008", "/chargingStationID", "ChargingStationId"),
    ]


@pytest.mark.slow
def test_a_google_string_is_read_as_its_coordinates(tmp_path: Path) -> None:
    record = copy.deepcopy(VALID)
    record["GeoCoordinates"] = {"Google": "52.521918 13.413215"}
    findings = _findings(record, tmp_path)
    assert [(f.rule, f.field, f.pointer) for f in findings] == [
        ("JSN001", "GeoCoordinates.Google", "/GeoCoordinates/Google")
    ]
    assert findings[0].message.endswith('an object with "Coordinates": "52.521918 13.413215"')
    record["GeoCoordinates"] = {"Google": "52.52 13.41"}  # still checked: too coarse
    rules = sorted(f.rule for f in _findings(record, tmp_path, "coarse.json"))
    # 52.52 13.41: as round as a placeholder (GEO018; coarse, GEO011, folded in), now checked
    assert rules == ["GEO018", "JSN001"]
    assert _related(_findings(record, tmp_path, "coarse.json")) == ["GEO011", "GEO011"]
    for text in ("nowhere", "52.52 213.41"):  # as the object form, one JSN001 besides
        record["GeoCoordinates"] = {"Google": text}
        shape = sorted(f.rule for f in _findings(record, tmp_path, "string.json"))
        record["GeoCoordinates"] = {"Google": {"Coordinates": text}}
        plain = [f.rule for f in _findings(record, tmp_path, "object.json")]
        assert shape == sorted(["JSN001", *plain])


def test_coordinate_notations_and_axes_have_near_misses_too() -> None:
    geo = {"decimal_degree": {"latitude": "52.5", "Longitude": "13.4", "Latitude": "1"}}
    flat = FLATTENER.flatten({**VALID, "GeoCoordinates": geo, "GeoChargingPointEntrance": {}})
    assert (flat.cells["GeoCoordinates.Latitude"], flat.notations["GeoCoordinates"]) == (
        "1",
        "DecimalDegree",
    )
    assert [(f.rule, f.field, f.pointer) for f in flat.issues if f.rule != "JSN003"] == [
        ("JSN008", "GeoCoordinates.DecimalDegree", "/GeoCoordinates/decimal_degree"),
        ("JSN009", "GeoCoordinates.Latitude", "/GeoCoordinates/decimal_degree/latitude"),
    ]
    flat = FLATTENER.flatten({**VALID, "GeoCoordinates": {"google": {"coordinates": "52.5 13.4"}}})
    assert (flat.cells["GeoCoordinates.Latitude"], flat.cells["GeoCoordinates.Longitude"]) == (
        "52.5",
        "13.4",
    )
    assert [f.pointer for f in flat.issues] == [
        "/GeoCoordinates/google",
        "/GeoCoordinates/google/coordinates",
    ]


def test_info_text_keys_have_near_misses_too() -> None:
    names = [{"Lang": "en", "Value": "A"}, {"lang": "de", "value": "B", "VALUE": "C"}]
    flat = FLATTENER.flatten({**VALID, "ChargingStationNames": names})
    assert (flat.cells["ChargingStationNames.en"], flat.cells["ChargingStationNames.de"]) == (
        "A",
        "B",
    )
    assert [(f.rule, f.pointer) for f in flat.issues] == [
        ("JSN008", "/ChargingStationNames/0/Lang"),
        ("JSN008", "/ChargingStationNames/0/Value"),
        ("JSN009", "/ChargingStationNames/1/VALUE"),
    ]


def test_opening_times_keys_have_near_misses_too() -> None:
    times = [{"On": "Monday", "period": [{"Begin": "08:00", "end": "18:00", "note": "x"}]}]
    flat = FLATTENER.flatten({**VALID, "IsOpen24Hours": False, "OpeningTimes": times})
    assert flat.cells["OpeningTimes"] == "Monday 08:00-18:00"
    assert [(f.rule, f.pointer) for f in flat.issues] == [
        ("JSN008", "/OpeningTimes/0/On"),
        ("JSN008", "/OpeningTimes/0/period"),
        ("JSN008", "/OpeningTimes/0/period/0/Begin"),
        ("JSN002", "/OpeningTimes/0/period/0/note"),
    ]


@pytest.mark.slow
def test_a_single_object_for_a_list_is_checked_as_its_one_item(tmp_path: Path) -> None:
    record = copy.deepcopy(VALID)
    record["ChargingFacilities"] = {**VALID["ChargingFacilities"][0], "Power": 50}
    got = [(f.rule, f.pointer) for f in _findings(record, tmp_path)]
    assert ("JSN001", "/ChargingFacilities") in got
    assert "PWR017" in {rule for rule, _ in got}
    message = next(f.message for f in _findings(record, tmp_path) if f.rule == "JSN001")
    assert message.endswith("put the object in a list, in [ ]")


@pytest.mark.slow
def test_a_number_as_a_string_is_one_finding_and_still_checked(tmp_path: Path) -> None:
    record = _facility(PowerType="AC_3_PHASE", Voltage=230, Amperage=32, Power="50")
    rules = sorted(f.rule for f in _findings(record, tmp_path))
    assert rules.count("JSN001") == 1
    assert "PWR017" in rules


@pytest.mark.slow
def test_records_with_near_misses_are_left_out_of_the_export(tmp_path: Path) -> None:
    google = copy.deepcopy(VALID)
    google["GeoCoordinates"] = {"Google": "52.521918 13.413215"}
    records = [
        VALID,
        _respelt(VALID, ("ChargingFacilities", 0, "Power"), "power"),
        google,
        _facility(**VALID["ChargingFacilities"][0], power=11),
    ]
    records = [{**r, "EvseID": f"DE*PCK*E{i + 1}*1"} for i, r in enumerate(records)]
    path = write_json(tmp_path / "near.json", records)
    assert_one_verdict(path, len(records))


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_one_respelt_key_gives_one_finding_and_the_same_others(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = data.draw(st.sampled_from(_key_paths(VALID)))
    name = str(path[-1])
    respell = data.draw(st.sampled_from([str.lower, str.upper, str.swapcase]))
    key = respell(name)
    if key == name:
        key = f"{name[0]}_{name[1:]}"
    folder = tmp_path_factory.mktemp("respelt")
    valid = _findings(VALID, folder, "valid.json")
    respelt = _findings(_respelt(VALID, path, key), folder, "respelt.json")
    near = [f for f in respelt if f.rule == "JSN008"]
    assert [f.pointer for f in near] == [_pointer((*path[:-1], key))]
    assert _seen([f for f in respelt if f.rule != "JSN008"]) == _seen(valid)


def test_the_cli_names_the_near_miss(tmp_path: Path) -> None:
    record = _respelt(VALID, ("ChargingFacilities", 0, "Power"), "power")
    path = write_json(tmp_path / "near.json", [record])
    result = CliRunner().invoke(cli, ["validate", "--operator-id", "DE*PCK", str(path)])
    assert result.exit_code == 1, result.output
    assert "'power' should be 'Power'" in result.output
    result = CliRunner().invoke(cli, ["validate", "--format", "json", str(path)])
    found = json.loads(result.output)["findings"]
    assert [f["pointer"] for f in found if f["rule"] == "JSN008"] == ["/ChargingFacilities/0/power"]


@pytest.mark.slow
def test_forty_thousand_unknown_keys_are_no_near_misses() -> None:
    record = {**VALID, **{f"x{i}": i for i in range(40_000)}}
    flat = FLATTENER.flatten(record)
    assert {f.rule for f in flat.issues} == {"JSN002"}
    assert flat.cells["EvseID"] == VALID["EvseID"]


def test_no_two_names_of_one_object_are_near_misses_of_each_other() -> None:
    for parent, names in FLATTENER.model.children.items():
        spelt = [spelling(WireModel.name(prop)) for prop in names]
        assert len(set(spelt)) == len(spelt), parent


def test_json_lines_name_the_near_miss_at_its_line(tmp_path: Path) -> None:
    record = _respelt(VALID, ("ChargingFacilities", 0, "Power"), "power")
    record["EvseID"] = "DE*PCK*E1001*2"
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(VALID) + "\n\n" + json.dumps(record) + "\n", encoding="utf-8")
    found = validate(path, ruleset=RULESET, **OPERATOR).findings  # type: ignore[arg-type]
    assert [(f.row, f.rule, f.pointer) for f in found] == [
        (3, "JSN008", "/ChargingFacilities/0/power")
    ]
