"""OCPI Locations on the command line (CliRunner and a real subprocess), and docs/ocpi.md kept
equal to the mapping it documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from poicheck.cli import cli
from poicheck.cli import export as _export  # noqa: F401  (registers the command)
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.ocpi.docs import ocpi_markdown
from poicheck.ocpi.mapping import load_mapping
from poicheck.ruleset.schema import request_schema, validator_for
from tests.ocpi import DEFAULTS, RULESET, connector, evse, example, location, write

ROOT = Path(__file__).resolve().parents[2]
RESPONSE = {"status_code": 1000, "status_message": "Success", "timestamp": "2024-01-01T00:00:00Z"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory of its own (a git root: no configuration above it is found)."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def configure(directory: Path, defaults: dict[str, Any] | None = None) -> Path:
    path = directory / ".poicheck.yaml"
    path.write_text(json.dumps({"ocpi": {"defaults": defaults or DEFAULTS}}), encoding="utf-8")
    return path


def response(*locations: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(locations), **RESPONSE}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_validate_names_the_oicp_field_and_points_into_the_ocpi_document(project: Path) -> None:
    configure(project)
    document = response(location([evse([connector(max_voltage=400)])]))
    write(project / "locations.json", document)
    result = invoke("validate", "locations.json")
    assert result.exit_code == 0  # a warning: Hubject takes it, and scores it down
    assert "EVSE 1  DE*PCK*E3256" in result.stdout
    assert "PWR014  ChargingFacilities.1.Voltage:" in result.stdout
    assert "[at /data/0/evses/0/connectors/0/max_voltage]" in result.stdout
    assert "1 warning" in result.stdout
    listed = json.loads(invoke("validate", "locations.json", "--format", "json").stdout)
    assert listed["summary"]["files"][0]["format"] == "ocpi"
    (finding,) = listed["findings"]
    assert (finding["field"], finding["pointer"]) == (
        "ChargingFacilities.1.Voltage",
        "/data/0/evses/0/connectors/0/max_voltage",
    )


def test_without_the_operators_defaults_validate_says_what_ocpi_lacks(project: Path) -> None:
    write(project / "locations.json", example("location_example.json"))
    result = invoke("validate", "locations.json")
    assert result.exit_code == 1
    assert "ACC012  HotlinePhoneNumber: HotlinePhoneNumber is missing" in result.stdout
    assert "give the operator's values in the configuration's ocpi.defaults" in result.stderr + (
        result.stdout
    )


def test_a_default_that_is_no_oicp_property_is_a_usage_error(project: Path) -> None:
    configure(project, {"HotlinePhonenumber": "+3292980000"})
    write(project / "locations.json", example("location_example.json"))
    result = CliRunner().invoke(cli, ["validate", "locations.json"])
    assert result.exit_code == 2
    assert "did you mean HotlinePhoneNumber" in result.output


def test_an_error_response_is_unusable_input(project: Path) -> None:
    write(project / "error.json", {"data": None, "status_code": 2001, **{"timestamp": "x"}})
    result = invoke("validate", "error.json")
    assert result.exit_code == 2
    assert "reports an error (status_code 2001)" in result.stderr


def test_export_writes_oicp_payloads_from_ocpi(project: Path) -> None:
    configure(project)
    document = response(
        example("location_example.json"),
        example("location_example_uc2_destination_charger.json"),
    )
    write(project / "locations.json", document)
    result = invoke("export", "locations.json", "--out", "push", "--operator-id", "BE*BEC")
    # NL*ALF's EVSE belongs to another operator: without sub-operators the export stops (018).
    assert result.exit_code == 2
    assert not (project / "push").exists()
    result = invoke(
        "export", "locations.json", "--out", "push", "--operator-id", "BE*BEC",
        "--sub-operator-id", "NL*ALF",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (payload,) = sorted((project / "push").glob("0*.json"))
    request = json.loads(payload.read_text(encoding="utf-8"))
    assert validator_for(request_schema(RULESET)).errors(request) == []
    envelope = request["OperatorEvseData"]
    assert (envelope["OperatorID"], envelope["OperatorName"]) == ("BE*BEC", "BeCharged")
    assert [r["EvseID"] for r in envelope["EvseDataRecord"]] == [
        "BE*BEC*E041503001",
        "BE*BEC*E041503002",
        "NL*ALF*E000000001",
    ]
    manifest = json.loads((project / "push" / "manifest.json").read_text(encoding="utf-8"))
    # Each record by its EVSE's number in the file: one run of rows 1 to 3.
    runs = [(s["row"], s["records"]) for f in manifest["files"] for s in f["record_sources"]]
    assert runs == [(1, 3)]


@pytest.mark.slow
def test_a_real_subprocess_validates_and_exports_ocpi(project: Path) -> None:
    configure(project)
    write(project / "locations.json", response(example("location_example.json")))
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    checked = subprocess.run(
        [sys.executable, "-m", "poicheck", "validate", "locations.json", "--format", "json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["summary"]["total"]["records"] == 2
    exported = subprocess.run(
        [sys.executable, "-m", "poicheck", "export", "locations.json", "--out", "push", "-q"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    assert [p.name for p in sorted((project / "push").iterdir())] == [
        "0001-fullLoad.json",
        "manifest.json",
        "snapshot-index.arrow",
        "snapshot.json",
    ]
    broken = subprocess.run(
        [sys.executable, "-m", "poicheck", "validate", "evse.json"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert broken.returncode == 2
    assert "no such file" in broken.stderr
    assert "Traceback" not in broken.stderr


# --- docs/ocpi.md and the mapping ---------------------------------------------------------------

# The properties of the OCPI 2.2.1 objects a Locations response holds (mod_locations.asciidoc,
# transport_and_format.asciidoc): docs/ocpi.md says what becomes of each.
OCPI_FIELDS = {
    "": ["data", "status_code", "status_message", "timestamp"],
    "Location": [
        "country_code", "party_id", "id", "publish", "publish_allowed_to", "name", "address",
        "city", "postal_code", "state", "country", "coordinates", "related_locations",
        "parking_type", "evses", "directions", "operator", "suboperator", "owner", "facilities",
        "time_zone", "opening_times", "charging_when_closed", "images", "energy_mix",
        "last_updated",
    ],
    "EVSE": [
        "uid", "evse_id", "status", "status_schedule", "capabilities", "connectors",
        "floor_level", "coordinates", "physical_reference", "directions",
        "parking_restrictions", "images", "last_updated",
    ],
    "Connector": [
        "id", "standard", "format", "power_type", "max_voltage", "max_amperage",
        "max_electric_power", "tariff_ids", "terms_and_conditions", "last_updated",
    ],
}  # fmt: skip


def test_docs_ocpi_md_is_generated_from_the_mapping() -> None:
    text = (ROOT / "docs" / "ocpi.md").read_text(encoding="utf-8")
    assert text == ocpi_markdown(RULESET), "docs/ocpi.md is stale: run python scripts/make_docs.py"


def test_the_mapping_documents_every_ocpi_field_once() -> None:
    documented = [entry.ocpi for entry in load_mapping().fields]
    wanted = [f"{o}.{f}" if o else f for o, fields in OCPI_FIELDS.items() for f in fields]
    assert sorted(documented) == sorted(wanted)


def test_the_mapping_names_only_oicp_properties() -> None:
    mapping = load_mapping()
    envelope = {"OperatorID", "OperatorName"}
    named = {p for entry in mapping.fields for p in entry.oicp}
    named |= set(mapping.locate) | set(mapping.without_source) | set(mapping.unsaid)
    for path in named - envelope:
        assert path.removesuffix(".*") in RULESET.properties, path
    for base, _ in mapping.locate.values():
        assert base in {
            "location", "evse", "coordinates", "directions", "image", "plugs", "facility",
            "energy_source",
        }  # fmt: skip
