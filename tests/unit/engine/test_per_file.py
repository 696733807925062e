"""Optional properties sent empty (JSN003) are reported once per file, property and kind of
emptiness, on the first record, with the count: one finding, not one per record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poicheck import validate
from poicheck.ruleset.model import RuleSet
from tests.records import json_record, write_json
from tests.same import assert_same


def records(ruleset: RuleSet, count: int) -> list[dict[str, object]]:
    out = []
    for i in range(count):
        record = json_record(ruleset)
        record["EvseID"] = f"DE*PCK*E{i + 1}"
        record["ChargingPoolID"] = None
        record["HardwareManufacturer"] = "" if i % 2 else None
        out.append(record)
    return out


def test_one_finding_per_property_and_emptiness(ruleset: RuleSet, tmp_path: Path) -> None:
    path = write_json(tmp_path / "nulls.json", records(ruleset, 7))
    found = [f for f in validate(path).findings if f.rule == "JSN003"]
    said = {(f.field, f.row, f.severity, f.message) for f in found}
    end = "; omit an optional property that has no value (poicheck export leaves it out)"
    assert said == {
        (
            "ChargingPoolID",
            1,
            "info",
            "ChargingPoolID is null in 7 records (rows 1, 2, 3, ...)" + end,
        ),
        (
            "HardwareManufacturer",
            1,
            "info",
            "HardwareManufacturer is null in 4 records (rows 1, 3, 5, ...)" + end,
        ),
        (
            "HardwareManufacturer",
            2,
            "info",
            "HardwareManufacturer is an empty string in 3 records (rows 2, 4, 6)" + end,
        ),
    }


def test_a_single_record_is_worded_as_one(ruleset: RuleSet, tmp_path: Path) -> None:
    path = write_json(tmp_path / "one.json", records(ruleset, 1)[:1])
    messages = {f.message for f in validate(path).findings if f.field == "ChargingPoolID"}
    assert messages == {
        "ChargingPoolID is null; omit an optional property that has no value "
        "(poicheck export leaves it out)"
    }


@pytest.mark.slow
@pytest.mark.parametrize("chunk_rows", [1, 2, 3])
def test_chunks_give_the_same_findings(ruleset: RuleSet, tmp_path: Path, chunk_rows: int) -> None:
    path = tmp_path / "nulls.jsonl"
    lines = [json.dumps(r) for r in records(ruleset, 7)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    at_once = validate(path, chunk_rows=0)
    assert_same(at_once, validate(path, chunk_rows=chunk_rows))
    assert len([f for f in at_once.findings if f.rule == "JSN003"]) == 3
