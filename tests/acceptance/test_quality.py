"""Beyond single rules: identity context, configuration, offline geodata, the data score."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from poicheck import validate
from poicheck.cli import cli, main  # noqa: F401  (main registers the commands)
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.cli.config import discover, find_config
from poicheck.errors import UsageError
from poicheck.ruleset.model import RuleSet
from tests.records import VALID_CELLS, frame_of

SUBS = ["AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR"]


@pytest.mark.slow
def test_geodata_works_with_the_network_switched_off(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network is switched off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    report = validate(
        samples / "invalid" / "evse-invalid.csv",
        select=["GEO", "ADR016", "ADR017", "ADR018", "ACC024"],
        operator_id="DE*PCK",
        sub_operator_ids=SUBS,
    )
    rules = {f.rule for f in report.findings}
    assert {"GEO008", "GEO009", "GEO010", "GEO011", "ADR016", "ADR017", "ADR018", "ACC024"} <= rules
    assert {"GEO015", "GEO016", "GEO017", "GEO018", "GEO019"} <= rules  # place data offline


@pytest.mark.slow
def test_identity_check_is_skipped_with_a_note_when_no_operator_is_known() -> None:
    record = {**VALID_CELLS, "EvseID": "FR*XYZ*E1*1"}
    report = validate(frame_of(record))
    assert "IDN001" not in {f.rule for f in report.findings}
    assert any("not checked: no OperatorID known" in note for note in report.notes)
    checked = validate(frame_of(record), operator_id="DE*PCK")
    hit = next(f for f in checked.findings if f.rule == "IDN001")
    assert "belongs to operator FR*XYZ, not to DE*PCK" in hit.message
    assert "018" in hit.message
    assert checked.notes == []


@pytest.mark.slow
def test_sub_operators_make_their_evse_ids_acceptable() -> None:
    record = {**VALID_CELLS, "EvseID": "AT*VLT*E1*1"}
    assert "IDN001" in {f.rule for f in validate(frame_of(record), operator_id="DE*PCK").findings}
    ok = validate(frame_of(record), operator_id="DE*PCK", sub_operator_ids=["at-vlt"])
    assert "IDN001" not in {f.rule for f in ok.findings}


def test_duplicates_are_reported_on_every_member_with_the_rows_of_all() -> None:
    rows = [
        {**VALID_CELLS, "EvseID": "DE*PCK*E1*1"},
        {**VALID_CELLS, "EvseID": "DE*PCK*E1*2"},
        {**VALID_CELLS, "EvseID": "de*pck*e1*1"},
        {**VALID_CELLS, "EvseID": "DEPCKE11"},
    ]
    hits = validate(frame_of(*rows), select=["IDN003"]).findings
    assert [f.record for f in hits] == [0, 2, 3]
    assert all("used 3 times, in rows 2, 4, 5" in f.message for f in hits)


@pytest.mark.slow
def test_score_method(ruleset: RuleSet) -> None:
    clean = validate(frame_of(VALID_CELLS), operator_id="DE*PCK").score
    assert clean is not None
    summary = clean.summary()
    assert summary is not None
    assert summary["correctness"] == 100
    assert summary["overall"] == round((summary["completeness"] + 100) / 2, 1)
    # A warning of the power-data factor halves that factor; an error zeroes it.
    warned = validate(frame_of({**VALID_CELLS, "ChargingFacilities.1.Voltage": "400"}))
    assert warned.score is not None
    assert warned.score.records.loc[0, "power_data"] == 50
    broken = validate(frame_of({**VALID_CELLS, "ChargingFacilities.1.Power": "22kW"}))
    assert broken.score is not None
    assert broken.score.records.loc[0, "power_data"] == 0
    record = broken.score.records.iloc[0]
    factors = [record[f] for f in broken.score.factors]
    assert record["correctness"] == pytest.approx(sum(factors) / len(factors))


@pytest.mark.slow
def test_score_is_in_the_json_summary(samples: Path) -> None:
    report = validate(samples / "valid" / "evse-valid.json", sub_operator_ids=SUBS)
    score = report.summary()["files"][0]["score"]
    assert set(score) == {"overall", "completeness", "correctness", "factors", "records"}
    assert set(score["factors"]) == {"geolocation", "power_data", "additional_info", "conformity"}
    assert report.summary()["total"]["score"]["overall"] >= 95


def test_configuration_is_found_above_the_data(samples: Path, tmp_path: Path) -> None:
    found = find_config(samples / "valid" / "evse-valid.csv")
    assert found == (samples / ".poicheck.yaml").resolve()
    config = discover([samples / "valid" / "evse-valid.csv"])
    assert config.operator_id == "DE*PCK"
    assert config.sub_operator_ids == tuple(SUBS)
    (tmp_path / ".git").mkdir()
    assert find_config(tmp_path / "data.csv") is None


def test_pyproject_configuration_and_errors_name_the_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poicheck]\noperator_id = "DE*ABC"\nignore = ["EVS003"]\nfail_on = "warning"\n',
        encoding="utf-8",
    )
    config = discover([tmp_path / "data.csv"])
    assert (config.operator_id, config.ignore, config.fail_on) == ("DE*ABC", ("EVS003",), "warning")
    bad = tmp_path / "bad.yaml"
    bad.write_text("operator_id: DE*ABC\nfail_on: sometimes\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        discover([], bad)
    assert "fail_on" in str(caught.value)
    assert str(bad) in str(caught.value)


@pytest.mark.slow
def test_cli_uses_the_configuration_and_the_command_line_wins(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(samples.parent)
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", "samples/valid/evse-valid.csv"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert "not checked" not in ok.output
    narrowed = runner.invoke(
        cli,
        ["validate", "samples/valid/evse-valid.csv", "--sub-operator-id", "AT*VLT"],
        catch_exceptions=False,
    )
    assert narrowed.exit_code == 1
    assert "IDN001" in narrowed.output


def test_configuration_names_a_mapping_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    (tmp_path / ".poicheck.yaml").write_text("mapping: maps/ours.yaml\n", encoding="utf-8")
    config = discover([tmp_path / "data.csv"])
    assert config.mapping == str((tmp_path / "maps" / "ours.yaml").resolve())
