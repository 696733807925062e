"""The rules across rows blame the culprit (issue 15): when the EVSEs of a station or pool
disagree, the member whose own findings explain it carries the group finding, its correct
siblings do not; only a tie without evidence is reported on every member, worded as such."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from poicheck import validate
from poicheck.checks import get_kind
from poicheck.checks.context import CheckContext
from poicheck.engine.evidence import flagged
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.params import resolve_params
from tests.records import VALID_CELLS, frame_of

OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck"}
GROUP_RULES = ("IDN004", "IDN005")


def member(i: int, **cells: str) -> dict[str, str]:
    """An EVSE of station BER-ALX-01 (pool DE*PCK*P1001) at Alexanderplatz, changed by
    `cells` (keys with '__' for '.')."""
    changed = {key.replace("__", "."): value for key, value in cells.items()}
    return {**VALID_CELLS, "EvseID": f"DE*PCK*E1001*{i}", **changed}


def group_findings(*records: dict[str, Any]) -> dict[str, dict[int, str]]:
    """Per group rule, the records it reports and their messages: as findings, or folded
    into the culprit's own finding that causes them (`related`, issue 15)."""
    return blamed(validate(frame_of(*records), **OPERATOR).findings)


def blamed(findings: list[Any]) -> dict[str, dict[int, str]]:
    found: dict[str, dict[int, str]] = {rule: {} for rule in GROUP_RULES}
    for finding in findings:
        items = [{"rule": finding.rule, "message": finding.message}, *(finding.related or [])]
        for item in items:
            if item["rule"] in GROUP_RULES and finding.record is not None:
                found[item["rule"]][finding.record] = item["message"]
    return found


def rules_at(record: int, *records: dict[str, Any]) -> set[str]:
    report = validate(frame_of(*records), **OPERATOR)
    return {f.rule for f in report.findings if f.record == record}


@pytest.mark.slow
def test_wrong_country_and_position_in_another_country_blames_the_culprit_only() -> None:
    # The culprit says France and stands in Poznań, Poland (GEO008): 270 km from its sibling.
    records = [
        member(1),
        member(
            2,
            Address__Country="FRA",
            GeoCoordinates__Latitude="52.406374",
            GeoCoordinates__Longitude="16.925168",
        ),
    ]
    assert "GEO008" in rules_at(1, *records)
    found = group_findings(*records)
    for rule in GROUP_RULES:
        assert set(found[rule]) == {1}, rule
        assert "from the other EVSEs" in found[rule][1]


def test_an_empty_city_is_the_culprit_of_an_address_that_differs() -> None:
    found = group_findings(member(1), member(2, Address__City=""))
    assert set(found["IDN004"]) == {1}
    assert "its address differs" in found["IDN004"][1]


@pytest.mark.slow
def test_a_tie_without_evidence_is_reported_on_both_and_worded_as_a_tie() -> None:
    # 1.1 km apart, both well-formed and in Germany: the data cannot say which is right.
    found = group_findings(member(1), member(2, GeoCoordinates__Latitude="52.531918"))
    assert set(found["IDN004"]) == {0, 1}
    for message in found["IDN004"].values():
        assert "these two EVSEs with this ChargingStationId stand apart" in message
        assert "one of them is wrong" in message
    address = group_findings(member(1), member(2, Address__HouseNum="7"))
    assert set(address["IDN004"]) == {0, 1}
    assert all("have different addresses; one of them" in m for m in address["IDN004"].values())


def test_evidence_outweighs_a_majority_that_is_wrong() -> None:
    # Two of three EVSEs lack the city (ADR003): they differ, the correct one does not.
    found = group_findings(member(1, Address__City=""), member(2, Address__City=""), member(3))
    assert set(found["IDN004"]) == {0, 1}


def test_unrelated_evidence_on_the_majority_does_not_exonerate_the_one_far_away() -> None:
    # Three EVSEs at one place (one with a country code that does not exist, ADR016), one
    # 1.1 km away without a finding of its own: the majority still decides.
    records = [
        member(1, Address__Country="GER"),
        member(2),
        member(3),
        member(4, GeoCoordinates__Latitude="52.531918"),
    ]
    found = group_findings(*records)
    assert set(found["IDN004"]) == {3}
    assert "it stands 1112 m from the other EVSEs" in found["IDN004"][3]


def test_a_station_that_agrees_is_not_reported_whatever_its_members_own_findings() -> None:
    found = group_findings(member(1, Address__Country="GER"), member(2, Address__City="Berlin"))
    assert found == {"IDN004": {}, "IDN005": {}}


@pytest.mark.slow
def test_the_culprit_is_found_when_the_records_are_checked_in_chunks(tmp_path: Any) -> None:
    # A tie of two decided by the evidence of the second, five records and chunks apart.
    others = [member(i, ChargingStationId=f"OTHER-{i}", ChargingPoolID="") for i in range(2, 6)]
    records = [member(1), *others, member(6, Address__City="")]
    path = tmp_path / "station.csv"
    frame_of(*records).to_csv(path, index=False)
    at_once = validate(path, **OPERATOR)
    chunked = validate(path, chunk_rows=2, **OPERATOR)
    culprits = set(blamed(at_once.findings)["IDN004"])
    assert culprits == {5}
    assert culprits == set(blamed(chunked.findings)["IDN004"])


