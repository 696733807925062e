"""Hypothesis strategies that build valid canonical records from the rule files themselves."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from poicheck.ruleset.model import Property, RuleSet

LANGUAGES = ("en", "de", "fr", "it", "nl", "de-AT")
TEXT = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))


def _text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return (
        st.text(TEXT, min_size=max(min_size, 1), max_size=max_size)
        .map(lambda s: s.replace(";", ","))
        .filter(lambda s: s.strip() != "" and len(s) >= min_size)
    )


def _coordinate(limit: int) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        whole = draw(st.integers(-limit + 1, limit - 1))
        decimals = draw(st.integers(1, 6))
        fraction = draw(st.integers(0, 10**decimals - 1))
        sign = "-" if whole == 0 and draw(st.booleans()) else ""
        return f"{sign}{whole}.{fraction:0{decimals}d}"

    return build()


def _time() -> st.SearchStrategy[str]:
    return st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}")


def _opening_times(days: tuple[str, ...]) -> st.SearchStrategy[str]:
    period = st.tuples(_time(), _time()).map(lambda p: f"{p[0]}-{p[1]}")
    entry = st.tuples(st.sampled_from(days), st.lists(period, min_size=1, max_size=3)).map(
        lambda e: f"{e[0]} {' '.join(e[1])}"
    )
    return st.lists(entry, min_size=1, max_size=3).map("; ".join)


def value_strategy(prop: Property, ruleset: RuleSet) -> st.SearchStrategy[str]:
    """Valid text for one scalar or list property."""
    if prop.shape == "list":
        assert prop.enum
        return st.lists(st.sampled_from(prop.enum), min_size=1, max_size=3, unique=True).map(
            ";".join
        )
    if prop.shape == "opening_times":
        return _opening_times(ruleset.types["DayValueType"].enum or ())
    if prop.enum:
        return st.sampled_from(prop.enum)
    if prop.type_name == "GeoCoordinatesDecimalDegreeFormatType":
        return _coordinate(90 if prop.path.endswith("Latitude") else 180)
    if prop.pattern:
        values = st.from_regex(prop.pattern, fullmatch=True)
        # EVS003 warns about lower case in EvseIDs; a valid record has none.
        return values.map(str.upper) if prop.type_name == "EvseIDType" else values
    if prop.base == "boolean":
        return st.sampled_from(["true", "false"])
    if prop.base == "integer":
        return st.integers(0, prop.max_value or 10**6).map(str)
    if prop.base == "decimal":
        top = prop.max_value or 10**6
        return st.decimals(0, top, places=2, allow_nan=False, allow_infinity=False).map(
            lambda d: str(d.normalize()) if d != d.to_integral_value() else str(int(d))
        )
    if prop.base == "datetime":
        return st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _text(prop.min_length or 1, prop.max_length or 100)


@st.composite
def valid_records(draw: st.DrawFn, ruleset: RuleSet) -> dict[str, str]:
    """A valid canonical record: mandatory properties always, optional ones sometimes."""
    props = ruleset.properties
    cells: dict[str, str] = {}

    def maybe(prop: Property) -> bool:
        return prop.use == "mandatory" or draw(st.booleans())

    for prop in ruleset.scope_properties("record"):
        if prop.is_container or "*" in prop.path or prop.path in ("deltaType", "lastUpdate"):
            continue
        if prop.path.startswith(("GeoCoordinates.", "GeoChargingPointEntrance.", "OpeningTimes")):
            continue
        if maybe(prop):
            cells[prop.path] = draw(value_strategy(prop, ruleset))
    for container in ("GeoCoordinates", "GeoChargingPointEntrance"):
        if container == "GeoCoordinates" or draw(st.booleans()):
            for axis in ("Latitude", "Longitude"):
                cells[f"{container}.{axis}"] = draw(
                    value_strategy(props[f"{container}.{axis}"], ruleset)
                )
    if cells.get("IsOpen24Hours") == "false" or draw(st.booleans()):
        cells["OpeningTimes"] = draw(value_strategy(props["OpeningTimes"], ruleset))
    for container, minimum in (
        ("ChargingStationNames", 1),
        ("AdditionalInfo", 0),
        ("ChargingStationLocationReference", 0),
    ):
        langs = draw(
            st.lists(st.sampled_from(LANGUAGES), min_size=minimum, max_size=3, unique=True)
        )
        for lang in langs:
            cells[f"{container}.{lang}"] = draw(value_strategy(props[f"{container}.*"], ruleset))
    for container, minimum in (("ChargingFacilities", 1), ("EnergySource", 0)):
        count = draw(st.integers(minimum, 2))
        children = [p for p in props.values() if p.path.startswith(container + ".*.")]
        for index in range(1, count + 1):
            for child in children:
                if maybe(child) or child.path.endswith(".Energy"):
                    column = child.path.replace("*", str(index))
                    cells[column] = draw(value_strategy(child, ruleset))
    return cells


def any_of(cells: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in cells.items()}


# Real German places (postal code, locality, latitude, longitude) for records whose address
# and coordinates agree, from Berlin to a border town and a small one.
PLACES = (
    ("10178", "Berlin", 52.521918, 13.413215),
    ("20095", "Hamburg", 53.550300, 10.000600),
    ("80331", "München", 48.137200, 11.575600),
    ("50667", "Köln", 50.938400, 6.959900),
    ("01067", "Dresden", 51.050400, 13.737300),
    ("70173", "Stuttgart", 48.778400, 9.180000),
    ("71638", "Ludwigsburg", 48.897500, 9.191600),
    ("99084", "Erfurt", 50.978700, 11.032800),
    ("47623", "Kevelaer", 51.583300, 6.246700),
    ("79576", "Weil am Rhein", 47.593100, 7.620800),
    ("15230", "Frankfurt (Oder)", 52.341200, 14.549400),
    ("24103", "Kiel", 54.323300, 10.139400),
)
# (PowerType, Voltage, Amperage, Power, Plugs, ChargingModes) of facilities as they are sold.
FACILITIES = (
    ("AC_3_PHASE", "230", "32", "22", "Type 2 Outlet", "Mode_3"),
    ("AC_3_PHASE", "230", "16", "11", "Type 2 Connector (Cable Attached)", "Mode_3"),
    ("AC_1_PHASE", "230", "16", "4", "Type F Schuko", "Mode_3"),
    ("DC", "", "", "50", "CCS Combo 2 Plug (Cable Attached)", "Mode_4"),
    ("DC", "", "", "150", "CCS Combo 2 Plug (Cable Attached);CHAdeMO", "Mode_4"),
)
OPTIONAL = ("AdditionalInfo.en", "HardwareManufacturer", "EnergySource", "ChargingPoolID")


@st.composite
def german_evse(draw: st.DrawFn) -> dict[str, str]:
    """A correct German EVSE of operator DE*PCK: a real place (a few hundred metres of
    jitter), a facility as sold, optional properties sometimes left out."""
    from tests.records import VALID_CELLS

    postal, city, lat, lon = draw(st.sampled_from(PLACES))
    kind, volts, amps, power, plugs, modes = draw(st.sampled_from(FACILITIES))
    jitter = st.integers(-3000, 3000).map(lambda n: n / 1_000_000)
    number = draw(st.integers(1, 9999))
    cells = {
        **VALID_CELLS,
        "EvseID": f"DE*PCK*E{number}*1",
        "ChargingStationId": f"ST-{number}",
        "ChargingPoolID": f"DE*PCK*P{number}",
        "Address.PostalCode": postal,
        "Address.City": city,
        "Address.Street": draw(st.sampled_from(["Hauptstraße", "Am Markt", "Bahnhofstr."])),
        "Address.HouseNum": str(draw(st.integers(1, 200))),
        "GeoCoordinates.Latitude": f"{lat + draw(jitter):.6f}",
        "GeoCoordinates.Longitude": f"{lon + draw(jitter):.6f}",
        "Plugs": plugs,
        "ChargingFacilities.1.PowerType": kind,
        "ChargingFacilities.1.Voltage": volts,
        "ChargingFacilities.1.Amperage": amps,
        "ChargingFacilities.1.Power": power,
        "ChargingFacilities.1.ChargingModes": modes,
    }
    del cells["Address.Region"]
    for prefix in draw(st.sets(st.sampled_from(OPTIONAL))):
        cells = {k: v for k, v in cells.items() if not k.startswith(prefix)}
    if "EnergySource.1.Energy" not in cells:
        cells["RenewableEnergy"] = "false"
    return cells
