"""Big worksheets read in pieces (`pieces`): the pieces add up to exactly what calamine reads
from the whole sheet, whatever the layout, and anything that would not falls back to reading
the sheet whole."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck.readers import read_table
from poicheck.readers.xlsx import celltexts, pieces, safety
from poicheck.readers.xlsx.pieces import Pieces
from poicheck.ruleset.model import RuleSet
from tests.corpus import crafted_workbook, write_sheet

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _whole(path: Path) -> tuple[list[list[Any]], list[Any]]:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as workbook:
        sheet = workbook.get_sheet_by_name(workbook.sheet_names[0])
        return sheet.to_python(skip_empty_area=False), list(sheet.merged_cell_ranges or [])


def _in_pieces(path: Path, directory: Path, count: int) -> pieces.Loaded | None:
    from python_calamine import CalamineWorkbook

    split = Pieces(path, directory, count, smallest=0)
    try:
        archive = safety.check_xlsx(path, copy=split.copy)
        with CalamineWorkbook.from_path(str(path)) as workbook:
            name = workbook.sheet_names[0]
        return split.load(SHEET, name, archive.sheets[SHEET])
    finally:
        split.close()


def _rows(count: int, start: int = 1) -> list[list[Any]]:
    rows: list[list[Any]] = [["EvseID", "Address.PostalCode", "IsOpen24Hours", "Since"]]
    for i in range(start, start + count):
        rows.append([f"DE*PCK*E{i}", 10115 + i, i % 2 == 0, dt.date(2024, 1, 1 + i % 28)])
    return rows


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_pieces_add_up_to_the_sheet(count: int, tmp_path: Path) -> None:
    path = write_sheet(tmp_path / "book.xlsx", _rows(400), merged=["A300:A302"])
    loaded = _in_pieces(path, tmp_path, count)
    assert loaded == _whole(path)
    assert len(list(tmp_path.glob("*.xlsx"))) == count + 1


def test_a_piece_is_read_as_soon_as_the_scan_is_past_it(tmp_path: Path) -> None:
    path = write_sheet(tmp_path / "book.xlsx", _rows(400))
    split = Pieces(path, tmp_path, 3, smallest=0)
    try:
        safety.check_xlsx(path, copy=split.copy)
        assert len(split.parts[SHEET].read) == 2  # the last one waits for the sheet's end
    finally:
        split.close()


def test_a_piece_is_not_read_before_the_scan_knows_it_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safety, "CHUNK", 1024)  # the scan goes on in small steps
    rows = "".join(_cells(r, "A") for r in range(1, 200))
    rows += '<row r="300"><c r="XFD1048576"><v>1</v></c></row>'
    rows += "".join(_cells(r, "A") for r in range(301, 500))
    path = _crafted(tmp_path, rows)
    split = Pieces(path, tmp_path, 4, smallest=0)
    try:
        safety.check_xlsx(path, copy=split.copy)
        assert len(split.parts[SHEET].read) == 1  # only the piece before the far cell
    finally:
        split.close()


def _crafted(tmp_path: Path, rows: str, prefix: str = "", tail: str = "") -> Path:
    p = f"{prefix}:" if prefix else ""
    ns = f"xmlns:{prefix}" if prefix else "xmlns"
    xml = (
        f'<{p}worksheet {ns}="{MAIN}"><{p}dimension ref="A1"/><{p}sheetData>{rows}'
        f"</{p}sheetData>{tail}</{p}worksheet>"
    )
    return crafted_workbook(tmp_path / "book.xlsx", parts={SHEET: xml.encode()})


def _cells(row: int, columns: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    cells = "".join(f'<{p}c r="{c}{row}"><{p}v>{row}</{p}v></{p}c>' for c in columns)
    return f'<{p}row r="{row}">{cells}</{p}row>'


LAYOUTS = {
    "starting at C5": "".join(_cells(r, "CD") for r in range(5, 300)),
    "wider further down": "".join(_cells(r, "A" if r < 150 else "ABCDEFG") for r in range(1, 300)),
    "narrower further down": "".join(_cells(r, "BCD" if r < 150 else "D") for r in range(1, 300)),
    "a gap between the pieces": "".join(
        _cells(r, "AB") for r in [*range(1, 150), *range(900, 1050)]
    ),
    "rows out of order inside a piece": "".join(_cells(r, "A") for r in [2, 1, *range(3, 300)]),
}


@pytest.mark.slow
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("count", [2, 3])
def test_pieces_add_up_whatever_the_layout(layout: str, count: int, tmp_path: Path) -> None:
    path = _crafted(
        tmp_path, LAYOUTS[layout], tail='<mergeCells><mergeCell ref="A1:B1"/></mergeCells>'
    )
    assert _in_pieces(path, tmp_path, count) == _whole(path)


def test_prefixed_pieces_close_with_their_prefix(tmp_path: Path) -> None:
    path = _crafted(tmp_path, "".join(_cells(r, "AB", "x") for r in range(1, 300)), prefix="x")
    assert _in_pieces(path, tmp_path, 3) == _whole(path)


def test_rows_out_of_order_across_pieces_fall_back(tmp_path: Path) -> None:
    rows = "".join(_cells(r, "A") for r in [*range(1, 10), 5000, *range(10, 400)])
    assert _in_pieces(_crafted(tmp_path, rows), tmp_path, 2) is None


def test_rows_without_references_are_not_split(tmp_path: Path) -> None:
    rows = "".join(f"<row><c><v>{r}</v></c></row>" for r in range(300))
    path = _crafted(tmp_path, rows)
    assert _in_pieces(path, tmp_path / "two", 2) is None
    (tmp_path / "one").mkdir()
    assert _in_pieces(path, tmp_path / "one", 1) == _whole(path)


def test_rows_after_the_sheet_data_never_start_a_piece(tmp_path: Path) -> None:
    tail = "<extLst>" + "".join(_cells(r, "A") for r in range(5000, 5200)) + "</extLst>"
    path = _crafted(tmp_path, "".join(_cells(r, "A") for r in range(1, 40)), tail=tail)
    assert _in_pieces(path, tmp_path, 4) == _whole(path)


def _frame(path: Path, ruleset: RuleSet) -> tuple[pd.DataFrame, list[Any]]:
    table = read_table(path, ruleset)
    return table.frame, [(f.rule, f.record, f.field, f.value) for f in table.reader_findings]


@pytest.mark.slow
def test_a_table_read_in_pieces_is_the_table_read_whole(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(600)
    rows[10][1] = "not a number"
    path = write_sheet(tmp_path / "book.xlsx", rows, merged=["C40:C45"], hidden_rows=[50])
    used: list[Any] = []
    monkeypatch.setattr(pieces, "_joined", _spy(pieces._joined, used))
    _assert_same_in_pieces(path, ruleset, monkeypatch, processors=3)
    assert used, "the sheet should have been read in pieces"


def _assert_same_in_pieces(
    path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch, processors: int = 2
) -> tuple[pd.DataFrame, list[Any]]:
    """The workbook read as a big sheet (in pieces, unless something makes it fall back)
    gives the table and reader findings of it read whole; returns those."""
    whole = _frame(path, ruleset)
    monkeypatch.setattr(pieces, "SMALLEST", 0)
    monkeypatch.setattr(pieces, "processors", lambda: processors)
    _assert_same(_frame(path, ruleset), whole)
    return whole


def _assert_same(
    split: tuple[pd.DataFrame, list[Any]], whole: tuple[pd.DataFrame, list[Any]]
) -> None:
    pd.testing.assert_frame_equal(split[0], whole[0])
    assert split[1] == whole[1]


def _spy(function: Any, calls: list[Any], results: list[Any] | None = None) -> Any:
    def spy(*args: Any) -> Any:
        calls.append(args)
        value = function(*args)
        if results is not None:
            results.append(value)
        return value

    return spy


def test_a_piece_calamine_cannot_read_falls_back_to_the_whole_sheet(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pieces, "_load", lambda *args: None)
    _assert_same_in_pieces(write_sheet(tmp_path / "book.xlsx", _rows(300)), ruleset, monkeypatch)


@pytest.mark.slow
def test_no_room_for_pieces_reads_the_sheet_whole(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_sheet(tmp_path / "book.xlsx", _rows(300))

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pieces._Part, "_start", full)
    whole = _assert_same_in_pieces(path, ruleset, monkeypatch)
    monkeypatch.setattr("tempfile.mkdtemp", full)
    _assert_same(_frame(path, ruleset), whole)


def test_pieces_leave_no_temporary_files(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pieces, "SMALLEST", 0)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    read_table(write_sheet(tmp_path / "book.xlsx", _rows(50)), ruleset)
    assert list((tmp_path / "temp").iterdir()) == []


VALUES = ["<v>7</v>", "<v>1.5</v>", "", "<is><t>x &amp; y</t></is>", "<v>1</v>"]
TYPES = ["", ' t="n"', "", ' t="inlineStr"', ' t="b"']


@st.composite
def _layouts(draw: st.DrawFn) -> str:
    """Rows in order (with gaps), their cells anywhere and of any type."""
    numbers = sorted(draw(st.sets(st.integers(1, 400), min_size=1, max_size=60)))
    rows = []
    for number in numbers:
        cells = ""
        for column in draw(st.lists(st.integers(0, 12), max_size=6)):
            kind = draw(st.integers(0, len(VALUES) - 1))
            ref = f"{chr(65 + column)}{number}"
            cells += f'<c r="{ref}"{TYPES[kind]}>{VALUES[kind]}</c>'
        rows.append(f'<row r="{number}">{cells}</row>')
    return "".join(rows)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_layouts(), count=st.integers(2, 4))
def test_pieces_add_up_for_any_layout(rows: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = _crafted(Path(directory), rows)
        assert _in_pieces(path, Path(directory), count) == _whole(path)


_CELLS = st.one_of(
    st.just(""),
    st.none(),
    st.text(max_size=3),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(),
)


@st.composite
def _pieces(draw: st.DrawFn) -> tuple[list[pieces.Piece], int]:
    """Pieces as calamine reads them: the first from A1 with the head rows, the others
    anywhere below the rows before them, each with its own first column and width."""
    width = draw(st.integers(1, 4))
    head = [["name"] + [draw(_CELLS) for _ in range(width - 1)] for _ in range(12)]
    made: list[pieces.Piece] = [((0, 0), head + draw(_block(width)), [])]
    reached = len(made[0][1])
    for _ in range(draw(st.integers(0, 3))):
        top, left = reached + draw(st.integers(0, 2)), draw(st.integers(0, 2))
        rows = draw(_block(draw(st.integers(1, 4))))
        made.append(((top, left), rows, []))
        reached = top + len(rows)
    return made, draw(st.integers(0, 11))


def _block(width: int) -> st.SearchStrategy[list[list[Any]]]:
    return st.lists(st.lists(_CELLS, min_size=width, max_size=width), max_size=5)


@pytest.mark.slow
@given(drawn=_pieces())
def test_pieces_converted_as_they_come_are_the_joined_sheet_converted(
    drawn: tuple[list[pieces.Piece], int],
) -> None:
    made, index = drawn
    early = celltexts.BodyTexts(lambda head: index)
    for piece in made:
        early.add(piece)
    joined = pieces._joined(made)
    assert joined is not None
    grid = joined[0]
    width = max(len(row) for row in grid)
    texts, natives = celltexts.body_texts(grid[index + 1 :], width)
    converted = early.texts(index, len(grid), width)
    assert converted is not None
    assert [t.to_pylist() for t in converted[0]] == [t.to_pylist() for t in texts]
    assert converted[1] == natives


@pytest.mark.slow
def test_a_big_sheet_is_converted_while_its_last_pieces_are_read(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_sheet(tmp_path / "book.xlsx", _rows(600))
    asked: list[Any] = []
    given_back: list[Any] = []
    texts = _spy(celltexts.BodyTexts.texts, asked, given_back)
    monkeypatch.setattr(celltexts.BodyTexts, "texts", texts)
    _assert_same_in_pieces(path, ruleset, monkeypatch, processors=2)
    assert given_back, "the sheet should have been read in pieces"
    assert given_back[0] is not None, "the pieces' texts should have been used"
