"""Is a parsed JSON document OCPI 2.2.1 Locations, and which are its Locations?

Three shapes are read (OCPI 2.2.1 transport_and_format, mod_locations): a response of the
Locations module (`{"data": [Location...], "status_code": 1000, "timestamp": ...}`, or `data`
one Location as a GET of one object returns it), a bare array of Locations, and one Location.
An EVSE or Connector object without its Location is refused: it has no address.
"""

from __future__ import annotations

from typing import Any

from poicheck.errors import InputError
from poicheck.oicp.wire import found_type

FORMAT = "ocpi"  # the Source.format of a table read from OCPI

# Keys only an OCPI Location has at its top level (an OICP EvseDataRecord has Address.City,
# never `city`; its keys start with a capital letter).
LOCATION_KEYS = frozenset(
    {"country_code", "party_id", "publish", "city", "country", "postal_code", "coordinates"}
    | {"time_zone", "parking_type", "opening_times", "energy_mix", "evses"}
)
EVSE_KEYS = frozenset({"uid", "evse_id", "connectors", "capabilities", "physical_reference"})
CONNECTOR_KEYS = frozenset({"standard", "format", "power_type", "max_voltage", "max_amperage"})
RESPONSE_KEYS = frozenset({"status_code", "timestamp", "status_message"})
SUCCESS = range(1000, 2000)  # OCPI status codes 1xxx: success (status_codes.asciidoc)


def is_location(value: Any) -> bool:
    """An object with the keys of an OCPI Location: `evses`, the owning party
    (`country_code` and `party_id`), or five of its other keys."""
    if not isinstance(value, dict) or "EvseID" in value:
        return False
    if "evses" in value or ("country_code" in value and "party_id" in value):
        return True
    return len(LOCATION_KEYS.intersection(value)) >= 5


def is_ocpi(document: Any) -> bool:
    """Whether `document` is OCPI Locations data (or an OCPI object poicheck cannot read on
    its own, which `locations` then refuses with a reason)."""
    if isinstance(document, list):
        first = next((item for item in document if isinstance(item, dict)), None)
        return first is not None and is_location(first)
    if not isinstance(document, dict):
        return False
    if "data" in document and RESPONSE_KEYS.intersection(document):
        return True
    return is_location(document) or _is_part(document)


def _is_part(value: dict[str, Any]) -> bool:
    return len(EVSE_KEYS.intersection(value)) >= 2 or len(CONNECTOR_KEYS.intersection(value)) >= 3


def locations(document: Any, path: str) -> list[tuple[str, Any]]:
    """The Locations of an OCPI document, each with its JSON pointer; InputError for an error
    response or an object that is no Location."""
    if isinstance(document, list):
        return [(f"/{i}", item) for i, item in enumerate(document)]
    if "data" in document and RESPONSE_KEYS.intersection(document):
        return _response(document, path)
    if is_location(document):
        return [("", document)]
    kind = "an EVSE" if len(EVSE_KEYS.intersection(document)) >= 2 else "a Connector"
    raise InputError(
        f"this is {kind} object of OCPI Locations without its Location; an OICP record needs "
        "the Location's address and position: read the Location (GET /locations/{id})",
        location=path,
    )


def _response(document: dict[str, Any], path: str) -> list[tuple[str, Any]]:
    code = document.get("status_code")
    if code is not None and not (type(code) is int and code in SUCCESS):
        message = document.get("status_message")
        said = f": {message}" if isinstance(message, str) and message else ""
        raise InputError(
            f"this OCPI response reports an error (status_code {code}{said}); it holds no "
            "Locations to check",
            location=path,
        )
    data = document["data"]
    if isinstance(data, list):
        return [(f"/data/{i}", item) for i, item in enumerate(data)]
    if is_location(data):
        return [("/data", data)]
    raise InputError(
        f"the OCPI response's data is a JSON {found_type(data)}, not a list of Locations or "
        "one Location",
        location=path,
    )
