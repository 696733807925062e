"""The options every command that reads EVSE data shares (issue 14, parts 6 and 7): unknown
rule ids are usage errors, export reads a foreign layout, the configuration used is named,
`-o/--output` is the one spelling (`--out` a hidden alias), click's errors read like ours."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from poicheck.cli import cli
from poicheck.cli import export as _export  # noqa: F401  (registers the commands)
from poicheck.cli import map as _map  # noqa: F401
from poicheck.cli import report as _report  # noqa: F401
from poicheck.cli import rules as _rules  # noqa: F401
from poicheck.cli import validate as _validate  # noqa: F401
from poicheck.cli import workbooks as _workbooks  # noqa: F401
from poicheck.errors import UsageError
from poicheck.export import ExportOptions, build_export
from tests.unit.mapping.test_mapping import german_workbook

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
OPERATOR = ["--operator-id", "DE*PCK", "--operator-name", "PoiCheck Demo Hub"]
# ... with the sub-operators of the samples, under which the valid sample has no error.
SUBS = ("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR")
HUB = [*OPERATOR, *(f"--sub-operator-id={sub}" for sub in SUBS)]
# Every command that reads EVSE data, with what it needs besides its input and options.
COMMANDS: dict[str, list[str]] = {
    "validate": [],
    "report": ["--html", "report.html"],
    "form": ["-o", "form.xlsx"],
    "annotate": ["-o", "annotated.xlsx"],
    "export": ["-o", "push"],
}
WRITTEN = ("report.html", "form.xlsx", "annotated.xlsx", "push")
USING = "poicheck: using configuration "
# The same in the samples' configuration.
SAMPLE_CONFIG = (SAMPLES / ".poicheck.yaml").read_text(encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the valid workbook in a directory of its own (no configuration above it)."""
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copy(SAMPLES / "valid/evse-valid.xlsx", tmp_path / "evse.xlsx"))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def error_lines(text: str) -> list[str]:
    """The lines of stderr after the configuration's, each an error in poicheck's style."""
    lines = [line for line in text.splitlines() if not line.startswith(USING)]
    assert lines, "no error on stderr"
    assert all(line.startswith("poicheck: error: ") for line in lines), text
    return lines


# --- 6. unknown rule ids are usage errors ---------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--select", "XYZ", "--select: unknown rule id or prefix 'XYZ';"),
        ("--select", "ADR,geo0002", "'GEO0002' (did you mean GEO002?)"),
        ("--ignore", "EVS03", "--ignore: unknown rule id or prefix 'EVS03' (did you mean EVS003?)"),
    ],
)
def test_an_unknown_rule_id_on_the_command_line_is_exit_2(
    data: Path, command: str, option: str, value: str, says: str
) -> None:
    result = invoke(command, str(data), *COMMANDS[command], *OPERATOR, option, value)
    assert result.exit_code == 2, result.output
    assert says in error_lines(result.stderr)[0]
    assert result.stdout == ""
    assert not any((data.parent / name).exists() for name in WRITTEN)


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unknown_rule_id_in_the_configuration_is_exit_2(data: Path, command: str) -> None:
    config = data.parent / ".poicheck.yaml"
    config.write_text(SAMPLE_CONFIG + "select: [ADR]\nignore: [ADR0001]\n", encoding="utf-8")
    result = invoke(command, str(data), *COMMANDS[command])
    assert result.exit_code == 2, result.output
    assert error_lines(result.stderr) == [
        f"poicheck: error: {config}: ignore: unknown rule id or prefix 'ADR0001' (did you mean "
        "ADR001?); `poicheck rules list` shows them all"
    ]
    # Prefixes of rule ids, in any case, and ids of extra rule files are known.
    config.write_text(SAMPLE_CONFIG + "select: [adr, GEO002]\n", encoding="utf-8")
    result = invoke(command, str(data), *COMMANDS[command])
    assert result.exit_code == 0, result.output


