"""OCPI 2.2.1 Locations -> OICP 2.3 EvseDataRecords: one record per EVSE (docs/ocpi.md).

The parts of a Location that all its EVSEs share (address, name, opening times, energy
mix...) are converted once per Location; each EVSE adds its own (EvseID, connectors,
capabilities, position, directions). What a Location's parts report is reported at every
record of the Location, as the OICP rules report a wrong address at every EVSE. A REMOVED
EVSE, or a Location without EVSEs, gives no record and a finding placed at none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from poicheck.ocpi import parts, values
from poicheck.ocpi.locate import Places, Where
from poicheck.ocpi.mapping import Mapping, load_mapping
from poicheck.ocpi.values import Sink, child
from poicheck.oicp.wire import text_of
from poicheck.ruleset.model import RuleSet
from poicheck.ruleset.reader_ids import (
    OCPI_EVSE_REMOVED,
    OCPI_EVSE_WITHOUT_EVSE_ID,
    OCPI_LOCATION_NOT_PUBLISHED,
    OCPI_LOCATION_WITHOUT_EVSES,
    OCPI_TIME_ZONE_UNKNOWN,
)
from poicheck.table import RawFinding

GARAGES = ("PARKING_GARAGE", "UNDERGROUND_GARAGE")  # where the Location may be the entrance
LISTS = ("AuthenticationModes", "PaymentOptions", "ValueAddedServices")


@dataclass
class Converted:
    """The records of a document, the findings about it, where each record came from, and the
    push envelope its Locations agree on."""

    records: list[dict[str, Any]]
    findings: list[RawFinding]
    places: Places
    envelope: dict[str, str | None] | None


@dataclass
class Site:
    """What every EVSE of one Location shares, and the Location's findings."""

    at: str
    record: dict[str, Any]
    sink: Sink
    coordinates: dict[str, Any] | None = None
    directions: list[dict[str, Any]] = field(default_factory=list)
    images: list[tuple[Any, Any, str]] = field(default_factory=list)
    parking: dict[str, Any] = field(default_factory=dict)
    parking_type: str | None = None
    published: Any = True
    sources: list[str] = field(default_factory=list)


