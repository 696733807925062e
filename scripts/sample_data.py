"""Build the bundled valid sample of poicheck: 60 OICP 2.3 EvseDataRecords.

The sample describes the charging points of the fictional hub operator
``DE*PCK`` (PoiCheck Demo Hub) in Germany and of five fictional sub-operators
in Austria, France, the Netherlands, Switzerland and Italy, in the flat CSV
layout of an EvseDataRecord (one row per EVSE, dotted column names).

All sites use real streets with their real postal codes; the coordinates were
checked offline with ``reverse_geocoder`` (right country, near the city) and
the hotline numbers with ``phonenumbers`` (valid for the operator's country).
Every row is meant to pass the validator without any error or warning.

Usage::

    python scripts/sample_data.py OUT.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import NamedTuple

# fmt: off
CANONICAL_COLUMNS: list[str] = [
    "EvseID", "ChargingPoolID", "ChargingStationId", "ChargingStationNames.en",
    "ChargingStationNames.de", "ChargingStationNames.fr", "ChargingStationNames.nl",
    "ChargingStationNames.it", "HardwareManufacturer", "ChargingStationImage", "SubOperatorName",
    "Address.Country", "Address.City", "Address.Street", "Address.PostalCode", "Address.HouseNum",
    "Address.Floor", "Address.Region", "Address.ParkingFacility", "Address.ParkingSpot",
    "Address.TimeZone", "GeoCoordinates.Latitude", "GeoCoordinates.Longitude", "Plugs",
    "DynamicPowerLevel", "ChargingFacilities.1.PowerType", "ChargingFacilities.1.Voltage",
    "ChargingFacilities.1.Amperage", "ChargingFacilities.1.Power",
    "ChargingFacilities.1.ChargingModes", "ChargingFacilities.2.PowerType",
    "ChargingFacilities.2.Voltage", "ChargingFacilities.2.Amperage", "ChargingFacilities.2.Power",
    "ChargingFacilities.2.ChargingModes", "RenewableEnergy", "EnergySource.1.Energy",
    "EnergySource.1.Percentage", "EnergySource.2.Energy", "EnergySource.2.Percentage",
    "EnvironmentalImpact.CO2Emission", "EnvironmentalImpact.NuclearWaste",
    "CalibrationLawDataAvailability", "AuthenticationModes", "MaxCapacity", "PaymentOptions",
    "ValueAddedServices", "Accessibility", "AccessibilityLocation", "HotlinePhoneNumber",
    "AdditionalInfo.en", "AdditionalInfo.de", "AdditionalInfo.fr", "AdditionalInfo.nl",
    "AdditionalInfo.it", "ChargingStationLocationReference.en",
    "ChargingStationLocationReference.de", "GeoChargingPointEntrance.Latitude",
    "GeoChargingPointEntrance.Longitude", "IsOpen24Hours", "OpeningTimes", "HubOperatorID",
    "ClearinghouseID", "IsHubjectCompatible", "DynamicInfoAvailable",
]
# fmt: on

OPERATOR_ID = "DE*PCK"
OPERATOR_NAME = "PoiCheck Demo Hub"
TIME_ZONE = "UTC+01:00"  # standard-time offset of all six countries


class Operator(NamedTuple):
    """Operator of the EVSEs of one country (the hub itself for DEU)."""

    operator_id: str
    sub_operator_name: str  # empty for the hub's own stations
    hotline: str
    lang: str  # local language of the station names and texts
    calibration: str
    dynamic_info: str
    clearinghouse: str


OPERATORS: dict[str, Operator] = {
    "DEU": Operator("DE*PCK", "", "+493012084567", "de", "Local", "true", ""),
    "AUT": Operator("AT*VLT", "Voltana Ladenetz GmbH", "+43158901234", "de", "Local", "true", ""),
    "FRA": Operator(
        "FR*ELC", "Borne Éclair SAS", "+33142685300", "fr", "External", "true", "GIREVE"
    ),
    "NLD": Operator(
        "NL*GRN", "GroenLaad Netwerk B.V.", "+31203058800", "nl", "External", "auto", ""
    ),
    "CHE": Operator("CH*ALP", "Alpstrom Mobility AG", "+41445208800", "de", "Local", "true", ""),
    "ITA": Operator(
        "IT*COR", "Corrente Rapida S.r.l.", "+390287651200", "it", "External", "auto", ""
    ),
}

# EVSE types: plugs and charging facilities (PowerType, Voltage, Amperage,
# Power in kW, ChargingModes). DC facilities give the power only, because the
# OICP field lengths (Voltage 3 digits, Amperage 2 digits) cannot hold them.
Facility = tuple[str, str, str, str, str]
CCS = "CCS Combo 2 Plug (Cable Attached)"
EVSE_TYPES: dict[str, tuple[str, tuple[Facility, ...]]] = {
    "AC7": ("Type 2 Outlet", (("AC_1_PHASE", "230", "32", "7", "Mode_3"),)),
    "AC11": ("Type 2 Outlet", (("AC_3_PHASE", "230", "16", "11", "Mode_3"),)),
    "AC22": ("Type 2 Outlet", (("AC_3_PHASE", "230", "32", "22", "Mode_3"),)),
    "DC150": (CCS, (("DC", "", "", "150", "Mode_4"),)),
    "DC300": (CCS, (("DC", "", "", "300", "Mode_4"),)),
    "DC150C": (
        f"{CCS};CHAdeMO",
        (("DC", "", "", "150", "Mode_4"), ("DC", "", "", "50", "Mode_4;CHAdeMO")),
    ),
}

# Energy mixes: RenewableEnergy, EnergySource pairs, CO2 and nuclear waste g/kWh.
ENERGY: dict[str, tuple[str, tuple[tuple[str, str], ...], str, str]] = {
    "solar_wind": ("true", (("Solar", "60"), ("Wind", "40")), "0", "0"),
    "hydro": ("true", (("HydroPower", "80"), ("Solar", "20")), "0", "0"),
    "wind": ("true", (("Wind", "70"), ("Solar", "30")), "0", "0"),
    "nuclear": ("false", (("NuclearEnergy", "70"), ("HydroPower", "30")), "32.5", "0.002"),
    "gas": ("false", (("NaturalGas", "55"), ("Solar", "45")), "210.5", ""),
    "grid": ("false", (("NaturalGas", "45"), ("Wind", "55")), "180.0", "0"),
}

GARAGES = ("ParkingGarage", "UndergroundParkingGarage")

# Default AdditionalInfo by location (English first, then the local language), used where a
# site has no text of its own, so that every station tells drivers something.
DEFAULT_INFO: dict[str, dict[str, str]] = {
    "OnStreet": {
        "en": "On-street charging bays, open to all drivers around the clock.",
        "de": "Ladeplätze am Straßenrand, für alle Fahrer rund um die Uhr offen.",
        "fr": "Places de recharge en voirie, ouvertes à tous les conducteurs.",
        "nl": "Laadplekken langs de straat, voor alle bestuurders toegankelijk.",
        "it": "Stalli di ricarica su strada, aperti a tutti i conducenti.",
    },
    "ParkingLot": {
        "en": "Charging bays in the car park next to the entrance.",
        "de": "Ladeplätze auf dem Parkplatz neben der Einfahrt.",
        "fr": "Places de recharge sur le parking, près de l'entrée.",
        "nl": "Laadplekken op het parkeerterrein bij de ingang.",
        "it": "Stalli di ricarica nel parcheggio vicino all'ingresso.",
    },
    "garage": {
        "en": "Charging bays inside the car park; parking fees apply.",
        "de": "Ladeplätze im Parkhaus; es gelten die Parkgebühren.",
        "fr": "Places de recharge dans le parking couvert; stationnement payant.",
        "nl": "Laadplekken in de parkeergarage; parkeertarief van toepassing.",
        "it": "Stalli di ricarica nel parcheggio coperto; sosta a pagamento.",
    },
}


class Site(NamedTuple):
    """One charging station (= one pool site) and its EVSEs."""

    code: str  # ChargingStationId
    num: int  # station number used in EvseID and ChargingPoolID
    country: str
    city: str
    street: str
    house: str
    postal: str
    region: str
    lat: float
    lon: float
    names: tuple[str, str]  # (en, local language)
    evses: tuple[str, ...]  # keys of EVSE_TYPES, one per connector number
    hardware: str
    location: str  # AccessibilityLocation
    energy: str  # key of ENERGY
    hours: str = ""  # OpeningTimes; empty means open 24 hours
    floor: str = ""
    entrance: tuple[float, float] | None = None
    lang: str = ""  # overrides the operator's language (Switzerland)
    info: tuple[str, str] | None = None  # AdditionalInfo (en, local)
    locref: tuple[str, str] | None = None  # location reference (en, de)
    pool: bool = True
    direct: bool = True  # Direct payment offered
    extra_services: tuple[str, ...] = ()
    max_capacity: str = ""


# fmt: off
SITES: list[Site] = [
    Site("BER-ALX-01", 1001, "DEU", "Berlin", "Grunerstraße", "20", "10179", "Berlin",
         52.519700, 13.415100,
         ("PoiCheck Alexa Shopping Centre", "PoiCheck Einkaufszentrum Alexa"),
         ("AC22", "AC22", "AC22"), "Mennekes", "UndergroundParkingGarage", "solar_wind",
         "Workdays 07:00-23:00; Saturday 07:00-23:00", floor="-1",
         entrance=(52.519200, 13.416700),
         info=("Parking fee applies, no maximum parking time while charging.",
               "Parkgebühr fällt an, beim Laden gilt keine Höchstparkdauer."),
         locref=("Level -1, next to the lifts at entrance C.",
                 "Ebene -1, neben den Aufzügen am Eingang C.")),
    Site("BER-PDP-01", 1002, "DEU", "Berlin", "Linkstraße", "4", "10785", "Berlin",
         52.507600, 13.373100, ("PoiCheck Potsdamer Platz", "PoiCheck Potsdamer Platz"),
         ("DC150C", "DC150"), "Alpitronic", "OnStreet", "solar_wind",
         extra_services=("PredictiveChargePointUsage",)),
    Site("HAM-HFC-01", 1003, "DEU", "Hamburg", "Überseeboulevard", "5", "20457", "Hamburg",
         53.542000, 9.998800, ("PoiCheck HafenCity", "PoiCheck HafenCity"),
         ("AC22", "AC22"), "Compleo", "OnStreet", "solar_wind", direct=False,
         info=("Two-hour charging limit from 8 am to 8 pm.",
               "Ladezeit von 8 bis 20 Uhr auf zwei Stunden begrenzt.")),
    Site("MUC-SWB-01", 1004, "DEU", "München", "Leopoldstraße", "82", "80802", "Bayern",
         48.161800, 11.585900,
         ("PoiCheck Schwabing Leopold Street", "PoiCheck Schwabing Leopoldstraße"),
         ("AC11", "AC11"), "Siemens", "OnStreet", "grid", pool=False, direct=False),
    Site("CGN-DTZ-01", 1005, "DEU", "Köln", "Ottoplatz", "1", "50679", "Nordrhein-Westfalen",
         50.940900, 6.974100, ("PoiCheck Cologne Deutz", "PoiCheck Köln Deutz"),
         ("DC300", "DC300", "DC300", "AC22"), "Kempower", "ParkingLot", "solar_wind",
         extra_services=("ParkingSensors",),
         info=("Charging hub at Köln Messe/Deutz station, café nearby.",
               "Ladepark am Bahnhof Köln Messe/Deutz, Café in der Nähe.")),
    Site("FFM-OST-01", 1006, "DEU", "Frankfurt am Main", "Hanauer Landstraße", "134", "60314",
         "Hessen", 50.113100, 8.706400, ("PoiCheck Frankfurt East", "PoiCheck Frankfurt Ost"),
         ("DC300", "DC300"), "ADS-TEC Energy", "ParkingLot", "solar_wind", max_capacity="140",
         info=("Battery-buffered fast charger, 140 kWh storage.",
               "Batteriegepufferter Schnelllader mit 140 kWh Speicher.")),
    Site("DRS-ALT-01", 1007, "DEU", "Dresden", "Webergasse", "1", "01067", "Sachsen",
         51.048100, 13.735300, ("PoiCheck Altmarkt-Galerie", "PoiCheck Altmarkt-Galerie"),
         ("AC22", "AC22", "AC22"), "Wallbox", "UndergroundParkingGarage", "solar_wind",
         "Workdays 06:30-23:00; Saturday 07:00-23:00", floor="-2",
         entrance=(51.049000, 13.733500),
         locref=("Level -2, bays EV01 to EV03 opposite the pay station.",
                 "Ebene -2, Stellplätze EV01 bis EV03 gegenüber dem Kassenautomat.")),
    Site("STR-MBM-01", 1008, "DEU", "Stuttgart", "Mercedesstraße", "100", "70372",
         "Baden-Württemberg", 48.788100, 9.233900,
         ("PoiCheck Mercedes-Benz Museum", "PoiCheck Mercedes-Benz Museum"),
         ("DC150", "DC150", "AC11", "AC11"), "ABB", "ParkingLot", "solar_wind"),
    Site("VIE-WMT-01", 2001, "AUT", "Wien", "Landstraßer Hauptstraße", "1b", "1030", "Wien",
         48.206500, 16.384800, ("Voltana Vienna Mitte Mall", "Voltana Wien Mitte The Mall"),
         ("AC22", "AC22", "AC22"), "KEBA", "UndergroundParkingGarage", "hydro",
         "Workdays 07:00-22:00; Saturday 08:00-20:00", floor="-2",
         entrance=(48.207200, 16.385600),
         info=("Free charging for the first hour with a shopping receipt.",
               "Erste Ladestunde mit Einkaufsbeleg kostenlos."),
         locref=("Level -2, next to the lifts to the mall and the station.",
                 "Ebene -2, neben den Aufzügen zum Einkaufszentrum und zum Bahnhof.")),
    Site("GRZ-CTP-01", 2002, "AUT", "Graz", "Lazarettgürtel", "55", "8020", "Steiermark",
         47.059200, 15.427500, ("Voltana Citypark Graz", "Voltana Citypark Graz"),
         ("AC11", "AC11"), "KEBA", "ParkingGarage", "hydro",
         "Workdays 08:00-20:00; Saturday 08:00-18:00", floor="1",
         entrance=(47.060000, 15.426800), direct=False),
    Site("SZG-HBF-01", 2003, "AUT", "Salzburg", "Südtiroler Platz", "1", "5020", "Salzburg",
         47.812900, 13.045600,
         ("Voltana Salzburg Central Station", "Voltana Salzburg Hauptbahnhof"),
         ("DC150C", "DC150", "DC150"), "Kempower", "ParkingLot", "hydro",
         info=("Fast charging next to the station's short-stay car park.",
               "Schnellladen neben dem Kurzparkbereich des Bahnhofs.")),
    Site("PAR-GDL-01", 3001, "FRA", "Paris", "Rue de Lyon", "51", "75012", "Île-de-France",
         48.848900, 2.371800,
         ("Borne Éclair Paris Gare de Lyon", "Borne Éclair Paris Gare de Lyon"),
         ("AC22", "AC22", "AC22"), "Schneider Electric", "OnStreet", "nuclear", direct=False,
         info=("On-street charging bays, parking free while charging.",
               "Places de recharge sur voirie, stationnement gratuit pendant la charge.")),
    Site("LYS-PTD-01", 3002, "FRA", "Lyon", "Boulevard Marius Vivier Merle", "17", "69003",
         "Auvergne-Rhône-Alpes", 45.761000, 4.858200,
         ("Borne Éclair Lyon Part-Dieu", "Borne Éclair Lyon Part-Dieu"),
         ("DC150", "DC150", "AC22", "AC22"), "ABB", "ParkingGarage", "nuclear",
         "Workdays 06:00-23:00; Weekend 08:00-21:00", floor="3",
         entrance=(45.761700, 4.857700)),
    Site("SXB-GAR-01", 3003, "FRA", "Strasbourg", "Place de la Gare", "1", "67000", "Grand Est",
         48.584500, 7.734900,
         ("Borne Éclair Strasbourg Station", "Borne Éclair Gare de Strasbourg"),
         ("DC150C", "DC300"), "ABB", "ParkingLot", "solar_wind",
         info=("Maximum stay 45 minutes, idle fees after charging.",
               "Durée maximale 45 minutes, frais d'occupation après la charge.")),
    Site("AMS-RAI-01", 4001, "NLD", "Amsterdam", "Europaplein", "24", "1078 GZ",
         "Noord-Holland", 52.341200, 4.889600,
         ("GroenLaad RAI Amsterdam", "GroenLaad RAI Amsterdam"),
         ("AC22", "AC22", "AC22"), "Alfen", "ParkingLot", "wind",
         info=("Parking fees of the RAI car park apply during events.",
               "Tijdens evenementen gelden de parkeertarieven van de RAI.")),
    Site("UTR-JBS-01", 4002, "NLD", "Utrecht", "Jaarbeursplein", "6", "3521 AL", "Utrecht",
         52.088300, 5.106800, ("GroenLaad Jaarbeurs Utrecht", "GroenLaad Jaarbeurs Utrecht"),
         ("DC300", "DC300"), "Kempower", "ParkingLot", "wind"),
    Site("RTM-CS-01", 4003, "NLD", "Rotterdam", "Stationsplein", "1", "3013 AJ",
         "Zuid-Holland", 51.924600, 4.469000,
         ("GroenLaad Rotterdam Central", "GroenLaad Rotterdam Centraal"),
         ("AC11", "AC11"), "EVBox", "OnStreet", "wind", direct=False),
    Site("ZRH-SHC-01", 5001, "CHE", "Zürich", "Kalanderplatz", "1", "8045", "Zürich",
         47.359100, 8.523500, ("Alpstrom Sihlcity", "Alpstrom Sihlcity"),
         ("DC150", "DC150", "AC22", "AC22"), "ABB", "UndergroundParkingGarage", "hydro",
         "Workdays 07:00-22:00; Weekend 08:00-20:00", floor="-2",
         entrance=(47.359800, 8.524100),
         info=("Charging bays are reserved for electric vehicles while charging.",
               "Ladeplätze sind nur während des Ladens für Elektrofahrzeuge reserviert."),
         locref=("Level -2, sector blue, close to the cinema lifts.",
                 "Ebene -2, Sektor Blau, nahe den Kinoaufzügen.")),
    Site("GVA-LSN-01", 5002, "CHE", "Genève", "Rue de Lausanne", "45", "1201", "Genève",
         46.213900, 6.145300,
         ("Alpstrom Geneva Rue de Lausanne", "Alpstrom Genève Rue de Lausanne"),
         ("AC11", "AC11"), "ABB", "OnStreet", "hydro", lang="fr", pool=False, direct=False),
    Site("BRN-WKD-01", 5003, "CHE", "Bern", "Papiermühlestrasse", "71", "3014", "Bern",
         46.963400, 7.465000, ("Alpstrom Wankdorf Bern", "Alpstrom Wankdorf Bern"),
         ("DC150", "DC150"), "Alpitronic", "ParkingGarage", "hydro",
         "Workdays 07:00-22:00; Saturday 07:00-20:00; Sunday 09:00-18:00", floor="0",
         entrance=(46.964100, 7.464000),
         info=("Covered fast chargers at the main entrance of the car park.",
               "Überdachte Schnelllader an der Haupteinfahrt des Parkhauses.")),
    Site("MIL-PIS-01", 6001, "ITA", "Milano", "Via Vittor Pisani", "12", "20124", "Lombardia",
         45.481400, 9.200300,
         ("Corrente Rapida Milan Central", "Corrente Rapida Milano Centrale"),
         ("AC7", "AC7"), "Scame", "OnStreet", "gas", pool=False, direct=False),
    Site("ROM-TER-01", 6002, "ITA", "Roma", "Via Marsala", "29", "00185", "Lazio",
         41.902500, 12.502000, ("Corrente Rapida Rome Termini", "Corrente Rapida Roma Termini"),
         ("DC150C", "DC150"), "Alpitronic", "OnStreet", "gas",
         info=("Fast charging beside Roma Termini station.",
               "Ricarica veloce accanto alla stazione Roma Termini.")),
    Site("TRN-PVV-01", 6003, "ITA", "Torino", "Piazza Vittorio Veneto", "1", "10124",
         "Piemonte", 45.065000, 7.695500,
         ("Corrente Rapida Piazza Vittorio", "Corrente Rapida Piazza Vittorio Veneto"),
         ("AC22", "AC22"), "Scame", "UndergroundParkingGarage", "solar_wind",
         "Everyday 07:00-23:00", floor="-1", entrance=(45.065500, 7.694600)),
]
# fmt: on


def _services(site: Site, dc: bool) -> str:
    """ValueAddedServices of one EVSE; ``None`` only when nothing applies."""
    services: list[str] = []
    if site.location != "OnStreet":
        services.append("Reservation")
    if dc:
        services += ["DynamicPricing", "MaximumPowerCharging", "ChargingPlans"]
    services += site.extra_services
    if site.location in GARAGES:
        services.append("RoofProvided")
    return ";".join(services) or "None"


def _auth_modes(site: Site, dc: bool) -> str:
    """AuthenticationModes of one EVSE, consistent with its payment options."""
    modes = ["NFC RFID Classic", "NFC RFID DESFire", *(["PnC"] if dc else []), "REMOTE"]
    return ";".join(modes + (["Direct Payment"] if site.direct else []))


def _site_rows(site: Site) -> list[dict[str, str]]:
    """All rows (one per EVSE) of one charging station."""
    op = OPERATORS[site.country]
    lang = site.lang or op.lang
    renewable, sources, co2, nuclear = ENERGY[site.energy]
    paid = site.location in GARAGES  # garages charge a parking fee
    access = "Paying publicly accessible" if paid else "Free publicly accessible"
    prefix = op.operator_id
    rows: list[dict[str, str]] = []
    for connector, evse_type in enumerate(site.evses, start=1):
        plugs, facilities = EVSE_TYPES[evse_type]
        dc = facilities[0][0] == "DC"
        row = dict.fromkeys(CANONICAL_COLUMNS, "")
        row.update(
            {
                "EvseID": f"{prefix}*E{site.num}*{connector}",
                "ChargingPoolID": f"{prefix}*P{site.num}" if site.pool else "",
                "ChargingStationId": site.code,
                "ChargingStationNames.en": site.names[0],
                f"ChargingStationNames.{lang}": site.names[1],
                "HardwareManufacturer": site.hardware,
                "SubOperatorName": op.sub_operator_name,
                "Address.Country": site.country,
                "Address.City": site.city,
                "Address.Street": site.street,
                "Address.PostalCode": site.postal,
                "Address.HouseNum": site.house,
                "Address.Floor": site.floor,
                "Address.Region": site.region,
                "Address.ParkingFacility": str(site.location != "OnStreet").lower(),
                "Address.ParkingSpot": "" if site.location == "OnStreet" else f"EV{connector:02d}",
                "Address.TimeZone": TIME_ZONE,
                "GeoCoordinates.Latitude": f"{site.lat:.6f}",
                "GeoCoordinates.Longitude": f"{site.lon:.6f}",
                "Plugs": plugs,
                "DynamicPowerLevel": str(dc).lower(),
                "RenewableEnergy": renewable,
                "EnvironmentalImpact.CO2Emission": co2,
                "EnvironmentalImpact.NuclearWaste": nuclear,
                "CalibrationLawDataAvailability": op.calibration,
                "AuthenticationModes": _auth_modes(site, dc),
                "MaxCapacity": site.max_capacity if dc else "",
                "PaymentOptions": "Contract;Direct" if site.direct else "Contract",
                "ValueAddedServices": _services(site, dc),
                "Accessibility": access,
                "AccessibilityLocation": site.location,
                "HotlinePhoneNumber": op.hotline,
                "IsOpen24Hours": str(not site.hours).lower(),
                "OpeningTimes": site.hours,
                "HubOperatorID": OPERATOR_ID,
                "ClearinghouseID": op.clearinghouse,
                "IsHubjectCompatible": "true",
                "DynamicInfoAvailable": op.dynamic_info,
            }
        )
        for index, (power_type, volt, amp, power, modes) in enumerate(facilities, start=1):
            key = f"ChargingFacilities.{index}"
            row[f"{key}.PowerType"] = power_type
            row[f"{key}.Voltage"] = volt
            row[f"{key}.Amperage"] = amp
            row[f"{key}.Power"] = power
            row[f"{key}.ChargingModes"] = modes
        for index, (energy, percentage) in enumerate(sources, start=1):
            row[f"EnergySource.{index}.Energy"] = energy
            row[f"EnergySource.{index}.Percentage"] = percentage
        row["ChargingStationImage"] = f"https://images.example.com/stations/{site.code}.jpg"
        default = DEFAULT_INFO["garage" if paid else site.location]
        info = site.info or (default["en"], default[lang])
        row["AdditionalInfo.en"] = info[0]
        row[f"AdditionalInfo.{lang}"] = info[1]
        if site.locref:
            row["ChargingStationLocationReference.en"] = site.locref[0]
            row["ChargingStationLocationReference.de"] = site.locref[1]
        else:
            bay = f"bay EV{connector:02d}" if site.location != "OnStreet" else "the green bays"
            row["ChargingStationLocationReference.en"] = f"{site.street} {site.house}, {bay}."
        if site.entrance:
            row["GeoChargingPointEntrance.Latitude"] = f"{site.entrance[0]:.6f}"
            row["GeoChargingPointEntrance.Longitude"] = f"{site.entrance[1]:.6f}"
        rows.append(row)
    return rows


def valid_rows() -> list[dict[str, str]]:
    """Return the 60 sample EVSE rows; every value a str, "" for empty cells."""
    return [row for site in SITES for row in _site_rows(site)]


def write_csv(path: Path) -> None:
    """Write the sample rows with a header row as UTF-8 CSV to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=CANONICAL_COLUMNS,
            quoting=csv.QUOTE_MINIMAL,
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(valid_rows())


def main(argv: list[str]) -> int:
    """Command-line entry point: ``sample_data.py OUT.csv``."""
    if len(argv) != 2:
        print("usage: python scripts/sample_data.py OUT.csv", file=sys.stderr)
        return 2
    write_csv(Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
