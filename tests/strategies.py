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