class Converter:
    """Converts the Locations of one document."""

    def __init__(self, ruleset: RuleSet, mapping: Mapping | None = None) -> None:
        self.mapping = mapping or load_mapping()
        # The voltages between phases and what they mean line to neutral, as the power
        # formula rule (PWR015) declares them: one table for the check and the conversion.
        formula = [r for r in ruleset.rules.values() if r.kind == "power_formula"]
        table = (formula[0].params.get("line_to_neutral") if formula else None) or {}
        plug_type = ruleset.types.get("PlugType")
        self.connectors = parts.Connectors(
            self.mapping,
            frozenset(plug_type.enum or ()) if plug_type else frozenset(),
            {int(k): int(v) for k, v in table.items()},
        )
        self._services_seen: dict[tuple[Any, ...], dict[str, Any]] = {}

    def convert(self, locations: list[tuple[str, Any]]) -> Converted:
        records: list[dict[str, Any]] = []
        found: list[RawFinding] = []
        places = Places(self.mapping)
        loose = Sink()  # findings about what gives no record
        for at, location in locations:
            if not isinstance(location, dict):
                loose.malformed("*", at, "a Location", location, "an object")
                continue
            site = self._site(at, location)
            first = len(records)
            evses = values.objects(loose, location, "evses", at, "*")
            for i, evse in enumerate(evses):
                here = child(child(at, "evses"), i)
                if not isinstance(evse, dict):
                    loose.malformed("*", here, "an EVSE", evse, "an object")
                elif evse.get("status") == "REMOVED":
                    name = evse.get("evse_id") or evse.get("uid")
                    loose.add(OCPI_EVSE_REMOVED, "*", here, name)
                else:
                    own = Sink()
                    record, where = self._evse(site, here, evse, own)
                    records.append(record)
                    places.add(where)
                    found.extend(replace(f, record=len(records) - 1) for f in own.found)
            if not evses:
                loose.add(OCPI_LOCATION_WITHOUT_EVSES, "*", at, location.get("id"))
            for record_index in range(first, len(records)):
                found.extend(replace(f, record=record_index) for f in site.sink.found)
        envelope, pointers = _envelope(locations)
        places.envelope = pointers
        return Converted(records, [*loose.found, *found], places, envelope)

    def _site(self, at: str, location: dict[str, Any]) -> Site:
        """The parts of the record every EVSE of the Location shares."""
        mapping, sink = self.mapping, Sink()
        site = Site(at, {}, sink)
        record = site.record
        _put(
            record, "ChargingStationId", values.text(sink, location, "id", at, "ChargingStationId")
        )
        name = values.text(sink, location, "name", at, "ChargingStationNames")
        if name is not None:
            record["ChargingStationNames"] = [{"lang": mapping.name_language, "value": name}]
        record["Address"] = self._address(sink, location, at, site)
        suboperator = values.mapping(sink, location, "suboperator", at, "SubOperatorName")
        sub_at = child(at, "suboperator")
        _put(
            record,
            "SubOperatorName",
            values.text(sink, suboperator, "name", sub_at, "SubOperatorName"),
        )
        _put(record, "AccessibilityLocation", site.parking.get("AccessibilityLocation"))
        hours = parts.hours(
            mapping, sink, location.get("opening_times"), child(at, "opening_times")
        )
        _put(record, "IsOpen24Hours", hours.open24)
        _put(record, "OpeningTimes", hours.opening or None)
        mix = values.mapping(sink, location, "energy_mix", at, "RenewableEnergy")
        record.update(parts.energy(mapping, sink, mix, child(at, "energy_mix")))
        site.sources = record.pop("_sources", [])
        site.coordinates = _geo(sink, location, at, "GeoCoordinates")
        directions = values.objects(
            sink, location, "directions", at, "ChargingStationLocationReference"
        )
        site.directions = parts.infotexts(
            sink, directions, child(at, "directions"), "ChargingStationLocationReference"
        )
        site.images = _images(sink, location, at)
        site.published = values.boolean(sink, location, "publish", at, "Accessibility")
        if site.published is False:
            sink.add(
                OCPI_LOCATION_NOT_PUBLISHED,
                "Accessibility",
                child(at, "publish"),
                location.get("id"),
            )
        return site

    def _address(self, sink: Sink, location: dict[str, Any], at: str, site: Site) -> dict[str, Any]:
        street, number = parts.address(
            self.mapping, values.text(sink, location, "address", at, "Address.Street")
        )
        address: dict[str, Any] = {}
        _put(address, "Country", values.text(sink, location, "country", at, "Address.Country"))
        _put(address, "City", values.text(sink, location, "city", at, "Address.City"))
        _put(address, "Street", street)
        _put(
            address,
            "PostalCode",
            values.text(sink, location, "postal_code", at, "Address.PostalCode"),
        )
        _put(address, "HouseNum", number)
        _put(address, "Region", values.text(sink, location, "state", at, "Address.Region"))
        site.parking_type = values.text(sink, location, "parking_type", at, "AccessibilityLocation")
        site.parking = self.mapping.parking_types.get(site.parking_type or "", {})
        _put(address, "ParkingFacility", site.parking.get("ParkingFacility"))
        zone = values.text(sink, location, "time_zone", at, "Address.TimeZone")
        if zone is not None:
            offset = values.standard_offset(zone)
            if offset is None:
                sink.add(OCPI_TIME_ZONE_UNKNOWN, "Address.TimeZone", child(at, "time_zone"), zone)
            _put(address, "TimeZone", offset)
        return address

    def _evse(
        self, site: Site, at: str, evse: dict[str, Any], sink: Sink
    ) -> tuple[dict[str, Any], Where]:
        """One EVSE as an EvseDataRecord, and where its values came from."""
        record = {**site.record, "Address": dict(site.record["Address"])}
        evse_id = values.text(sink, evse, "evse_id", at, "EvseID")
        if evse_id is not None and evse_id.strip():
            record["EvseID"] = evse_id
        else:
            uid = text_of(evse.get("uid")) if evse.get("uid") is not None else "?"
            sink.add(OCPI_EVSE_WITHOUT_EVSE_ID, "EvseID", child(at, "evse_id"), None, uid=uid)
        _put(
            record["Address"], "Floor", values.text(sink, evse, "floor_level", at, "Address.Floor")
        )
        own = _geo(sink, evse, at, "GeoCoordinates")
        _put(record, "GeoCoordinates", own or site.coordinates)
        if own and site.coordinates and site.parking_type in GARAGES and own != site.coordinates:
            record["GeoChargingPointEntrance"] = site.coordinates
        connectors = values.objects(sink, evse, "connectors", at, "Plugs")
        plugs = self.connectors.convert(sink, connectors, child(at, "connectors"))
        _put(record, "Plugs", plugs.plugs or None)
        _put(record, "ChargingFacilities", plugs.facilities or None)
        record.update(self._services(sink, evse, at, site))
        directions = values.objects(
            sink, evse, "directions", at, "ChargingStationLocationReference"
        )
        mine = parts.infotexts(
            sink, directions, child(at, "directions"), "ChargingStationLocationReference"
        )
        _put(record, "ChargingStationLocationReference", mine or site.directions or None)
        if mine:
            _put(record, "AdditionalInfo", site.directions or None)
        image = _best_image(self.mapping, [*_images(sink, evse, at), *site.images])
        _put(record, "ChargingStationImage", image[0] if image else None)
        where = Where(
            location=site.at,
            evse=at,
            coordinates=child(at if own else site.at, "coordinates"),
            directions=child(at if mine else site.at, "directions"),
            image=image[1] if image else None,
            plugs=plugs.foreign or child(at, "connectors"),
            facility=plugs.sources,
            energy_source=site.sources,
        )
        return record, where

    def _services(self, sink: Sink, evse: dict[str, Any], at: str, site: Site) -> dict[str, Any]:
        """AuthenticationModes, PaymentOptions, ValueAddedServices from the capabilities (and
        the parking type); Accessibility from the parking restrictions and `publish`. Worked
        out once per distinct combination."""
        key = _services_key(evse, site)
        known = self._services_seen.get(key) if key is not None else None
        if known is None:
            known = self._work_out_services(sink, evse, at, site)
            if key is not None:
                self._services_seen[key] = known
        return known

    def _work_out_services(
        self, sink: Sink, evse: dict[str, Any], at: str, site: Site
    ) -> dict[str, Any]:
        lists: dict[str, list[str]] = {name: [] for name in LISTS}
        for capability in values.objects(sink, evse, "capabilities", at, "AuthenticationModes"):
            for target, names in self.mapping.capabilities.get(str(capability), {}).items():
                lists[target].extend(n for n in names if n not in lists[target])
        for name in site.parking.get("ValueAddedServices", ()):
            if name not in lists["ValueAddedServices"]:
                lists["ValueAddedServices"].append(name)
        # NOTE: OCPI's capabilities list is complete: no service named is "None" in OICP.
        out: dict[str, Any] = {k: v for k, v in lists.items() if v}
        out.setdefault("ValueAddedServices", ["None"])
        restrictions = values.objects(sink, evse, "parking_restrictions", at, "Accessibility")
        access = [self.mapping.parking_restrictions.get(str(r)) for r in restrictions]
        chosen = next((a for a in access if a), None)
        if chosen is None and site.published is False:
            chosen = self.mapping.unpublished_accessibility
        _put(out, "Accessibility", chosen)
        return out


