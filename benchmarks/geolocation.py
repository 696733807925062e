"""Recall and false alarms of the geolocation rules on a generated German register (issue 16).

    python benchmarks/geolocation.py                  # 20,000 EVSEs, 105 planted defects
    python benchmarks/geolocation.py --evses 5000 --seed 7

The register is built from the postal-code table poicheck ships with (countrystatecity:
every German postal code and its locality). Each station gets a random postal code, its
locality as the city, and a point in that locality: GeoNames' coordinates of a place of that
name, moved at random within a disc that grows with the locality's number of postal codes (a
village 2.5 km, Köln 8 km, Berlin 15 km: outer districts such as Spandau included), written
with 6 decimals. Stations have one to four EVSEs at one point. Then defects are planted, one
per single-EVSE station, of the kinds issue 16 lists: coordinates of another town, postal
code of another town, city of another town, latitude and longitude swapped, a round
placeholder position (51.0, 6.0, or the town's own rounded to whole degrees), the longitude
off by one degree, and the coordinates of another station at another address.

A defect is *found* when its rule reports it on its field (a finding of its own, or folded
into another one of that record: `related`), *misplaced* when another geolocation rule
reports the record instead, *missed* otherwise. A *false alarm* is a geolocation finding on a
record without a planted defect (the station a shared position was copied from counts as
part of that defect). The coordinates come from GeoNames, as the checker's places do: this
measures the rules and their thresholds (spread of big cities, districts, names written
otherwise), not the gaps of the data, which only a real register shows.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from poicheck import validate  # noqa: E402
from poicheck.checks import geodata, placedata  # noqa: E402
from poicheck.oicp.coordinates import haversine  # noqa: E402
from tests.records import VALID_CELLS  # noqa: E402

OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck"}
GEO_RULES = (
    "GEO008",
    "GEO009",
    "GEO010",
    "GEO011",
    "GEO015",
    "GEO016",
    "GEO017",
    "GEO018",
    "GEO019",
)
# Per kind of defect: the rules that locate it on its field (any of them), and that field.
EXPECTED: dict[str, tuple[tuple[str, ...], str]] = {
    "coordinates of another town": (("GEO015",), "GeoCoordinates"),
    "postal code of another town": (("GEO016",), "Address.PostalCode"),
    "city of another town": (("GEO017",), "Address.City"),
    "latitude and longitude swapped": (("GEO009", "GEO008"), "GeoCoordinates"),
    "round placeholder position": (("GEO018",), "GeoCoordinates"),
    "longitude off by one degree": (("GEO015", "GEO008"), "GeoCoordinates"),
    "coordinates of another station": (("GEO019",), "GeoCoordinates"),
}
FAR_KM = 50  # a planted place is at least this far from the true one
REDRAWN = [0]  # points drawn again because they fell outside Germany


@dataclass(frozen=True)
class Locality:
    postal: str
    city: str
    lat: float
    lon: float
    radius_km: float


@dataclass
class Register:
    rows: list[dict[str, str]]
    planted: dict[int, str]  # row -> kind of defect
    accomplices: set[int]  # rows whose position was copied (part of a defect)
    skipped_codes: int


@dataclass
class Result:
    evses: int
    clean: int
    seconds: float
    found: Counter[str] = field(default_factory=Counter)
    misplaced: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    planted: Counter[str] = field(default_factory=Counter)
    false_alarms: Counter[str] = field(default_factory=Counter)
    false_records: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / max(sum(self.planted.values()), 1)

    @property
    def false_alarm_rate(self) -> float:
        return self.false_records / max(self.clean, 1)


def localities(spread: float = 1.0) -> tuple[list[Locality], int]:
    """Every German postal code with a locality the places know, at that place; the disc of
    its charge points `spread` times the usual."""
    places = placedata.places("DE")
    assert places is not None, "the place data is not installed"
    table = placedata.postal_codes("DE")
    codes_per_name = Counter(name for names in table.values() for name in names)
    out, skipped = [], 0
    for postal, names in sorted(table.items()):
        name = names[0]
        at, whole = places.named(name)
        if not whole or not len(at):
            skipped += 1
            continue
        i = int(at[0])
        radius = spread * (1.5 + math.sqrt(codes_per_name[name]))
        out.append(Locality(postal, name, float(places.lat[i]), float(places.lon[i]), radius))
    return out, skipped


def _point(place: Locality, rng: random.Random) -> tuple[float, float]:
    """A point uniformly within the locality's disc, on German soil: a point of a coastal or
    border town's disc that falls into the sea or abroad is drawn again (REDRAWN counts
    them), since real charge points stand in the country."""
    for _ in range(50):
        distance = place.radius_km * math.sqrt(rng.random())
        angle = rng.random() * 2 * math.pi
        lat = place.lat + distance * math.cos(angle) / 111.2
        lon = place.lon + distance * math.sin(angle) / (111.2 * math.cos(math.radians(place.lat)))
        if "DE" in geodata.countries_at(lat, lon):
            return lat, lon
        REDRAWN[0] += 1
    return place.lat, place.lon


def _km(a: Locality, b: Locality) -> float:
    return (
        float(
            haversine(np.array([a.lat]), np.array([a.lon]), np.array([b.lat]), np.array([b.lon]))[0]
        )
        / 1000
    )


def _far(place: Locality, pool: list[Locality], rng: random.Random) -> Locality:
    while True:
        other = rng.choice(pool)
        if other.city != place.city and _km(place, other) >= FAR_KM:
            return other


def build(evses: int, defects: int, seed: int, spread: float = 1.0) -> Register:
    """The register: stations of 1-4 EVSEs at real postal codes, then the defects."""
    rng = random.Random(seed)
    pool, skipped = localities(spread)
    rows: list[dict[str, str]] = []
    stations: list[tuple[int, int, Locality]] = []  # first row, size, locality
    number = 0
    while len(rows) < evses:
        number += 1
        place = rng.choice(pool)
        size = min(rng.choice((1, 1, 2, 2, 2, 3, 4)), evses - len(rows))
        lat, lon = _point(place, rng)
        stations.append((len(rows), size, place))
        for k in range(1, size + 1):
            rows.append(
                {
                    **VALID_CELLS,
                    "EvseID": f"DE*PCK*E{number}*{k}",
                    "ChargingStationId": f"ST-{number}",
                    "ChargingPoolID": f"DE*PCK*P{number}",
                    "Address.PostalCode": place.postal,
                    "Address.City": place.city,
                    "Address.Street": f"Ladestraße {number}",
                    "Address.HouseNum": str(1 + number % 97),
                    "Address.Region": "",
                    "GeoCoordinates.Latitude": f"{lat:.6f}",
                    "GeoCoordinates.Longitude": f"{lon:.6f}",
                }
            )
    singles = [s for s in stations if s[1] == 1]
    chosen = rng.sample(singles, defects)
    kinds = list(EXPECTED)
    planted: dict[int, str] = {}
    accomplices: set[int] = set()
    for n, (row, _, place) in enumerate(chosen):
        kind = kinds[n % len(kinds)]
        planted[row] = kind
        accomplices |= _plant(rows, row, kind, place, pool, stations, rng)
    return Register(rows, planted, accomplices - set(planted), skipped)


def _plant(
    rows: list[dict[str, str]],
    row: int,
    kind: str,
    place: Locality,
    pool: list[Locality],
    stations: list[tuple[int, int, Locality]],
    rng: random.Random,
) -> set[int]:
    """Plant one defect in `rows[row]`; the rows it involves besides (a copied position)."""
    cells = rows[row]
    lat, lon = cells["GeoCoordinates.Latitude"], cells["GeoCoordinates.Longitude"]
    if kind == "coordinates of another town":
        other = _far(place, pool, rng)
        point = _point(other, rng)
        cells["GeoCoordinates.Latitude"], cells["GeoCoordinates.Longitude"] = (
            f"{v:.6f}" for v in point
        )
    elif kind == "postal code of another town":
        cells["Address.PostalCode"] = _far(place, pool, rng).postal
    elif kind == "city of another town":
        cells["Address.City"] = _far(place, pool, rng).city
    elif kind == "latitude and longitude swapped":
        cells["GeoCoordinates.Latitude"], cells["GeoCoordinates.Longitude"] = lon, lat
    elif kind == "round placeholder position":
        whole = rng.random() < 0.5
        cells["GeoCoordinates.Latitude"] = "51.0" if whole else f"{round(float(lat))}.0"
        cells["GeoCoordinates.Longitude"] = "6.0" if whole else f"{round(float(lon))}.0"
    elif kind == "longitude off by one degree":
        cells["GeoCoordinates.Longitude"] = f"{float(lon) + rng.choice((-1, 1)):.6f}"
    elif kind == "coordinates of another station":
        source_row, _, source = rng.choice(stations)
        while source.postal == place.postal or source.city == place.city:
            source_row, _, source = rng.choice(stations)
        source_cells = rows[source_row]
        for axis in ("Latitude", "Longitude"):
            cells[f"GeoCoordinates.{axis}"] = source_cells[f"GeoCoordinates.{axis}"]
        size = next(s for first, s, _ in stations if first == source_row)
        return set(range(source_row, source_row + size))
    return set()


def measure(
    evses: int = 20_000, defects: int = 105, seed: int = 1, spread: float = 1.0
) -> tuple[Result, Register]:
    """Build the register, validate it, and count recall and false alarms per rule."""
    register = build(evses, defects, seed, spread)
    frame = pd.DataFrame(register.rows, dtype="str")
    started = time.perf_counter()
    report = validate(frame, **OPERATOR)
    seconds = time.perf_counter() - started
    per_record: dict[int, list[tuple[str, str, str]]] = {}
    for finding in report.findings:
        if finding.record is None:
            continue
        items = [(finding.rule, finding.field or "", finding.message)]
        items += [(i["rule"], i["field"] or "", i["message"]) for i in finding.related or []]
        per_record.setdefault(int(finding.record), []).extend(items)
    involved = set(register.planted) | register.accomplices
    result = Result(evses=len(frame), clean=len(frame) - len(involved), seconds=seconds)
    for row, kind in register.planted.items():
        rules, where = EXPECTED[kind]
        found = per_record.get(row, [])
        result.planted[kind] += 1
        if any(r in rules and f == where for r, f, _ in found):
            result.found[kind] += 1
        elif any(r in GEO_RULES for r, _, _ in found):
            result.misplaced[kind] += 1
        else:
            result.missed[kind] += 1
            cells = register.rows[row]
            result.examples.setdefault(kind, []).append(_describe(cells))
    for row, found in per_record.items():
        if row in involved:
            continue
        alarms = {r for r, _, _ in found if r in GEO_RULES}
        result.false_alarms.update(alarms)
        if alarms:
            result.false_records += 1
            for r, _, message in found:
                if r in GEO_RULES:
                    result.examples.setdefault(r, []).append(message)
    return result, register


def _describe(cells: dict[str, str]) -> str:
    return (
        f"{cells['Address.PostalCode']} {cells['Address.City']} at "
        f"({cells['GeoCoordinates.Latitude']}, {cells['GeoCoordinates.Longitude']})"
    )


def render(result: Result, register: Register) -> str:
    lines = [
        f"Generated register: {result.evses:,} EVSEs, {len(register.planted)} planted defects, "
        f"{result.clean:,} clean records ({register.skipped_codes} postal codes left out: "
        f"their locality is no known place; {REDRAWN[0]} points drawn again: in the sea or "
        f"abroad); validate took {result.seconds:.2f} s",
        "",
        f"{'defect':34} {'planted':>7} {'found':>6} {'misplaced':>9} {'missed':>6}",
    ]
    for kind in EXPECTED:
        lines.append(
            f"{kind:34} {result.planted[kind]:7} {result.found[kind]:6} "
            f"{result.misplaced[kind]:9} {result.missed[kind]:6}"
        )
    lines += [
        f"{'recall (found on the right field)':34} {result.recall:>30.1%}",
        "",
        f"{'false alarms on clean records':34} {'records':>7} {'share':>8}",
    ]
    for rule in GEO_RULES:
        count = result.false_alarms[rule]
        lines.append(f"{rule:34} {count:7} {count / max(result.clean, 1):8.3%}")
    lines.append(
        f"{'any geolocation rule':34} {result.false_records:7} {result.false_alarm_rate:8.3%}"
    )
    for key, texts in result.examples.items():
        lines.append(f"  e.g. {key}: {texts[0]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evses", type=int, default=20_000)
    parser.add_argument("--defects", type=int, default=105)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--spread",
        type=float,
        default=1.0,
        help="widen each locality's disc of charge points (2: Berlin 30 km) to probe max_km",
    )
    args = parser.parse_args(argv)
    result, register = measure(args.evses, args.defects, args.seed, args.spread)
    print(render(result, register))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
