from __future__ import annotations

import os
from pathlib import Path

import pytest

from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, data: str | bytes) -> None:
    """Compare an output with its golden file `tests/golden/<name>`; with the environment
    variable POICHECK_UPDATE_GOLDEN set, write the golden file instead (review the diff)."""
    path = GOLDEN / name
    if os.environ.get("POICHECK_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    expected: str | bytes = (
        path.read_bytes() if isinstance(data, bytes) else path.read_text(encoding="utf-8")
    )
    assert data == expected, f"output differs from {path}"


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_ruleset()


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Property tests (hypothesis) are `slow`: each runs its example database and up to a
    hundred generated inputs; the quick loop (`pytest -m "not slow"`) leaves them to CI."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.slow)
