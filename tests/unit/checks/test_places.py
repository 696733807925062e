"""Address <-> coordinates within the country (GEO015-GEO019, issue 16), on real places:
outer districts and border towns stay quiet, planted defects are found on the right field."""

from __future__ import annotations

import pytest

from poicheck import validate
from poicheck.checks import placedata
from tests.records import VALID_CELLS, frame_of

PLACE_RULES = ["GEO015", "GEO016", "GEO017", "GEO018", "GEO019"]


def findings(*rows: dict[str, str]) -> list[tuple[int | None, str, str]]:
    cells = [{**VALID_CELLS, **row} for row in rows]
    for number, row in enumerate(cells):
        row["EvseID"] = f"DE*PCK*E{1001 + number}*1"
    report = validate(frame_of(*cells), select=PLACE_RULES)
    return sorted((f.record, f.rule, f.field) for f in report.findings)


def at(postal: str, city: str, lat: str, lon: str, country: str = "DEU") -> dict[str, str]:
    return {
        "Address.Country": country,
        "Address.PostalCode": postal,
        "Address.City": city,
        "GeoCoordinates.Latitude": lat,
        "GeoCoordinates.Longitude": lon,
    }


CORRECT = {
    "Berlin-Spandau, Rathaus": at("13597", "Berlin", "52.535720", "13.199460"),
    "Berlin-Staaken, city written with its district": at(
        "13591", "Berlin-Spandau", "52.534510", "13.142020"
    ),
    "Berlin-Spandau, district as the city": at("13581", "Spandau", "52.532510", "13.173520"),
    "Hamburg-Harburg": at("21073", "Hamburg", "53.460570", "9.983880"),
    "Hamburg-Harburg, district as the city": at("21073", "Harburg", "53.460570", "9.983880"),
    "Hamburg-Neugraben, 17 km from the centre": at("21149", "Hamburg", "53.473240", "9.852160"),
    "Frankfurt (Oder), on the Polish border": at(
        "15230", "Frankfurt (Oder)", "52.341250", "14.549720"
    ),
    "Frankfurt (Oder), written otherwise": at(
        "15230", "Frankfurt an der Oder", "52.341250", "14.549720"
    ),
    "Weil am Rhein, beside Basel": at("79576", "Weil am Rhein", "47.593610", "7.620560"),
    "Kampen (Sylt), a village of about 500": at("25999", "Kampen", "54.956710", "8.332210"),
    "Grub am Forst, spelt Grub a.Forst in the postal data": at(
        "96271", "Grub am Forst", "50.225810", "11.034460"
    ),
    "Grub am Forst written Grub: GeoNames knows only two other Grubs": at(
        "96271", "Grub", "50.225810", "11.034460"
    ),
    "Neustadt: a name of many towns": at("67433", "Neustadt", "54.107100", "10.815900"),
    "Warszawa: GeoNames says Warsaw, the postal code has its own point": at(
        "02-495", "Warszawa", "52.199000", "20.880000", "POL"
    ),
    "an uncovered country (Estonia)": at("10111", "Tallinn", "58.378000", "26.729000", "EST"),
}


@pytest.mark.parametrize("row", CORRECT.values(), ids=CORRECT.keys())
def test_correct_addresses_are_not_flagged(row: dict[str, str]) -> None:
    assert findings(row) == []


PLANTED = {
    "Ludwigsburg address with Erfurt coordinates": (
        at("71638", "Ludwigsburg", "50.978700", "11.032800"),
        [(0, "GEO015", "GeoCoordinates")],
    ),
    "Ludwigsburg moved 60 km north": (
        at("71638", "Ludwigsburg", "49.437300", "9.191600"),
        [(0, "GEO015", "GeoCoordinates")],
    ),
    "Hamburg-Harburg moved 66 km east": (
        at("21073", "Hamburg", "53.460600", "11.030000"),
        [(0, "GEO015", "GeoCoordinates")],
    ),
    "Frankfurt (Oder) moved 55 km west": (
        at("15230", "Frankfurt (Oder)", "52.341200", "13.740000"),
        [(0, "GEO015", "GeoCoordinates")],
    ),
    "Warszawa's postal code at Kraków (the code's own point)": (
        at("00-001", "Warszawa", "50.064700", "19.945000", "POL"),
        [(0, "GEO015", "GeoCoordinates")],
    ),
    "Bruxelles 1000 at Antwerpen, 42 km": (
        at("1000", "Bruxelles", "51.221100", "4.399700", "BEL"),
        [(0, "GEO015", "GeoCoordinates")],
    ),
    "postal code of Erding at Bayreuth": (
        at("85435", "Bayreuth", "49.948100", "11.578300"),
        [(0, "GEO016", "Address.PostalCode")],
    ),
    "city of another town: Erfurt named at Ludwigsburg": (
        at("71638", "Erfurt", "48.897310", "9.191610"),
        [(0, "GEO017", "Address.City")],
    ),
    "integer placeholder at a correct postal code and city": (
        at("47623", "Kevelaer", "51.0", "6.0"),
        # far from Kevelaer too (GEO015) and coarse (GEO011): folded into the placeholder
        [(0, "GEO018", "GeoCoordinates")],
    ),
}


