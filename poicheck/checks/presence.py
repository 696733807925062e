"""Row kinds: presence of values and checks that look at more than one cell of a row."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from poicheck.checks.context import CheckContext
from poicheck.checks.frame import conditions, language_column, present
from poicheck.checks.params import CONDITIONS, REGEX, TYPE, Param
from poicheck.checks.registry import Params, SchemaPart, check_kind
from poicheck.ruleset.model import Property, RuleSet


def _filled(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Per row: is any of these columns non-empty?"""
    if not columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[columns].notna().any(axis=1), dtype=bool)


@check_kind(
    "required",
    "row",
    describe=lambda params: "must not be empty",
    message="{field} is missing; it is mandatory",
)
def _required(frame: pd.DataFrame, field: str, params: Params, layout: CheckContext) -> np.ndarray:
    if field not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[field].notna(), dtype=bool)


@check_kind(
    "required_any",
    "row",
    describe=lambda params: "needs at least one entry",
    message="{field} has no entry; at least one is mandatory",
    expand="container",
)
def _required_any(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    return _filled(frame, layout.members(field))


@check_kind(
    "required_in_group",
    "row",
    describe=lambda params: "is mandatory in every list item that is given",
    message="{field} is missing; it is mandatory in every item",
)
def _required_in_group(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    item = layout.item_of(field)
    siblings = list(layout.items(item[0])[item[1]]) if item else [field]
    return np.asarray(frame[field].notna(), dtype=bool) | ~_filled(frame, siblings)


@check_kind(
    "required_together",
    "row",
    describe=lambda params: "must be given together with " + ", ".join(params["fields"]),
    message="{field} is missing while the fields it belongs with are given",
)
def _required_together(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    others = [c for c in params["fields"] if c != field and c in frame.columns]
    return np.asarray(frame[field].notna(), dtype=bool) | ~_filled(frame, others)


def _condition_schema(params: Params, prop: Property, ruleset: RuleSet) -> SchemaPart | None:
    """The rule as an if/then on the object holding the field, where OICP JSON can say it:
    every condition a sibling of the field in the same object, no list item in between."""
    from poicheck.oicp.convert import typed

    when: Mapping[str, Any] = params["when"]
    parent, name = _split(prop.path)
    others = [(path, _split(path), ruleset.properties.get(path)) for path in when]
    if "*" in prop.path or any(
        other is None or split[0] != parent or "*" in path for path, split, other in others
    ):
        return None
    condition = {
        split[1]: {"const": typed(other, str(when[path]))}
        for path, split, other in others
        if other is not None
    }
    return SchemaPart(
        condition={
            "if": {"properties": condition, "required": list(condition)},
            "then": {"required": [name]},
        }
    )


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rpartition(".")
    return parent, name


@check_kind(
    "required_if",
    "row",
    params=(
        Param(
            "when", CONDITIONS, "the values of other fields that make it mandatory", required=True
        ),
    ),
    describe=lambda params: (
        "is mandatory when " + " and ".join(f"{k} is {v}" for k, v in params["when"].items())
    ),
    message="{field} is missing; it is mandatory in this case",
    json_schema=_condition_schema,
)
def _required_if(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    return present(frame, field) | ~conditions(frame, params["when"], layout)


def _language_ok(code: str, params: Params) -> bool:
    return bool(re.fullmatch(params["pattern"], code, re.ASCII))


@check_kind(
    "language_code",
    "row",
    params=(Param("pattern", REGEX, "the pattern of a language code", required=True), TYPE),
    describe=lambda params: "columns must be named by an ISO 639 language code",
    message="'{lang}' in column {field} is not a language code",
    expand="members",
    pointer_leaf="lang",
    accepts_language=_language_ok,
)
def _language_code(
    frame: pd.DataFrame, field: str, params: Params, layout: CheckContext
) -> np.ndarray:
    item = layout.item_of(field)
    return language_column(frame, field, _language_ok(item[1] if item else "", params))
