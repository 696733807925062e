"""The vectorised byte scan of worksheets (`sheetscan`, run by `safety.check_xlsx`): its bound
of the cell rectangle calamine allocates holds for every way the XML can place a cell, so that
no crafted sheet reaches calamine's allocation (which aborts the process), while ordinary
sheets need no exact parse; markers are found as the regex probes found them."""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from pathlib import Path
from xml.parsers.expat import ExpatError

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poicheck.errors import InputError
from poicheck.readers import read_table
from poicheck.readers.xlsx import safety, sheetscan, sheetxml
from poicheck.readers.xlsx.sheetscan import PAD, PartScan, reference
from poicheck.ruleset.model import RuleSet
from tests.corpus import crafted_workbook, rewrite_part, write_sheet

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FAR = 20_000  # cells in a far row: with 1,048,576 rows, far beyond MAX_CELLS


def _xml(rows: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = f"xmlns:{prefix}" if prefix else "xmlns"
    root = f'<{p}worksheet {ns}="{MAIN}">'
    return f"{root}<{p}sheetData>{rows}</{p}sheetData></{p}worksheet>".encode()


def _cell(text: str, attributes: str = "") -> str:
    return f'<c{attributes} t="inlineStr"><is><t>{text}</t></is></c>'


def _at(ref: str) -> str:
    return f' r="{ref}"'


def _row(number: str, cells: str) -> str:
    return f'<row r="{number}">{cells}</row>'


HEAD = _row("1", _cell("EvseID", _at("A1"))) + _row("2", _cell("DE*PCK*E1", _at("A2")))


def _scan(xml: bytes, chunk: int | None = None) -> PartScan:
    """The scan of one worksheet's bytes, fed in chunks as `check_xlsx` feeds them."""
    scanner = safety._Scanner(worksheet=True)
    size = chunk or len(xml)
    for start in range(0, len(xml), size):
        scanner.feed(xml[start : start + size], SHEET, Path("book.xlsx"))
    scanner.close(SHEET, Path("book.xlsx"))
    return scanner.scan


# Each places a cell far away (or many cells after a far one) in a form a naive scan misses.
# The regex scan before let six of them through to calamine, which aborted the process or ran
# out of memory: four letters, eight digits, an attribute ending in r, a reference in a quoted
# value, cells after a reference, a row reference with letters.
CRAFTED = {
    "whitespace around =": _row("3", _cell("x", ' r = "XFD1048576"')),
    "newline before r": _row("3", _cell("x", '\nr="XFD1048576"')),
    "single quotes": _row("3", _cell("x", "\tr='XFD1048576'")),
    "no space before r": _row("3", '<c t="inlineStr"r="XFD1048576"><is><t>x</t></is></c>'),
    "four letters": _row("3", _cell("x", _at("ZZZZ1000"))),
    "eight digits": _row("3", _cell("x", _at("A99999999"))),
    "attribute ending in r": _row("1048576", _cell("x", ' foor="A1"') * FAR),
    "reference in a quoted value": _row("1048576", _cell("x", " foo=' r=\"A1\"'") * FAR),
    "a reference, then cells without": _row("1048576", _cell("x", _at("A1")) + _cell("x") * FAR),
    "row reference with letters": _row("A1048576", _cell("x") * FAR),
    "rows left open": '<row r="1048576">' + ("<row>" + _cell("x")) * FAR,
    "cells after an empty row": '<row r="1048576"/>' + _cell("x") * FAR,
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_far_cell_is_refused_before_calamine_sees_it(
    case: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = crafted_workbook(tmp_path / "far.xlsx", parts={SHEET: _xml(HEAD + CRAFTED[case])})
    # refused for its extent, or (not well-formed XML) by the parse that measures it
    with pytest.raises(InputError, match=r"spans [\d,]+ rows x [\d,]+ columns|is damaged"):
        read_table(path, ruleset)


def test_prefixed_cells_without_references_are_counted(tmp_path: Path, ruleset: RuleSet) -> None:
    cell = '<x:c t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>'
    rows = '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>EvseID</x:t></x:is></x:c></x:row>'
    rows += '<x:row r="1048576">' + cell * FAR + "</x:row>"
    path = crafted_workbook(tmp_path / "far.xlsx", parts={SHEET: _xml(rows, prefix="x")})
    with pytest.raises(InputError, match="1,048,576 rows x 20,000 columns"):
        read_table(path, ruleset)


def test_an_ordinary_sheet_is_bounded_exactly_without_a_parse(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[list[object]] = [["EvseID", "Address.City", "Address.PostalCode"]]
    rows += [[f"DE*PCK*E{i}", "Berlin", 10115 + i] for i in range(500)]
    path = write_sheet(tmp_path / "book.xlsx", rows)
    scan = safety.check_xlsx(path).sheets[SHEET]
    assert (scan.max_row, scan.max_column) == (501, 3)
    assert (scan.cell_tags, scan.cell_refs, scan.row_tags, scan.row_refs) == (1503, 1503, 501, 501)
    # calamine's row index is one past the last row at its end; each row is assumed to end
    # at its start as well (an empty <row/> does): two rows more than there are
    assert (scan.cells, scan.unreferenced, scan.markers) == (503 * 3, 0, set())
    monkeypatch.setattr(sheetxml, "extent", _no_parse)
    assert len(read_table(path, ruleset).frame) == 500


def test_cells_without_references_are_bounded_by_their_rows(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some writers leave out every reference: the column index restarts at each row's end,
    so the longest row bounds the columns (not all the cells of the sheet)."""
    header = "<row>" + "".join(_cell(name) for name in ("EvseID", "Address.City")) + "</row>"
    rows = "".join(f"<row>{_cell(f'DE*PCK*E{i}')}{_cell('Berlin')}</row>" for i in range(3000))
    scan = _scan(_xml(header + rows))
    assert (scan.longest_run, scan.unreferenced, scan.max_column) == (2, 6002, 0)
    assert scan.cells == (2 * 3001 + 1) * 2  # each row counted as ending twice: an upper bound
    path = crafted_workbook(tmp_path / "norefs.xlsx", parts={SHEET: _xml(header + rows)})
    monkeypatch.setattr(sheetxml, "extent", _no_parse)
    assert len(read_table(path, ruleset).frame) == 3000


def _no_parse(*args: object) -> tuple[int, int]:
    raise AssertionError("the byte scan's bound should have been enough")


def test_what_looks_like_a_reference_in_single_quotes_is_none() -> None:
    cell = '<c foo=\' r="A1"\' t="n"><v>1</v></c>'
    scan = _scan(_xml(_row("3", cell * 5) + _row("4", _cell("x", " r='B4'"))))
    assert (scan.max_row, scan.max_column, scan.unreferenced, scan.unbounded) == (4, 2, 5, False)


def test_references_anywhere_in_the_tag_and_in_any_form_count() -> None:
    rows = "".join(
        _row(str(i), _cell("x", f' s="0" r="A{i}"') + f'<c t="n" r = "B{i}"><v>1</v></c>')
        for i in range(1, 201)
    )
    scan = _scan(_xml(rows))
    assert (scan.max_row, scan.max_column, scan.unreferenced, scan.cells) == (200, 2, 0, 404)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", [7, 64, 1000])
def test_chunk_boundaries_do_not_change_the_scan(chunk: int) -> None:
    rows = "".join(_row(str(i), _cell("a = b", _at(f"C{i}"))) for i in range(1, 60))
    rows += _row("60", _cell("x", " r='AB60'") + _cell("x") + '<c r="XFD7"><f>A1</f></c>')
    whole, chunked = _scan(_xml(rows)), _scan(_xml(rows), chunk)
    assert chunked == whole
    assert (whole.max_row, whole.max_column, whole.unreferenced) == (60, 16384, 1)
    assert whole.markers == {"formula"}


@pytest.mark.parametrize(
    ("rows", "markers"),
    [
        ('<row r="2" hidden="1"><c r="A2"><v>1</v></c></row>', {"hidden"}),
        ('<row r="2"><c r="A2" t="e"><v>#N/A</v></c></row>', {"error"}),
        ('<row r="2"><c r="A2" t = "e"><v>#N/A</v></c></row>', {"error"}),
        ('<row r="2"><c r="A2"><f t="shared" si="0"/></c></row>', {"formula"}),
        ('<row r="2"><c r="A2" t="inlineStr"><is><t>f&gt; "e" hidden</t></is></c></row>', set()),
    ],
)
def test_markers(rows: str, markers: set[str]) -> None:
    assert _scan(_xml(rows)).markers == markers


def test_a_prefixed_formula_is_a_marker() -> None:
    rows = '<x:row r="2"><x:c r="A2"><x:f>1+1</x:f></x:c></x:row>'
    assert _scan(_xml(rows, prefix="x")).markers == {"formula"}


def test_a_declaration_in_any_part_is_refused() -> None:
    with pytest.raises(InputError, match="DOCTYPE"):
        _scan(b'<!-- ok --><![CDATA[!]]><!doctype x [<!ENTITY a "b">]><worksheet/>')
    assert not _scan(b"<!-- a comment! --><worksheet><![CDATA[ <!x ]]></worksheet>").unbounded


def test_megabytes_without_a_tag_leave_the_sheet_to_a_parse() -> None:
    xml = _xml(_row("1", _cell("x" * (9 << 20), _at("A1"))))
    assert _scan(xml, 1 << 20).unbounded


@pytest.mark.parametrize(
    ("value", "place"),
    [("A1", (1, 1)), ("xfd1048576", (1048576, 16384)), ("5", (5, 0)), ("ZZZZ1", (1, 475254))],
)
def test_reference_reads_as_calamine_reads(value: str, place: tuple[int, int]) -> None:
    assert reference(value) == place


@pytest.mark.parametrize("value", ["", "A", "A0", "$A$1", "1A", "A 1", "A1 "])
def test_reference_refuses_what_calamine_refuses(value: str) -> None:
    assert reference(value) is None


def test_the_vectorised_reading_agrees_with_reference_one_by_one() -> None:
    rng = np.random.default_rng(7)
    values = [
        "".join(rng.choice(list("ABZaz"), size=rng.integers(0, 5)))
        + "".join(rng.choice(list("0123456789"), size=rng.integers(0, 9)))
        for _ in range(3000)
    ]
    data = "".join(f' r="{v}"' for v in values).encode()
    scan = PartScan()
    found, rows = sheetscan._references(data, np.frombuffer(data + PAD, dtype=np.uint8), scan)
    places = [p for p in map(reference, values) if p is not None]
    assert sorted(rows.tolist()) == sorted(p[0] for p in places)
    assert len(found) == len(places)
    assert (scan.max_row, scan.max_column) == tuple(max(p[i] for p in places) for i in (0, 1))


@pytest.mark.parametrize(
    ("rows", "prefix"),
    [
        ('<row r="5"><c r="C1"><v>1</v></c><c><v>1</v></c></row><row><c><v>1</v></c></row>', ""),
        ('<row><c><v>1</v></c></row><row r="3"><c><v>1</v></c><c r="F2"><v>1</v></c></row>', ""),
        ('<row r="2"><c r="B2"><v>1</v></c></row><row r="2"><c><v>1</v></c></row>', ""),
        ('<x:row r="4"><x:c><x:v>1</x:v></x:c><x:c r="c9"><x:v>1</x:v></x:c></x:row>', "x"),
    ],
)
def test_the_exact_extent_places_cells_as_calamine_does(
    rows: str, prefix: str, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    xml = _xml(rows, prefix)
    path = crafted_workbook(tmp_path / "book.xlsx", parts={SHEET: xml})
    with zipfile.ZipFile(path) as archive:
        extent = sheetxml.extent(archive, SHEET)
    with CalamineWorkbook.from_path(str(path)) as workbook:
        end = workbook.get_sheet_by_name(workbook.sheet_names[0]).end
    assert end is not None
    assert extent == (end[0] + 1, end[1] + 1)
    assert _scan(xml).cells >= extent[0] * extent[1]


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


REFERENCED_CELL = [
    '<c r="{ref}"><v>1</v></c>',
    '<c s="0" r="{ref}"><v>1</v></c>',
    '<c r = "{ref}"><v>1</v></c>',
    "<c\nr='{ref}'><v>1</v></c>",
    '<c t="n"r="{ref}"><v>1</v></c>',
    '<x:c r="{ref}"><x:v>1</x:v></x:c>',
]
UNREFERENCED_CELL = [
    "<c><v>1</v></c>",
    '<c foor="{ref}"><v>1</v></c>',
    "<x:c><x:v>1</x:v></x:c>",
    "<c foo=' r=\"{ref}\"'><v>1</v></c>",
]
ROW = ["<row>", '<row r="{row}">', "<row r = '{row}'>", '<row r="B{row}">', '<x:row r="{row}">']


@st.composite
def _sheets(draw: st.DrawFn) -> str:
    """Rows and cells in every form calamine places by, rows left open, empty rows and stray
    row ends (small, so that calamine never aborts)."""
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        row = draw(st.sampled_from(ROW)).format(row=draw(st.integers(1, 300)))
        cells = ""
        for _ in range(draw(st.integers(0, 8))):
            ref = _letters(draw(st.integers(1, 60))) + str(draw(st.integers(1, 300)))
            forms = REFERENCED_CELL if draw(st.booleans()) else UNREFERENCED_CELL
            cells += draw(st.sampled_from(forms)).format(ref=ref)
        end = "</x:row>" if row.startswith("<x:") else "</row>"
        shape = draw(st.sampled_from(["closed", "open", "empty", "stray ends"]))
        if shape == "empty":
            parts.append(row.replace(">", "/>") + cells)
        elif shape == "stray ends":
            parts.append(row + cells + end * draw(st.integers(2, 9)))
        else:
            parts.append(row + cells + (end if shape == "closed" else ""))
    return "".join(parts)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_sheets(), chunk=st.sampled_from([5, 33, 4096]))
def test_the_bound_and_the_exact_extent_hold_for_any_layout(rows: str, chunk: int) -> None:
    from python_calamine import CalamineError, CalamineWorkbook

    xml = _xml(rows).replace(b"<worksheet ", f'<worksheet xmlns:x="{MAIN}" '.encode())
    with tempfile.TemporaryDirectory() as directory:
        path = crafted_workbook(Path(directory) / "book.xlsx", parts={SHEET: xml})
        scan = _scan(xml, chunk)
        with CalamineWorkbook.from_path(str(path)) as workbook:
            try:
                end = workbook.get_sheet_by_name(workbook.sheet_names[0]).end
            except CalamineError:  # a sheet calamine refuses: nothing allocated
                return
        rows_, columns = (end[0] + 1, end[1] + 1) if end is not None else (0, 0)
        assert scan.cells >= rows_ * columns
        with zipfile.ZipFile(path) as archive, contextlib.suppress(ExpatError):
            # the exact extent, where expat can parse the sheet (calamine reads more)
            assert sheetxml.extent(archive, SHEET) == (rows_, columns)


def test_a_far_cell_in_another_sheet_is_not_read_for_its_header(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    """Other sheets are looked into for a header (XLS009): a far cell there would abort the
    process just as well, so such a sheet is only named."""
    path = write_sheet(
        tmp_path / "book.xlsx",
        [["EvseID", "Address.City"], ["DE*PCK*E1", "Berlin"]],
        sheets=[{"name": "Other", "header": ["x"]}],
    )
    other = "xl/worksheets/sheet2.xml"
    rewrite_part(
        path,
        other,
        lambda xml: xml.replace(
            "</sheetData>",
            '<row r="1048576"><c r="XFD1048576" t="inlineStr">'
            "<is><t>far</t></is></c></row></sheetData>",
        ),
    )
    table = read_table(path, ruleset)
    assert table.frame["EvseID"].tolist() == ["DE*PCK*E1"]
    assert [f.details["others"] for f in table.reader_findings if f.rule == "XLS009"] == ["'Other'"]