@pytest.mark.parametrize(("row", "expected"), PLANTED.values(), ids=PLANTED.keys())
def test_planted_defects_are_found_on_their_field(
    row: dict[str, str], expected: list[tuple[int, str, str]]
) -> None:
    assert findings(row) == expected


def test_messages_give_the_distance_and_the_place_the_coordinates_point_to() -> None:
    row = {**VALID_CELLS, **at("71638", "Ludwigsburg", "50.978700", "11.032800")}
    (finding,) = validate(frame_of(row), select=["GEO015"]).findings
    assert finding.message == (
        "GeoCoordinates (50.978700, 11.032800) lies 266 km from 71638 Ludwigsburg: "
        "the coordinates point to Erfurt, Thuringia"
    )
    row = {**VALID_CELLS, **at("85435", "Bayreuth", "49.948100", "11.578300")}
    (finding,) = validate(frame_of(row), select=["GEO016"]).findings
    assert "a postal code of Erding" in finding.message
    assert " km from Bayreuth" in finding.message


def test_a_point_shared_by_two_addresses_is_flagged_on_both_not_within_a_pool() -> None:
    harburg = at("21073", "Hamburg", "53.460570", "9.983880")
    elsewhere = {**harburg, "Address.PostalCode": "21149", "Address.Street": "Cuxhavener Str."}
    other = {**elsewhere, "ChargingPoolID": "DE*PCK*P1009", "ChargingStationId": "HAM-X-01"}
    expected = [(0, "GEO019", "GeoCoordinates"), (1, "GEO019", "GeoCoordinates")]
    assert findings(harburg, other) == expected
    assert findings(harburg, elsewhere) == []  # one pool: its EVSEs may share a point


def test_rules_explain_names_the_countries_covered() -> None:
    from poicheck.checks.registry import get_kind

    text = get_kind("near_address").describe({"max_km": 30})
    assert "DE" in placedata.covered()
    assert "AT, AU" in text
    assert f"{len(placedata.covered())} countries" in text


def test_thresholds_are_data_per_country() -> None:
    from poicheck.checks import places
    from poicheck.checks.context import CheckContext
    from poicheck.ruleset.loader import load_ruleset

    frame = frame_of({**VALID_CELLS, **at("71638", "Ludwigsburg", "50.978700", "11.032800")})
    base = {"country": "Address.Country", "max_km": 30}
    for per_country, flagged in (({"DE": 300}, False), ({"AT": 300}, True), ({}, True)):
        layout = CheckContext(frame.columns, load_ruleset())
        params = {**base, "per_country": per_country}
        ok, details = places._coordinates(frame, "GeoCoordinates", params, layout)
        assert bool(~ok[0]) is flagged, per_country
        assert (details["km"][0] if flagged else details["km"]) == ("266" if flagged else "")


def test_the_place_rules_count_in_the_geolocation_factor() -> None:
    from poicheck.results.score import factor_of
    from poicheck.ruleset.loader import load_ruleset

    ruleset = load_ruleset()
    assert {factor_of(rule, ruleset) for rule in PLACE_RULES} == {"geolocation"}
    row = {**VALID_CELLS, **at("71638", "Ludwigsburg", "50.978700", "11.032800")}
    score = validate(frame_of(row), operator_id="DE*PCK").score
    assert score is not None
    assert score.records.loc[0, "geolocation"] == 50  # one warning halves the factor