def test_ids_of_extra_rule_files_are_known(data: Path) -> None:
    local = data.parent / "local.yaml"
    local.write_text(
        "rules:\n  - id: LOC001\n    name: local-rule\n    kind: length\n    consequence: refused\n"
        "    field: HardwareManufacturer\n    examples: {fail: ['a'], pass: ['b']}\n",
        encoding="utf-8",
    )
    assert invoke("validate", str(data), *OPERATOR, "--select", "loc").exit_code == 2
    result = invoke("validate", str(data), *OPERATOR, "--rules", str(local), "--select", "loc")
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_unknown_rule_ids_through_a_real_subprocess(data: Path) -> None:
    """The console script, for every command: the gate is never silently off."""
    config = data.parent / ".poicheck.yaml"
    config.write_text(SAMPLE_CONFIG + "ignore: [XYZ]\n", encoding="utf-8")
    for command, extra in COMMANDS.items():
        flags = ["--select", "NOPE"] if command in ("validate", "export") else []
        done = _run(command, str(data), *extra, *flags)
        assert done.returncode == 2, (command, done.stderr)
        source = "--select: unknown rule id or prefix 'NOPE'" if flags else f"{config}: ignore:"
        assert source in error_lines(done.stderr)[0], (command, done.stderr)
        assert done.stdout == ""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poicheck", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
        timeout=300,
    )


# --- 7. export reads a foreign layout; export --select --------------------------------------


