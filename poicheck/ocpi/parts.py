"""The parts of an OCPI Location that become parts of an OICP EvseDataRecord: address, opening
times, energy mix, texts, connectors. Each takes the OCPI object and its JSON pointer and
returns OICP values (as parsed JSON, ready for `poicheck.oicp.convert.Flattener`), reporting what it
cannot read to a `Sink`. The tables come from the mapping file (`poicheck.ocpi.mapping`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from poicheck.ocpi import values
from poicheck.ocpi.mapping import Mapping
from poicheck.ocpi.values import Sink, child
from poicheck.ruleset.reader_ids import (
    OCPI_DATED_OPENING_EXCEPTIONS,
    OCPI_ENERGY_SOURCE_WITHOUT_OICP_TYPE,
    OCPI_MALFORMED,
)


def address(mapping: Mapping, text: str | None) -> tuple[str | None, str | None]:
    """Location.address as (Street, HouseNum): a house number at the end, else at the start;
    without one, the whole text is the street."""
    if text is None:
        return None, None
    stripped = " ".join(text.split())
    for pattern in (mapping.number_last, mapping.number_first):
        found = pattern.match(stripped)
        if found:
            return found["street"], found["number"]
    return stripped or None, None


def infotexts(sink: Sink, items: list[Any], at: str, field: str) -> list[dict[str, Any]]:
    """OCPI DisplayTexts (language, text) as OICP InfoTexts (lang, value)."""
    out = []
    for i, item in enumerate(items):
        here = child(at, i)
        if not isinstance(item, dict):
            sink.malformed(field, here, "a DisplayText", item, "an object")
            continue
        lang = values.text(sink, item, "language", here, field)
        said = values.text(sink, item, "text", here, field)
        if lang is not None and said is not None:
            out.append({"lang": lang, "value": said})
    return out


@dataclass
class Hours:
    """What OCPI opening_times say in OICP terms."""

    open24: Any = None
    opening: list[dict[str, Any]] = field(default_factory=list)


def hours(mapping: Mapping, sink: Sink, value: Any, at: str) -> Hours:
    """opening_times as IsOpen24Hours and weekly OpeningTimes (weekdays with equal periods
    joined as Everyday, Workdays or Weekend); dated exceptions are left out (OCP005)."""
    if value is None:
        return Hours()
    if not isinstance(value, dict):
        sink.malformed("OpeningTimes", at, "opening_times", value, "an object")
        return Hours()
    dated = [key for key in ("exceptional_openings", "exceptional_closings") if value.get(key)]
    if dated:
        count = sum(len(v) if isinstance(v, list) else 1 for v in (value[k] for k in dated))
        sink.add(
            OCPI_DATED_OPENING_EXCEPTIONS,
            "OpeningTimes",
            child(at, dated[0]),
            None,
            count=count,
        )
    always = values.boolean(sink, value, "twentyfourseven", at, "IsOpen24Hours")
    if always is True:
        return Hours(open24=True)
    days = _regular(
        mapping, sink, values.objects(sink, value, "regular_hours", at, "OpeningTimes"), at
    )
    if not days:
        return Hours(open24=always if always is not None or "regular_hours" in value else None)
    return Hours(open24=False, opening=_grouped(mapping, days))


def _regular(
    mapping: Mapping, sink: Sink, items: list[Any], at: str
) -> dict[int, list[dict[str, str]]]:
    days: dict[int, list[dict[str, str]]] = {}
    for i, item in enumerate(items):
        here = child(child(at, "regular_hours"), i)
        if not isinstance(item, dict):
            sink.malformed("OpeningTimes", here, "a RegularHours", item, "an object")
            continue
        day = values.integer(sink, item, "weekday", here, "OpeningTimes")
        begin = values.text(sink, item, "period_begin", here, "OpeningTimes")
        end = values.text(sink, item, "period_end", here, "OpeningTimes")
        if day not in mapping.weekdays or begin is None or end is None:
            problem = (
                "has no weekday from 1 (Monday) to 7 (Sunday) with period_begin and period_end"
            )
            sink.add(
                OCPI_MALFORMED,
                "OpeningTimes",
                here,
                None,
                what="a RegularHours",
                problem=problem,
            )
            continue
        days.setdefault(day, []).append({"begin": begin, "end": end})
    return days


def _grouped(mapping: Mapping, days: dict[int, list[dict[str, str]]]) -> list[dict[str, Any]]:
    left = dict(days)
    entries: list[tuple[int, dict[str, Any]]] = []
    for name, group in mapping.day_groups.items():
        found = [left.get(day) for day in group]
        if all(p is not None for p in found) and all(p == found[0] for p in found):
            entries.append((group[0], {"Period": found[0], "on": name}))
            for day in group:
                del left[day]
    for day, periods in left.items():
        entries.append((day, {"Period": periods, "on": mapping.weekdays[day]}))
    return [entry for _, entry in sorted(entries, key=lambda e: e[0])]


def energy(mapping: Mapping, sink: Sink, value: dict[str, Any], at: str) -> dict[str, Any]:
    """energy_mix as RenewableEnergy, EnergySource and EnvironmentalImpact (with the pointer
    each EnergySource came from, as `_sources`)."""
    out: dict[str, Any] = {}
    green = values.boolean(sink, value, "is_green_energy", at, "RenewableEnergy")
    if green is not None:
        out["RenewableEnergy"] = green
    sources, pointers = [], []
    where = child(at, "energy_sources")
    for i, item in enumerate(values.objects(sink, value, "energy_sources", at, "EnergySource")):
        here = child(where, i)
        if not isinstance(item, dict):
            sink.malformed("EnergySource", here, "an EnergySource", item, "an object")
            continue
        source = values.text(sink, item, "source", here, "EnergySource")
        share = values.number(sink, item, "percentage", here, "EnergySource")
        kind = mapping.energy_sources.get(source, source) if source is not None else None
        if source in mapping.energy_sources and kind is None:
            sink.add(
                OCPI_ENERGY_SOURCE_WITHOUT_OICP_TYPE,
                "EnergySource",
                here,
                source,
                share=values_text(share),
            )
            continue
        entry: dict[str, Any] = {"Energy": kind} if kind is not None else {}
        if share is not None:
            entry["Percentage"] = values.whole(share) if isinstance(share, Decimal) else share
        if entry:
            sources.append(entry)
            pointers.append(here)
    if sources:
        out["EnergySource"], out["_sources"] = sources, pointers
    impact = _impact(mapping, sink, value, at)
    if impact:
        out["EnvironmentalImpact"] = impact
    return out


def values_text(value: Any) -> str:
    return "" if value is None else str(value)


def _impact(mapping: Mapping, sink: Sink, value: dict[str, Any], at: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    where = child(at, "environ_impact")
    field_name = "EnvironmentalImpact"
    for i, item in enumerate(values.objects(sink, value, "environ_impact", at, field_name)):
        here = child(where, i)
        if not isinstance(item, dict):
            sink.malformed(field_name, here, "an EnvironmentalImpact", item, "an object")
            continue
        category = values.text(sink, item, "category", here, field_name)
        amount = values.number(sink, item, "amount", here, field_name)
        target = mapping.environmental_impact.get(category or "")
        if target is not None and amount is not None:
            out.setdefault(target, amount)
    return out


@dataclass
class Plugs:
    """The plugs and charging facilities of an EVSE's connectors, and where each came from."""

    plugs: list[str] = field(default_factory=list)
    facilities: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the connector of each facility
    foreign: str | None = None  # the first connector whose plug OICP cannot name


