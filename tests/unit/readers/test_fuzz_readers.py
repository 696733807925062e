"""Fuzzing the readers: arbitrary bytes, arbitrary CSV text and damaged workbooks either give
a canonical table or raise poicheck's own error type; never anything else."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from poicheck.errors import PoicheckError
from poicheck.readers import read_table
from poicheck.ruleset.loader import load_ruleset
from poicheck.table import CanonicalTable
from tests.corpus import workbook_parts, write_sheet
from tests.records import VALID_CELLS

pytestmark = pytest.mark.slow  # most of this module takes seconds: not in the quick loop

RULESET = load_ruleset()
# POICHECK_FUZZ_EXAMPLES=5000 pytest tests/unit/readers/test_fuzz_readers.py fuzzes longer.
FUZZ = settings(
    max_examples=int(os.environ.get("POICHECK_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
HEADERS = [*list(VALID_CELLS)[:12], "Bemerkung", "", "EvseID"]


def read(name: str, data: bytes) -> CanonicalTable | None:
    """Read bytes as a file of that name; None when poicheck refuses it (as it may)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        try:
            table = read_table(path, RULESET)
        except PoicheckError as exc:
            error = exc
        else:
            error = None
        assert path.read_bytes() == data  # never changed
    if error is not None:
        assert error.message
        assert error.location == str(path)
        return None
    _check(table)
    return table


def _check(table: CanonicalTable) -> None:
    """What every reader promises about the table it returns."""
    assert len(table.rows) == len(table.frame)
    assert np.all(np.diff(table.rows) > 0)
    assert all(str(dtype) == "str" for dtype in table.frame.dtypes)
    assert all(f.rule in RULESET.rules for f in table.reader_findings)


@FUZZ
@given(data=st.binary(max_size=3000), name=st.sampled_from(["f.csv", "f.xlsx", "f.json", "f.tsv"]))
@example(data=b"PK\x03\x04" + bytes(100), name="f.xlsx")
@example(data=b"\xff\xfe" + "EvseID\r\nX".encode("utf-16-le"), name="f.csv")
@example(data=b"[" * 5000, name="f.json")
def test_arbitrary_bytes(data: bytes, name: str) -> None:
    read(name, data)


CELLS = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 ,;\t|\"'\r\n.*+-:\u00a0äß€\u200b")), max_size=12
)


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(HEADERS) | CELLS, min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, max_size=8), max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote = draw(st.booleans())

    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if quote else text

    return newline.join(delimiter.join(cell(c) for c in row) for row in [header, *rows])


@FUZZ
@given(text=csv_texts(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_arbitrary_csv_text(text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    read("data.csv", data)


def _workbook() -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = write_sheet(
            Path(directory) / "w.xlsx",
            [list(VALID_CELLS)[:6], list(VALID_CELLS.values())[:6], ["=A2", 1067, True, None]],
            merged=["D3:E3"],
            hidden_rows=[2],
        )
        return path.read_bytes()


WORKBOOK = _workbook()


@FUZZ
@given(
    start=st.integers(min_value=0, max_value=len(WORKBOOK) - 1),
    junk=st.binary(min_size=1, max_size=64),
    cut=st.booleans(),
)
def test_damaged_workbooks(start: int, junk: bytes, cut: bool) -> None:
    data = WORKBOOK[:start] + (b"" if cut else junk + WORKBOOK[start + len(junk) :])
    read("damaged.xlsx", data)


@FUZZ
@given(xml=st.text(max_size=400))
def test_arbitrary_sheet_xml_in_a_valid_archive(xml: str) -> None:
    import zipfile
    from io import BytesIO

    parts = workbook_parts([["EvseID"], ["DE*PCK*E1"]])
    parts["xl/worksheets/sheet1.xml"] = xml.encode("utf-8", "surrogatepass")
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    read("sheet.xlsx", buffer.getvalue())
