"""A killed parent takes its forked --workers children with it (PR_SET_PDEATHSIG).

Attack: SIGKILL of `poicheck validate --workers 2` while its children check. Before, a child
stayed blocked on its pipe forever, holding its copy of the table (~300 MB).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from poicheck.engine import workers as parallel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not parallel.can_fork(), reason="forking is used on Linux only"),
]

ROWS = 300_000


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _big_csv(path: Path) -> Path:
    row = "DE*PCK*E{0},Berlin,Alexanderplatz,{0},10178,DEU,52.52,13.41\n"
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "EvseID,Address.City,Address.Street,Address.HouseNum,Address.PostalCode,"
            "Address.Country,GeoCoordinates.Latitude,GeoCoordinates.Longitude\n"
        )
        out.writelines(row.format(i) for i in range(ROWS))
    return path


@pytest.mark.slow
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    data = _big_csv(tmp_path / "big.csv")
    command = [sys.executable, "-m", "poicheck", "validate", "--workers", "2", str(data)]
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while not children and parent.poll() is None and time.monotonic() < deadline:
            children = {c for c in _children(parent.pid) if _alive(c)}
            time.sleep(0.05)
        if not children:
            pytest.skip("the run ended before a worker was forked (machine too fast?)")
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(c) for c in children), "a worker outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for child in children:
            if _alive(child):
                os.kill(child, signal.SIGKILL)
