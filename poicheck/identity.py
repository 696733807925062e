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

ISO_OPERATOR = r"^([A-Za-z]{2})\*?([A-Za-z0-9]{3})\*?[EePp]"
DIN_OPERATOR = r"^\+?([0-9]{1,3})\*([0-9]{3})\*"


def normalise_id(values: pd.Series) -> pd.Series:
    """IDs without separators and in upper case (`DE*abc*E1` -> `DEABCE1`); `+` is dropped."""
    return values.str.replace(r"[*\-+ ]", "", regex=True).str.upper()


def normalise_operator_id(operator_id: str) -> str:
    """`DE*ABC`, `de abc` -> `DEABC`; `+49*810` -> `49810`."""
    return "".join(ch for ch in operator_id if ch not in "*-+ ").upper()


def operator_part(evse_ids: pd.Series) -> pd.Series:
    """The normalised operator part of each EvseID (or pool ID); missing when it has none."""
    iso = evse_ids.str.extract(ISO_OPERATOR)
    din = evse_ids.str.extract(DIN_OPERATOR)
    parts = (iso[0] + iso[1]).str.upper()
    return parts.fillna(din[0] + din[1])


def belongs_to(evse_ids: pd.Series, operator_ids: Iterable[str]) -> np.ndarray:
    """Per ID: True when its operator part is one of `operator_ids` (or the ID is missing)."""
    allowed = {normalise_operator_id(o) for o in operator_ids if o}
    parts = operator_part(evse_ids)
    ok = parts.isin(allowed) | evse_ids.isna()
    return np.asarray(ok, dtype=bool)
