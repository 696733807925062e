"""The answers of the data-check form, computed from the findings table.

One row per record property of the rule set (containers included, wildcard paths as such).
"Requirement met" is decided from the *error* findings of the property (for a container: of the
container itself and of every property below it), counted per record:

- **No**: every record has an error, or the property is mandatory and no record has a value;
- **Partly**: some records (not all) have an error, or the file itself has an error about the
  property (such as a duplicate column);
- **Not provided**: no error, no record has a value and the property is optional or
  conditional (the condition never applied);
- **Yes**: no error and at least one record has a value.

Warnings and infos never change the answer; the note names them with their counts and
consequence. An error keeps the record from Hubject (`poicheck export` leaves exactly those
records out), so "Yes" means no record is left out for the property.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from poicheck.findings import SEVERITY_RANK
from poicheck.ruleset.model import Property, RuleSet
from poicheck.table import CanonicalTable, Layout

ANSWERS = ("Yes", "Partly", "No", "Not provided")
USE_LABELS = {"mandatory": "M", "optional": "O", "conditional": "conditional"}
SHAPE_LABELS = {
    "object": "object",
    "object_list": "list of objects",
    "infotext_list": "InfoText list",
    "geo": "coordinates",
    "opening_times": "opening times",
}
FORM_COLUMNS = [
    "property",
    "data_type",
    "use",
    "format",
    "description",
    "example",
    "answer",
    "compliant_pct",
    "failing",
    "failing_evse_ids",
    "note",
]
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Presence:
    """How many records a dataset has, and how many of them have a value per property."""

    records: int
    present: Mapping[str, int]


def form_properties(ruleset: RuleSet) -> list[Property]:
    """The rows of the form: every record property, in data-model order."""
    return ruleset.scope_properties("record")


def data_type(prop: Property) -> str:
    """The data type as the form shows it: the OICP type name, or the shape of a container."""
    if prop.shape == "list":
        return f"list of {prop.type_name}"
    return prop.type_name or SHAPE_LABELS.get(prop.shape, prop.shape)


def containers_of(path: str, ruleset: RuleSet) -> list[str]:
    """The containers above a path (`ChargingFacilities.*.Power` -> ChargingFacilities)."""
    parts = path.split(".")
    prefixes = (".".join(parts[:i]) for i in range(1, len(parts)))
    return [p for p in prefixes if p in ruleset.properties and ruleset.properties[p].is_container]


def property_of_field(field: str, ruleset: RuleSet) -> str | None:
    """The record property a finding's field belongs to (a column or a container), or None."""
    prop = ruleset.property_for_column(field)
    if prop is not None:
        return prop.path
    container = ruleset.properties.get(field)
    if container is not None and container.scope == "record" and container.is_container:
        return container.path
    return None


def count_present(tables: Iterable[CanonicalTable], ruleset: RuleSet) -> Presence:
    """Records per property that have a value in at least one of the property's columns."""
    records = 0
    present = dict.fromkeys((p.path for p in form_properties(ruleset)), 0)
    for table in tables:
        records += len(table.frame)
        layout = Layout(table.frame.columns, ruleset)
        filled = table.frame.notna()
        for prop in form_properties(ruleset):
            columns = layout.members(prop.path) if prop.is_container else layout.matching(prop.path)
            if columns:
                present[prop.path] += int(filled[columns].any(axis=1).sum())
    return Presence(records=records, present=present)


def rules_by_property(ruleset: RuleSet) -> dict[str, list[str]]:
    """The ids of the rules that check each property (the rule's field is the property path)."""
    out: dict[str, list[str]] = {}
    for rule in sorted(ruleset.rules.values(), key=lambda r: r.id):
        for field in rule.fields:
            out.setdefault(field, []).append(rule.id)
    return out


