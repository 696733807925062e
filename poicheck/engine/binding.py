"""The engine: rules bound to columns, run as vectorised masks, failures turned into findings.

Cell kinds run on one column's pyarrow string array, row kinds on the table; every check is
named `<rule id>|<column>` so that a failure maps straight back to rule and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from poicheck.checks import Kind, get_kind
from poicheck.checks.context import CheckContext
from poicheck.ruleset.model import Rule, RuleSet
from poicheck.ruleset.params import resolve_params

ENVELOPE_POINTERS = {
    "ActionType": "/ActionType",
    "OperatorID": "/OperatorEvseData/OperatorID",
    "OperatorName": "/OperatorEvseData/OperatorName",
}


@dataclass(frozen=True)
class Binding:
    """One rule applied to one concrete column."""

    rule: Rule
    kind: Kind
    column: str
    params: Mapping[str, Any]

    @property
    def name(self) -> str:
        return f"{self.rule.id}|{self.column}"


def bind(
    ruleset: RuleSet, layout: CheckContext, scope: str, input_format: str | None = None
) -> list[Binding]:
    """Expand every rule of a scope to the columns of this table (of an input of
    `input_format`: rules that apply to another family of inputs are left out)."""
    bindings: list[Binding] = []
    for rule in ruleset.rules.values():
        kind = get_kind(rule.kind)
        if rule.scope != scope or kind.scope == "reader":
            continue
        if input_format is not None and not rule.applies(input_format):
            continue
        for field in rule.fields:
            prop = ruleset.properties[field]
            params = resolve_params(rule, prop, ruleset)
            if kind.expand == "container":
                columns = [field]
            elif kind.expand == "members":
                columns = layout.members(field)
            else:
                columns = layout.matching(field)
            bindings.extend(Binding(rule, kind, column, params) for column in columns)
    return bindings


ENGINES = ("arrow", "pandera")


def compile_pandera(bindings: list[Binding]) -> Any:
    """The cell checks as a pandera DataFrameSchema: one column per canonical column, one
    check per rule, named `<rule id>|<column>` (validate lazily to get every failure)."""
    import pandera.pandas as pandera

    columns: dict[str, list[Any]] = {}
    for binding in bindings:
        if binding.kind.scope == "cell":
            columns.setdefault(binding.column, []).append(
                pandera.Check(_pandera_check(binding), name=binding.name, ignore_na=False)
            )
    return pandera.DataFrameSchema(
        {
            name: pandera.Column(None, checks=checks, nullable=True, required=False)
            for name, checks in columns.items()
        }
    )


def _pandera_check(binding: Binding) -> Any:
    def check(series: pd.Series) -> pd.Series:
        mask = binding.kind.func(_arrow_strings(series), binding.params)  # type: ignore[misc]
        return pd.Series(np.asarray(mask, dtype=bool), index=series.index)

    return check


def _pandera_failures(frame: pd.DataFrame, bindings: list[Binding]) -> pd.DataFrame:
    from pandera.errors import SchemaErrors

    names = {b.name for b in bindings if b.kind.scope == "cell"}
    try:
        compile_pandera(bindings).validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["check"].isin(names)]
        return pd.DataFrame(
            {"check": cases["check"].astype(str), "index": cases["index"].astype("int64")}
        )
    return pd.DataFrame({"check": pd.Series([], dtype=str), "index": pd.Series([], dtype="int64")})


def failures(
    frame: pd.DataFrame,
    bindings: list[Binding],
    layout: CheckContext,
    engine: str = "arrow",
) -> pd.DataFrame:
    """Every failure as (check name, record index).

    Every kind is a vectorised function. The `arrow` engine calls the cell kinds on each
    column's distinct values (`layout.distinct`: from the reader, or encoded once) and
    broadcasts the verdicts back to the cells: a column of a million cells has a few thousand
    distinct values. The `pandera` engine runs the same functions on whole columns as a lazy
    pandera schema (compile_pandera), with the same failures but slower (benchmarks/,
    issue 8). Row kinds, which pandera cannot express per column, run directly in both.
    """
    parts = [
        pd.DataFrame({"check": pd.Series([], dtype=str), "index": pd.Series([], dtype="int64")})
    ]
    if engine == "pandera":
        parts.append(_pandera_failures(frame, bindings))
    for binding in bindings:
        if binding.kind.scope == "cell" and engine == "pandera":
            continue
        if binding.kind.scope == "cell":
            if binding.column not in frame.columns:
                continue
            values = layout.distinct(frame, binding.column)
            verdicts = binding.kind.func(values.values, binding.params)  # type: ignore[misc]
            mask = values.broadcast(verdicts, empty=True)
            details: dict[str, Any] = {}
        elif binding.kind.scope == "row":
            result = binding.kind.func(frame, binding.column, binding.params, layout)  # type: ignore[misc]
            mask, details = result if isinstance(result, tuple) else (result, {})
        else:
            continue
        failed = np.flatnonzero(~np.asarray(mask, dtype=bool))
        if len(failed):
            parts.append(pd.DataFrame({"check": binding.name, "index": failed.astype("int64")}))
            if details:
                # Kept for the failing rows only (in the order of `failed`): a row kind's
                # details span the table, and a million-row table has dozens of them.
                layout.details[binding.name] = {
                    key: _at(value, failed) for key, value in details.items()
                }
    return pd.concat(parts, ignore_index=True)


def _at(detail: Any, rows: np.ndarray) -> np.ndarray:
    """A row kind's detail at `rows`: a text meant for every row, or one value per row."""
    if isinstance(detail, str):
        return np.full(len(rows), detail, dtype=object)
    values = detail if isinstance(detail, np.ndarray) else np.asarray(detail, dtype=object)
    return values[rows].astype(object, copy=False)


