"""One output-path policy for every writer (poicheck.files.output, poicheck.files.outdir): an input
is never
an output, special files are written directly, unwritable targets are exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.security.conftest import OPERATOR, VALID_CSV, assert_clean_exit_2, poicheck

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    shutil.copyfile(VALID_CSV, path)
    return path


def _spellings(data: Path) -> dict[str, str]:
    """The same file named four ways: as given, through ./, a symbolic and a hard link."""
    (data.parent / "sym.csv").symlink_to(data.name)
    os.link(data, data.parent / "hard.csv")
    return {"plain": "in.csv", "dotted": "./in.csv", "symlink": "sym.csv", "hardlink": "hard.csv"}


@pytest.mark.parametrize("spelling", ["plain", "dotted", "symlink", "hardlink"])
@pytest.mark.parametrize(
    "command",
    [
        ["validate", "in.csv", "--format", "json", "-o"],
        ["map", "in.csv", "--force", "--out"],
        ["report", "in.csv", "--markdown"],
    ],
    ids=["validate", "map", "report"],
)
def test_an_input_is_never_an_output(data: Path, command: list[str], spelling: str) -> None:
    before = data.read_bytes()
    output = _spellings(data)[spelling]
    result = poicheck(*command, output, cwd=data.parent)
    assert_clean_exit_2(result, "is also an input")
    assert data.read_bytes() == before


@pytest.mark.skipif(not os.path.islink("/dev/stdout"), reason="no /dev/stdout link here")
def test_dev_stdout_is_written_to_not_replaced(data: Path) -> None:
    before = os.readlink("/dev/stdout")
    result = poicheck("validate", data, "--format", "json", "-o", "/dev/stdout")
    assert result.returncode == 0, result.stderr
    assert '"schema_version"' in result.stdout
    assert os.readlink("/dev/stdout") == before  # still the link, not a file renamed over it
    assert not [name for name in os.listdir("/dev") if name.startswith(".stdout.")]


def test_dash_is_standard_output(data: Path) -> None:
    result = poicheck("validate", data, "-o", "-")
    assert result.returncode == 0, result.stderr
    assert "0 errors" in result.stdout
    assert not (data.parent / "-").exists()


def test_a_fifo_is_written_to_directly(data: Path) -> None:
    fifo = data.parent / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = poicheck("validate", data, "--format", "json", "-o", fifo, timeout=30)
    reader.join(timeout=30)
    assert result.returncode == 0, result.stderr
    assert b'"schema_version"' in received[0]
    assert fifo.is_fifo()


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("a-directory", "is a directory"),
        ("missing/report.json", "the directory does not exist"),
        ("/proc/poicheck-report.json", "cannot write"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "schema", "template"])
def test_an_unwritable_output_is_exit_2(data: Path, target: str, said: str, command: str) -> None:
    (data.parent / "a-directory").mkdir()
    (data.parent / "a-directory.xlsx").mkdir()
    given = {"validate": ["validate", data, "-o"], "schema": ["schema", "-o"]}
    path = target + (".xlsx" if command == "template" else "")
    arguments = given.get(command, ["template", "--out"])
    assert_clean_exit_2(poicheck(*arguments, path, cwd=data.parent), said)


def test_a_read_only_directory_is_exit_2(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root a read-only directory is writable, so the failure is simulated in-process."""
    from poicheck.errors import UsageError
    from poicheck.files.output import write_text

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(UsageError, match="cannot write: Permission denied"):
        write_text(data.parent / "out.json", "{}")


@pytest.mark.parametrize("out", [".", "..", "holds-foreign"])
def test_export_refuses_a_directory_it_must_not_replace(one_operator_csv: Path, out: str) -> None:
    work = one_operator_csv.parent / "work"
    (work / "holds-foreign").mkdir(parents=True)
    (work / "holds-foreign" / "notes.txt").write_text("mine")
    data = work / "evse.csv"
    shutil.copyfile(one_operator_csv, data)
    result = poicheck("export", data, "--out", out, *OPERATOR, cwd=work)
    assert_clean_exit_2(result)
    assert data.exists()
    assert (work / "holds-foreign" / "notes.txt").read_text() == "mine"


def test_export_never_replaces_a_directory_holding_an_input(one_operator_csv: Path) -> None:
    out = one_operator_csv.parent / "out"
    assert poicheck("export", one_operator_csv, "--out", out, *OPERATOR).returncode == 0
    shutil.copyfile(one_operator_csv, out / "evse.csv")
    result = poicheck("export", out / "evse.csv", "--out", out, *OPERATOR)
    assert_clean_exit_2(result, "holds an input")
    assert (out / "evse.csv").exists()


@pytest.mark.parametrize("read", ["config", "rules", "mapping"])
def test_a_file_the_run_reads_is_never_an_output(data: Path, read: str) -> None:
    config = data.parent / ".poicheck.yaml"
    config.write_text("fail_on: never\n", encoding="utf-8")
    rules = data.parent / "mine.yaml"
    rules.write_text("rules: []\n", encoding="utf-8")
    mapping = data.parent / "map.yaml"
    mapping.write_text("columns: {}\n", encoding="utf-8")
    target = {"config": config, "rules": rules, "mapping": mapping}[read]
    option = {"config": [], "rules": ["--rules", rules], "mapping": ["--mapping", mapping]}[read]
    before = target.read_bytes()
    result = poicheck("validate", data, *option, "--format", "json", "-o", target)
    assert_clean_exit_2(result, "is also an input")
    assert target.read_bytes() == before


def test_a_closed_pipe_is_not_an_internal_error() -> None:
    """`poicheck errata | head -1`: the reader goes away; exit 2, no internal error."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails with EPIPE
    with subprocess.Popen(
        [sys.executable, "-m", "poicheck", "errata"], stdout=write, stderr=subprocess.PIPE, env=env
    ) as child:
        os.close(write)
        _, stderr = child.communicate(timeout=60)
    assert child.returncode == 2, stderr
    assert b"internal error" not in stderr
