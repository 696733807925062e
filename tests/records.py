"""Small, valid data the tests build on: one canonical record and helpers to vary it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from poicheck.oicp.convert import Builder
from poicheck.ruleset.model import RuleSet

VALID_CELLS: dict[str, str] = {
    "EvseID": "DE*PCK*E1001*1",
    "ChargingPoolID": "DE*PCK*P1001",
    "ChargingStationId": "BER-ALX-01",
    "ChargingStationNames.en": "PoiCheck Alexanderplatz",
    "ChargingStationNames.de": "PoiCheck Alexanderplatz",
    "HardwareManufacturer": "ABB",
    "Address.Country": "DEU",
    "Address.City": "Berlin",
    "Address.Street": "Alexanderplatz",
    "Address.PostalCode": "10178",
    "Address.HouseNum": "1",
    "Address.Region": "Berlin",
    "Address.ParkingFacility": "false",
    "Address.TimeZone": "UTC+01:00",
    "GeoCoordinates.Latitude": "52.521918",
    "GeoCoordinates.Longitude": "13.413215",
    "Plugs": "Type 2 Outlet",
    "DynamicPowerLevel": "false",
    "ChargingFacilities.1.PowerType": "AC_3_PHASE",
    "ChargingFacilities.1.Voltage": "230",
    "ChargingFacilities.1.Amperage": "32",
    "ChargingFacilities.1.Power": "22",
    "ChargingFacilities.1.ChargingModes": "Mode_3",
    "RenewableEnergy": "true",
    "EnergySource.1.Energy": "Solar",
    "EnergySource.1.Percentage": "60",
    "EnergySource.2.Energy": "Wind",
    "EnergySource.2.Percentage": "40",
    "CalibrationLawDataAvailability": "Local",
    "AuthenticationModes": "NFC RFID Classic;REMOTE",
    "PaymentOptions": "Contract;Direct",
    "ValueAddedServices": "Reservation",
    "Accessibility": "Free publicly accessible",
    "AccessibilityLocation": "OnStreet",
    "HotlinePhoneNumber": "+493012084567",
    "AdditionalInfo.en": "Two charging points next to the taxi rank.",
    "IsOpen24Hours": "true",
    "HubOperatorID": "DE*PCK",
    "IsHubjectCompatible": "true",
    "DynamicInfoAvailable": "auto",
}


def frame_of(*records: dict[str, Any]) -> pd.DataFrame:
    """A canonical DataFrame (text cells, '' and None as empty) from cell dicts."""
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    rows = [{c: (r.get(c) or None) for c in columns} for r in records]
    return pd.DataFrame(rows, columns=list(columns), dtype="str")


def json_record(ruleset: RuleSet, cells: dict[str, str] | None = None) -> dict[str, Any]:
    return Builder(ruleset).build(cells if cells is not None else VALID_CELLS)


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
