"""Row kinds: presence of values and checks that look at more than one cell of a row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from poicheck.checks.frame import conditions, language_column, present
from poicheck.checks.registry import Kind, Params, register
from poicheck.table import Layout


def _filled(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Per row: is any of these columns non-empty?"""
    if not columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[columns].notna().any(axis=1), dtype=bool)


def _required(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> np.ndarray:
    if field not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[field].notna(), dtype=bool)


register(
    Kind(
        name="required",
        scope="row",
        func=_required,
        describe=lambda params: "must not be empty",
        message="{field} is missing; it is mandatory",
    )
)


def _required_any(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> np.ndarray:
    return _filled(frame, layout.members(field))


register(
    Kind(
        name="required_any",
        scope="row",
        func=_required_any,
        describe=lambda params: "needs at least one entry",
        message="{field} has no entry; at least one is mandatory",
        expand="container",
    )
)


def _required_in_group(
    frame: pd.DataFrame, field: str, params: Params, layout: Layout
) -> np.ndarray:
    item = layout.item_of(field)
    siblings = list(layout.items(item[0])[item[1]]) if item else [field]
    return np.asarray(frame[field].notna(), dtype=bool) | ~_filled(frame, siblings)


register(
    Kind(
        name="required_in_group",
        scope="row",
        func=_required_in_group,
        describe=lambda params: "is mandatory in every list item that is given",
        message="{field} is missing; it is mandatory in every item",
    )
)


def _required_together(
    frame: pd.DataFrame, field: str, params: Params, layout: Layout
) -> np.ndarray:
    others = [c for c in params["fields"] if c != field and c in frame.columns]
    return np.asarray(frame[field].notna(), dtype=bool) | ~_filled(frame, others)


register(
    Kind(
        name="required_together",
        scope="row",
        func=_required_together,
        describe=lambda params: "must be given together with " + ", ".join(params["fields"]),
        message="{field} is missing while the fields it belongs with are given",
    )
)


def _required_if(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> np.ndarray:
    return present(frame, field) | ~conditions(frame, params["when"], layout)


register(
    Kind(
        name="required_if",
        scope="row",
        func=_required_if,
        required=("when",),
        describe=lambda params: (
            "is mandatory when " + " and ".join(f"{k} is {v}" for k, v in params["when"].items())
        ),
        message="{field} is missing; it is mandatory in this case",
    )
)


def _language_code(frame: pd.DataFrame, field: str, params: Params, layout: Layout) -> np.ndarray:
    item = layout.item_of(field)
    lang = item[1] if item else ""
    return language_column(frame, field, bool(re.fullmatch(params["pattern"], lang, re.ASCII)))


register(
    Kind(
        name="language_code",
        scope="row",
        func=_language_code,
        required=("pattern",),
        describe=lambda params: "columns must be named by an ISO 639 language code",
        message="'{lang}' in column {field} is not a language code",
        expand="members",
    )
)
