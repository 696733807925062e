"""The one-pass ownership test agrees with the operator parts it stands for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poicheck.oicp.identifiers import belongs_to, operator_part, owned

OPERATORS = ["DE*PCK", "de pck", "AT*VLT", "+49*810", "49810", "DE*PC", "X", ""]
PIECES = ["DE", "de", "AT", "+49", "49", "1", "FR", "*", "", "PCK", "pcK", "VLT", "810", "E", "e"]
PIECES += ["P", "*E1*1", "1234", "-", " ", "ä", "Ｅ"]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    ids=st.lists(
        st.one_of(st.none(), st.lists(st.sampled_from(PIECES), max_size=6).map("".join)),
        min_size=1,
        max_size=30,
    ),
    operators=st.lists(st.sampled_from(OPERATORS), max_size=3),
)
def test_owned_is_belongs_to_or_no_operator_part(
    ids: list[str | None], operators: list[str]
) -> None:
    series = pd.Series(ids, dtype="str")
    parts = operator_part(series)
    expected = belongs_to(series, operators, parts) | parts.isna().to_numpy()
    found = owned(pa.array(ids, type=pa.large_string()), operators)
    assert np.array_equal(found, expected), list(zip(ids, found, expected, strict=True))


def test_examples() -> None:
    ids = ["DE*PCK*E1*1", "depcke11", "AT*VLT*E2", "+49*810*000*438", "FR*ELC*E9", "junk", None]
    found = owned(pa.array(ids, type=pa.large_string()), ["DE*PCK", "+49*810"])
    assert found.tolist() == [True, True, False, True, False, True, True]
