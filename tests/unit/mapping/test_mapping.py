"""Column mappings: loading with located errors, applying (aliases, value translations, units,
splits), proposing with `poicheck map`, and a foreign layout that validates once mapped."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from poicheck import validate
from poicheck.cli import cli
from poicheck.cli import map as _map  # noqa: F401  (registers the command)
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.errors import UsageError
from poicheck.files.yaml_loader import load_yaml
from poicheck.mapping import load_mapping, parse_mapping, scaled
from poicheck.mapping.propose import propose_file, render, vocabulary
from poicheck.readers import read_table
from poicheck.ruleset.model import RuleSet
from tests.corpus import write_sheet
from tests.records import VALID_CELLS, write_json

OPERATOR = ["--operator-id", "DE*PCK", "--operator-name", "PoiCheck Demo Hub"]
# The valid record in an operator's own German layout: header -> (canonical column, value).
GERMAN: dict[str, tuple[str, Any]] = {
    "Ladepunkt-ID": ("EvseID", "DE*PCK*E1001*1"),
    "Standort-ID": ("ChargingPoolID", "DE*PCK*P1001"),
    "Ladestation-ID": ("ChargingStationId", "BER-ALX-01"),
    "Name": ("ChargingStationNames.en", "PoiCheck Alexanderplatz"),
    "Standortname": ("ChargingStationNames.de", "PoiCheck Alexanderplatz"),
    "Hersteller": ("HardwareManufacturer", "ABB"),
    "Land": ("Address.Country", "DEU"),
    "Ort": ("Address.City", "Berlin"),
    "Straße": ("Address.Street", "Alexanderplatz"),
    "PLZ": ("Address.PostalCode", "10178"),
    "Hausnummer": ("Address.HouseNum", "1"),
    "Bundesland": ("Address.Region", "Berlin"),
    "Parkhaus": ("Address.ParkingFacility", "nein"),
    "Zeitzone": ("Address.TimeZone", "UTC+01:00"),
    "Koordinaten": ("GeoCoordinates", "52.521918, 13.413215"),
    "Stecker": ("Plugs", "Typ 2"),
    "Lastmanagement": ("DynamicPowerLevel", "nein"),
    "Ladeart": ("ChargingFacilities.1.PowerType", "AC 3-phasig"),
    "Spannung": ("ChargingFacilities.1.Voltage", 230),
    "Stromstärke": ("ChargingFacilities.1.Amperage", 32),
    "Leistung (W)": ("ChargingFacilities.1.Power", 22000),
    "Lademodus": ("ChargingFacilities.1.ChargingModes", "Mode 3"),
    "Ökostrom": ("RenewableEnergy", "ja"),
    "EnergySource.1.Energy": ("EnergySource.1.Energy", "Solar"),
    "EnergySource.1.Percentage": ("EnergySource.1.Percentage", 60),
    "EnergySource.2.Energy": ("EnergySource.2.Energy", "Windkraft"),
    "EnergySource.2.Percentage": ("EnergySource.2.Percentage", 40),
    "Eichrecht": ("CalibrationLawDataAvailability", "lokal"),
    "Authentifizierung": ("AuthenticationModes", "NFC RFID Classic;App"),
    "Zahlungsart": ("PaymentOptions", "Vertrag;Ad-hoc"),
    "Zusatzdienste": ("ValueAddedServices", "Reservation"),
    "Zugang": ("Accessibility", "Free publicly accessible"),
    "Standorttyp": ("AccessibilityLocation", "Straße"),
    "Hotline": ("HotlinePhoneNumber", "+493012084567"),
    "Additional Info": ("AdditionalInfo.en", "Two charging points next to the taxi rank."),
    "24/7": ("IsOpen24Hours", "ja"),
    "Hub Operator ID": ("HubOperatorID", "DE*PCK"),
    "Hubject-kompatibel": ("IsHubjectCompatible", "ja"),
    "Dynamische Daten": ("DynamicInfoAvailable", "auto"),
    "Interne Nr.": ("", "A-17"),
}


def german_workbook(path: Path) -> Path:
    header = list(GERMAN)
    first = [value for _, value in GERMAN.values()]
    second = [
        ("DE*PCK*E1001*2" if h == "Ladepunkt-ID" else v) for h, v in zip(header, first, strict=True)
    ]
    return write_sheet(path, [["EVSE-Export PoiCheck GmbH"], header, first, second])


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.mark.slow
def test_a_foreign_layout_validates_after_poicheck_map(runner: CliRunner, tmp_path: Path) -> None:
    data = german_workbook(tmp_path / "ladepunkte.xlsx")
    unmapped = runner.invoke(cli, ["validate", str(data), *OPERATOR])
    assert unmapped.exit_code == 1
    assert "Column 'Ladepunkt-ID' is not part of the canonical layout" in unmapped.output
    made = runner.invoke(cli, ["map", str(data), "--out", "mapping.yaml"])
    assert made.exit_code == 0, made.output
    text = (tmp_path / "mapping.yaml").read_text(encoding="utf-8")
    mapping = load_yaml(text)
    columns = mapping["columns"]
    # The review: every guess is marked, the rest is certain.
    assert [h for h in columns if "check:" in _line(text, h)] == []
    assert columns["Koordinaten"] == {
        "to": ["GeoCoordinates.Latitude", "GeoCoordinates.Longitude"],
        "split": ",",
    }
    assert columns["Leistung (W)"]["unit"] == {"from": "W", "to": "kW"}
    assert columns["Stecker"]["values"] == {"Typ 2": "Type 2 Outlet"}
    assert columns["Interne Nr."] is None
    assert "EnergySource.1.Energy" not in columns  # canonical already
    for header, (target, _) in GERMAN.items():
        if target and header in columns and isinstance(columns[header], str):
            assert columns[header] == target
    result = runner.invoke(cli, ["validate", str(data), *OPERATOR, "--mapping", "mapping.yaml"])
    assert result.exit_code == 0, result.output
    report = validate(data, mapping=tmp_path / "mapping.yaml", operator_id="DE*PCK")
    assert sorted({(f.rule, f.severity) for f in report.findings}) == [
        ("TBL001", "info"),
        ("TBL003", "info"),
    ]
    table = read_table(data, report.ruleset, mapping=load_mapping("mapping.yaml", report.ruleset))
    record = table.frame.iloc[0].to_dict()
    assert record["ChargingFacilities.1.Power"] == "22"
    assert record["GeoCoordinates.Longitude"] == "13.413215"
    assert record["AccessibilityLocation"] == "OnStreet"
    assert record["EnergySource.2.Energy"] == "Wind"
    assert record["AuthenticationModes"] == "NFC RFID Classic;REMOTE"


def _line(text: str, header: str) -> str:
    return next(
        line
        for line in text.splitlines()
        if line.startswith(f"  {json.dumps(header, ensure_ascii=False)}")
    )


@pytest.mark.slow
def test_map_never_overwrites_a_reviewed_mapping(runner: CliRunner, tmp_path: Path) -> None:
    data = german_workbook(tmp_path / "ladepunkte.xlsx")
    (tmp_path / "mapping.yaml").write_text("# reviewed\n")
    refused = runner.invoke(cli, ["map", str(data), "--out", "mapping.yaml"])
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert (tmp_path / "mapping.yaml").read_text() == "# reviewed\n"
    forced = runner.invoke(cli, ["map", str(data), "--out", "mapping.yaml", "--force"])
    assert forced.exit_code == 0
    printed = runner.invoke(cli, ["map", str(data)])
    assert printed.stdout == (tmp_path / "mapping.yaml").read_text(encoding="utf-8").replace(
        "--mapping mapping.yaml", "--mapping MAPPING.yaml"
    )


def test_validate_with_a_broken_mapping_is_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    data = german_workbook(tmp_path / "ladepunkte.xlsx")
    (tmp_path / "bad.yaml").write_text("version: 1\ncolumns:\n  Ort: Address.Cty\n")
    for mapping, says in (("nowhere.yaml", "no such mapping file"), ("bad.yaml", "Address.City")):
        result = runner.invoke(cli, ["validate", str(data), "--mapping", mapping])
        assert result.exit_code == 2
        assert result.output.startswith(f"poicheck: error: {mapping}: ")
        assert says in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_map_of_json_or_a_missing_file_is_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    path = write_json(tmp_path / "data.json", [])
    for target in (path, tmp_path / "missing.csv"):
        result = runner.invoke(cli, ["map", str(target)])
        assert result.exit_code == 2
        assert result.output.startswith("poicheck: error:")


def test_map_proposes_for_a_cp1252_csv_and_marks_guesses(tmp_path: Path, ruleset: RuleSet) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Ladepunkt", "Hausnumer", "GPS Position", "Stecker", "Wer weiß"])
    writer.writerow(["DE*PCK*E1", "1", "52,5219 13,4132", "Typ 2;Wundersteckdose", "?"])
    path = tmp_path / "export.csv"
    path.write_bytes(buffer.getvalue().encode("cp1252"))
    proposal = propose_file(str(path), ruleset)
    entries = {e.header: e for e in proposal.entries}
    assert entries["Ladepunkt"].targets == ("EvseID",)
    assert entries["Hausnumer"].targets == ("Address.HouseNum",)
    assert "check" in entries["Hausnumer"].note
    assert entries["GPS Position"].split == " "
    assert entries["Stecker"].values == {"Typ 2": ("Type 2 Outlet", "known spelling")}
    assert entries["Stecker"].unresolved == ["Wundersteckdose"]
    assert entries["Wer weiß"].targets == ()
    text = render(proposal)
    assert '"Wundersteckdose" has no match' in text
    parse_mapping(load_yaml(text), ruleset)


# --- loading --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "key", "says"),
    [
        ({"Ort": "Address.Cty"}, "columns/Ort/to", "did you mean Address.City?"),
        ({"Ort": {"to": "Address.City", "unit": {"from": "W", "to": "kW"}}}, "", ""),
        ({"X": {"to": "Plugs", "values": {"Typ 2": "Type 2"}}}, "columns/X/values/Typ 2", "Type 2"),
        (
            {"X": {"to": "RenewableEnergy", "values": {"ja": "yes"}}},
            "columns/X/values/ja",
            "true, false",
        ),
        (
            {"X": {"to": "ChargingFacilities.1.Power", "unit": {"from": "W", "to": "V"}}},
            "columns/X/unit",
            "power",
        ),
        (
            {"X": {"to": "ChargingFacilities.1.Power", "unit": {"from": "PS", "to": "kW"}}},
            "columns/X/unit",
            "PS",
        ),
        ({"X": {"to": "Plugs", "factor": 2, "unit": {"from": "W", "to": "kW"}}}, "columns/X", ""),
        ({"X": {"to": ["GeoCoordinates.Latitude", "GeoCoordinates.Longitude"]}}, "columns/X", ""),
        ({"X": {"to": "Plugs", "split": ","}}, "columns/X", ""),
        ({"EVSE ID": "EvseID", "evse  id": "EvseID"}, "columns/evse  id", "given already"),
        ({"X": {"to": "EvseID", "valeus": {}}}, "columns/X", ""),
    ],
    ids=[
        "target",
        "unit-on-text",
        "enum-value",
        "boolean-value",
        "unit-quantity",
        "unit-name",
        "unit-and-factor",
        "list-without-split",
        "split-without-list",
        "duplicate-header",
        "misspelt-key",
    ],
)
def test_mapping_errors_name_the_file_and_key(
    columns: dict[str, Any], key: str, says: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(json.dumps({"version": 1, "columns": columns}), encoding="utf-8")
    if not key:  # a unit on a text column is allowed (and harmless)
        load_mapping(path, ruleset)
        return
    with pytest.raises(UsageError) as caught:
        load_mapping(path, ruleset)
    assert caught.value.location == str(path)
    assert f"at key '{key}" in caught.value.message
    assert says in caught.value.message


def test_mapping_file_is_yaml_1_2(tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(
        "version: 1\ncolumns:\n  on:\n    to: IsOpen24Hours\n"
        "    values: {ja: true, nein: false, yes: 'true', 1: true}\n  2024: ChargingStationId\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path, ruleset)
    rule = mapping.rule_for("ON")
    assert rule is not None
    assert rule.targets == ("IsOpen24Hours",)
    assert dict(rule.values) == {"ja": "true", "nein": "false", "yes": "true", "1": "true"}
    assert mapping.rule_for("2024") is not None


@pytest.mark.parametrize(
    "content", ["", "version: 1\n", "- a\n", "version: 2\ncolumns: {}\n", "columns: [\n"]
)
def test_broken_mapping_files(content: str, tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_mapping(path, ruleset)
    assert str(path) in str(caught.value)
    with pytest.raises(UsageError, match="no such mapping file"):
        load_mapping(tmp_path / "nowhere.yaml", ruleset)


# --- applying -------------------------------------------------------------------------------


def mapped(tmp_path: Path, ruleset: RuleSet, text: str, columns: dict[str, Any]) -> Any:
    data = tmp_path / "data.csv"
    data.write_text(text, encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(json.dumps({"version": 1, "columns": columns}), encoding="utf-8")
    return data, mapping


def test_values_units_and_headers_in_any_case(tmp_path: Path, ruleset: RuleSet) -> None:
    data, mapping = mapped(
        tmp_path,
        ruleset,
        "EVSE  id;STECKER;Leistung;Spannung\n"
        'DE*PCK*E1;"Typ 2 ; ccs";22000;0,4\nDE*PCK*E2;Typ 2;3700;0.23\nDE*PCK*E3;CHAdeMO;n/a;\n',
        {
            "EVSE-ID": "EvseID",
            "evse id": "EvseID",
            "Stecker": {"to": "Plugs", "values": {"typ 2": "Type 2 Outlet", "CCS": "CHAdeMO"}},
            "Leistung": {"to": "ChargingFacilities.1.Power", "unit": {"from": "W", "to": "kW"}},
            "Spannung": {"to": "ChargingFacilities.1.Voltage", "factor": 1000},
        },
    )
    table = read_table(data, ruleset, mapping=load_mapping(mapping, ruleset))
    assert table.frame["Plugs"].tolist() == ["Type 2 Outlet;CHAdeMO", "Type 2 Outlet", "CHAdeMO"]
    assert table.frame["ChargingFacilities.1.Power"].tolist() == ["22", "3.7", "n/a"]
    voltages = table.frame["ChargingFacilities.1.Voltage"].fillna("(empty)").tolist()
    assert voltages == ["400", "230", "(empty)"]
    report = validate(data, mapping=mapping, select=["PWR007", "TBL"])
    assert sorted((f.rule, f.row, f.value) for f in report.findings) == [
        ("PWR007", 3, "3.7"),
        ("PWR007", 4, "n/a"),
    ]


@pytest.mark.parametrize(
    ("text", "factor", "result"),
    [
        ("22000", "0.001", "22"),
        ("3700", "0.001", "3.7"),
        ("22000,5", "0.001", "22.0005"),
        ("22,000", "0.001", "22,000"),
        ("-5", "1000", "-5000"),
        ("0", "0.001", "0"),
        ("kW", "2", "kW"),
    ],
)
def test_scaled(text: str, factor: str, result: str) -> None:
    from decimal import Decimal

    assert scaled(text, Decimal(factor)) == result


def test_split_columns_and_cells_that_cannot_be_split(tmp_path: Path, ruleset: RuleSet) -> None:
    data, mapping = mapped(
        tmp_path,
        ruleset,
        'EvseID,Lage\nDE*PCK*E1,"52.52 ,13.41"\nDE*PCK*E2,52.52\nDE*PCK*E3,\n',
        {"Lage": {"to": ["GeoCoordinates.Latitude", "GeoCoordinates.Longitude"], "split": ","}},
    )
    table = read_table(data, ruleset, mapping=load_mapping(mapping, ruleset))
    assert table.frame["GeoCoordinates.Longitude"].fillna("").tolist() == ["13.41", "", ""]
    report = validate(data, mapping=mapping, select=["TBL"])
    assert [(f.rule, f.row, f.field, f.value) for f in report.findings] == [
        ("TBL013", 3, "GeoCoordinates.Latitude", "52.52")
    ]


def test_unknown_and_ignored_columns_are_said_once_never_dropped_silently(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    data, mapping = mapped(
        tmp_path,
        ruleset,
        "EvseID;Bemerkung;Intern\nDE*PCK*E1;a;b\nDE*PCK*E2;c;d\n",
        {"Intern": None},
    )
    report = validate(data, mapping=mapping, select=["TBL"])
    assert [(f.rule, f.field, f.row) for f in report.findings] == [
        ("TBL001", "Bemerkung", None),
        ("TBL001", "Intern", None),
    ]
    assert "the mapping ignores it" in report.findings[1].message


def test_a_mapping_leaves_json_alone(tmp_path: Path, ruleset: RuleSet) -> None:
    from tests.records import json_record

    data = write_json(tmp_path / "records.json", [json_record(ruleset)])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text('{"version": 1, "columns": {"EvseID": "ChargingStationId"}}')
    report = validate(data, mapping=mapping, ruleset=ruleset)
    assert report.findings == [] or all(f.rule.startswith("IDN") for f in report.findings)
    table = read_table(data, ruleset)
    assert table.frame["EvseID"].tolist() == [VALID_CELLS["EvseID"]]


def test_the_vocabulary_names_only_real_columns_and_values(ruleset: RuleSet) -> None:
    words = vocabulary()
    for column in words["columns"]:
        assert ruleset.property_for_column(column) is not None, column
    for item in words["combined"]:
        assert all(ruleset.property_for_column(c) is not None for c in item["to"])
    for type_name, spellings in words["values"].items():
        allowed = ("true", "false") if type_name == "boolean" else ruleset.types[type_name].enum
        assert allowed is not None, type_name
        assert set(map(str, spellings.values())) <= set(allowed), type_name
