"""The per-distinct-value machinery agrees with the per-row computation it replaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from poicheck import validate
from poicheck.checks import geodata
from poicheck.checks.geo import _zone_has, distinct_points
from poicheck.checks.groups import _medians, casefolded
from poicheck.engine import workers as parallel
from poicheck.ruleset.model import RuleSet
from poicheck.table import Distinct
from tests.records import VALID_CELLS, frame_of

cells = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", " a", "", "ä", "B"])), max_size=40)


@pytest.mark.slow
@given(values=cells, keep=st.data())
def test_distinct_round_trips_and_filters(values: list[str | None], keep: st.DataObject) -> None:
    distinct = Distinct.of(pd.Series(values, dtype="str"))
    decoded = pa.array(distinct.values).take(distinct.indices).to_pylist()
    assert decoded == values
    mask = np.array(keep.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    kept = distinct.filter(mask.astype(bool)) if len(values) else distinct
    compact = kept.compacted()
    expected = [v for v, k in zip(values, mask, strict=True) if k] if len(values) else []
    assert pa.array(compact.values).take(compact.indices).to_pylist() == expected
    assert compact.used.all()
    assert list(compact.broadcast(np.ones(len(compact.values), bool), empty=False)) == [
        v is not None for v in expected
    ]


@pytest.mark.slow
@given(values=cells, parts=st.integers(1, 4), data=st.data())
def test_concat_of_parts_is_the_whole_column(
    values: list[str | None], parts: int, data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(values)), min_size=parts - 1)))
    pieces = [values[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)], strict=True)]
    whole = Distinct.concat([Distinct.of(pd.Series(p, dtype="str")) for p in pieces])
    assert pa.array(whole.values).take(whole.indices).to_pylist() == values
    assert len(set(whole.values.to_pylist())) == len(whole.values)  # one number per value
    # Slices of one encoded column share its values: their codes are put end to end.
    column = Distinct.of(pd.Series(values, dtype="str"))
    first = np.arange(len(values)) < len(values) // 2
    rejoined = Distinct.concat([column.filter(first), column.filter(~first)])
    assert rejoined.values is column.values
    assert list(rejoined.codes) == list(column.codes)


@pytest.mark.slow
@given(texts=st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=20))
def test_casefolded_is_pythons_casefold(texts: list[str | None]) -> None:
    folded = casefolded(pa.array(texts, pa.large_string())).to_pylist()
    assert folded == [t.casefold() if t is not None else None for t in texts]


zones = st.sampled_from([None, "Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Etc/UTC"])
countries = st.sampled_from([None, "DE", "AT", "CH", "LI"])


@pytest.mark.slow
@given(pairs=st.lists(st.tuples(zones, countries), max_size=30))
def test_zone_has_judges_each_pair_like_the_zone_table(
    pairs: list[tuple[str | None, str | None]],
) -> None:
    zones = pd.factorize(np.array([z for z, _ in pairs], dtype=object))
    countries = pd.factorize(np.array([c for _, c in pairs], dtype=object))
    found = _zone_has((zones[0], np.asarray(zones[1])), (countries[0], np.asarray(countries[1])))
    assert list(found) == [c in geodata.zone_countries(z) for z, c in pairs]


@pytest.mark.slow
@settings(max_examples=200)
@given(
    codes=hnp.arrays(np.int64, st.integers(0, 60), elements=st.integers(-1, 5)),
    data=st.data(),
)
def test_group_medians_are_pandas_medians(codes: np.ndarray, data: st.DataObject) -> None:
    values = data.draw(
        hnp.arrays(
            np.float64,
            len(codes),
            elements=st.one_of(st.just(np.nan), st.sampled_from([1.0, 2.5, 52.52, -3.0, 0.1])),
        )
    )
    groups = 6
    found = _medians(codes, values, groups)
    frame = pd.DataFrame({"code": codes, "value": values})
    medians = frame[frame.code >= 0].groupby("code")["value"].median()
    np.testing.assert_array_equal(found, medians.reindex(range(groups)).to_numpy())


def test_distinct_points_number_positions_and_labels_once() -> None:
    lat = np.array([52.520001, 52.5200009, 52.52, np.nan, 91.0, 48.1])
    lon = np.array([13.4, 13.4, 13.4, 13.4, 13.4, 11.5])
    labels = np.array([0, 0, 1, 0, 0, -1])
    pair, first = distinct_points(lat, lon, labels, 5)
    # 52.520001 and 52.5200009 round to the same 5 decimals; another label is another pair;
    # no position, a position off the globe and no label have no pair.
    assert pair.tolist() == [0, 0, 1, -1, -1, -1]
    assert first.tolist() == [0, 2]


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_records_lacking_what_others_have(
    workers: int, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record without country, postal code or position among complete ones: the checks
    that work per distinct value must not write into shared (read-only) arrays."""
    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)
    report = validate(
        frame_of(VALID_CELLS, {"EvseID": "DE*PCK*E9*1"}, {**VALID_CELLS, "EvseID": "DE*PCK*E8*1"}),
        ruleset=ruleset,
        operator_id="DE*PCK",
        workers=workers,
    )
    found = {(f.rule, f.record) for f in report.findings}
    assert ("ADR001", 1) in found  # the bare record's country is missing
    assert {rule for rule, record in found if record == 0} == {
        rule for rule, record in found if record == 2
    }


def test_a_column_read_in_blocks_is_numbered_in_one_dictionary() -> None:
    blocks = pa.chunked_array(
        [pa.array(part, pa.large_string()) for part in (["a", "b"], [None, "c"], ["a", "d"])]
    )
    distinct = Distinct.encode_chunks(blocks)
    assert pa.array(distinct.values).take(distinct.indices).to_pylist() == [
        "a",
        "b",
        None,
        "c",
        "a",
        "d",
    ]
    assert distinct.codes.tolist() == [0, 1, -1, 2, 0, 3]
