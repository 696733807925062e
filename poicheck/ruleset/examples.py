"""A rule's own examples, run: each failing example must raise the rule's finding, and each
passing one must not (`poicheck rules test FILE`; tests/unit/ruleset/test_rule_examples.py runs
the shipped rules' examples with the same functions).

An example is set in one valid record (EXAMPLE_RECORD) and validated with its rule alone
selected; its form (a value, cells, rows, OICP JSON, OCPI Locations, a CSV or a workbook:
rulefile.schema.json) says how.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from poicheck.ruleset.model import Rule, RuleSet

if TYPE_CHECKING:
    import pandas as pd

    from poicheck.results.report import Report

Outcome = Literal["fail", "pass"]
OUTCOMES: tuple[Outcome, ...] = ("fail", "pass")

# One charging point every shipped rule passes: what an example changes a field of.
EXAMPLE_RECORD: Mapping[str, str] = MappingProxyType(
    {
        "EvseID": "DE*PCK*E1001*1",
        "ChargingPoolID": "DE*PCK*P1001",
        "ChargingStationId": "BER-ALX-01",
        "ChargingStationNames.en": "PoiCheck Alexanderplatz",
        "ChargingStationNames.de": "PoiCheck Alexanderplatz",
        "HardwareManufacturer": "ABB",
        "Address.Country": "DEU",
        "Address.City": "Berlin",
        "Address.Street": "Alexanderplatz",
        "Address.PostalCode": "10178",
        "Address.HouseNum": "1",
        "Address.Region": "Berlin",
        "Address.ParkingFacility": "false",
        "Address.TimeZone": "UTC+01:00",
        "GeoCoordinates.Latitude": "52.521918",
        "GeoCoordinates.Longitude": "13.413215",
        "Plugs": "Type 2 Outlet",
        "DynamicPowerLevel": "false",
        "ChargingFacilities.1.PowerType": "AC_3_PHASE",
        "ChargingFacilities.1.Voltage": "230",
        "ChargingFacilities.1.Amperage": "32",
        "ChargingFacilities.1.Power": "22",
        "ChargingFacilities.1.ChargingModes": "Mode_3",
        "RenewableEnergy": "true",
        "EnergySource.1.Energy": "Solar",
        "EnergySource.1.Percentage": "60",
        "EnergySource.2.Energy": "Wind",
        "EnergySource.2.Percentage": "40",
        "CalibrationLawDataAvailability": "Local",
        "AuthenticationModes": "NFC RFID Classic;REMOTE",
        "PaymentOptions": "Contract;Direct",
        "ValueAddedServices": "Reservation",
        "Accessibility": "Free publicly accessible",
        "AccessibilityLocation": "OnStreet",
        "HotlinePhoneNumber": "+493012084567",
        "AdditionalInfo.en": "Two charging points next to the taxi rank.",
        "IsOpen24Hours": "true",
        "HubOperatorID": "DE*PCK",
        "IsHubjectCompatible": "true",
        "DynamicInfoAvailable": "auto",
    }
)
ENVELOPE = {"ActionType": "fullLoad", "OperatorID": "DE*PCK", "OperatorName": "PoiCheck"}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class ExampleResult:
    """How one example of a rule behaved: `problem` says what went wrong ('' if nothing)."""

    rule: str
    outcome: Outcome  # the list the example is in: it must fail the rule, or pass it
    index: int  # 1-based, within that list
    example: str  # as people read it
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def frame_of(*records: Mapping[str, Any]) -> pd.DataFrame:
    """A canonical DataFrame (text cells, '' and None as empty) from cell dicts."""
    import pandas as pd

    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    rows = [{c: (r.get(c) or None) for c in columns} for r in records]
    return pd.DataFrame(rows, columns=list(columns), dtype="str")


def json_record(ruleset: RuleSet, cells: Mapping[str, str] | None = None) -> dict[str, Any]:
    """EXAMPLE_RECORD (or `cells`) as an OICP EvseDataRecord."""
    from poicheck.oicp.convert import Builder

    return Builder(ruleset).build(cells if cells is not None else EXAMPLE_RECORD)


def concrete(field: str, ruleset: RuleSet) -> str:
    """The first concrete column of a wildcard field (index 1, or language en)."""
    parts = field.split(".")
    for i, part in enumerate(parts):
        if part == "*":
            parent = ruleset.properties[".".join(parts[:i])]
            parts[i] = "1" if parent.shape == "object_list" else "en"
    return ".".join(parts)


def value_of(example: Any) -> str:
    """The cell value of an example given as a value (or as a text repeated)."""
    if isinstance(example, dict) and "repeat" in example:
        return str(example["repeat"] * example["times"])
    return str(example)


def run_example(rule: Rule, example: Any, directory: Path, ruleset: RuleSet) -> Report:
    """Validate one example of `rule` (its input written to `directory` where it needs a
    file) with that rule alone selected."""
    import json

    from poicheck.api import validate

    def check(source: Any, **options: Any) -> Report:
        return validate(source, ruleset=ruleset, select=[rule.id], **options)

    def written(name: str, document: Any) -> Path:
        path = directory / name
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    form = example if isinstance(example, dict) else {}
    if rule.scope == "envelope":
        return check(written("request.json", _request(rule, example, ruleset)))
    if "json" in form:
        return check(written("records.json", [{**json_record(ruleset), **form["json"]}]))
    if "ocpi" in form:  # OCPI Locations (poicheck.ocpi)
        return check(written("locations.json", form["ocpi"]))
    if "jsonl" in form:
        path = directory / "records.jsonl"
        path.write_text(str(form["jsonl"]), encoding="utf-8")
        return check(path)
    if "columns" in form:
        header = list(form["columns"])
        values = [EXAMPLE_RECORD.get(c, "x") for c in header]
        path = directory / "data.csv"
        path.write_text(",".join(header) + "\n" + ",".join(values) + "\n", encoding="utf-8")
        return check(path)
    if "csv" in form or "sheet" in form:
        from poicheck.ruleset.example_files import write_example

        path, mapping = write_example(directory, form)
        return check(path, mapping=mapping)
    operator = form.get("operator")
    if "rows" in form:
        rows = [{**EXAMPLE_RECORD, **{k: str(v) for k, v in row.items()}} for row in form["rows"]]
        return check(frame_of(*rows), operator_id=operator)
    cells = dict(EXAMPLE_RECORD)
    if "cells" in form:
        cells.update({k: str(v) for k, v in form["cells"].items()})
    else:
        cells[concrete(rule.fields[0], ruleset)] = value_of(example)
    return check(frame_of(cells), operator_id=operator)


def _request(rule: Rule, example: Any, ruleset: RuleSet) -> dict[str, Any]:
    """An eRoamingPushEvseData request whose envelope field is the example's value."""
    envelope: dict[str, Any] = dict(ENVELOPE)
    value = value_of(example)
    envelope[rule.fields[0]] = value
    if value == "":
        del envelope[rule.fields[0]]
    document = {
        "ActionType": envelope.pop("ActionType", None),
        "OperatorEvseData": {**envelope, "EvseDataRecord": [json_record(ruleset)]},
    }
    if document["ActionType"] is None:
        del document["ActionType"]
    return document


