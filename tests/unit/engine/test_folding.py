"""One cause, one finding (issue 15): consequences are folded into their cause and kept as
its `related` findings; folding never changes which records have an error."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.engine.folding import fold
from poicheck.findings import FINDING_COLUMNS
from poicheck.render.json import document, render
from poicheck.render.text import render as render_text
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RecordCause, RuleSet
from tests.corpus import write_sheet
from tests.records import VALID_CELLS, frame_of, json_record, write_json

RULESET = load_ruleset()
OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck"}


def related_rules(finding: Any) -> list[str]:
    return [item["rule"] for item in finding.related or []]


def test_a_phone_number_excel_made_a_number_is_one_finding(tmp_path: Path) -> None:
    columns = list(VALID_CELLS)
    values: list[Any] = list(VALID_CELLS.values())
    values[columns.index("HotlinePhoneNumber")] = 493012345678
    report = validate(write_sheet(tmp_path / "phone.xlsx", [columns, values]), **OPERATOR)
    (finding,) = [f for f in report.findings if f.field == "HotlinePhoneNumber"]
    assert finding.rule == "TBL011"
    assert related_rules(finding) == ["ACC013", "ACC024"]
    assert "493012345678" in finding.related[0]["message"]  # type: ignore[index]
    assert report.counts()["error"] == 1
    text = render_text(report)
    assert "TBL011" in text
    assert "(this also causes ACC013, ACC024)" in text
    assert "ACC013  " not in text


def test_a_google_string_that_cannot_be_read_is_one_finding(tmp_path: Path) -> None:
    record = json_record(RULESET)
    record["GeoCoordinates"] = {"Google": {"Coordinates": "52.5219184 13.4132147"}}
    document_ = {
        "ActionType": "fullLoad",
        "OperatorEvseData": {
            "OperatorID": "DE*PCK",
            "OperatorName": "P",
            "EvseDataRecord": [record],
        },
    }
    report = validate(write_json(tmp_path / "google.json", document_), **OPERATOR)
    (finding,) = report.findings
    assert finding.rule == "GEO007"
    assert related_rules(finding) == ["GEO001", "GEO001"]
    assert [item["field"] for item in finding.related or []] == [
        "GeoCoordinates.Latitude",
        "GeoCoordinates.Longitude",
    ]
    # The JSON report writes `related` as json.dumps would (the fast path).
    assert render(report) == json.dumps(document(report), ensure_ascii=False, indent=2) + "\n"
    assert json.loads(render(report))["findings"][0]["related"][0]["rule"] == "GEO001"


def facility(**cells: str) -> pd.DataFrame:
    changed = {f"ChargingFacilities.1.{key}": value for key, value in cells.items()}
    return frame_of({**VALID_CELLS, **changed})


def test_400_volts_on_a_three_phase_facility_is_one_finding() -> None:
    report = validate(facility(Voltage="400"), **OPERATOR)
    assert [f.rule for f in report.findings] == ["PWR014"]


def test_the_power_is_judged_with_the_voltage_the_cause_implies() -> None:
    # 11 kW is wrong at 230 V too: that is a finding of its own.
    report = validate(facility(Voltage="400", Power="11"), **OPERATOR)
    assert sorted(f.rule for f in report.findings) == ["PWR014", "PWR015"]
    (power,) = [f for f in report.findings if f.rule == "PWR015"]
    assert "3 x 230 V (for the 400 V given) x 32 A = 22.08 kW" in power.message


def findings_frame(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    """Findings of (record, rule, field, severity), in report order."""
    return pd.DataFrame(
        [
            {
                "rule": rule,
                "severity": severity,
                "consequence": "refused",
                "category": "field",
                "file": "f.csv",
                "sheet": None,
                "row": record + 2,
                "record": record,
                "evse_id": None,
                "field": field,
                "pointer": "/" + field,
                "value": None,
                "message": f"{rule} on {field}",
            }
            for record, rule, field, severity in rows
        ],
        columns=[c for c in FINDING_COLUMNS if c != "related"],
    )


def with_causes(links: dict[str, tuple[str, ...]]) -> RuleSet:
    return RULESET.with_rules(
        dataclasses.replace(rule, caused_by=links.get(rule.id, ()))
        for rule in RULESET.rules.values()
    )


def test_a_warning_cause_never_takes_an_error_away() -> None:
    ruleset = with_causes({"ACC013": ("ACC024",)})
    found = findings_frame(
        [
            (0, "ACC024", "HotlinePhoneNumber", "warning"),
            (0, "ACC013", "HotlinePhoneNumber", "error"),
        ]
    )
    assert list(fold(found, ruleset)["rule"]) == ["ACC024", "ACC013"]
    escalated = found.assign(severity="error")
    folded = fold(escalated, ruleset)
    assert list(folded["rule"]) == ["ACC024"]
    assert folded["related"][0] == [
        {"rule": "ACC013", "field": "HotlinePhoneNumber", "message": "ACC013 on HotlinePhoneNumber"}
    ]


def test_only_the_same_cell_or_a_field_inside_the_causes_container_is_folded() -> None:
    ruleset = with_causes({"GEO001": ("GEO007",)})
    found = findings_frame(
        [
            (0, "GEO007", "GeoCoordinates", "error"),
            (0, "GEO001", "GeoCoordinates.Latitude", "error"),
            (0, "GEO001", "GeoChargingPointEntranceX.Latitude", "error"),
            (1, "GEO001", "GeoCoordinates.Longitude", "error"),
        ]
    )
    folded = fold(found, ruleset)
    assert list(zip(folded["record"], folded["rule"], strict=True)) == [
        (0, "GEO007"),
        (0, "GEO001"),
        (1, "GEO001"),
    ]


RULES = ["TBL011", "ACC013", "ACC024", "GEO007", "GEO001", "PWR014", "PWR015"]
FIELDS = ["HotlinePhoneNumber", "GeoCoordinates", "GeoCoordinates.Latitude"]
SEVERITIES = ["error", "warning", "info"]
# Findings as (record, rule, field, severity), for the properties of folding.
FINDING_SPECS = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.sampled_from(RULES),
        st.sampled_from(FIELDS),
        st.sampled_from(SEVERITIES),
    ),
    max_size=25,
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    FINDING_SPECS,
    st.dictionaries(
        st.sampled_from(RULES),
        st.lists(st.sampled_from(RULES), min_size=1, max_size=3, unique=True).map(tuple),
        max_size=5,
    ),
)
def test_folding_never_changes_which_records_have_an_error(
    rows: list[tuple[int, str, str, str]], links: dict[str, tuple[str, ...]]
) -> None:
    found = findings_frame(sorted(rows, key=lambda row: row[0]))
    folded = fold(found, with_causes(links))

    def erroneous(frame: pd.DataFrame) -> set[int]:
        return set(frame.loc[frame["severity"] == "error", "record"])

    assert erroneous(folded) == erroneous(found)
    kept = sum(len(items) for items in folded["related"] if items)
    assert len(folded) + kept == len(found)


def with_record_causes(links: dict[str, tuple[RecordCause, ...]]) -> RuleSet:
    return RULESET.with_rules(
        dataclasses.replace(rule, caused_by=(), caused_by_record=links.get(rule.id, ()))
        for rule in RULESET.rules.values()
    )


def test_a_cause_on_another_field_of_the_record_folds_only_the_messages_it_explains() -> None:
    ruleset = with_record_causes(
        {"IDN004": (RecordCause(("GEO015",), " stands ", ("GeoCoordinates",)),)}
    )
    found = findings_frame(
        [
            (0, "GEO015", "GeoCoordinates", "warning"),
            (0, "IDN004", "ChargingStationId", "warning"),
            (1, "GEO015", "GeoCoordinates", "warning"),
            (1, "IDN004", "ChargingStationId", "warning"),
            (2, "IDN004", "ChargingStationId", "warning"),  # no cause on its record
        ]
    )
    found.loc[1, "message"] = "IDN004: it stands 60891 m from the other EVSEs"
    found.loc[3, "message"] = "IDN004: its address differs from that of the other EVSEs"
    found.loc[4, "message"] = "IDN004: it stands 1112 m from the other EVSEs"
    folded = fold(found, ruleset)
    assert list(zip(folded["record"], folded["rule"], strict=True)) == [
        (0, "GEO015"),
        (1, "GEO015"),
        (1, "IDN004"),
        (2, "IDN004"),
    ]
    assert folded["related"][0][0]["message"].endswith("60891 m from the other EVSEs")


def test_a_cause_on_another_field_counts_only_on_the_fields_named() -> None:
    ruleset = with_record_causes({"IDN004": (RecordCause(("GEO010",), None, ("GeoCoordinates",)),)})
    found = findings_frame(
        [
            (0, "GEO010", "GeoChargingPointEntrance", "warning"),  # the entrance, not the EVSE
            (0, "IDN004", "ChargingStationId", "warning"),
            (1, "GEO010", "GeoCoordinates", "warning"),
            (1, "IDN004", "ChargingStationId", "warning"),
        ]
    )
    folded = fold(found, ruleset)
    assert list(zip(folded["record"], folded["rule"], strict=True)) == [
        (0, "GEO010"),
        (0, "IDN004"),
        (1, "GEO010"),
    ]


@settings(max_examples=150, deadline=None)
@given(
    FINDING_SPECS,
    st.dictionaries(
        st.sampled_from(RULES),
        st.lists(st.sampled_from(RULES), min_size=1, max_size=3, unique=True).map(
            lambda causes: (RecordCause(tuple(causes), None, ()),)
        ),
        max_size=5,
    ),
)
def test_folding_on_the_record_never_changes_which_records_have_an_error(
    rows: list[tuple[int, str, str, str]], links: dict[str, tuple[RecordCause, ...]]
) -> None:
    found = findings_frame(sorted(rows, key=lambda row: row[0]))
    folded = fold(found, with_record_causes(links))
    errors = found.loc[found["severity"] == "error", "record"]
    assert set(folded.loc[folded["severity"] == "error", "record"]) == set(errors)
    kept = sum(len(items) for items in folded["related"] if items)
    assert len(folded) + kept == len(found)
