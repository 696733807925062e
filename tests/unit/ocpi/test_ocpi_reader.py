"""Reading OCPI 2.2.1 Locations: the specification's own examples, the document shapes, errors,
the operator's defaults, pointers into the document, and generated Locations (hypothesis)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.errors import UsageError
from poicheck.export import ExportOptions, build_export
from poicheck.ocpi.detect import is_ocpi
from poicheck.ocpi.mapping import load_mapping
from poicheck.oicp.wire import text_of
from poicheck.readers import read_table
from poicheck.ruleset.schema import record_schema, validator_for
from tests.ocpi import (
    DEFAULTS,
    EXAMPLES,
    RULESET,
    evse,
    example,
    findings,
    location,
    records,
    resolve,
    write,
)
from tests.records import json_record

LOCATIONS = sorted(p.name for p in EXAMPLES.glob("location_example*.json"))
MAPPING = load_mapping()
OICP_PLUGS = set(RULESET.types["PlugType"].enum or ())


def exported(path: Path, **options: Any) -> list[dict[str, Any]]:
    export = build_export(path, ExportOptions(ocpi_defaults=DEFAULTS, **options), ruleset=RULESET)
    return [
        record
        for file in export.files
        for record in json.loads(file.data)["OperatorEvseData"]["EvseDataRecord"]
    ]


# --- the specification's examples ------------------------------------------------------------


@pytest.mark.parametrize("name", LOCATIONS)
def test_every_example_location_of_the_specification_is_read(name: str, tmp_path: Path) -> None:
    document = example(name)
    table = read_table(EXAMPLES / name, RULESET)
    assert table.source.format == "ocpi"
    assert list(table.frame["EvseID"]) == [e["evse_id"] for e in document["evses"]]
    assert list(table.rows) == list(range(1, len(document["evses"]) + 1))
    assert table.envelope is not None
    assert table.envelope["OperatorID"] == f"{document['country_code']}*{document['party_id']}"
    found = findings(tmp_path, document)
    # With the operator's defaults, the examples are what Hubject takes, but for what OCPI says
    # it must not publish and a home charger's missing name.
    expected = {
        "location_example_uc3_destination_charger_not_published.json": {"OCP004"},
        "location_example_uc4_limited_visibility.json": {"OCP004"},
        "location_example_uc5_home_charge_point.json": {"OCP004", "TXT001"},
    }
    assert {f.rule for f in found} == expected.get(name, set())


@pytest.mark.parametrize("name", LOCATIONS)
def test_every_example_exports_payloads_valid_for_oicp(name: str, tmp_path: Path) -> None:
    document = example(name)
    if name.endswith("home_charge_point.json"):  # a home charger: give it a name to push it
        document["name"] = "Home"
    # OCPI leaves the operator's name to the credentials module where a Location has none.
    name = None if "operator" in document else "Example CPO"
    sent = exported(write(tmp_path / "locations.json", document), operator_name=name)
    validator = validator_for(record_schema(RULESET))
    assert [r["EvseID"] for r in sent] == [e["evse_id"] for e in document["evses"]]
    for record in sent:
        assert validator.errors(record) == []


def test_the_example_becomes_the_oicp_record_a_person_would_write() -> None:
    (first, second) = records(example("location_example.json"))
    assert first == {
        "ChargingStationId": "LOC1",
        "ChargingStationNames": [{"lang": "en", "value": "Gent Zuid"}],
        "Address": {
            "Country": "BEL",
            "City": "Gent",
            "Street": "F.Rooseveltlaan",
            "PostalCode": "9000",
            "HouseNum": "3A",
            "ParkingFacility": False,
            "TimeZone": "UTC+01:00",
            "Floor": "-1",
        },
        "AccessibilityLocation": "OnStreet",
        "EvseID": "BE*BEC*E041503001",
        "GeoCoordinates": {"DecimalDegree": {"Latitude": "51.047599", "Longitude": "3.729944"}},
        "Plugs": ["Type 2 Connector (Cable Attached)", "Type 2 Outlet"],
        "ChargingFacilities": [
            {"PowerType": "AC_3_PHASE", "Voltage": 220, "Amperage": 16, "Power": 11}
            | {"ChargingModes": ["Mode_3"]}
        ],
        "ValueAddedServices": ["Reservation"],
    }
    assert second["Address"]["Floor"] == "-2"
    assert second["Plugs"] == ["Type 2 Outlet"]


def test_the_parking_garage_example_has_its_opening_hours() -> None:
    (got,) = records(example("location_example_parking_garage_opening_hours.json"))
    assert got["IsOpen24Hours"] is False
    assert got["OpeningTimes"] == [
        {"Period": [{"begin": "07:00", "end": "18:00"}], "on": "Everyday"}
    ]
    assert (got["AccessibilityLocation"], got["Address"]["ParkingFacility"]) == (
        "ParkingGarage",
        True,
    )


def test_the_regular_hours_example_is_workdays_with_its_exceptions_noted(tmp_path: Path) -> None:
    document = location(
        opening_times=example("location_regularhours_example.json")["opening_times"]
    )
    (got,) = records(document)
    assert got["OpeningTimes"] == [
        {"Period": [{"begin": "08:00", "end": "20:00"}], "on": "Workdays"}
    ]
    found = findings(tmp_path, document)
    assert [(f.rule, f.pointer) for f in found] == [
        ("OCP005", "/opening_times/exceptional_openings")
    ]
    assert "2 in all" in found[0].message


def test_the_add_evse_example_is_an_evse_without_its_location(tmp_path: Path) -> None:
    path = write(tmp_path / "evse.json", example("location_put_example_add_evse.json"))
    report = validate(path)
    assert report.exit_code() == 2
    assert "EVSE object of OCPI Locations without its Location" in (report.files[0].error or "")


# --- shapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "prefix"),
    [
        ("response", "/data/0"),
        ("response-one", "/data"),
        ("array", "/0"),
        ("location", ""),
    ],
)
def test_every_shape_gives_the_same_records_and_points_into_itself(
    shape: str, prefix: str, tmp_path: Path
) -> None:
    one = location([evse(), evse(evse_id="DE*PCK*E2", connectors=[])])
    envelope = {
        "status_code": 1000,
        "status_message": "Success",
        "timestamp": "2024-01-01T00:00:00Z",
    }
    document = {
        "response": {"data": [one], **envelope},
        "response-one": {"data": one, **envelope},
        "array": [one],
        "location": one,
    }[shape]
    assert is_ocpi(document)
    path = write(tmp_path / "locations.json", document)
    table = read_table(path, RULESET)
    assert list(table.frame["EvseID"]) == ["DE*PCK*E3256", "DE*PCK*E2"]
    found = validate(path, ocpi_defaults=DEFAULTS).findings
    assert {(f.rule, f.pointer) for f in found} >= {
        ("PWR001", f"{prefix}/evses/1/connectors"),
        ("PWR003", f"{prefix}/evses/1/connectors"),
    }
    for finding in found:
        resolve(document, finding.pointer.rsplit("/", 1)[0])  # the node or its parent exists


def test_oicp_json_is_not_ocpi() -> None:
    record = json_record(RULESET)
    assert not is_ocpi(record)
    assert not is_ocpi([record])
    assert not is_ocpi({"ActionType": "fullLoad", "OperatorEvseData": {"EvseDataRecord": [record]}})
    assert not is_ocpi([])
    assert not is_ocpi({"data": "x"})  # no status_code or timestamp: not an OCPI response


@pytest.mark.parametrize(
    ("document", "said"),
    [
        (
            {
                "status_code": 2001,
                "status_message": "Invalid token",
                "timestamp": "x",
                "data": None,
            },
            "status_code 2001: Invalid token",
        ),
        ({"status_code": 1000, "timestamp": "x", "data": "nothing"}, "data is a JSON string"),
        ({"uid": "1", "evse_id": "DE*PCK*E1", "connectors": []}, "an EVSE object"),
        (
            {"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "DC", "max_voltage": 1},
            "a Connector object",
        ),
    ],
)
def test_what_holds_no_locations_is_refused_with_a_reason(
    document: Any, said: str, tmp_path: Path
) -> None:
    report = validate(write(tmp_path / "x.json", document))
    assert report.exit_code() == 2
    assert said in (report.files[0].error or "")


def test_a_location_that_is_no_object_is_damaged_and_the_others_are_read(tmp_path: Path) -> None:
    document = {
        "data": [location(), "LOC2", location([evse(evse_id="DE*PCK*E3")], id="LOC3")],
        "status_code": 1000,
        "timestamp": "x",
    }
    report = validate(write(tmp_path / "l.json", document), ocpi_defaults=DEFAULTS)
    assert report.files[0].records == 2
    assert [(f.rule, f.record, f.pointer) for f in report.findings] == [("OCP008", None, "/data/1")]


def test_a_lone_surrogate_is_reported_at_its_ocpi_pointer(tmp_path: Path) -> None:
    path = tmp_path / "l.json"
    text = json.dumps(location(city="Berlin\ud83d"), ensure_ascii=True)
    path.write_text(text, encoding="ascii")
    found = validate(path, ocpi_defaults=DEFAULTS, select=["JSN007"]).findings
    assert [(f.rule, f.pointer) for f in found] == [("JSN007", "/city")]


# --- the operator ------------------------------------------------------------------------------


def test_the_operator_comes_from_the_locations_when_they_agree(tmp_path: Path) -> None:
    same = [location(), location(id="LOC2")]
    table = read_table(write(tmp_path / "a.json", same), RULESET)
    assert table.envelope == {"OperatorID": "DE*PCK", "OperatorName": "PoiCheck Demo Hub"}
    mixed = [location(), location(id="LOC2", party_id="ABC", operator={"name": "Other"})]
    assert read_table(write(tmp_path / "b.json", mixed), RULESET).envelope is None


def test_an_operator_id_ocpi_gives_wrong_is_reported_at_party_id(tmp_path: Path) -> None:
    found = findings(tmp_path, location(party_id="P"), select=["ENV"])
    assert [(f.rule, f.record, f.pointer) for f in found] == [("ENV003", None, "/party_id")]


# --- defaults ----------------------------------------------------------------------------------


def test_defaults_fill_what_ocpi_leaves_empty_and_never_replace_it(tmp_path: Path) -> None:
    document = location([evse(), evse(evse_id="DE*PCK*E2", capabilities=[])], opening_times=None)
    path = write(tmp_path / "l.json", document)
    sent = exported(path)
    assert [r["AuthenticationModes"] for r in sent] == [
        ["NFC RFID Classic", "REMOTE"],  # the EVSE's own capabilities
        ["NFC RFID Classic", "REMOTE"],  # the default
    ]
    assert [r["PaymentOptions"] for r in sent] == [["Contract"], ["Contract"]]
    assert {r["IsOpen24Hours"] for r in sent} == {True}
    assert {r["HotlinePhoneNumber"] for r in sent} == {"+3292980000"}
    assert {r["RenewableEnergy"] for r in sent} == {True}  # the Location says it; not replaced


def test_without_defaults_a_note_names_what_ocpi_does_not_give(tmp_path: Path) -> None:
    report = validate(write(tmp_path / "l.json", location()))
    assert report.exit_code() == 1
    (note,) = report.notes
    assert "HotlinePhoneNumber" in note
    assert "ocpi.defaults" in note
    assert {f.pointer for f in report.findings if f.field == "HotlinePhoneNumber"} == {"/evses/0"}


def test_a_default_for_no_oicp_property_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="did you mean HotlinePhoneNumber"):
        validate(
            write(tmp_path / "l.json", location()), ocpi_defaults={"HotlinePhonenumber": "+49"}
        )


def test_defaults_do_not_touch_other_inputs(tmp_path: Path) -> None:
    record = {k: v for k, v in json_record(RULESET).items() if k != "HotlinePhoneNumber"}
    path = write(tmp_path / "r.json", [record])
    found = validate(path, ocpi_defaults=DEFAULTS).findings
    assert "HotlinePhoneNumber" in {f.field for f in found}


# --- generated Locations -----------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 100_000),
    st.text(max_size=12),
    st.sampled_from(["230", "52.5", "true", "", "IEC_62196_T2", "AC_3_PHASE", "REMOVED"]),
)
CONNECTORS = st.fixed_dictionaries(
    {},
    optional={
        "standard": st.one_of(st.sampled_from(sorted(MAPPING.connectors)), SCALARS),
        "format": st.sampled_from(["SOCKET", "CABLE", "PLUG"]),
        "power_type": st.one_of(st.sampled_from(sorted(MAPPING.power_types)), SCALARS),
        "max_voltage": st.one_of(st.integers(0, 1500), SCALARS),
        "max_amperage": st.one_of(st.integers(0, 600), SCALARS),
        "max_electric_power": st.one_of(st.integers(0, 2_000_000), SCALARS),
    },
)
EVSES = st.fixed_dictionaries(
    {"uid": st.text(max_size=8)},
    optional={
        "evse_id": st.one_of(st.from_regex(r"\ADE\*PCK\*E[0-9]{1,6}\Z"), SCALARS),
        "status": st.sampled_from(["AVAILABLE", "REMOVED", "PLANNED", "CHARGING"]),
        "capabilities": st.lists(
            st.one_of(st.sampled_from(sorted(MAPPING.capabilities)), SCALARS), max_size=4
        ),
        "connectors": st.one_of(st.lists(st.one_of(CONNECTORS, SCALARS), max_size=3), SCALARS),
        "floor_level": SCALARS,
        "coordinates": st.one_of(
            st.fixed_dictionaries({"latitude": SCALARS, "longitude": SCALARS}), SCALARS
        ),
        "parking_restrictions": st.lists(
            st.sampled_from(sorted(MAPPING.parking_restrictions)), max_size=2
        ),
        "directions": st.lists(
            st.fixed_dictionaries(
                {"language": st.sampled_from(["en", "de"]), "text": st.text(max_size=20)}
            ),
            max_size=2,
        ),
    },
)
HOURS = st.fixed_dictionaries(
    {"twentyfourseven": st.one_of(st.booleans(), SCALARS)},
    optional={
        "regular_hours": st.lists(
            st.fixed_dictionaries(
                {
                    "weekday": st.one_of(st.integers(0, 8), SCALARS),
                    "period_begin": st.sampled_from(["07:00", "08:30", "x"]),
                    "period_end": st.sampled_from(["18:00", "20:00"]),
                }
            ),
            max_size=8,
        ),
        "exceptional_closings": st.lists(
            st.just({"period_begin": "2024-12-25T00:00:00Z", "period_end": "2024-12-26T00:00:00Z"}),
            max_size=2,
        ),
    },
)
LOCATIONS_GENERATED = st.fixed_dictionaries(
    {
        "country_code": st.just("DE"),
        "party_id": st.just("PCK"),
        "evses": st.one_of(st.lists(st.one_of(EVSES, SCALARS), max_size=4), SCALARS),
    },
    optional={
        "id": SCALARS,
        "name": SCALARS,
        "address": SCALARS,
        "city": SCALARS,
        "postal_code": SCALARS,
        "country": st.sampled_from(["DEU", "BEL", "DE", ""]),
        "coordinates": st.one_of(
            st.fixed_dictionaries({"latitude": SCALARS, "longitude": SCALARS}), SCALARS
        ),
        "parking_type": st.one_of(st.sampled_from(sorted(MAPPING.parking_types)), SCALARS),
        "time_zone": st.sampled_from(["Europe/Berlin", "Europe/Gotham", "", "UTC"]),
        "opening_times": st.one_of(HOURS, SCALARS),
        "publish": st.one_of(st.booleans(), SCALARS),
        "energy_mix": st.one_of(
            st.fixed_dictionaries(
                {"is_green_energy": st.one_of(st.booleans(), SCALARS)},
                optional={
                    "energy_sources": st.lists(
                        st.fixed_dictionaries(
                            {
                                "source": st.sampled_from(sorted(MAPPING.energy_sources)),
                                "percentage": st.one_of(
                                    st.integers(0, 100), st.floats(0, 100, allow_nan=False)
                                ),
                            }
                        ),
                        max_size=3,
                    )
                },
            ),
            SCALARS,
        ),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(LOCATIONS_GENERATED, min_size=1, max_size=3))
def test_any_locations_are_read_never_crash_and_point_into_themselves(
    tmp_path: Path, document: list[dict[str, Any]]
) -> None:
    path = write(tmp_path / "generated.json", document)
    report = validate(path, ocpi_defaults=DEFAULTS)
    assert report.files[0].error is None
    kept = [
        e
        for loc in document
        if isinstance(loc.get("evses"), list)
        for e in loc["evses"]
        if isinstance(e, dict) and e.get("status") != "REMOVED"
    ]
    assert report.files[0].records == len(kept)
    frame = read_table(path, RULESET).frame
    column = frame["EvseID"] if "EvseID" in frame else [None] * len(frame)
    ids = [None if pd.isna(i) else i for i in column]
    wanted = [text_of(e.get("evse_id")) if e.get("evse_id") is not None else "" for e in kept]
    assert ids == [w if w.strip() else None for w in wanted]
    for finding in report.findings:
        assert not re.search("/[A-Z]", finding.pointer), finding  # no OICP path: OCPI's
        assert inside(document, finding.pointer) >= 1, finding  # within a Location


def inside(document: Any, pointer: str) -> int:
    """How many steps of `pointer` lead to nodes of `document` (a pointer may name a member
    that is missing, where the value belongs)."""
    steps = pointer.split("/")[1:]
    for end in range(len(steps), -1, -1):
        try:
            resolve(document, "".join(f"/{s}" for s in steps[:end]))
        except (KeyError, IndexError, ValueError, TypeError):
            continue
        return end
    return 0


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(MAPPING.connectors)),
            st.sampled_from(["SOCKET", "CABLE"]),
            st.sampled_from(["AC_1_PHASE", "AC_3_PHASE", "DC"]),
            st.integers(100, 999),
            st.integers(1, 99),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_what_export_sends_from_ocpi_fits_the_oicp_schema(
    tmp_path: Path, plugs: list[tuple[str, str, str, int, int]]
) -> None:
    # At least one plug OICP names: with none, the record is refused (STD006), never sent.
    assume(any(MAPPING.connectors[s].plug_for(f) in OICP_PLUGS for s, f, *_ in plugs))
    connectors = [
        {
            "id": str(i),
            "standard": s,
            "format": f,
            "power_type": p,
            "max_voltage": v,
            "max_amperage": a,
        }
        for i, (s, f, p, v, a) in enumerate(plugs)
    ]
    path = write(tmp_path / "l.json", location([evse(connectors)]))
    sent = exported(path, include_invalid=True, allow_deletions=True)
    validator = validator_for(record_schema(RULESET))
    for record in sent:
        assert validator.errors(record) == []
        assert set(record["Plugs"]) <= OICP_PLUGS


def test_json_lines_of_locations_are_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "locations.jsonl"
    path.write_text(json.dumps(location()) + "\n", encoding="utf-8")
    report = validate(path)
    assert report.exit_code() == 2
    assert "line 1 is an OCPI Location" in (report.files[0].error or "")


def test_other_json_with_address_words_is_no_ocpi(tmp_path: Path) -> None:
    document = {"city": "Berlin", "country": "DEU", "postal_code": "10178", "name": "x"}
    assert not is_ocpi(document)
    report = validate(write(tmp_path / "x.json", document))
    assert "not OICP EVSE data" in (report.files[0].error or "")