def _services_key(evse: dict[str, Any], site: Site) -> tuple[Any, ...] | None:
    """What the services of an EVSE depend on, when it can be a key (lists of texts)."""
    found = [evse.get("capabilities"), evse.get("parking_restrictions")]
    if not all(v is None or (type(v) is list and all(type(i) is str for i in v)) for v in found):
        return None
    return (*(tuple(v or ()) for v in found), site.parking_type, site.published)


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != {}:
        target[key] = value


def _geo(sink: Sink, obj: dict[str, Any], at: str, name: str) -> dict[str, Any] | None:
    """OCPI GeoLocation (strings of decimal degrees) as OICP DecimalDegree, as written."""
    found = values.mapping(sink, obj, "coordinates", at, name)
    if not found:
        return None
    here = child(at, "coordinates")
    degrees: dict[str, Any] = {}
    _put(degrees, "Latitude", values.text(sink, found, "latitude", here, f"{name}.Latitude"))
    _put(degrees, "Longitude", values.text(sink, found, "longitude", here, f"{name}.Longitude"))
    return {"DecimalDegree": degrees} if degrees else None


def _images(sink: Sink, obj: dict[str, Any], at: str) -> list[tuple[Any, Any, str]]:
    """(category, url, pointer) of each image of an EVSE or Location."""
    out = []
    for i, item in enumerate(values.objects(sink, obj, "images", at, "ChargingStationImage")):
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            out.append((item.get("category"), item["url"], child(child(at, "images"), i)))
    return out


def _best_image(mapping: Mapping, images: list[tuple[Any, Any, str]]) -> tuple[str, str] | None:
    """The URL and pointer of the first image of the best category (EVSE images first)."""
    ranked = [
        (mapping.image_categories.index(category), order, url, at)
        for order, (category, url, at) in enumerate(images)
        if category in mapping.image_categories
    ]
    if not ranked:
        return None
    _, _, url, at = min(ranked)
    return url, at


def _envelope(
    locations: list[tuple[str, Any]],
) -> tuple[dict[str, str | None] | None, dict[str, str]]:
    """OperatorID (`country_code*party_id`) and OperatorName (`operator.name`) when every
    Location that gives them agrees, with the pointer of the first Location giving each."""
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for at, location in locations:
        if not isinstance(location, dict):
            continue
        country, party = location.get("country_code"), location.get("party_id")
        if isinstance(country, str) and isinstance(party, str) and country and party:
            ids.setdefault(f"{country}*{party}", child(at, "party_id"))
        operator = location.get("operator")
        name = operator.get("name") if isinstance(operator, dict) else None
        if isinstance(name, str) and name.strip():
            names.setdefault(name, child(child(at, "operator"), "name"))
    envelope: dict[str, str | None] = {}
    pointers: dict[str, str] = {}
    for key, found in (("OperatorID", ids), ("OperatorName", names)):
        if len(found) == 1:
            ((value, at),) = found.items()
            envelope[key], pointers[key] = value, at
    return envelope or None, pointers
