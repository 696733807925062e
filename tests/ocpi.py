"""Small OCPI 2.2.1 Locations the OCPI tests build on, and helpers to read and check them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from poicheck import validate
from poicheck.ocpi.convert import Converter
from poicheck.ocpi.detect import locations
from poicheck.results.report import Finding
from poicheck.ruleset.loader import load_ruleset

EXAMPLES = Path(__file__).parent / "ocpi_examples"
RULESET = load_ruleset()
# What OCPI has no field for, as an operator gives it in .poicheck.yaml (ocpi.defaults).
DEFAULTS: dict[str, Any] = {
    "HotlinePhoneNumber": "+3292980000",
    "CalibrationLawDataAvailability": "Local",
    "IsHubjectCompatible": True,
    "DynamicInfoAvailable": "auto",
    "IsOpen24Hours": True,
    "RenewableEnergy": False,
    "AuthenticationModes": ["NFC RFID Classic", "REMOTE"],
    "PaymentOptions": ["Contract"],
    "Accessibility": "Free publicly accessible",
}
CONNECTOR: dict[str, Any] = {
    "id": "1",
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": 230,
    "max_amperage": 32,
    "last_updated": "2024-01-01T00:00:00Z",
}
EVSE: dict[str, Any] = {
    "uid": "3256",
    "evse_id": "DE*PCK*E3256",
    "status": "AVAILABLE",
    "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
    "connectors": [CONNECTOR],
    "last_updated": "2024-01-01T00:00:00Z",
}
LOCATION: dict[str, Any] = {
    "country_code": "DE",
    "party_id": "PCK",
    "id": "LOC1",
    "publish": True,
    "name": "PoiCheck Alexanderplatz",
    "address": "Alexanderplatz 1",
    "city": "Berlin",
    "postal_code": "10178",
    "country": "DEU",
    "coordinates": {"latitude": "52.521918", "longitude": "13.413215"},
    "parking_type": "ON_STREET",
    "evses": [EVSE],
    "operator": {"name": "PoiCheck Demo Hub"},
    "time_zone": "Europe/Berlin",
    "opening_times": {"twentyfourseven": True},
    "energy_mix": {"is_green_energy": True},
    "last_updated": "2024-01-01T00:00:00Z",
}


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def location(evses: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    """A valid Location (every OCPI field OICP needs), changed; `None` removes a field."""
    found = copy.deepcopy(LOCATION)
    if evses is not None:
        found["evses"] = evses
    return _changed(found, changes)


def evse(connectors: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    found = copy.deepcopy(EVSE)
    if connectors is not None:
        found["connectors"] = connectors
    return _changed(found, changes)


def connector(**changes: Any) -> dict[str, Any]:
    return _changed(copy.deepcopy(CONNECTOR), changes)


def _changed(found: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if value is None:
            found.pop(key, None)
        else:
            found[key] = value
    return found


def records(document: Any) -> list[dict[str, Any]]:
    """The EvseDataRecords a document converts to."""
    return Converter(RULESET).convert(locations(document, "<test>")).records


def record(document: Any) -> dict[str, Any]:
    (only,) = records(document)
    return only


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def findings(
    tmp_path: Path, document: Any, defaults: dict[str, Any] | None = None, **options: Any
) -> list[Finding]:
    """The findings of validating `document` as a file, with the operator's defaults."""
    path = write(tmp_path / "locations.json", document)
    given = DEFAULTS if defaults is None else defaults
    return validate(path, ocpi_defaults=given, **options).findings


def resolve(document: Any, pointer: str) -> Any:
    """The node at an RFC 6901 pointer; KeyError / IndexError when there is none."""
    node = document
    for step in pointer.split("/")[1:] if pointer else []:
        step = step.replace("~1", "/").replace("~0", "~")
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node
