"""Values for the OICP properties OCPI has no field for (HotlinePhoneNumber,
CalibrationLawDataAvailability, IsHubjectCompatible, DynamicInfoAvailable, ...): the
configuration's `ocpi.defaults`, applied to the records of OCPI input that have none.

They are the operator's constants, as OperatorID and OperatorName are; the rules check them
like any other value. A value the OCPI data gives is never replaced.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from poicheck.errors import UsageError
from poicheck.ocpi.detect import FORMAT
from poicheck.oicp.wire import text_of
from poicheck.ruleset.model import RuleSet
from poicheck.table import TEXT, CanonicalTable, canonical_order


def cells(defaults: Mapping[str, Any], ruleset: RuleSet) -> dict[str, str]:
    """The defaults as canonical cells; a UsageError names a key that is no OICP column."""
    out = {}
    for column, value in defaults.items():
        if ruleset.property_for_column(str(column)) is None:
            known = [p.path for p in ruleset.scope_properties("record") if not p.is_container]
            close = difflib.get_close_matches(str(column), known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"ocpi.defaults: '{column}' is not an OICP record property{hint}")
        if isinstance(value, list):
            out[str(column)] = ";".join(text_of(item) for item in value)
        else:
            out[str(column)] = text_of(value)
    return out


def with_defaults(
    table: CanonicalTable, defaults: Mapping[str, Any] | None, ruleset: RuleSet
) -> CanonicalTable:
    """`table` with the empty cells of the `defaults` columns filled, if it was read from
    OCPI; any other table as it is."""
    if not defaults or table.source.format != FORMAT:
        return table
    given = cells(defaults, ruleset)
    frame = table.frame.copy()
    for column, value in given.items():
        if column not in frame.columns:
            frame[column] = pd.Series([value] * len(frame), dtype=TEXT, index=frame.index)
        else:
            frame[column] = frame[column].fillna(value)
    frame = frame[canonical_order(list(frame.columns), ruleset)]
    return dataclasses.replace(table, frame=frame, encoded={})
