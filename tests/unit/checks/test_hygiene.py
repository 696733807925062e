"""Hygiene of free texts: spaces at the ends or doubled (TXT012, repaired: the export writes
the text tidied), control characters (TXT013) and names that are only a number (TXT014)."""

from __future__ import annotations

import json
from pathlib import Path

from poicheck import validate
from poicheck.export import ExportOptions, build_export
from poicheck.oicp.cells import tidy
from poicheck.ruleset.model import RuleSet
from tests.records import VALID_CELLS, frame_of, json_record, write_json

OPTIONS = ExportOptions(operator_id="DE*PCK", operator_name="PoiCheck", allow_deletions=True)
SPACED = {
    "ChargingStationNames.en": "Tank & Rast GmbH  Hardtwald",
    "Address.City": " Nürnberg",
    "HardwareManufacturer": "ABB ",
    "AdditionalInfo.en": "  Two  charging points\tbehind the gate ",
}


def test_tidy() -> None:
    assert tidy(" Nürnberg") == "Nürnberg"
    assert tidy("Tank & Rast GmbH  Hardtwald\t") == "Tank & Rast GmbH Hardtwald"
    assert tidy("a\tb") == "a\tb"  # a tab inside is no doubled space
    assert tidy("ok") == "ok"


def test_spacing_is_reported_on_every_free_text(ruleset: RuleSet) -> None:
    cells = {**VALID_CELLS, **SPACED}
    findings = validate(frame_of(cells), select=["TXT012"]).findings
    assert {f.field for f in findings} == set(SPACED)
    assert all(f.severity == "info" and f.consequence == "repaired" for f in findings)
    fields = set(ruleset.rules["TXT012"].fields)
    assert fields == set(ruleset.rules["TXT013"].fields)
    assert {"SubOperatorName", "Address.Street", "ChargingStationLocationReference.*"} <= fields


def test_export_writes_what_the_rule_says(ruleset: RuleSet, tmp_path: Path) -> None:
    """TXT012 says 'poicheck export writes X': the exported record holds X."""
    record = json_record(ruleset, {**VALID_CELLS, "AdditionalInfo.en": "x"})
    record["ChargingStationNames"][0]["value"] = SPACED["ChargingStationNames.en"]
    record["Address"]["City"] = SPACED["Address.City"]
    record["HardwareManufacturer"] = SPACED["HardwareManufacturer"]
    record["AdditionalInfo"] = [{"lang": "en", "value": SPACED["AdditionalInfo.en"]}]
    path = write_json(tmp_path / "spaced.json", [record])
    said = {
        f.field: f.message.split("poicheck export writes ")[1].strip("'")
        for f in validate(path, select=["TXT012"]).findings
    }
    assert set(said) == set(SPACED)
    (file,) = build_export(path, OPTIONS, ruleset=ruleset).files
    (sent,) = json.loads(file.data)["OperatorEvseData"]["EvseDataRecord"]
    names = {t["lang"]: t["value"] for t in sent["ChargingStationNames"]}
    info = {t["lang"]: t["value"] for t in sent["AdditionalInfo"]}
    assert names["en"] == said["ChargingStationNames.en"] == "Tank & Rast GmbH Hardtwald"
    assert sent["Address"]["City"] == said["Address.City"] == "Nürnberg"
    assert sent["HardwareManufacturer"] == said["HardwareManufacturer"] == "ABB"
    assert info["en"] == said["AdditionalInfo.en"] == "Two charging points\tbehind the gate"
    assert sent["EvseID"] == VALID_CELLS["EvseID"]  # only the declared texts are tidied


def test_control_characters_are_named_and_shown_escaped() -> None:
    cells = {
        **VALID_CELLS,
        "Address.Street": "Alexander\x00platz",
        "SubOperatorName": "A\x1b[0m\x07",
    }
    findings = validate(frame_of(cells), select=["TXT013"]).findings
    messages = {f.field: f.message for f in findings}
    assert set(messages) == {"Address.Street", "SubOperatorName"}
    assert (
        "'Alexander\\x00platz' holds the control character U+0000 NUL;"
        in messages["Address.Street"]
    )
    assert "characters U+001B ESC, U+0007 BEL;" in messages["SubOperatorName"]
    assert all("\x00" not in m and "\x1b" not in m for m in messages.values())
    assert all(f.severity == "warning" for f in findings)


def test_control_characters_are_sent_escaped_in_json(ruleset: RuleSet, tmp_path: Path) -> None:
    """A warning, not an error: the record is exported, the character escaped as JSON wants."""
    record = json_record(ruleset, {**VALID_CELLS, "Address.Street": "Alexander\x07platz"})
    path = write_json(tmp_path / "bell.json", [record])
    (file,) = build_export(path, OPTIONS, ruleset=ruleset).files
    assert b"Alexander\\u0007platz" in file.data


def test_only_a_number_is_no_name() -> None:
    rows = [
        {**VALID_CELLS, "EvseID": f"DE*PCK*E{i}", "ChargingStationNames.en": name}
        for i, name in enumerate(["4711", "A7 Hardtwald 2", "12-03", "PoiCheck 1"])
    ]
    findings = validate(frame_of(*rows), select=["TXT014"]).findings
    assert [f.record for f in findings] == [0, 2]


def test_lengths_of_tidied_texts_are_measured_as_written(ruleset: RuleSet) -> None:
    """Every length rule on a text TXT012 tidies measures it tidied, and only those."""
    free = set(ruleset.rules["TXT012"].fields)
    for rule in ruleset.rules.values():
        if rule.kind == "length":
            assert bool(rule.params.get("tidied")) == (set(rule.fields) <= free), rule.id
    cells = {**VALID_CELLS, "HardwareManufacturer": "M" * 50 + " ", "SubOperatorName": "S" * 101}
    findings = validate(frame_of(cells), select=["TXT004", "TXT006"]).findings
    assert [f.rule for f in findings] == ["TXT006"]
