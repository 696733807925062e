"""Workbooks in the layout of the German federal charging-point register of 2019 (as
../shared/examples/bnetza-layout-2019.xlsx), generated at any size with invented stations: title
rows, a row naming the groups, the German header, one row per station with one to four charge
points; some cells as the real register has them (no house number, a postal code that lost its
leading zero, a power of 3.7 kW, coordinates with 13 decimals, a plug poicheck's mapping does
not know)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook

HEADER = [
    "Betreiber",
    "Adresse",
    "Postleitzahl Ort",
    "Bundesland",
    "Längengrad [DG]",
    "Breitengrad [DG]",
    "Inbetriebnahmedatum",
    "Anschlussleistung [kW]",
    "Art der Ladeeinrichtung",
    "Anzahl Ladepunkte",
    *(h for n in range(1, 5) for h in (f"Steckertypen{n}", f"P{n} [kW]", f"Public Key{n}")),
]
PLUGS = [
    ("AC Steckdose Typ 2", 22),
    ("AC Steckdose Typ 2", 11),
    ("AC Steckdose Typ 2, AC Schuko", 22),
    ("AC Kupplung Typ 2", 43),
    ("DC Kupplung Combo", 150),
    ("DC Kupplung Combo, DC CHAdeMO", 50),
    ("AC Schuko", 3.7),
    ("AC CEE 5 polig", 22),
    ("AC CEE 3 polig", 7.4),
]
PLACES = [
    ("89537", "Giengen an der Brenz", "Baden-Württemberg", 10.24, 48.62),
    ("34117", "Kassel", "Hessen", 9.49, 51.31),
    ("01067", "Dresden", "Sachsen", 13.73, 51.05),
    ("24103", "Kiel", "Schleswig-Holstein", 10.14, 54.32),
    ("87561", "Oberstdorf", "Bayern", 10.28, 47.41),
    ("10178", "Berlin", "Berlin", 13.41, 52.52),
]
STREETS = ["Laiblinger Weg", "Am Markt", "Hauptstraße", "Bahnhofstr.", "Industriestraße"]


def station(number: int, rng: random.Random) -> list[object]:
    """One register row: the station's columns and one to four charge points."""
    code, city, state, lon, lat = rng.choice(PLACES)
    street = rng.choice(STREETS)
    address = "Kirchplatz" if number % 97 == 0 else f"{street} {rng.randint(1, 120)}"
    if code.startswith("0") and number % 13 == 0:
        code = code.lstrip("0")  # as the register has some eastern German codes
    points = rng.choice([1, 2, 2, 2, 3, 4])
    cells: list[object] = [
        f"Betreiber {number % 400:03d} GmbH",
        address,
        f"{code} {city}",
        state,
        lon + rng.random() / 10 if number % 50 else lon + 0.0561234999999,
        lat + rng.random() / 10,
        dt.datetime(2014, 1, 1) + dt.timedelta(days=number % 2000),
        0,
        "Normalladeeinrichtung",
        points,
    ]
    total = 0.0
    for n in range(4):
        if n < points:
            plug, power = rng.choice(PLUGS)
            plug = "DC Tesla" if number % 211 == 0 else plug
            cells += [plug, power, None]
            total += power
        else:
            cells += [None, None, None]
    cells[7] = total
    return cells


def write_register(path: Path, stations: int, *, seed: int = 2019) -> Path:
    """A register workbook of `stations` rows (header in row 6, data from row 7)."""
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tabelle1")
    sheet.append(["Ladesäulenregister (generierte Daten)"])
    sheet.append([])
    sheet.append(["Stand: 19.07.2019"])
    sheet.append([])
    groups: list[object] = ["Allgemeine Informationen", *[None] * 9]
    for n in range(1, 5):
        groups += [f"{n}. Ladepunkt", None, None]
    sheet.append(groups)
    sheet.append(HEADER)
    for number in range(stations):
        sheet.append(station(number, rng))
    book.save(path)
    return path
