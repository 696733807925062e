"""The record check splits coordinates in decimal degrees (issue 22): each axis per distinct
value and the `oneOf` of the notations branch by branch. It accepts and refuses what the
whole schema does, for coordinates nobody tidied, and for schemas whose branches overlap."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck.export.check import RecordCheck
from poicheck.export.layout import Geo
from poicheck.ruleset.schema import record_schema, validator_for
from tests.records import VALID_CELLS
from tests.unit.export.test_export import RULESET
from tests.unit.export.test_export_scale import _table_lines

SCHEMA = record_schema(RULESET)
AXES = ("GeoCoordinates.Latitude", "GeoCoordinates.Longitude")
# Texts of a coordinate cell: fitting, beyond the pattern, blank, padded, seven decimals
# (rounded on the way out), no decimals, out of range, words.
COORDINATES = [
    "52.520008",
    "-13.404954",
    "52.5200081",
    " 48.1 ",
    "48",
    "1234.5",
    "181.000001",
    "",
    "north",
    "0.0",
    "-0.000001",
]


def records_with(coordinates: list[tuple[str, str]]) -> list[dict[str, str]]:
    out = []
    for number, (latitude, longitude) in enumerate(coordinates):
        cells = {**VALID_CELLS, "EvseID": f"DE*PCK*E{9000 + number}*1"}
        for axis, value in zip(AXES, (latitude, longitude), strict=True):
            if value:
                cells[axis] = value
            else:
                cells.pop(axis, None)
        out.append(cells)
    return out


def assert_fits_as_whole(
    schema: dict[str, Any], coordinates: list[tuple[str, str]], *, split: bool = True
) -> None:
    builder, lines, rows = _table_lines(records_with(coordinates), "DecimalDegree")
    check = RecordCheck.of(schema)
    assert check is not None
    validator = validator_for(schema)
    whole: list[Any] = []
    with pytest.MonkeyPatch.context() as patch:
        checked_whole = RecordCheck._whole

        def spied(self: RecordCheck, lines: Any, node: Any, *args: Any) -> Any:
            if isinstance(node, Geo):
                whole.append(node)
            return checked_whole(self, lines, node, *args)

        patch.setattr(RecordCheck, "_whole", spied)
        fits = check.fits(lines, np.arange(len(rows)))
    assert bool(whole) != split  # the coordinates were split, or checked whole
    for cells, fit in zip(rows, fits, strict=True):
        assert fit == (not validator.errors(builder.build(cells))), cells


PAIRS = st.lists(
    st.tuples(st.sampled_from(COORDINATES), st.sampled_from(COORDINATES)), min_size=1, max_size=8
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(PAIRS)
def test_coordinates_fit_as_the_whole_schema_says(coordinates: list[tuple[str, str]]) -> None:
    assert_fits_as_whole(SCHEMA, coordinates)


def overlapping(keyword: str) -> dict[str, Any]:
    """The record schema with the coordinates' notations under `keyword`, and the decimal
    notation twice (one of them stricter): `oneOf` then refuses what both branches accept."""
    schema = copy.deepcopy(SCHEMA)
    geo = schema["$defs"]["EvseDataRecord"]["properties"]["GeoCoordinates"]
    branches = geo.pop("oneOf")
    decimal = next(b for b in branches if "DecimalDegree" in b["properties"])
    strict = copy.deepcopy(decimal)
    inner = strict["properties"]["DecimalDegree"]["properties"]
    inner["Latitude"]["pattern"] = "^5[0-9]\\.[0-9]+$"
    geo[keyword] = [*branches, strict]
    return schema


@pytest.mark.parametrize("keyword", ["oneOf", "anyOf", "allOf"])
def test_overlapping_branches_are_counted_as_the_schema_counts(keyword: str) -> None:
    pairs = [(lat, lon) for lat in COORDINATES for lon in ("13.4", "", "1234.5")]
    assert_fits_as_whole(overlapping(keyword), pairs)


def test_a_branch_that_does_not_split_is_checked_whole() -> None:
    schema = copy.deepcopy(SCHEMA)
    geo = schema["$defs"]["EvseDataRecord"]["properties"]["GeoCoordinates"]
    geo["oneOf"].append({"type": "object", "patternProperties": {"^D": {"type": "object"}}})
    assert_fits_as_whole(schema, [("52.1", "13.4"), ("48", "13.4"), ("", "13.4")], split=False)