def example_problem(rule: Rule, outcome: Outcome, report: Report) -> str:
    """What is wrong with how an example behaved ('' when it behaved as its list says)."""
    unread = [f"{f.file}: {f.error}" for f in report.files if f.error]
    if unread:
        return f"the example could not be read ({unread[0]})"
    hits = [f for f in report.findings if f.rule == rule.id]
    if outcome == "pass":
        return f"the rule fired: {hits[0].message}" if hits else ""
    if not hits:
        return "the rule did not fire"
    unfilled = [h.message for h in hits if PLACEHOLDER.search(h.message or "")]
    return f"its message leaves a placeholder unfilled: {unfilled[0]}" if unfilled else ""


def check_examples(ruleset: RuleSet, rules: Iterable[Rule]) -> list[ExampleResult]:
    """Run every failing and passing example of `rules` (in a temporary directory)."""
    from poicheck.ruleset.docs import example_text

    results = []
    with tempfile.TemporaryDirectory(prefix="poicheck-examples-") as scratch:
        for rule in rules:
            for outcome in OUTCOMES:
                for index, example in enumerate(rule.examples[outcome], start=1):
                    directory = Path(scratch) / f"{rule.id}-{outcome}-{index}"
                    directory.mkdir()
                    report = run_example(rule, example, directory, ruleset)
                    problem = example_problem(rule, outcome, report)
                    results.append(
                        ExampleResult(rule.id, outcome, index, example_text(example), problem)
                    )
    return results