CONNECTOR_KEYS = (
    "standard",
    "format",
    "power_type",
    "max_voltage",
    "max_amperage",
    "max_electric_power",
)


def cache_key(item: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The values of `keys`, or None when one is an object or array (not hashable) or a
    boolean (True equals 1 as a key)."""
    key = tuple(map(item.get, keys))
    kinds = set(map(type, key))
    if kinds & {bool, dict, list}:
        return None
    return key


class Connectors:
    """Connectors as OICP Plugs and ChargingFacilities."""

    def __init__(
        self, mapping: Mapping, oicp_plugs: frozenset[str], line_to_neutral: dict[int, int]
    ) -> None:
        self.mapping = mapping
        self.oicp_plugs = oicp_plugs
        self.line_to_neutral = line_to_neutral
        self._seen: dict[tuple[Any, ...], tuple[str | None, dict[str, Any]]] = {}

    def convert(self, sink: Sink, items: list[Any], at: str) -> Plugs:
        out = Plugs()
        for i, item in enumerate(items):
            here = child(at, i)
            if not isinstance(item, dict):
                sink.malformed("Plugs", here, "a Connector", item, "an object")
                continue
            plug, facility = self.connector(sink, item, here)
            if plug is not None and plug not in out.plugs:
                out.plugs.append(plug)
            if plug is not None and plug not in self.oicp_plugs and out.foreign is None:
                out.foreign = here
            if facility and facility not in out.facilities:
                out.facilities.append(facility)
                out.sources.append(here)
        return out

    def connector(
        self, sink: Sink, item: dict[str, Any], at: str
    ) -> tuple[str | None, dict[str, Any]]:
        """One connector's plug and facility; worked out once per distinct connector (a
        network has a few kinds of connector and many of each)."""
        key = cache_key(item, CONNECTOR_KEYS)
        known = self._seen.get(key) if key is not None else None
        if known is not None:
            return known
        own = Sink()
        standard = values.text(own, item, "standard", at, "Plugs")
        entry = self.mapping.connectors.get(standard or "")
        plug = entry.plug_for(item.get("format")) if entry is not None else None
        plug = plug if plug is not None else standard  # unknown: PWR002 judges it
        result = plug, self.facility(own, item, at, entry.modes if entry else ())
        if own.found:  # findings name this connector's pointer: not shared
            sink.found.extend(own.found)
        elif key is not None:
            self._seen[key] = result
        return result

    def facility(
        self, sink: Sink, item: dict[str, Any], at: str, modes: tuple[str, ...]
    ) -> dict[str, Any]:
        """One connector as a ChargingFacility: PowerType, Voltage, Amperage, Power (kW)."""
        name = "ChargingFacilities.*"
        kind = values.text(sink, item, "power_type", at, f"{name}.PowerType")
        volts = values.integer(sink, item, "max_voltage", at, f"{name}.Voltage")
        amps = values.integer(sink, item, "max_amperage", at, f"{name}.Amperage")
        watts = values.number(sink, item, "max_electric_power", at, f"{name}.Power", "int")
        oicp_kind, phases = self.mapping.power_types.get(kind or "", (None, 1))
        out: dict[str, Any] = {}
        if kind is not None:
            out["PowerType"] = oicp_kind if oicp_kind is not None else kind
        if volts is not None:
            out["Voltage"] = volts
        if amps is not None:
            out["Amperage"] = amps
        power = self.power(kind, phases, volts, amps, watts)
        if power is not None:
            out["Power"] = power
        if modes:
            out["ChargingModes"] = list(modes)
        return out

    def power(self, kind: str | None, phases: int, volts: Any, amps: Any, watts: Any) -> Any:
        """max_electric_power in whole kW; without it, phases x voltage x current. A
        three-phase voltage given between phases (400 V) counts as the line-to-neutral voltage
        it means (PWR015's table), as OCPI 2.2.1 and OICP define max_voltage and Voltage."""
        if watts is not None:
            return values.kilowatts(watts) if isinstance(watts, Decimal) else watts
        if not (values.is_number(volts) and values.is_number(amps)):
            return None
        if kind == "AC_3_PHASE" and isinstance(volts, int):
            volts = self.line_to_neutral.get(volts, volts)
        return values.kilowatts(Decimal(phases) * Decimal(volts) * Decimal(amps))
