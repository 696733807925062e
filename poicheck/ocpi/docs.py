"""docs/ocpi.md, generated from the mapping file and the OCP rules (one source of truth:
`python scripts/make_docs.py` writes it, a test keeps it equal)."""

from __future__ import annotations

from typing import Any

from poicheck.ocpi.mapping import Mapping, load_mapping
from poicheck.ruleset.model import RuleSet

INTRO = """\
# OCPI 2.2.1 Locations as OICP 2.3 EVSE data

Generated from [`rules/ocpi-2.2.1/mapping.yaml`](../rules/ocpi-2.2.1/mapping.yaml) and the OCP
rules of [`rules/oicp-2.3/rules-ocpi.yaml`](../rules/oicp-2.3/rules-ocpi.yaml) by
`scripts/make_docs.py`; do not edit by hand.

A CPO whose master data lives in OCPI asks what its data becomes in OICP and whether Hubject
takes it. `poicheck validate locations.json` reads an OCPI 2.2.1 Locations response
(`{"data": [Location...], "status_code": 1000, "timestamp": ...}`, also with `data` one
Location), a bare array of Locations or one Location object, from a `.json` file, and turns
every EVSE into one OICP 2.3 EvseDataRecord by the mapping below. From there it is checked by
every OICP rule and exported by `poicheck export locations.json --out DIR` exactly as OICP input
is. Findings keep the OICP property as their `field` and point into the OCPI document:

```
poicheck validate locations.json
locations.json
  EVSE 1  BE*BEC*E041503001
    warning PWR014  ChargingFacilities.1.Voltage: ChargingFacilities.1.Voltage 400 V is not a
      line-to-neutral AC voltage (AC_3_PHASE: 100..250 V); OICP wants the line-to-neutral
      voltage: 230 V, not the 400 V between phases [at /data/0/evses/0/connectors/0/max_voltage]
```

A response is one page of OCPI's paginated list: a fullLoad from one page would make Hubject
delete the EVSEs of the other pages. Join the pages into one `data` array first.
"""

DEFAULTS_EXAMPLE = """\
```yaml
# .poicheck.yaml
ocpi:
  defaults:
    HotlinePhoneNumber: '+3292980000'
    CalibrationLawDataAvailability: Local
    IsHubjectCompatible: true
    DynamicInfoAvailable: auto
    AuthenticationModes: [NFC RFID Classic, REMOTE]
    PaymentOptions: [Contract]
    Accessibility: Free publicly accessible
```
"""


def ocpi_markdown(ruleset: RuleSet, mapping: Mapping | None = None) -> str:
    """The text of docs/ocpi.md."""
    mapping = mapping or load_mapping()
    parts = [INTRO, "## Conventions\n"]
    for title, text in mapping.conventions:
        parts.append(f"### {title}\n\n{_wrap(text)}\n")
    parts.append("## What OCPI does not give: `ocpi.defaults`\n")
    parts.append(
        _wrap(
            "Mandatory in OICP, without an OCPI field: "
            + ", ".join(f"`{p}`" for p in mapping.without_source if _mandatory(ruleset, p))
            + ". Mandatory, and OCPI may not say: "
            + ", ".join(f"`{p}`" for p in mapping.unsaid)
            + ". Optional, without an OCPI field: "
            + ", ".join(f"`{p}`" for p in mapping.without_source if not _mandatory(ruleset, p))
            + ". The configuration gives them for every EVSE whose OCPI data leaves them empty "
            "(lists as YAML lists); `validate` names the ones missing in a note."
        )
        + "\n\n"
        + DEFAULTS_EXAMPLE
    )
    parts.append(_fields(mapping))
    parts.append(_tables(mapping))
    parts.append(_rules(ruleset))
    parts.append(_locate(mapping))
    return "\n".join(parts).rstrip("\n") + "\n"


def _mandatory(ruleset: RuleSet, path: str) -> bool:
    prop = ruleset.properties.get(path)
    return prop is not None and prop.use == "mandatory"


