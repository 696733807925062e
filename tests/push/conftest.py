"""A local Hubject stand-in with mutual TLS, certificates, and exports of the valid sample."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from poicheck.export import ExportOptions, build_export, write_export
from poicheck.push.standin import Received, Reply, StandIn, hubject_like
from tests.push.pki import Pair, Pki

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples/valid/evse-valid.csv"
SUBS = ("AT*VLT", "FR*ELC", "NL*GRN", "CH*ALP", "IT*COR")
HUB = ExportOptions(operator_id="DE*PCK", operator_name="PoiCheck Demo Hub", sub_operator_ids=SUBS)


@dataclass(frozen=True)
class Certs:
    ca: Path
    server: Pair
    client: Pair


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def certs(pki: Pki) -> Certs:
    return Certs(
        pki.ca, pki.issue("server", "127.0.0.1", server=True), pki.issue("client", "DE*PCK")
    )


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample as one fullLoad, and as three update and three insert requests."""
    made = {}
    for name, options in {
        "full": HUB,
        "update": ExportOptions(**{**HUB.__dict__, "action": "update", "batch_size": 20}),
        "insert": ExportOptions(**{**HUB.__dict__, "action": "insert", "batch_size": 20}),
    }.items():
        directory = tmp_path_factory.mktemp("exports") / name
        write_export(build_export(SAMPLE, options), directory)
        made[name] = directory
    return made


@pytest.fixture
def export_dir(exports: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """A fresh copy of an export (the push writes its log there)."""

    def copy(name: str = "update") -> Path:
        target = tmp_path / f"out-{name}"
        shutil.copytree(exports[name], target)
        return target

    return copy


@pytest.fixture
def hubject(certs: Certs) -> Iterator[Callable[..., StandIn]]:
    """Start a stand-in that answers with `answer` (default: like Hubject, sub-operators
    configured); stopped at the end of the test."""
    started: list[StandIn] = []

    def start(answer: Callable[[Received], Reply] | None = None) -> StandIn:
        server = StandIn(
            certs.server.cert, certs.server.key, certs.ca, answer=answer or hubject_like(SUBS)
        )
        started.append(server.__enter__())
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)
