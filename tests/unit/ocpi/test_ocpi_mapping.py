"""OCPI 2.2.1 -> OICP 2.3, field by field (docs/ocpi.md): what each OCPI field becomes, and
the findings it gives, at its OCPI pointer."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from poicheck.ocpi.mapping import load_mapping
from poicheck.ocpi.parts import address
from poicheck.ocpi.values import standard_offset
from tests.ocpi import RULESET, connector, evse, example, findings, location, record, records

MAPPING = load_mapping()
RULESET_TYPES = RULESET.types
RULES_PLUGS = set(RULESET_TYPES["PlugType"].enum or ())
RULES_BEYOND = set(RULESET_TYPES["PlugTypeBeyondOICP"].enum or ())


def facility(document: Any) -> dict[str, Any]:
    (only,) = record(document)["ChargingFacilities"]
    return dict(only)


def rules_at(found: list[Any]) -> set[tuple[str, str]]:
    return {(f.rule, f.pointer) for f in found}


# --- identity ---------------------------------------------------------------------------------


def test_evse_id_comes_from_evse_id_not_uid() -> None:
    got = record(location([evse(uid="db-17", evse_id="DE*PCK*E17")]))
    assert got["EvseID"] == "DE*PCK*E17"
    assert "db-17" not in str(got)


def test_an_evse_without_evse_id_is_a_record_refused_with_its_uid(tmp_path: Path) -> None:
    document = location([evse(), evse(uid="db-18", evse_id=None)])
    assert "EvseID" not in records(document)[1]
    found = findings(tmp_path, document)
    (hit,) = found
    assert (hit.rule, hit.severity, hit.record, hit.field) == ("OCP001", "error", 1, "EvseID")
    assert hit.pointer == "/evses/1/evse_id"
    assert "db-18" in hit.message
    assert [r["rule"] for r in hit.related] == ["EVS001"]  # one cause, one finding


def test_a_removed_evse_gives_no_record_and_a_note(tmp_path: Path) -> None:
    document = location([evse(), evse(uid="9", evse_id="DE*PCK*E9", status="REMOVED")])
    assert [r["EvseID"] for r in records(document)] == ["DE*PCK*E3256"]
    (hit,) = findings(tmp_path, document)
    assert (hit.rule, hit.severity, hit.record, hit.pointer) == ("OCP002", "info", None, "/evses/1")
    assert "DE*PCK*E9" in hit.message


def test_a_location_without_evses_gives_no_record(tmp_path: Path) -> None:
    assert records(location([])) == []
    assert rules_at(findings(tmp_path, [location([])])) == {("OCP003", "/0")}


def test_location_id_is_the_charging_station_id() -> None:
    assert record(location(id="cbb0df21"))["ChargingStationId"] == "cbb0df21"


# --- connectors: plugs and charging facilities ------------------------------------------------


@pytest.mark.parametrize(
    ("standard", "fmt", "plug"),
    [
        ("IEC_62196_T2", "SOCKET", "Type 2 Outlet"),
        ("IEC_62196_T2", "CABLE", "Type 2 Connector (Cable Attached)"),
        ("IEC_62196_T1", "CABLE", "Type 1 Connector (Cable Attached)"),
        ("IEC_62196_T2_COMBO", "CABLE", "CCS Combo 2 Plug (Cable Attached)"),
        ("IEC_62196_T1_COMBO", "CABLE", "CCS Combo 1 Plug (Cable Attached)"),
        ("CHADEMO", "CABLE", "CHAdeMO"),
        ("DOMESTIC_F", "SOCKET", "Type F Schuko"),
        ("DOMESTIC_G", "SOCKET", "Type G British Standard"),
        ("IEC_60309_2_three_32", "SOCKET", "IEC 60309 Three Phase"),
        ("TESLA_S", "CABLE", "Tesla Connector"),
        ("IEC_62196_T3C", "SOCKET", "Type 3 Outlet"),
    ],
)
def test_standard_and_format_give_the_oicp_plug(standard: str, fmt: str, plug: str) -> None:
    got = record(location([evse([connector(standard=standard, format=fmt)])]))
    assert got["Plugs"] == [plug]


def test_every_connector_type_maps_to_a_plug_type_the_rules_know() -> None:
    known = {*RULES_PLUGS, *RULES_BEYOND}
    for name, entry in MAPPING.connectors.items():
        assert entry.plugs, name
        assert set(entry.plugs) <= known, name
        assert set(entry.modes) <= set(RULESET_TYPES["ChargingModeType"].enum or ()), name


def test_e029_a_plug_oicp_cannot_name_beside_one_it_can_is_dropped(tmp_path: Path) -> None:
    document = location([evse([connector(), connector(id="2", standard="NEMA_14_50")])])
    assert record(document)["Plugs"] == ["Type 2 Outlet", "NEMA 14-50"]
    found = findings(tmp_path, document)
    assert rules_at(found) == {("STD004", "/evses/0/connectors/1")}
    assert found[0].consequence == "dropped"


def test_e029_only_plugs_oicp_cannot_name_is_refused(tmp_path: Path) -> None:
    document = location([evse([connector(standard="GBT_AC")])])
    found = findings(tmp_path, document, select=["STD"])
    assert rules_at(found) == {("STD006", "/evses/0/connectors/0")}


def test_a_standard_ocpi_does_not_define_is_refused_at_its_connector(tmp_path: Path) -> None:
    document = location([evse([connector(standard="TYPE2")])])
    assert record(document)["Plugs"] == ["TYPE2"]
    found = rules_at(findings(tmp_path, document, select=["PWR002"]))
    assert found == {("PWR002", "/evses/0/connectors/0")}


def test_equal_facilities_of_several_connectors_are_given_once() -> None:
    got = record(location([evse([connector(), connector(id="2", format="CABLE")])]))
    assert got["Plugs"] == ["Type 2 Outlet", "Type 2 Connector (Cable Attached)"]
    assert len(got["ChargingFacilities"]) == 1


def test_charging_modes_follow_the_standard() -> None:
    dc = connector(standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC")
    got = record(location([evse([connector(), dc, connector(standard="DOMESTIC_F")])]))
    modes = [f.get("ChargingModes") for f in got["ChargingFacilities"]]
    assert modes == [["Mode_3"], ["Mode_4"], None]


@pytest.mark.parametrize(
    ("watts", "kilowatts"),
    [(22080, 22), (11040, 11), (7400, 7), (3680, 4), (150000, 150), (3500, 4), (3499, 3)],
)
def test_max_electric_power_in_watts_is_power_in_whole_kilowatts(
    watts: int, kilowatts: int
) -> None:
    assert facility(location([evse([connector(max_electric_power=watts)])]))["Power"] == kilowatts


@pytest.mark.parametrize(
    ("kind", "volts", "amps", "kilowatts"),
    [
        ("AC_3_PHASE", 230, 32, 22),
        ("AC_3_PHASE", 230, 16, 11),
        ("AC_1_PHASE", 230, 16, 4),
        ("AC_1_PHASE", 230, 32, 7),
        ("DC", 500, 99, 50),
        ("AC_3_PHASE", 220, 16, 11),
    ],
)
def test_without_max_electric_power_power_is_phases_voltage_current(
    kind: str, volts: int, amps: int, kilowatts: int
) -> None:
    got = facility(
        location([evse([connector(power_type=kind, max_voltage=volts, max_amperage=amps)])])
    )
    assert (got["PowerType"], got["Voltage"], got["Amperage"], got["Power"]) == (
        kind,
        volts,
        amps,
        kilowatts,
    )


def test_e028_max_voltage_passes_through_and_400_v_is_pwr014_at_max_voltage(tmp_path: Path) -> None:
    document = location([evse([connector(max_voltage=400)])])
    got = facility(document)
    assert (got["Voltage"], got["Power"]) == (400, 22)  # 22 kW: 3 x 230 V x 32 A, as meant
    found = findings(tmp_path, document)
    assert rules_at(found) == {("PWR014", "/evses/0/connectors/0/max_voltage")}
    assert found[0].field == "ChargingFacilities.1.Voltage"
    assert "230 V" in found[0].message


def test_a_power_type_oicp_has_not_is_refused_at_power_type(tmp_path: Path) -> None:
    document = location([evse([connector(power_type="AC_2_PHASE")])])
    assert facility(document)["PowerType"] == "AC_2_PHASE"
    found = findings(tmp_path, document, select=["PWR005"])
    assert rules_at(found) == {("PWR005", "/evses/0/connectors/0/power_type")}


def test_the_facility_of_the_second_connector_points_to_it(tmp_path: Path) -> None:
    dc = connector(
        id="2", standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC", max_voltage=920
    )
    dc.update(max_amperage=400, max_electric_power=1_200_000)
    found = findings(tmp_path, location([evse([connector(), dc])]))
    at = {(f.rule, f.field): f.pointer for f in found}
    assert at[("STD001", "ChargingFacilities.2.Amperage")] == "/evses/0/connectors/1/max_amperage"
    assert at[("STD003", "ChargingFacilities.2.Power")] == (
        "/evses/0/connectors/1/max_electric_power"
    )


# --- capabilities, parking, access -----------------------------------------------------------


@pytest.mark.parametrize(
    ("capabilities", "auth", "payment", "services"),
    [
        (["RFID_READER"], ["NFC RFID Classic"], ["Contract"], ["None"]),
        (["REMOTE_START_STOP_CAPABLE"], ["REMOTE"], ["Contract"], ["None"]),
        (["CREDIT_CARD_PAYABLE", "PED_TERMINAL"], None, ["Direct"], ["None"]),
        (
            ["RFID_READER", "CONTACTLESS_CARD_SUPPORT"],
            ["NFC RFID Classic"],
            ["Contract", "Direct"],
            ["None"],
        ),
        (
            ["RESERVABLE", "CHARGING_PREFERENCES_CAPABLE"],
            None,
            None,
            ["Reservation", "ChargingPlans"],
        ),
        (["UNLOCK_CAPABLE", "TOKEN_GROUP_CAPABLE"], None, None, ["None"]),
    ],
)
def test_capabilities_give_authentication_payment_and_services(
    capabilities: list[str], auth: Any, payment: Any, services: list[str]
) -> None:
    got = record(location([evse(capabilities=capabilities)]))
    assert got.get("AuthenticationModes") == auth
    assert got.get("PaymentOptions") == payment
    assert got["ValueAddedServices"] == services


@pytest.mark.parametrize(
    ("parking", "where", "facility_flag", "roof"),
    [
        ("ON_STREET", "OnStreet", False, False),
        ("PARKING_LOT", "ParkingLot", True, False),
        ("PARKING_GARAGE", "ParkingGarage", True, False),
        ("UNDERGROUND_GARAGE", "UndergroundParkingGarage", True, True),
        ("ALONG_MOTORWAY", "ParkingLot", True, False),
        ("ON_DRIVEWAY", None, False, False),
    ],
)
def test_parking_type(parking: str, where: Any, facility_flag: bool, roof: bool) -> None:
    got = record(location(parking_type=parking))
    assert got.get("AccessibilityLocation") == where
    assert got["Address"]["ParkingFacility"] is facility_flag
    assert ("RoofProvided" in got["ValueAddedServices"]) is roof


def test_customers_only_parking_is_restricted_access() -> None:
    got = record(location([evse(parking_restrictions=["EV_ONLY", "CUSTOMERS"])]))
    assert got["Accessibility"] == "Restricted access"
    assert "Accessibility" not in record(location([evse(parking_restrictions=["EV_ONLY"])]))


def test_an_unpublished_location_is_restricted_and_noted_at_every_evse(tmp_path: Path) -> None:
    document = location([evse(), evse(evse_id="DE*PCK*E2")], publish=False)
    assert {r["Accessibility"] for r in records(document)} == {"Restricted access"}
    found = findings(tmp_path, document)
    assert [(f.rule, f.record, f.pointer) for f in found] == [
        ("OCP004", 0, "/publish"),
        ("OCP004", 1, "/publish"),
    ]


# --- address, position, time zone, texts --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "street", "number"),
    [
        ("F.Rooseveltlaan 3A", "F.Rooseveltlaan", "3A"),
        ("Krautwigstraße 283A", "Krautwigstraße", "283A"),
        ("Taco van der Veenplein 12", "Taco van der Veenplein", "12"),
        ("Hauptstraße 12-14", "Hauptstraße", "12-14"),
        ("Hauptstraße 12 - 14", "Hauptstraße", "12 - 14"),
        ("Kaiserallee 7/1", "Kaiserallee", "7/1"),
        ("Via Roma, 5", "Via Roma", "5"),
        ("12 rue de la Paix", "rue de la Paix", "12"),
        ("221B Baker Street", "Baker Street", "221B"),
        ("Raststätte Lipperland", "Raststätte Lipperland", None),
        ("A7 Rasthof  Nord", "A7 Rasthof Nord", None),
    ],
)
def test_address_is_split_into_street_and_house_number(
    text: str, street: str, number: str | None
) -> None:
    assert address(MAPPING, text) == (street, number)


def test_address_fields() -> None:
    got = record(location(postal_code="214 26", city="Malmö", country="SWE", state="Skåne"))
    assert got["Address"] == {
        "Country": "SWE",
        "City": "Malmö",
        "Street": "Alexanderplatz",
        "PostalCode": "214 26",
        "HouseNum": "1",
        "Region": "Skåne",
        "ParkingFacility": False,
        "TimeZone": "UTC+01:00",
    }


def test_floor_level_is_the_floor() -> None:
    assert record(location([evse(floor_level="-2")]))["Address"]["Floor"] == "-2"


@pytest.mark.parametrize(
    ("zone", "offset"),
    [
        ("Europe/Berlin", "UTC+01:00"),
        ("Europe/London", "UTC+00:00"),
        ("America/New_York", "UTC-05:00"),
        ("Australia/Sydney", "UTC+10:00"),
        ("Asia/Kolkata", "UTC+05:30"),
        ("Europe/Gotham", None),
        ("../etc/passwd", None),
    ],
)
def test_time_zone_is_its_standard_utc_offset(zone: str, offset: str | None) -> None:
    assert standard_offset(zone) == offset


def test_an_unknown_time_zone_is_ocp007_and_left_out(tmp_path: Path) -> None:
    document = location(time_zone="Europe/Gotham")
    assert "TimeZone" not in record(document)["Address"]
    assert rules_at(findings(tmp_path, document)) == {("OCP007", "/time_zone")}


def test_the_evse_position_wins_and_a_garage_location_is_the_entrance() -> None:
    own = {"latitude": "52.522100", "longitude": "13.413300"}
    got = record(location([evse(coordinates=own)], parking_type="UNDERGROUND_GARAGE"))
    assert got["GeoCoordinates"] == {
        "DecimalDegree": {"Latitude": "52.522100", "Longitude": "13.413300"}
    }
    assert got["GeoChargingPointEntrance"] == {
        "DecimalDegree": {"Latitude": "52.521918", "Longitude": "13.413215"}
    }
    street = record(location([evse(coordinates=own)]))
    assert "GeoChargingPointEntrance" not in street


def test_coordinates_that_are_no_decimal_degrees_are_geo002_at_the_ocpi_field(
    tmp_path: Path,
) -> None:
    document = location(coordinates={"latitude": "52,521918", "longitude": "13.413215"})
    found = findings(tmp_path, document, select=["GEO"])
    assert rules_at(found) == {("GEO002", "/coordinates/latitude")}
    assert found[0].field == "GeoCoordinates.Latitude"


def test_seven_decimals_are_rounded_by_the_export(tmp_path: Path) -> None:
    document = location([evse(coordinates={"latitude": "52.5219184", "longitude": "13.4132151"})])
    found = findings(tmp_path, document)
    assert {(f.rule, f.severity, f.pointer) for f in found} == {
        ("GEO013", "info", "/evses/0/coordinates/latitude"),
        ("GEO013", "info", "/evses/0/coordinates/longitude"),
    }


def test_name_and_directions_are_info_texts() -> None:
    here = [{"language": "en", "text": "Level -1, bay 4"}, {"language": "de", "text": "Ebene -1"}]
    lobby = [{"language": "en", "text": "Enter from the Kaiserstraße"}]
    got = record(location([evse(directions=here)], directions=lobby, name="P-Huset"))
    assert got["ChargingStationNames"] == [{"lang": "en", "value": "P-Huset"}]
    assert got["ChargingStationLocationReference"] == [
        {"lang": "en", "value": "Level -1, bay 4"},
        {"lang": "de", "value": "Ebene -1"},
    ]
    assert got["AdditionalInfo"] == [{"lang": "en", "value": "Enter from the Kaiserstraße"}]
    plain = record(location(directions=lobby))
    assert plain["ChargingStationLocationReference"] == got["AdditionalInfo"]
    assert "AdditionalInfo" not in plain


def test_a_charger_image_is_the_station_image_and_logos_are_not() -> None:
    logo = {"url": "https://x.example/logo.png", "category": "OPERATOR", "type": "png"}
    photo = {"url": "https://x.example/site.jpg", "category": "LOCATION", "type": "jpeg"}
    charger = {"url": "https://x.example/evse.jpg", "category": "CHARGER", "type": "jpeg"}
    assert (
        record(location([evse(images=[logo])], images=[photo]))["ChargingStationImage"]
        == (photo["url"])
    )
    got = record(location([evse(images=[logo, charger])], images=[photo]))
    assert got["ChargingStationImage"] == charger["url"]
    assert "ChargingStationImage" not in record(location(images=[logo]))


# --- opening times -------------------------------------------------------------------------


def hours(*entries: tuple[int, str, str]) -> dict[str, Any]:
    periods = [{"weekday": d, "period_begin": b, "period_end": e} for d, b, e in entries]
    return {"twentyfourseven": False, "regular_hours": periods}


def test_twentyfourseven_is_open_24_hours() -> None:
    got = record(location(opening_times={"twentyfourseven": True}))
    assert (got["IsOpen24Hours"], got.get("OpeningTimes")) == (True, None)


def test_regular_hours_of_every_day_are_everyday() -> None:
    got = record(location(opening_times=hours(*[(d, "07:00", "18:00") for d in range(1, 8)])))
    assert got["IsOpen24Hours"] is False
    assert got["OpeningTimes"] == [
        {"Period": [{"begin": "07:00", "end": "18:00"}], "on": "Everyday"}
    ]


def test_regular_hours_are_joined_as_workdays_and_weekend() -> None:
    week = [(d, "08:00", "20:00") for d in range(1, 6)]
    weekend = [(6, "09:00", "12:00"), (7, "09:00", "12:00")]
    got = record(location(opening_times=hours(*weekend, *week)))
    assert got["OpeningTimes"] == [
        {"Period": [{"begin": "08:00", "end": "20:00"}], "on": "Workdays"},
        {"Period": [{"begin": "09:00", "end": "12:00"}], "on": "Weekend"},
    ]


def test_other_days_stay_single_with_all_their_periods() -> None:
    entries = [
        (1, "08:00", "12:00"),
        (1, "14:00", "18:00"),
        (3, "08:00", "12:00"),
        (6, "10:00", "14:00"),
    ]
    got = record(location(opening_times=hours(*entries)))
    assert got["OpeningTimes"] == [
        {
            "Period": [{"begin": "08:00", "end": "12:00"}, {"begin": "14:00", "end": "18:00"}],
            "on": "Monday",
        },
        {"Period": [{"begin": "08:00", "end": "12:00"}], "on": "Wednesday"},
        {"Period": [{"begin": "10:00", "end": "14:00"}], "on": "Saturday"},
    ]


def test_dated_exceptions_are_left_out_with_a_note(tmp_path: Path) -> None:
    document = location(opening_times=example("location_hours_247_open_exception_closing.json"))
    assert record(document)["IsOpen24Hours"] is True
    found = findings(tmp_path, document)
    assert rules_at(found) == {("OCP005", "/opening_times/exceptional_closings")}


def test_without_opening_times_is_open_24_hours_is_unsaid(tmp_path: Path) -> None:
    document = location(opening_times=None)
    assert "IsOpen24Hours" not in record(document)
    found = findings(tmp_path, document, defaults={})
    (hit,) = [f for f in found if f.field == "IsOpen24Hours"]
    assert (hit.rule, hit.pointer) == ("ACC014", "/opening_times")


def test_a_weekday_out_of_range_is_damaged(tmp_path: Path) -> None:
    document = location(opening_times=hours((8, "08:00", "20:00")))
    found = findings(tmp_path, document, select=["OCP"])
    assert rules_at(found) == {("OCP008", "/opening_times/regular_hours/0")}
    assert found[0].severity == "error"


# --- energy mix -----------------------------------------------------------------------------


def test_energy_mix(tmp_path: Path) -> None:
    mix = example("location_energymix_example_complete.json")["energy_mix"]
    document = location(energy_mix=mix)
    got = record(document)
    assert got["RenewableEnergy"] is False
    assert got["EnergySource"] == [
        {"Energy": "NaturalGas", "Percentage": 6},
        {"Energy": "Coal", "Percentage": 33},
        {"Energy": "NuclearEnergy", "Percentage": 22},
    ]
    assert {k: str(v) for k, v in got["EnvironmentalImpact"].items()} == {
        "NuclearWaste": "0.0006",
        "CO2Emission": "372",
    }
    found = findings(tmp_path, document)
    assert rules_at(found) == {
        ("OCP006", "/energy_mix/energy_sources/0"),
        ("OCP006", "/energy_mix/energy_sources/3"),
    }
    # The shares no longer add up to 100 because of what was left out: folded, not said twice.
    assert "NRG006" in {r["rule"] for f in found for r in (f.related or [])}


def test_an_energy_share_finding_points_to_its_source(tmp_path: Path) -> None:
    mix = {"is_green_energy": True, "energy_sources": [{"source": "SOLAR", "percentage": 100}]}
    found = findings(tmp_path, location(energy_mix=mix))
    assert rules_at(found) == {("STD005", "/energy_mix/energy_sources/0/percentage")}


# --- wire types ------------------------------------------------------------------------------


def test_a_number_written_as_text_is_read_as_meant_and_noted(tmp_path: Path) -> None:
    document = location([evse([connector(max_voltage="230")])])
    assert facility(document)["Voltage"] == 230
    found = findings(tmp_path, document)
    assert rules_at(found) == {("OCP009", "/evses/0/connectors/0/max_voltage")}
    assert found[0].severity == "info"


def test_text_that_is_no_number_is_judged_by_the_oicp_rule(tmp_path: Path) -> None:
    document = location([evse([connector(max_voltage="two hundred", max_electric_power=22000)])])
    found = findings(tmp_path, document)
    assert rules_at(found) == {("PWR008", "/evses/0/connectors/0/max_voltage")}


def test_coordinates_as_numbers_are_read_as_meant() -> None:
    document = location(coordinates={"latitude": Decimal("52.521918"), "longitude": 13.413215})
    got = record(document)["GeoCoordinates"]["DecimalDegree"]
    assert got == {"Latitude": "52.521918", "Longitude": "13.413215"}


def test_connectors_that_are_no_array_are_damaged(tmp_path: Path) -> None:
    document = location([evse(connectors={"id": "1"})])
    found = findings(tmp_path, document, select=["OCP"])
    assert rules_at(found) == {("OCP008", "/evses/0/connectors")}


# --- the mapping's values are the rule files' --------------------------------------------------


def enum(name: str) -> set[str]:
    return set(RULESET_TYPES[name].enum or ())


def test_every_oicp_value_of_the_mapping_is_in_its_enumeration() -> None:
    assert {v for v, _ in MAPPING.power_types.values() if v} <= enum("PowerType")
    for targets in MAPPING.capabilities.values():
        assert set(targets.get("AuthenticationModes", ())) <= enum("AuthenticationModeType")
        assert set(targets.get("PaymentOptions", ())) <= enum("PaymentOptionType")
        assert set(targets.get("ValueAddedServices", ())) <= enum("ValueAddedServiceType")
    for entry in MAPPING.parking_types.values():
        assert entry.get("AccessibilityLocation", "OnStreet") in enum("AccessibilityLocationType")
        assert set(entry.get("ValueAddedServices", ())) <= enum("ValueAddedServiceType")
    access = {v for v in MAPPING.parking_restrictions.values() if v}
    assert {*access, MAPPING.unpublished_accessibility} <= enum("AccessibilityType")
    assert {v for v in MAPPING.energy_sources.values() if v} <= enum("EnergyType")
    assert {*MAPPING.weekdays.values(), *MAPPING.day_groups} <= enum("DayValueType")
    assert not RULES_PLUGS & RULES_BEYOND