def _targets(frame: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Findings with the form row(s) they count for: their property and its containers."""
    fields = frame["field"].dropna().unique()
    owner = {f: property_of_field(str(f), ruleset) for f in fields}
    targets = {
        f: [p, *containers_of(p, ruleset)] if p is not None else [] for f, p in owner.items()
    }
    out = frame.assign(target=frame["field"].map(targets))
    out = out.explode("target").dropna(subset=["target"])
    return out.assign(record_key=out["file"].astype(str) + "\x00" + out["record"].astype(str))


def _examples(errors: pd.DataFrame) -> pd.Series:
    labels = errors["evse_id"].where(
        errors["evse_id"].notna(), "row " + errors["row"].astype("string").fillna("?")
    )
    distinct = errors.assign(label=labels).drop_duplicates(["target", "label"])
    return distinct.groupby("target").head(MAX_EXAMPLES).groupby("target")["label"].agg(", ".join)


def _issues(found: pd.DataFrame) -> pd.Series:
    """Per form row, `RULE (severity): n records` for every rule that found something."""
    if found.empty:
        return pd.Series(dtype=object)
    fixes = found["fix"] if "fix" in found.columns else pd.Series(None, index=found.index)
    found = found.assign(fixable=found["record_key"].where(fixes.notna().to_numpy()))
    counted = found.groupby(["target", "rule", "severity", "consequence"], as_index=False).agg(
        records=("record_key", "nunique"),
        rowless=("record", lambda s: int(s.isna().sum())),
        fixable=("fixable", "nunique"),
    )
    counted["rank"] = counted["severity"].map(SEVERITY_RANK)
    counted = counted.sort_values(["target", "rank", "rule"])
    noun = np.where(counted["records"] == 1, "record", "records")
    label = counted["rule"] + " (" + counted["severity"] + ", " + counted["consequence"] + ")"
    text: pd.Series = label + ": " + counted["records"].astype(str) + " " + noun
    # `poicheck fix` repairs some of them (a fix declared on the rule applies to the value).
    fixable = " (" + counted["fixable"].astype(str) + " with a fix: poicheck fix)"
    text = text + fixable.where(counted["fixable"] > 0, "")
    text = text.where(counted["rowless"] == 0, label)
    return counted.assign(text=text).groupby("target")["text"].agg("; ".join)


def compute_answers(frame: pd.DataFrame, ruleset: RuleSet, presence: Presence) -> pd.DataFrame:
    """The form's rows (FORM_COLUMNS) from a findings table and the dataset's presence counts."""
    props = form_properties(ruleset)
    paths = [p.path for p in props]
    found = _targets(frame, ruleset)
    errors = found[(found["severity"] == "error") & found["record"].notna()]
    errors = errors.drop_duplicates(["target", "record_key"])
    failing = errors.groupby("target").size().reindex(paths, fill_value=0).to_numpy()
    file_errors = found[(found["severity"] == "error") & found["record"].isna()]
    file_level = file_errors.groupby("target").size().reindex(paths, fill_value=0).to_numpy()
    present = np.array([presence.present.get(p, 0) for p in paths])
    mandatory = np.array([p.mandatory for p in props])
    total = presence.records
    answer = np.select(
        [
            (failing >= total) & (failing > 0),
            mandatory & (present == 0),
            (failing > 0) | (file_level > 0),
            present == 0,
        ],
        ["No", "No", "Partly", "Not provided"],
        default="Yes",
    )
    compliant = (
        np.round(100.0 * (total - failing) / total, 1) if total else np.full(len(paths), np.nan)
    )
    issues = _issues(found).reindex(paths)
    checked = rules_by_property(ruleset)
    notes = [
        _note(p, issues.get(p.path), checked.get(p.path, []), int(n))
        for p, n in zip(props, present, strict=True)
    ]
    return pd.DataFrame(
        {
            "property": paths,
            "data_type": [data_type(p) for p in props],
            "use": [USE_LABELS.get(p.use, p.use) for p in props],
            "format": [p.describe_format() for p in props],
            "description": [p.description for p in props],
            "example": [p.example for p in props],
            "answer": answer,
            "compliant_pct": compliant,
            "failing": failing,
            "failing_evse_ids": _examples(errors).reindex(paths).fillna("").to_numpy(),
            "note": notes,
        },
        columns=FORM_COLUMNS,
    )


def _note(prop: Property, issues: object, rules: list[str], present: int) -> str:
    parts = []
    if isinstance(issues, str) and issues:
        parts.append(issues + ".")
    if present == 0:
        parts.append("No record has a value.")
    own = ", ".join(rules)
    if prop.is_container:
        own = f"{own} and those of its members" if own else "those of its members"
    parts.append(f"Rules: {own}." if own else "No rule checks this property.")
    return " ".join(parts)


def answer_counts(answers: pd.DataFrame) -> dict[str, int]:
    """How many form rows got each answer, in ANSWERS order."""
    counted = answers["answer"].value_counts()
    return {answer: int(counted.get(answer, 0)) for answer in ANSWERS}
