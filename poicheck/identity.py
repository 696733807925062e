"""Identifiers compared as Hubject compares them: separators and case do not count.

An EvseID belongs to the operator whose ID is its operator part (03 EvseIDType, OperatorIDType):
ISO `DE*ABC*E123*1` and `DEABCE1231` both belong to `DE*ABC` / `DEABC`; DIN `+49*810*000*438`
belongs to `+49*810`. Hubject refuses a whole push with status 018 when an EvseID belongs to
neither the pushing operator nor a declared sub-operator (02 eRoamingPushEvseData).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ID_SEPARATORS = ("*", "-", "+", " ")


def normalise_id(values: pd.Series) -> pd.Series:
    """IDs without separators and in upper case (`DE*abc*E1` -> `DEABCE1`); `+` is dropped."""
    # Four plain replacements in pyarrow take half the time of one regex replacement.
    array = pa.array(values.array) if len(values) else pa.array([], pa.large_string())
    for separator in ID_SEPARATORS:
        array = pc.replace_substring(array, separator, "")
    return pd.Series(pd.array(pc.utf8_upper(array), dtype="str"), index=values.index)


def normalise_operator_id(operator_id: str) -> str:
    """`DE*ABC`, `de abc` -> `DEABC`; `+49*810` -> `49810`."""
    return "".join(ch for ch in operator_id if ch not in ID_SEPARATORS).upper()


def operator_part(evse_ids: pd.Series) -> pd.Series:
    """The normalised operator part of each EvseID (or pool ID); missing when it has none.

    NOTE: pyarrow's RE2 extract, vectorised; pandas' str.extract runs Python's re per row.
    """
    values = pa.array(evse_ids.array)
    iso = pc.extract_regex(values, "^(?P<c>[A-Za-z]{2})[*]?(?P<o>[A-Za-z0-9]{3})[*]?[EePp]")
    din = pc.extract_regex(values, "^[+]?(?P<c>[0-9]{1,3})[*](?P<o>[0-9]{3})[*]")
    empty = pa.scalar("", values.type)

    def joined(found: pa.Array) -> pa.Array:
        return pc.binary_join_element_wise(
            pc.struct_field(found, "c"), pc.struct_field(found, "o"), empty
        )

    parts = pc.coalesce(pc.utf8_upper(joined(iso)), joined(din))
    return pd.Series(pd.array(parts, dtype="str"), index=evse_ids.index)


def belongs_to(
    evse_ids: pd.Series, operator_ids: Iterable[str], parts: pd.Series | None = None
) -> np.ndarray:
    """Per ID: True when its operator part is one of `operator_ids` (or the ID is missing).

    `parts` are the IDs' operator parts when the caller has them already (`operator_part`)."""
    allowed = {normalise_operator_id(o) for o in operator_ids if o}
    parts = operator_part(evse_ids) if parts is None else parts
    ok = parts.isin(allowed) | evse_ids.isna()
    return np.asarray(ok, dtype=bool)
