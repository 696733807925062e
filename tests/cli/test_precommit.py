"""The pre-commit hook: `.pre-commit-hooks.yaml` agrees with the readers, and the real
`pre-commit` tool, pointed at a snapshot of this working tree, rejects a commit of defective
EVSE data (showing the findings) and accepts a clean one.

The hook's environment is built by pre-commit itself (a virtualenv and `pip install .` of the
snapshot). To stay fast and offline the test lets that environment borrow the third-party
packages of the interpreter running the tests (PYTHONPATH; pip with --no-deps and without
build isolation). POICHECK_PRECOMMIT_ONLINE=1 lets pip install them from the index instead,
as a user's first run does (about a minute).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from poicheck.cli import cli
from poicheck.cli import validate as _validate  # noqa: F401  (registers the command)
from poicheck.cli.precommit import HOOK_ID, hook_files_pattern, hooks_yaml
from poicheck.files.yaml_loader import load_yaml
from poicheck.readers import FORMATS

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
SAMPLES = ROOT / "samples"
ONLINE = bool(os.environ.get("POICHECK_PRECOMMIT_ONLINE"))
# Messages of pip and virtualenv that mean "the package index could not be reached".
OFFLINE = re.compile(
    r"No matching distribution|Could not find a version|Failed to establish|"
    r"Temporary failure in name resolution|Network is unreachable|ConnectionError"
)


def test_hooks_file_is_generated_from_the_reader_catalogue() -> None:
    assert HOOKS.read_text(encoding="utf-8") == hooks_yaml(), (
        ".pre-commit-hooks.yaml is stale: run python scripts/make_hooks.py"
    )


def test_the_hook_passes_data_files_and_nothing_else() -> None:
    (hook,) = load_yaml(HOOKS)
    assert hook["id"] == HOOK_ID
    assert hook["language"] == "python"
    assert hook["files"] == hook_files_pattern()
    program, command = hook["entry"].split()
    assert program == "poicheck"
    assert command in cli.commands
    files = re.compile(hook["files"])
    for suffix in FORMATS:
        assert bool(files.search(f"data/evse{suffix}")) == (suffix != ".txt"), suffix
    for name in ("data/EVSE.CSV", "push.json", "stations.xlsx", "x.xlsm", "x.tsv"):
        assert files.search(name), name
    for name in ("README.md", "requirements.txt", "old.xls", "tool.py", "evse.csv.bak"):
        assert not files.search(name), name


def _snapshot(target: Path) -> str:
    """Commit the working tree as it is (uncommitted work included) into a new repository;
    return the commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "--quiet")
    _git(target, "add", "--all")
    _git(target, "commit", "--quiet", "--no-verify", "-m", "snapshot of the working tree")
    return _git(target, "rev-parse", "HEAD").strip()


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=env or _env()
    )
    return result.stdout


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "PRE_COMMIT", "PIP_", "VIRTUALENV_"))
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="poicheck test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="poicheck test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        NO_COLOR="1",
    )
    env.update(extra or {})
    return env


def _borrowed_packages(target: Path) -> Path:
    """This interpreter's third-party packages without poicheck itself (the hook must run
    the snapshot's poicheck, not the one under test)."""
    target.mkdir()
    paths = sysconfig.get_paths()
    for directory in dict.fromkeys((paths["purelib"], paths["platlib"])):
        for entry in Path(directory).iterdir():
            if entry.name.startswith(("poicheck", "_editable_impl_poicheck", "__")):
                continue
            if entry.suffix == ".pth" or (target / entry.name).exists():
                continue
            (target / entry.name).symlink_to(entry)
    return target


def _commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def _precommit_env(tmp_path: Path) -> dict[str, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    extra = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    if not ONLINE:
        if importlib.util.find_spec("hatchling") is None:
            pytest.skip("hatchling is needed to build the hook offline (pip install '.[test]')")
        # NOTE: PIP_NO_BUILD_ISOLATION=0 *disables* build isolation (pip's inverted option).
        extra.update(
            PYTHONPATH=str(_borrowed_packages(tmp_path / "site-packages")),
            PIP_NO_DEPS="1",
            PIP_NO_BUILD_ISOLATION="0",
            PIP_NO_INDEX="1",
        )
    return _env(extra)


@pytest.mark.slow
def test_a_commit_of_defective_data_is_rejected_and_a_clean_one_accepted(
    tmp_path: Path,
) -> None:
    env = _precommit_env(tmp_path)
    hook_repo, data = tmp_path / "poicheck", tmp_path / "data"
    hook_repo.mkdir()
    data.mkdir()
    rev = _snapshot(hook_repo)
    started = time.monotonic()
    # What a data repository writes: the hook by repo and rev (with an argument that must win
    # over the configuration), and its own configuration.
    (data / ".pre-commit-config.yaml").write_text(
        f"default_language_version:\n  python: {sys.executable}\n"
        f"repos:\n  - repo: {hook_repo.as_uri()}\n    rev: {rev}\n"
        f"    hooks:\n      - id: {HOOK_ID}\n        args: [--ignore, EVS003]\n",
        encoding="utf-8",
    )
    config = (SAMPLES / ".poicheck.yaml").read_text(encoding="utf-8")
    (data / ".poicheck.yaml").write_text(config + "ignore: [TXT007]\n", encoding="utf-8")
    _git(data, "init", "--quiet", env=env)
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=data, env=env, check=True)
    _git(data, "add", ".pre-commit-config.yaml", ".poicheck.yaml", env=env)
    setup = _commit(data, env, "configure poicheck")
    if setup.returncode != 0 and ONLINE and OFFLINE.search(setup.stdout + setup.stderr):
        pytest.skip("pre-commit could not install the hook's dependencies without network")
    assert setup.returncode == 0, setup.stdout + setup.stderr

    shutil.copy(SAMPLES / "invalid/evse-invalid.csv", data / "stations.csv")
    _git(data, "add", "stations.csv", env=env)
    rejected = _commit(data, env, "defective data")
    output = rejected.stdout + rejected.stderr
    if ONLINE and OFFLINE.search(output):
        pytest.skip("pre-commit could not install the hook's dependencies without network")
    assert rejected.returncode != 0, output
    assert re.search(r"poicheck \(EVSE data, OICP 2\.3\)\.+Failed", output), output
    assert "stations.csv" in output
    assert "PWR007" in output  # the findings are shown, located
    assert "row 34  FR*ELC*E3001*3" in output
    assert "IDN001" in output  # the operator came from the data repository's .poicheck.yaml
    assert "not to DE*PCK, AT*VLT" in output
    assert "EVS003" not in output  # the hook's args win over the configuration's ignore
    assert "TXT007" in output
    assert _git(data, "log", "--format=%s", env=env).split("\n")[0] == "configure poicheck"

    shutil.copy(SAMPLES / "valid/evse-valid.csv", data / "stations.csv")
    _git(data, "add", "stations.csv", env=env)
    accepted = _commit(data, env, "clean data")
    output = accepted.stdout + accepted.stderr
    assert accepted.returncode == 0, output
    assert re.search(r"poicheck \(EVSE data, OICP 2\.3\)\.+Passed", output), output
    assert _git(data, "log", "--format=%s", env=env).split("\n")[0] == "clean data"
    assert time.monotonic() - started < 240  # offline it takes about 15 s
