"""Property tests: generated valid records pass, a mutated field is caught by its rule at its
row, and the canonical table and OICP JSON convert into each other without loss."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.checks import get_kind
from poicheck.oicp.convert import Builder, Flattener
from poicheck.ruleset.examples import concrete, value_of
from poicheck.ruleset.loader import load_ruleset
from tests.records import VALID_CELLS, frame_of
from tests.strategies import valid_records

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop

# The field rules: a generator cannot invent addresses whose postal codes, coordinates and
# phone numbers agree (the quality rules are tested on the samples and on their examples).
RULESET = load_ruleset().with_rules(
    r for r in load_ruleset().rules.values() if r.category in ("field", "input")
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Single-field mutations: every failing example of a cell kind on a record field.
MUTATIONS = [
    (rule, example)
    for rule in sorted(RULESET.rules.values(), key=lambda r: r.id)
    if rule.scope == "record" and get_kind(rule.kind).scope == "cell"
    for example in rule.examples["fail"]
    if isinstance(example, str) or (isinstance(example, dict) and "repeat" in example)
]


@SETTINGS
@given(st.lists(valid_records(RULESET), min_size=1, max_size=4))
def test_generated_valid_records_pass(records: list[dict[str, str]]) -> None:
    report = validate(frame_of(*records), ruleset=RULESET)
    assert [(f.rule, f.field, f.value) for f in report.findings] == []


@SETTINGS
@given(
    st.lists(valid_records(RULESET), min_size=1, max_size=4),
    st.sampled_from(MUTATIONS),
    st.data(),
)
def test_a_mutated_field_is_caught_by_its_rule_at_its_row(
    records: list[dict[str, str]], mutation: tuple[Any, Any], data: st.DataObject
) -> None:
    rule, example = mutation
    target = data.draw(st.integers(0, len(records) - 1))
    field = concrete(rule.fields[0], RULESET)
    records[target] = {**records[target], field: value_of(example)}
    report = validate(frame_of(*records), ruleset=RULESET)
    hits = [(f.record, f.field) for f in report.findings if f.rule == rule.id]
    assert (target, field) in hits
    assert all(record == target for record, _ in hits)


@SETTINGS
@given(valid_records(RULESET))
def test_table_to_json_to_table_round_trips(cells: dict[str, str]) -> None:
    record = Builder(RULESET).build(cells)
    flat = Flattener(RULESET).flatten(record)
    assert flat.issues == []
    assert flat.cells == {k: v for k, v in cells.items() if v.strip()}
    assert Builder(RULESET).build(flat.cells) == record


@SETTINGS
@given(valid_records(RULESET), st.sampled_from(["Google", "DegreeMinuteSeconds"]))
def test_other_geo_notations_read_back_to_the_same_place(
    cells: dict[str, str], notation: str
) -> None:
    record = Builder(RULESET, geo_format=notation).build(cells)
    flat = Flattener(RULESET).flatten(record)
    assert flat.issues == []
    for axis in ("Latitude", "Longitude"):
        original = float(cells[f"GeoCoordinates.{axis}"])
        assert abs(float(flat.cells[f"GeoCoordinates.{axis}"]) - original) < 1e-5


INFOTEXTS = [p.path for p in RULESET.scope_properties("record") if p.shape == "infotext_list"]


@SETTINGS
@given(st.lists(valid_records(RULESET), min_size=2, max_size=6), st.randoms())
def test_one_builder_builds_every_record_as_a_fresh_one_would(
    records: list[dict[str, str]], random: Any
) -> None:
    """The builder remembers each layout of filled columns (their containers' item keys);
    records in other column orders, one after another, still get their own: InfoText
    languages in the order of their columns, object lists by number."""
    shared = Builder(RULESET)
    for cells in records:
        items = list(cells.items())
        random.shuffle(items)
        shuffled = dict(items)
        record = shared.build(shuffled)
        assert record == Builder(RULESET).build(shuffled)
        for container in INFOTEXTS:
            columns = [
                c for c, v in shuffled.items() if c.startswith(f"{container}.") and v.strip()
            ]
            langs = [text["lang"] for text in record.get(container, [])]
            assert langs == [c.split(".", 1)[1] for c in columns]
        numbers = {c.split(".")[1] for c in shuffled if c.startswith("ChargingFacilities.")}
        assert [item["PowerType"] for item in record["ChargingFacilities"]] == [
            shuffled[f"ChargingFacilities.{n}.PowerType"] for n in sorted(numbers, key=int)
        ]


def test_object_lists_go_by_number_and_languages_by_column_order() -> None:
    def cells(names: list[str], facilities: list[str]) -> dict[str, str]:
        base = {
            k: v for k, v in VALID_CELLS.items() if not k.startswith(("ChargingF", "ChargingSt"))
        }
        texts = {f"ChargingStationNames.{lang}": f"Name {lang}" for lang in names}
        plugs = {f"ChargingFacilities.{n}.Power": n for n in facilities}
        return {**texts, **plugs, **base}

    builder = Builder(RULESET)
    first = builder.build(cells(["de", "en"], ["10", "2"]))
    again = builder.build(cells(["en", "de"], ["2", "10"]))  # another layout, same builder
    same = builder.build(cells(["de", "en"], ["10", "2"]))  # the first layout, remembered
    assert [t["lang"] for t in first["ChargingStationNames"]] == ["de", "en"]
    assert [t["lang"] for t in again["ChargingStationNames"]] == ["en", "de"]
    assert [f["Power"] for f in first["ChargingFacilities"]] == [2, 10]
    assert [f["Power"] for f in again["ChargingFacilities"]] == [2, 10]
    assert same == first