def _arrow_strings(series: pd.Series) -> pa.Array:
    """A column as the pyarrow string array cell kinds take (nulls for empty cells)."""
    return pa.array(series.array)


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_message(
    binding: Binding | None,
    rule: Rule,
    value: str | None,
    extra: Mapping[str, Any],
    base: Mapping[str, Any] | None = None,
) -> str:
    """Fill a rule's message template for one value. `base` is `message_base` of the same
    binding (and field), when the caller renders many messages of one binding."""
    kind = get_kind(rule.kind)
    field = binding.column if binding else str(extra.get("field", ""))
    context = _Lenient(base if base is not None else message_base(binding, rule, field))
    text = "" if value is None else str(value)
    params = binding.params if binding else {}
    context.update(
        value=text,
        length=len(text),
        characters=f"{len(text)} character{'' if len(text) == 1 else 's'}",
        hint=kind.hint(text, params) if (kind.hint and binding and value is not None) else "",
    )
    context.update(extra)
    # str.format_map is string.Formatter's work in C; the lenient mapping keeps an unknown
    # {name} as written.
    return (rule.message or kind.message).format_map(context)


def message_base(binding: Binding | None, rule: Rule, field: str) -> dict[str, Any]:
    """What a rule's messages say whatever the value: parameters, field, expectation."""
    kind = get_kind(rule.kind)
    params = dict(binding.params) if binding else {}
    context = {k: v for k, v in params.items() if not isinstance(v, (list, tuple))}
    context.update(field=field, expectation=kind.describe(params) if binding else "")
    if "enum" in params:
        allowed = list(params["enum"])
        context["allowed"] = (
            ", ".join(f"'{a}'" for a in allowed)
            if len(allowed) <= 8
            else f"the {len(allowed)} values listed by `poicheck rules explain {rule.id}`"
        )
    if "max" in params:
        context["limits"] = (
            f"{params['min']} to {params['max']}"
            if params.get("min")
            else f"at most {params['max']}"
        )
    item = field.rsplit(".", 1)
    context.setdefault("lang", item[1] if len(item) == 2 else "")
    return context
