"""PWR018: a facility's Power is at most what its EVSE's plugs carry (the plug-rating table of
rules-quality.yaml), and the table itself is sound."""

from __future__ import annotations

import pytest

from poicheck import validate
from poicheck.ruleset.model import RuleSet
from tests.records import VALID_CELLS, frame_of

POWER_TYPES = {"AC_1_PHASE", "AC_3_PHASE", "DC"}


def test_every_rating_names_an_oicp_plug_a_power_type_and_a_source(ruleset: RuleSet) -> None:
    ratings = ruleset.rules["PWR018"].params["ratings"]
    plug_types = ruleset.types["PlugType"].enum or ()
    for plug, rating in ratings.items():
        assert plug in plug_types, plug
        assert rating["source"], plug
        kinds = set(rating) - {"source"}
        assert kinds, plug
        assert kinds <= POWER_TYPES, plug
        for volts, amps in (rating[kind] for kind in kinds):
            assert 100 <= volts <= 1000, plug
            assert 0 < amps <= 500, plug


def test_ratings_agree_with_the_plug_power_types(ruleset: RuleSet) -> None:
    """A plug PWR016 calls AC is rated for AC only, a DC plug for DC only."""
    ratings = ruleset.rules["PWR018"].params["ratings"]
    lists = ruleset.rules["PWR016"].params
    for plug, rating in ratings.items():
        kinds = set(rating) - {"source"}
        if plug in lists["ac_plugs"]:
            assert kinds <= {"AC_1_PHASE", "AC_3_PHASE"}, plug
        else:
            assert plug in lists["dc_plugs"], plug
            assert kinds == {"DC"}, plug


def facility(number: int, kind: str, power: str) -> dict[str, str]:
    prefix = f"ChargingFacilities.{number}"
    return {
        f"{prefix}.PowerType": kind,
        f"{prefix}.Power": power,
        f"{prefix}.Voltage": "",
        f"{prefix}.Amperage": "",
        f"{prefix}.ChargingModes": "Mode_4" if kind == "DC" else "Mode_3",
    }


CASES = [
    ("Type F Schuko", [("AC_1_PHASE", "5")], ["ChargingFacilities.1.Power"]),
    ("Type F Schuko", [("AC_1_PHASE", "4")], []),
    ("Type G British Standard", [("AC_1_PHASE", "4")], ["ChargingFacilities.1.Power"]),
    # The best-rated plug counts: Type 2 carries 16 kW on one phase, Schuko 3.7 kW.
    ("Type F Schuko;Type 2 Outlet", [("AC_1_PHASE", "11")], []),
    ("Type 2 Outlet", [("AC_1_PHASE", "22")], ["ChargingFacilities.1.Power"]),
    # Per facility and its power type.
    (
        "Type 2 Outlet;CCS Combo 2 Plug (Cable Attached)",
        [("AC_3_PHASE", "44"), ("DC", "150")],
        ["ChargingFacilities.1.Power"],
    ),
    (
        "Type 2 Outlet;CHAdeMO",
        [("AC_3_PHASE", "43"), ("DC", "500")],
        ["ChargingFacilities.2.Power"],
    ),
    # A single-phase socket on a three-phase facility carries one phase.
    ("Type F Schuko", [("AC_3_PHASE", "11")], ["ChargingFacilities.1.Power"]),
    ("Type F Schuko;Type 2 Outlet", [("AC_3_PHASE", "22")], []),
    # A plug without a public rating: the EVSE is not judged.
    ("Tesla Connector;Type F Schuko", [("AC_1_PHASE", "11")], []),
    ("NACS;CCS Combo 1 Plug (Cable Attached)", [("DC", "900")], []),
    # No plug of the facility's power type: PWR016's business.
    ("Type F Schuko", [("DC", "50")], []),
]


@pytest.mark.slow
@pytest.mark.parametrize(("plugs", "facilities", "failing"), CASES)
def test_power_within_plug_rating(
    plugs: str, facilities: list[tuple[str, str]], failing: list[str]
) -> None:
    cells = {k: v for k, v in VALID_CELLS.items() if not k.startswith("ChargingFacilities.")}
    cells["Plugs"] = plugs
    for number, (kind, power) in enumerate(facilities, start=1):
        cells.update(facility(number, kind, power))
    findings = validate(frame_of(cells), select=["PWR018"]).findings
    assert [f.field for f in findings] == failing
    assert all(f.severity == "warning" and f.consequence == "scored" for f in findings)


def test_judged_per_distinct_plugs_value_over_many_rows() -> None:
    rows = []
    for i in range(3000):
        cells = dict(VALID_CELLS, EvseID=f"DE*PCK*E{i}")
        cells.update(facility(1, "AC_1_PHASE", str(3 + i % 3)))
        cells["Plugs"] = "Type F Schuko" if i % 2 else "Type 2 Outlet"
        rows.append(cells)
    findings = validate(frame_of(*rows), select=["PWR018"]).findings
    # Schuko (odd rows) at 5 kW: rows where i % 3 == 2 and i is odd.
    assert sorted(f.record for f in findings) == [i for i in range(3000) if i % 2 and i % 3 == 2]


def test_the_table_is_documented(ruleset: RuleSet) -> None:
    from poicheck.ruleset.docs import explain_rule, rules_markdown

    explained = explain_rule(ruleset.rules["PWR018"], ruleset)
    assert "  Type F Schuko: AC_1_PHASE 230 V x 16 A = 3.7 kW (IEC 60884-1" in explained
    table = rules_markdown(ruleset)
    assert (
        "| Type 2 Outlet | AC_1_PHASE 230 V x 70 A = 16.1 kW; "
        "AC_3_PHASE 3 x 230 V x 63 A = 43.5 kW |" in table
    )