def _wrap(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _wrap(text).replace("|", "\\|")


def _fields(mapping: Mapping) -> str:
    lines = [
        "## Every OCPI field\n",
        "| OCPI | OICP | how |",
        "|---|---|---|",
    ]
    for entry in mapping.fields:
        oicp = ", ".join(f"`{p}`" for p in entry.oicp) or "(none)"
        lines.append(f"| `{entry.ocpi}` | {oicp} | {_cell(entry.how)} |")
    return "\n".join(lines) + "\n"


def _table(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    lines = [f"### {title}\n", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_text(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _text(value: Any) -> str:
    if value is None or value == () or value == []:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


def _tables(mapping: Mapping) -> str:
    return "\n".join(["## Tables\n", *_enum_tables(mapping), *_other_tables(mapping)])


def _enum_tables(mapping: Mapping) -> list[str]:
    connectors = [
        (name, c.plug or c.by_format.get("SOCKET"), c.plug or c.by_format.get("CABLE"), c.modes)
        for name, c in mapping.connectors.items()
    ]
    lists = ("AuthenticationModes", "PaymentOptions", "ValueAddedServices")
    parking = ("AccessibilityLocation", "ParkingFacility", "ValueAddedServices")
    return [
        _table(
            "connectors: ConnectorType -> Plugs",
            ("standard", "SOCKET", "CABLE", "ChargingModes"),
            connectors,
        ),
        _table(
            "power_types: PowerType -> PowerType",
            ("OCPI", "OICP", "phases"),
            [(k, v[0], str(v[1])) for k, v in mapping.power_types.items()],
        ),
        _table(
            "capabilities: Capability -> lists",
            ("capability", *lists),
            [(k, *(v.get(name) for name in lists)) for k, v in mapping.capabilities.items()],
        ),
        _table(
            "parking_types: ParkingType",
            ("parking_type", "AccessibilityLocation", "Address.ParkingFacility", lists[2]),
            [(k, *(v.get(name) for name in parking)) for k, v in mapping.parking_types.items()],
        ),
    ]


def _other_tables(mapping: Mapping) -> list[str]:
    return [
        _table(
            "parking_restrictions: ParkingRestriction -> Accessibility",
            ("restriction", "Accessibility"),
            list(mapping.parking_restrictions.items()),
        ),
        _table(
            "energy_sources: EnergySourceCategory -> EnergyType",
            ("source", "Energy"),
            list(mapping.energy_sources.items()),
        ),
        _table(
            "environmental_impact: EnvironmentalImpactCategory -> EnvironmentalImpact",
            ("category", "member"),
            list(mapping.environmental_impact.items()),
        ),
        _table(
            "weekdays and day_groups: RegularHours.weekday -> OpeningTimes.on",
            ("weekday", "on"),
            [(str(k), v) for k, v in mapping.weekdays.items()]
            + [(", ".join(map(str, days)), name) for name, days in mapping.day_groups.items()],
        ),
        _table(
            "address: Location.address -> Street, HouseNum",
            ("pattern", "regular expression"),
            list(mapping.document["address"].items()),
        ),
    ]


def _rules(ruleset: RuleSet) -> str:
    lines = [
        "## Findings only OCPI input has\n",
        "| rule | name | consequence | message |",
        "|---|---|---|---|",
    ]
    for rule in sorted(ruleset.rules.values(), key=lambda r: r.id):
        if rule.id.startswith("OCP"):
            lines.append(
                f"| {rule.id} | {rule.name} | {rule.consequence} | {_cell(rule.message or '')} |"
            )
    lines.append(
        "\nEvery other finding is an OICP rule's (docs/rules.md), judging the converted value at "
        "its OCPI pointer."
    )
    return "\n".join(lines) + "\n"


def _locate(mapping: Mapping) -> str:
    lines = [
        "## Where findings point\n",
        _wrap(
            "A finding's pointer is the OCPI node its OICP property came from: the base "
            "(`location`, `evse`, `coordinates`: the EVSE's or else the Location's, `directions`, "
            "`image`, `plugs`: the connector of the first plug OICP cannot name or else the "
            "EVSE's connectors, `facility`: the connector a charging facility came from, "
            "`energy_source`) followed by the path below it. A property not listed points to "
            "its EVSE."
        )
        + "\n",
        "| OICP property | OCPI node |",
        "|---|---|",
    ]
    for path, (base, suffix) in mapping.locate.items():
        lines.append(f"| `{path}` | {base} `{suffix or '(itself)'}` |")
    return "\n".join(lines) + "\n"
