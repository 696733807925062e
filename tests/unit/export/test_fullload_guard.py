"""A fullLoad never deletes by surprise, values beyond the standard leave the record in, and a
delta that deletes many EVSEs or moves one far is listed for review (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from poicheck.cli import cli
from poicheck.export import ExportOptions, build_export, write_export
from poicheck.export.model import DeletionRefusedError
from tests.records import VALID_CELLS, frame_of
from tests.unit.export.test_export import RULESET, document

GUARDED = ExportOptions(operator_id="DE*PCK", operator_name="PoiCheck")


def station(number: int, **changes: str) -> dict[str, str]:
    return {**VALID_CELLS, "EvseID": f"DE*PCK*E{number}*1", **changes}


def write_csv(path: Path, records: list[dict[str, str]]) -> Path:
    frame = frame_of(*records)
    frame.to_csv(path, index=False)
    return path


def test_a_fullload_that_leaves_a_record_out_is_refused() -> None:
    broken = station(2, **{"ChargingFacilities.1.Power": "22kW"})
    with pytest.raises(DeletionRefusedError) as caught:
        build_export(frame_of(station(1), broken), GUARDED, ruleset=RULESET)
    message = str(caught.value)
    assert "1 of 2 records are left out (PWR007 1)" in message
    assert "--allow-deletions" in message
    assert caught.value.exit_code == 1


@pytest.mark.slow
def test_cli_writes_nothing_without_allow_deletions_and_everything_with_it(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "evse.csv",
        [station(1), station(2, **{"ChargingFacilities.1.Power": "22kW"})],
    )
    args = ["export", str(source), "--operator-id", "DE*PCK", "--operator-name", "PoiCheck"]
    out = tmp_path / "out"
    refused = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("poicheck: error: nothing written: a fullLoad replaces")
    assert not out.exists()
    allowed = CliRunner().invoke(cli, [*args, "--out", str(out), "--allow-deletions"])
    assert allowed.exit_code == 1  # written, one record left out
    request = json.loads((out / "0001-fullLoad.json").read_text(encoding="utf-8"))
    assert [r["EvseID"] for r in request["OperatorEvseData"]["EvseDataRecord"]] == ["DE*PCK*E1*1"]


def _previous(tmp_path: Path, count: int) -> Path:
    options = ExportOptions(operator_id="DE*PCK", operator_name="PoiCheck")
    export = build_export(frame_of(*(station(n) for n in range(1, count + 1))), options)
    write_export(export, tmp_path / "before")
    return tmp_path / "before" / "snapshot.json"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kept", "limit", "refused"),
    [(9, None, False), (8, None, True), (8, 25.0, False), (10, 0.0, False)],
)
def test_a_fullload_deleting_more_than_the_limit_of_the_previous_state_is_refused(
    tmp_path: Path, kept: int, limit: float | None, refused: bool
) -> None:
    previous = _previous(tmp_path, 10)
    changes: dict[str, Any] = {"action": "fullLoad", "previous": (previous,)}
    if limit is not None:
        changes["max_deletions"] = limit
    options = ExportOptions(**{**GUARDED.__dict__, **changes})
    data = frame_of(*(station(n) for n in range(1, kept + 1)))
    if refused:
        with pytest.raises(DeletionRefusedError, match=r"2 of the 10 EVSEs .*20\.0 %"):
            build_export(data, options, ruleset=RULESET)
    else:
        export = build_export(data, options, ruleset=RULESET)
        assert export.changes is not None
        assert export.changes.delete == 10 - kept


@pytest.mark.slow
def test_max_deletions_comes_from_the_configuration(tmp_path: Path) -> None:
    previous = _previous(tmp_path, 10)
    source = write_csv(tmp_path / "evse.csv", [station(n) for n in range(1, 9)])
    args = [
        "export",
        str(source),
        "--operator-id",
        "DE*PCK",
        "--operator-name",
        "PoiCheck",
        "--action",
        "fullLoad",
        "--previous",
        str(previous),
        "--out",
        str(tmp_path / "out"),
    ]
    assert CliRunner().invoke(cli, args).exit_code == 1
    (tmp_path / ".poicheck.yaml").write_text("max_deletions: 30\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert CliRunner().invoke(cli, [*args, "--max-deletions", "5"]).exit_code == 1


@pytest.mark.slow
def test_a_delta_lists_many_deletions_and_far_moves_for_review(tmp_path: Path) -> None:
    previous = _previous(tmp_path, 10)
    moved = station(1, **{"GeoCoordinates.Latitude": "52.621918"})  # ~11 km north
    nearby = station(2, **{"GeoCoordinates.Latitude": "52.522918"})  # ~110 m
    data = frame_of(moved, nearby, *(station(n) for n in range(3, 8)))
    options = ExportOptions(**{**GUARDED.__dict__, "previous": (previous,)})
    export = build_export(data, options, ruleset=RULESET)
    review = document(export.manifest)["review"]
    assert review["deletes"]["records"] == 3
    assert review["deletes"]["over_limit"] is True
    assert sorted(review["deletes"]["evse_ids"]) == ["DE*PCK*E10*1", "DE*PCK*E8*1", "DE*PCK*E9*1"]
    assert [m["evse_id"] for m in review["moved"]] == ["DE*PCK*E1*1"]
    assert review["moved"][0]["km"] == pytest.approx(11.1, abs=0.1)
    from poicheck.export import summary

    text = summary(export, tmp_path / "out")
    assert "Review: 3 of the 10 EVSEs Hubject holds (30.0 %) are deleted" in text
    assert "Review: 1 EVSE(s) move more than 1 km:" in text


def test_values_beyond_the_standard_leave_the_record_in_and_are_listed(tmp_path: Path) -> None:
    dc = station(
        1,
        **{
            "ChargingFacilities.1.PowerType": "DC",
            "ChargingFacilities.1.Power": "400",
            "ChargingFacilities.1.Voltage": "1000",
            "ChargingFacilities.1.Amperage": "500",
            "ChargingFacilities.1.ChargingModes": "Mode_4",
            "Plugs": "CCS Combo 2 Plug (Cable Attached);NACS",
        },
    )
    solar = station(2, **{"EnergySource.1.Percentage": "100", "EnergySource.2.Energy": ""})
    solar.pop("EnergySource.2.Percentage")
    export = build_export(frame_of(dc, solar), GUARDED, ruleset=RULESET)
    assert export.exit_code() == 0
    records = document(export.files[0].data)["OperatorEvseData"]["EvseDataRecord"]
    assert records[0]["ChargingFacilities"] == [
        {"PowerType": "DC", "Power": 400, "ChargingModes": ["Mode_4"]}
    ]
    assert records[0]["Plugs"] == ["CCS Combo 2 Plug (Cable Attached)"]
    assert records[1]["EnergySource"] == [{"Energy": "Solar"}]
    dropped = document(export.manifest)["review"]["dropped_values"]
    assert sorted((d["rule"], d["value"]) for d in dropped) == [
        ("STD001", "500"),
        ("STD002", "1000"),
        ("STD004", "NACS"),
        ("STD005", "100"),
    ]


def test_spreadsheet_float_noise_is_rounded_not_refused() -> None:
    noisy = station(1, **{"GeoCoordinates.Latitude": "52.5219184999999"})
    export = build_export(frame_of(noisy), GUARDED, ruleset=RULESET)
    record = document(export.files[0].data)["OperatorEvseData"]["EvseDataRecord"][0]
    assert record["GeoCoordinates"] == {
        "DecimalDegree": {"Latitude": "52.521918", "Longitude": "13.413215"}
    }