def test_a_reader_finding_is_evidence_too() -> None:
    # Two EVSEs with different house numbers; the readers reported the second (e.g. TBL012,
    # a number that lost its leading zero): it alone is blamed.
    ruleset = load_ruleset()
    frame = frame_of(member(1), member(2, Address__HouseNum="7"))
    rule = ruleset.rules["IDN004"]
    params = resolve_params(rule, ruleset.properties["ChargingStationId"], ruleset)
    kind = get_kind(rule.kind)
    layout = CheckContext(frame.columns, ruleset)
    ok, _ = kind.func(frame, "ChargingStationId", params, layout)  # type: ignore[misc]
    assert list(ok) == [False, False]
    layout = CheckContext(frame.columns, ruleset)
    layout.flagged = {"TBL012|Address.HouseNum": np.array([1]), "TBL012|Plugs": np.array([0])}
    ok, details = kind.func(frame, "ChargingStationId", params, layout)  # type: ignore[misc]
    assert list(ok) == [True, False]
    assert details["reason"][1].startswith("its address differs")


def test_the_readers_findings_reach_the_rules_across_rows() -> None:
    parts = [
        pd.DataFrame(
            {
                "rule": ["TBL012", "TBL001"],
                "field": ["Address.PostalCode", None],
                "record": [3, None],
            }
        ),
        pd.DataFrame(
            {
                "rule": ["TBL012", "GEO007"],
                "field": ["Address.PostalCode", "GeoCoordinates"],
                "record": [8, 2],
            }
        ),
    ]
    found = flagged(parts)
    assert {name: list(records) for name, records in found.items()} == {
        "GEO007|GeoCoordinates": [2],
        "TBL012|Address.PostalCode": [3, 8],
    }


@pytest.mark.slow
def test_a_finding_on_a_field_the_group_does_not_compare_is_no_evidence() -> None:
    # A placeholder entrance (GEO010 on GeoChargingPointEntrance) says nothing about where
    # the station stands: the tie of two stays a tie.
    entrance = {
        "GeoChargingPointEntrance__Latitude": "0.0",
        "GeoChargingPointEntrance__Longitude": "0.0",
    }
    records = [member(1), member(2, GeoCoordinates__Latitude="52.531918", **entrance)]
    assert "GEO010" in rules_at(1, *records)
    assert set(group_findings(*records)["IDN004"]) == {0, 1}


@pytest.mark.slow
def test_a_finding_about_the_position_explains_a_distance_before_one_about_the_address() -> None:
    # The first EVSE has a country code that does not exist (ADR016) but its position is
    # right; the second has latitude and longitude swapped (GEO009): only the second stands
    # elsewhere.
    records = [
        member(1, Address__Country="GER"),
        member(2, GeoCoordinates__Latitude="13.413215", GeoCoordinates__Longitude="52.521918"),
    ]
    assert "GEO009" in rules_at(1, *records)
    found = group_findings(*records)
    assert set(found["IDN004"]) == {1}
    assert "from the other EVSEs" in found["IDN004"][1]


@pytest.mark.slow
def test_without_a_finding_about_the_position_an_address_finding_explains_the_distance() -> None:
    # The second EVSE says Austria and stands in Vienna, as if looked up from its country; its
    # Berlin postal code is no Austrian one (ADR017): it, not its sibling, is far away.
    records = [
        member(1),
        member(
            2,
            Address__Country="AUT",
            Address__TimeZone="UTC+01:00",
            GeoCoordinates__Latitude="48.208174",
            GeoCoordinates__Longitude="16.373819",
        ),
    ]
    assert "ADR017" in rules_at(1, *records)
    assert "GEO008" not in rules_at(1, *records)
    assert set(group_findings(*records)["IDN004"]) == {1}


@pytest.mark.slow
def test_a_point_copied_from_another_station_blames_the_copy_only() -> None:
    # Two EVSEs of one station and pool; the second carries the position of a station at
    # another address (GEO019, a rule across rows: it needs the other station to judge).
    elsewhere = {
        **VALID_CELLS,
        "EvseID": "DE*PCK*E2001*1",
        "ChargingStationId": "BER-PDP-01",
        "ChargingPoolID": "DE*PCK*P2001",
        "Address.Street": "Potsdamer Platz",
        "Address.PostalCode": "10785",
        "GeoCoordinates.Latitude": "52.509500",
        "GeoCoordinates.Longitude": "13.376100",
    }
    records = [
        member(1),
        member(2, GeoCoordinates__Latitude="52.509500", GeoCoordinates__Longitude="13.376100"),
        elsewhere,
    ]
    assert "GEO019" in rules_at(1, *records)
    found = group_findings(*records)
    for rule in GROUP_RULES:
        assert set(found[rule]) == {1}, (rule, found[rule])
