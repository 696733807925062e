"""Properties of `poicheck fix` on generated records (tests/strategies.py) made messy the way
people and spreadsheets make them (case, separators, units, full-width digits, spaces, float
noise, decimal commas, yes/no words, one-digit hours):

- applying the safe fixes never introduces a finding that was not there;
- every messy value a safe fix is declared for is repaired or held back with a reason;
- fixing twice changes nothing the second time;
- and the same through the files: a CSV written, fixed into a copy, the copy re-read.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pycountry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck import validate
from poicheck.fix.plan import keys, plan_fixes
from poicheck.fix.run import FixOptions, fix_file
from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet
from tests.corpus import csv_bytes
from tests.strategies import valid_records
from tests.unit.fix.test_fix import table_of

# The field and input rules (a generator cannot make addresses, positions and phone numbers
# agree: tests/acceptance/test_properties.py), with the text hygiene rule.
RULESET: RuleSet = load_ruleset().with_rules(
    r for r in load_ruleset().rules.values() if r.category in ("field", "input") or r.id == "TXT012"
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNITS = {"Power": "kW", "Voltage": "V", "Amperage": "A", "MaxCapacity": "kWh"}
WORDS = {"true": ["yes", "ja", "1", "WAHR", "oui"], "false": ["no", "nein", "0", "falsch"]}


def _wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def messy_values(column: str, value: str) -> list[str]:
    """How people and spreadsheets write `value` of `column` otherwise, meaning the same."""
    prop = RULESET.property_for_column(column)
    if prop is None:
        return []
    out: list[str] = []
    if prop.enum:
        out += [value.lower(), value.upper(), value.replace("_", " ")]
    if prop.base == "boolean":
        out += WORDS.get(value.lower(), [])
    unit = UNITS.get(column.rsplit(".", 1)[-1])
    if unit and value.isdigit():
        out += [f"{value}{unit}", f"{value} {unit}", _wide(value)]
    if prop.type_name == "GeoCoordinatesDecimalDegreeFormatType":
        whole, _, fraction = value.partition(".")
        out += [f"{whole}.{fraction.ljust(6, '0')}4999999", value.replace(".", ",")]
    if prop.type_name == "EvseIDType":
        out.append(value.lower())
    if prop.type_name == "CountryCodeType" and pycountry.countries.get(alpha_3=value):
        out.append(pycountry.countries.get(alpha_3=value).alpha_2.lower())
    if prop.shape == "opening_times":
        out.append(value.replace("0", "", 1) if value[value.find(" ") + 1] == "0" else value)
    if column.startswith(("ChargingStationNames.", "AdditionalInfo.")):
        out += [f" {value} ", value.replace(" ", "  ")]
    return [v for v in out if v != value]


@st.composite
def messy_records(draw: st.DrawFn) -> tuple[list[dict[str, str]], set[tuple[int, str]]]:
    """Valid records with some cells made messy, and which cells."""
    records = draw(st.lists(valid_records(RULESET), min_size=1, max_size=3))
    planted: set[tuple[int, str]] = set()
    for index, record in enumerate(records):
        for column in draw(st.lists(st.sampled_from(sorted(record)), max_size=6, unique=True)):
            options = messy_values(column, record[column])
            if options:
                record[column] = draw(st.sampled_from(options))
                planted.add((index, column))
    return records, planted


def _check(table: Any) -> Any:
    return validate(table, ruleset=RULESET)


@SETTINGS
@given(messy_records())
def test_safe_fixes_introduce_no_finding_and_fixing_twice_changes_nothing(
    messy: tuple[list[dict[str, str]], set[tuple[int, str]]],
) -> None:
    records, planted = messy
    table = table_of(*records)
    report = _check(table)
    plan = plan_fixes(table, report, _check, RULESET)
    assert keys(plan.report.frame) <= keys(report.frame)
    assert set(plan.changes["applicability"]) <= {"safe"}
    # Fixed in memory is what a fresh validation of the fixed table says.
    assert keys(_check(plan.table).frame) == keys(plan.report.frame)
    again = plan_fixes(plan.table, plan.report, _check, RULESET)
    assert again.changes.empty, again.changes.to_dict(orient="records")
    # Every messy cell that got a finding with a safe fix is repaired or held back.
    marked = report.frame[report.frame["fix"] == "safe"]
    wanted = {(int(r), str(f)) for r, f in zip(marked["record"], marked["field"], strict=True)}
    done = {
        (int(r), str(c))
        for frame in (plan.changes, plan.held_back)
        for r, c in zip(frame["record"], frame["column"], strict=True)
    }
    assert wanted <= done
    assert wanted & planted <= done


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(messy_records(), st.sampled_from([(",", "utf-8", "\n"), (";", "cp1252", "\r\n")]))
def test_through_the_files(
    tmp_path_factory: Any,
    messy: tuple[list[dict[str, str]], set[tuple[int, str]]],
    dialect: tuple[str, str, str],
) -> None:
    records, _ = messy
    delimiter, encoding, newline = dialect
    header = list(dict.fromkeys(c for r in records for c in r))
    rows = [header, *[[r.get(c, "") for c in header] for r in records]]
    if encoding != "utf-8":
        rows = [[_encodable(cell, encoding) for cell in row] for row in rows]
    directory = tmp_path_factory.mktemp("fix")
    source = directory / "evse.csv"
    source.write_bytes(csv_bytes(rows, delimiter=delimiter, encoding=encoding, newline=newline))
    written = source.read_bytes()
    options = {"rules": (), "select": sorted(RULESET.rules)}
    first = fix_file(source, FixOptions(output=directory / "out.csv", checks=options))
    assert keys(first.after.frame) <= keys(first.before.frame)
    second = fix_file(
        directory / "out.csv", FixOptions(output=directory / "again.csv", checks=options)
    )
    assert second.changes.empty
    assert (directory / "again.csv").read_bytes() == (directory / "out.csv").read_bytes()
    assert source.read_bytes() == written  # the input is never written


def _encodable(text: str, encoding: str) -> str:
    """`text` with what the encoding cannot hold replaced (a cp1252 file holds no emoji)."""
    kept = unicodedata.normalize("NFC", text)
    return kept.encode(encoding, errors="replace").decode(encoding)
