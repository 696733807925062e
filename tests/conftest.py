from __future__ import annotations

from pathlib import Path

import pytest

from poicheck.ruleset.loader import load_ruleset
from poicheck.ruleset.model import RuleSet

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_ruleset()


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
