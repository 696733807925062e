"""Small crafted files cost linear time: doubling the input about doubles the time.

Each test measures, in one run, the CPU time of the same work on an input and on one twice
as large. Quadratic work gives a ratio near 4; the bound guaranteed is linear in the number
of sheets, list items, object keys and header bytes, and the tests accept below 3 (fixed costs
make small inputs take relatively longer, so a linear reader stays well below).

Before: 2,000 sheets took 27 s, one record with 2,000 ChargingFacilities 35 s, a record with
40,000 unknown keys 16 s, and the CSV dialect sniffer 17 s on a 64 KB line.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from poicheck import validate
from poicheck.readers.csvsniff import detect_delimiter
from poicheck.ruleset.model import RuleSet
from poicheck.table import Layout

pytestmark = pytest.mark.slow

LIMIT = 3.0


def cpu_seconds(work: Callable[[], object]) -> float:
    """The CPU time of `work`, the best of three runs (the machine may be busy).

    The garbage collector is paused while timing: its passes grow with the number of live
    objects, which made a linear reader look superlinear now and then (3.2x on a busy CI run).
    """
    times = []
    for _ in range(3):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            work()
            times.append(time.process_time() - start)
        finally:
            gc.enable()
    return min(times)


def ratio(make: Callable[[int], Callable[[], object]], size: int) -> tuple[float, float]:
    """CPU seconds at `size` and at twice `size`."""
    small, large = make(size), make(2 * size)
    return cpu_seconds(small), cpu_seconds(large)


def assert_linear(times: tuple[float, float]) -> None:
    small, large = times
    assert large / small < LIMIT, f"{small:.2f} s -> {large:.2f} s: not linear"


def test_sheets(tmp_path: Path, ruleset: RuleSet) -> None:
    def make(count: int) -> Callable[[], object]:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["EvseID", "Address.City"])
        sheet.append(["DE*PCK*E1", "Berlin"])
        for i in range(count - 1):
            book.create_sheet(f"S{i}")
        path = tmp_path / f"sheets{count}.xlsx"
        book.save(path)
        return lambda: validate(path, ruleset=ruleset)

    assert_linear(ratio(make, 400))


def test_list_items(tmp_path: Path, ruleset: RuleSet) -> None:
    def make(count: int) -> Callable[[], object]:
        facility = {"PowerType": "AC_3_PHASE", "Power": 22}
        record = {"EvseID": "DE*PCK*E1", "ChargingFacilities": [facility] * count}
        path = tmp_path / f"facilities{count}.json"
        path.write_text(json.dumps([record]), encoding="utf-8")
        return lambda: validate(path, ruleset=ruleset)

    assert_linear(ratio(make, 200))


def test_list_item_siblings(ruleset: RuleSet) -> None:
    """The root of the list-item case, at a size end to end would take minutes: every item
    column asks for its item's siblings (PWR004, PWR006), which scanned all columns."""

    def make(count: int) -> Callable[[], object]:
        leaves = ("PowerType", "Power")
        items = [f"ChargingFacilities.{i}.{leaf}" for i in range(1, count + 1) for leaf in leaves]

        def work() -> None:
            layout = Layout(["EvseID", *items], ruleset)
            for column in items:
                item = layout.item_of(column)
                assert item is not None
                assert column in layout.items(item[0])[item[1]]

        return work

    assert_linear(ratio(make, 40_000))


def test_unknown_keys(tmp_path: Path, ruleset: RuleSet) -> None:
    def make(count: int) -> Callable[[], object]:
        record = {"EvseID": "DE*PCK*E1", **{f"X{i}": i for i in range(count)}}
        path = tmp_path / f"keys{count}.json"
        path.write_text(json.dumps([record]), encoding="utf-8")
        return lambda: validate(path, ruleset=ruleset)

    assert_linear(ratio(make, 20_000))


@pytest.mark.parametrize("piece", [';"', ',"a', 'a,"b"c\''])
def test_delimiter_detection(piece: str) -> None:
    """csv.Sniffer's regular expressions backtrack on such lines; the text is at most the
    first records of a file, here made large enough to time (at 4 MB the smaller text still
    fitted the CPU's caches and the ratio read 2.3-3.4; from 8 MB on it is 2.0)."""

    def make(size: int) -> Callable[[], object]:
        text = "EvseID,Address.City\n" + piece * (size // len(piece))
        return lambda: detect_delimiter(text)

    assert_linear(ratio(make, 8_000_000))


def test_wide_header(tmp_path: Path, ruleset: RuleSet) -> None:
    """A header row longer than the 64 KiB first read is read whole, in linear time."""

    def make(count: int) -> Callable[[], object]:
        path = tmp_path / f"wide{count}.csv"
        header = ",".join(
            ["EvseID", *(f"Extra column {i:07d} of a wide export" for i in range(count))]
        )
        path.write_text(header + "\nDE*PCK*E1\n", encoding="utf-8")
        return lambda: validate(path, ruleset=ruleset, select=["TBL006"])

    assert_linear(ratio(make, 3_000))