@pytest.mark.slow
def test_export_of_a_foreign_layout_through_mapping(tmp_path: Path) -> None:
    data = german_workbook(tmp_path / "ladepunkte.xlsx")
    mapping, push = tmp_path / "mapping.yaml", tmp_path / "push"
    made = invoke("map", str(data), "-o", str(mapping))
    assert made.exit_code == 0, made.output
    unmapped = invoke("export", str(data), "-o", str(push), *OPERATOR)
    assert unmapped.exit_code == 2  # no column known: every record left out
    assert "no record to export (2 left out)" in error_lines(unmapped.stderr)[0]
    result = invoke("export", str(data), "-o", str(push), *OPERATOR, "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    assert _sent(push) == ["DE*PCK*E1001*1", "DE*PCK*E1001*2"]


@pytest.mark.slow
def test_export_of_a_foreign_layout_through_the_configuration(tmp_path: Path) -> None:
    data = german_workbook(tmp_path / "ladepunkte.xlsx")
    assert invoke("map", str(data), "--out", str(tmp_path / "ours.yaml")).exit_code == 0
    config = tmp_path / ".poicheck.yaml"
    config.write_text(
        "operator_id: DE*PCK\noperator_name: PoiCheck\nmapping: ours.yaml\n", encoding="utf-8"
    )
    result = invoke("export", str(data), "-o", str(tmp_path / "push"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == f"{USING}{config}"
    assert _sent(tmp_path / "push") == ["DE*PCK*E1001*1", "DE*PCK*E1001*2"]


def _sent(directory: Path) -> list[str]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    ids = []
    for entry in manifest["files"]:
        request = json.loads((directory / entry["file"]).read_text(encoding="utf-8"))
        ids += [r["EvseID"] for r in request["OperatorEvseData"]["EvseDataRecord"]]
    return sorted(ids)


@pytest.mark.slow
def test_export_leaves_out_only_for_the_selected_rules() -> None:
    source = SAMPLES / "invalid/evse-invalid.csv"
    hub = {
        "operator_id": "DE*PCK",
        "operator_name": "PoiCheck",
        "sub_operator_ids": SUBS,
        "allow_deletions": True,
    }
    everything = build_export(source, ExportOptions(**hub))
    addresses = build_export(source, ExportOptions(**hub, select=("ADR",)))
    rules = {r.rule for e in addresses.left_out for r in e.reasons} - {None}
    assert rules
    assert all(rule.startswith("ADR") for rule in rules)
    assert len(addresses.left_out) < len(everything.left_out)
    with pytest.raises(UsageError, match=r"^ignore: unknown rule id or prefix 'ADR0001'"):
        build_export(source, ExportOptions(**hub, ignore=("ADR0001",)))


# --- 7. the configuration used, on stderr -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_configuration_used_is_named_on_stderr_unless_quiet(data: Path, command: str) -> None:
    config = data.parent / ".poicheck.yaml"
    config.write_text(SAMPLE_CONFIG, encoding="utf-8")
    said = invoke(command, str(data), *COMMANDS[command])
    assert said.exit_code == 0, said.output
    assert said.stderr.splitlines()[0] == f"{USING}{config}"
    assert "using configuration" not in said.stdout
    quiet = invoke(command, str(data), *COMMANDS[command], "-q")
    assert quiet.exit_code == 0, quiet.output
    assert "using configuration" not in quiet.output
    if command != "validate":  # its report is its output; the others' summary is not
        assert quiet.stdout == ""


@pytest.mark.slow
def test_an_explicit_configuration_is_named_absolute(data: Path) -> None:
    (data.parent / "conf").mkdir()
    (data.parent / "conf/poicheck.yaml").write_text(SAMPLE_CONFIG, encoding="utf-8")
    result = invoke("validate", str(data), "--config", "conf/poicheck.yaml")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"poicheck: using configuration {(data.parent / 'conf/poicheck.yaml').resolve()}\n"
    )


@pytest.mark.slow
def test_no_configuration_no_line(data: Path) -> None:
    result = invoke("validate", str(data), *HUB)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# --- 7. one spelling of the output option -------------------------------------------------


WRITERS = ["validate", "schema", "map", "form", "template", "annotate", "export"]


@pytest.mark.parametrize("command", WRITERS)
def test_output_is_spelt_o_output_and_out_is_hidden(command: str) -> None:
    shown = invoke(command, "--help")
    assert shown.exit_code == 0
    assert re.search(r"^\s+-o, --output ", shown.stdout, flags=re.MULTILINE), shown.stdout
    assert not re.search(r"--out\b(?!put)", shown.stdout)


@pytest.mark.slow
def test_out_still_works_for_existing_scripts(data: Path) -> None:
    written = invoke("form", str(data), *HUB, "--out", "form.xlsx")
    assert written.exit_code == 0, written.output
    assert Path("form.xlsx").is_file()
    exported = invoke("export", str(data), *HUB, "--out", "push")
    assert exported.exit_code == 0, exported.output
    assert Path("push/manifest.json").is_file()
    assert invoke("schema", "--out", "schema.json").exit_code == 0
    assert json.loads(Path("schema.json").read_text(encoding="utf-8"))["$schema"]
    missing = invoke("template")
    assert missing.exit_code == 2
    assert error_lines(missing.stderr)[0].startswith(
        "poicheck: error: Missing option '--output' / '-o'."
    )


# --- 7. click's own errors in poicheck's style ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate"], "Missing argument 'PATHS...'."),
        (["annotate"], "Missing argument 'PATH'."),
        (["validate", "x.csv", "--format", "xml"], "Invalid value for '--format': 'xml' is not"),
        (["export", "x.csv", "-o", "d", "--action", "purge"], "Invalid value for '--action'"),
        (["validate", "x.csv", "--selec", "ADR"], "No such option '--selec'."),
        (["valdate", "x.csv"], "No such command 'valdate'."),
        (["rules", "explain"], "Missing argument 'RULE_ID'."),
        (["report", "x.csv", "--limit", "0"], "Invalid value for '--limit'"),
    ],
)
def test_click_usage_errors_read_poicheck_error_and_exit_2(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    line = error_lines(result.stderr)[0]
    assert line.startswith(f"poicheck: error: {message}"), line
    assert "help." in line  # click's pointer to the usage, on the same line


@pytest.mark.slow
def test_click_usage_errors_through_a_real_subprocess() -> None:
    done = _run("validate", "x.csv", "--fail-on", "sometimes")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "poicheck: error: Invalid value for '--fail-on': 'sometimes' is not one of"
    )
    assert len(done.stderr.splitlines()) == 1
    assert _run("--help").returncode == 0
    bare = _run()  # click shows the help, as it did
    assert bare.returncode == 2
    assert "Commands:" in bare.stdout + bare.stderr
    assert "poicheck: error" not in bare.stdout + bare.stderr
