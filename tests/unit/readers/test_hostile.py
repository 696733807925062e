"""Broken and hostile files: each ends with exit code 2 and one clear message on stderr, in
bounded time and memory, without a traceback; inputs are never changed; outputs are written
atomically; a run over many files reports every bad one and checks the others."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from poicheck import validate
from poicheck.cli import cli
from poicheck.cli import validate as _validate  # noqa: F401  (registers the command)
from poicheck.errors import InputError
from poicheck.readers import read_table
from poicheck.ruleset.model import RuleSet
from tests.corpus import (
    crafted_workbook,
    deflated,
    raw_zip,
    rewrite_part,
    workbook_parts,
    write_sheet,
    zeros_deflated,
)
from tests.records import VALID_CELLS

MiB = 1 << 20
SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]>"
).replace("&lol0;", "&lol;")


def _valid(path: Path) -> Path:
    return write_sheet(path, [list(VALID_CELLS), list(VALID_CELLS.values())])


def _truncated(path: Path) -> Path:
    data = _valid(path).read_bytes()
    path.write_bytes(data[: len(data) * 3 // 5])
    return path


def _random(path: Path) -> Path:
    path.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(40_000)))
    return path


def _bomb(path: Path) -> Path:
    """A 1 MiB workbook whose sheet inflates to 1.1 GiB, declared honestly."""
    size = 1100 * MiB
    return crafted_workbook(path, replace={SHEET: (zeros_deflated(size), size)})


def _ratio_bomb(path: Path) -> Path:
    """100 MiB from 100 kB: under the size limit, but a thousandfold."""
    size = 100 * MiB
    return crafted_workbook(path, replace={SHEET: (zeros_deflated(size), size)})


def _lying_bomb(path: Path) -> Path:
    """Declares 2 kB and inflates to 200 MiB."""
    return crafted_workbook(path, replace={SHEET: (zeros_deflated(200 * MiB), 2048)})


def _far_cell(path: Path) -> Path:
    """One cell at XFD1048576: calamine would allocate 512 GiB and abort the process."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["EvseID"])
    sheet.append(["DE*PCK*E1"])
    sheet["XFD1048576"] = "far away"
    book.save(path)
    return path


def _far_cell_odd_quotes(path: Path) -> Path:
    _far_cell(path)
    rewrite_part(path, SHEET, lambda xml: xml.replace('r="XFD1048576"', "r = 'XFD1048576'"))
    return path


def _sheet_xml(rows: str) -> bytes:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return f'<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def _cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def _far_row_without_refs(path: Path) -> Path:
    """Cells without references in a far row: calamine places them one after the other."""
    xml = _sheet_xml(
        f"<row>{_cell('EvseID')}</row>" + '<row r="1048576">' + _cell("x") * 20_000 + "</row>"
    )
    return crafted_workbook(path, parts={SHEET: xml})


def _entity_bomb(part: str) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        data = workbook_parts([["EvseID"], ["DE*PCK*E1"]])[part].decode()
        body = data.split("?>", 1)[1] if data.startswith("<?xml") else data
        xml = (LAUGHS + body.replace("DE*PCK*E1", "&lol9;")).encode()
        return crafted_workbook(path, replace={part: (deflated(xml), len(xml))})

    return build


def _many_entries(path: Path) -> Path:
    entries = [(f"xl/media/{i}.bin", deflated(b""), 0, 0) for i in range(10_001)]
    return raw_zip(path, entries)


def _encrypted(path: Path) -> Path:
    stream = "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000) + stream + bytes(5000))
    return path


def _old_xls(path: Path) -> Path:
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512) + "Workbook".encode("utf-16-le")
    )
    return path


def _html_xls(path: Path) -> Path:
    path.write_text("<html><body><table><tr><td>EvseID</td></tr></table></body></html>")
    return path


def _docx(path: Path) -> Path:
    return raw_zip(path, [("word/document.xml", deflated(b"<w/>"), 4, zlib.crc32(b"<w/>"))])


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _deep_json(path: Path) -> Path:
    path.write_text("[" * 200_000 + "]" * 200_000)
    return path


def _zip_as_csv(path: Path) -> Path:
    path.write_bytes(_valid(path.with_suffix(".xlsx")).read_bytes())
    return path


HOSTILE: dict[str, tuple[str, Callable[[Path], Path], str]] = {
    "truncated": ("book.xlsx", _truncated, "damaged or incomplete"),
    "random-bytes": ("random.xlsx", _random, "neither a zip archive nor text"),
    "zip-bomb": ("bomb.xlsx", _bomb, "zip bomb"),
    "ratio-bomb": ("ratio.xlsx", _ratio_bomb, "-fold"),
    "lying-sizes": ("lying.xlsx", _lying_bomb, "beyond its declared size"),
    "far-cell": ("far.xlsx", _far_cell, "1,048,576 rows x 16,384 columns"),
    "far-cell-odd-quotes": ("odd.xlsx", _far_cell_odd_quotes, "16,384 columns"),
    "far-row-without-refs": ("norefs.xlsx", _far_row_without_refs, "1,048,576 rows x 20,000"),
    "entity-bomb-sheet": ("laughs.xlsx", _entity_bomb(SHEET), "DOCTYPE"),
    "entity-bomb-workbook": ("laughs2.xlsx", _entity_bomb("xl/workbook.xml"), "DOCTYPE"),
    "many-entries": ("many.xlsx", _many_entries, "10001 entries"),
    "encrypted": ("secret.xlsx", _encrypted, "password-protected"),
    "old-xls": ("old.xls", _old_xls, "save it as .xlsx"),
    "html-as-xls": ("export.xls", _html_xls, "HTML"),
    "docx-as-xlsx": ("letter.xlsx", _docx, "not an Excel workbook"),
    "empty-xlsx": ("empty.xlsx", _empty, "empty"),
    "xlsx-as-csv": ("data.csv", _zip_as_csv, "rename it to .xlsx"),
    "directory": ("folder.xlsx", _directory, "is a directory"),
    "fifo": ("pipe.csv", _fifo, "not a regular file"),
    "deep-json": ("deep.json", _deep_json, "nested too deeply"),
}


def build(case: str, directory: Path) -> Path:
    name, make, _ = HOSTILE[case]
    return make(directory / name)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_is_an_input_error(case: str, tmp_path: Path, ruleset: RuleSet) -> None:
    path = build(case, tmp_path)
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        read_table(path, ruleset)
    assert time.perf_counter() - started < 10
    assert caught.value.location == str(path)
    assert HOSTILE[case][2] in caught.value.message


def test_a_workbook_without_cell_references_is_read(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = f"<row>{_cell('EvseID')}{_cell('Address.City')}</row>"
    rows += "".join(f"<row>{_cell(f'DE*PCK*E{i}')}{_cell('Berlin')}</row>" for i in range(300))
    xml = _sheet_xml(rows)
    path = crafted_workbook(tmp_path / "norefs.xlsx", parts={SHEET: xml})
    table = read_table(path, ruleset)
    assert len(table.frame) == 300
    assert table.rows.tolist()[:2] == [2, 3]
    assert table.frame["Address.City"].unique().tolist() == ["Berlin"]


def test_damage_in_cells_without_references_is_found_by_a_full_parse(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    formula = "<c><f>A2</f><v></v></c>"
    rows = f"<row>{_cell('EvseID')}{_cell('ChargingStationId')}</row>"
    rows += f"<row>{_cell('DE*PCK*E1')}{formula}</row>"
    rows += f'<row hidden="1">{_cell("DE*PCK*E2")}{_cell("S2")}</row>'
    path = crafted_workbook(tmp_path / "norefs.xlsx", parts={SHEET: _sheet_xml(rows)})
    report = validate(path, ruleset=ruleset, select=["XLS"])
    assert [(f.rule, f.row, f.field) for f in report.findings] == [
        ("XLS003", 2, "ChargingStationId"),
        ("XLS007", 3, "*"),
    ]


def test_a_sheet_with_namespace_prefixes_is_read_with_its_damage(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    """Some writers (.NET libraries) prefix every element: x:c, x:f, x:v."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def cell(ref: str, text: str) -> str:
        return f'<x:c r="{ref}" t="inlineStr"><x:is><x:t>{text}</x:t></x:is></x:c>'

    rows = (
        f'<x:row r="1">{cell("A1", "EvseID")}{cell("B1", "ChargingStationId")}</x:row>'
        f'<x:row r="2">{cell("A2", "DE*PCK*E1")}<x:c r="B2"><x:f>A2</x:f></x:c></x:row>'
        f'<x:row r="3" hidden="1">{cell("A3", "DE*PCK*E2")}{cell("B3", "S2")}</x:row>'
    )
    xml = f'<x:worksheet xmlns:x="{main}"><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    path = crafted_workbook(tmp_path / "prefixed.xlsx", parts={SHEET: xml.encode()})
    assert len(read_table(path, ruleset).frame) == 2
    report = validate(path, ruleset=ruleset, select=["XLS"])
    assert [(f.rule, f.row, f.field) for f in report.findings] == [
        ("XLS003", 2, "ChargingStationId"),
        ("XLS007", 3, "*"),
    ]


def _relocated(path: Path, target: str, sheet: bytes | None = None) -> Path:
    """A workbook whose sheet lives in another part than xl/worksheets/sheet1.xml."""
    parts = workbook_parts([["EvseID", "Address.City"], ["DE*PCK*E1", "Berlin"]])
    parts[target] = sheet if sheet is not None else parts.pop(SHEET)
    parts.pop(SHEET, None)
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        text = parts[name].decode()
        parts[name] = text.replace("worksheets/sheet1.xml", target.removeprefix("xl/")).encode()
    entries = [(n, deflated(d), len(d), zlib.crc32(d)) for n, d in parts.items()]
    return raw_zip(path, entries)


@pytest.mark.parametrize("target", ["xl/data/evse.xml", "xl/data/styles.xml"])
def test_a_sheet_in_any_part_is_checked(target: str, tmp_path: Path, ruleset: RuleSet) -> None:
    table = read_table(_relocated(tmp_path / "moved.xlsx", target), ruleset)
    assert table.frame["EvseID"].tolist() == ["DE*PCK*E1"]
    far = workbook_parts([["EvseID"]])[SHEET].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )
    with pytest.raises(InputError, match="16,384 columns"):
        read_table(_relocated(tmp_path / "far.xlsx", target, far), ruleset)


def test_permission_denied_is_an_input_error(
    tmp_path: Path, ruleset: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _valid(tmp_path / "locked.xlsx")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputError, match="permission denied"):
        read_table(path, ruleset)


def _limit_memory() -> None:
    limit = 3 << 30  # address space: a parser that tried to hold a bomb would fail
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poicheck", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    ["truncated", "zip-bomb", "lying-sizes", "far-cell", "entity-bomb-sheet", "fifo", "directory"],
)
def test_cli_ends_hostile_input_with_exit_2_and_one_line(case: str, tmp_path: Path) -> None:
    path = build(case, tmp_path)
    started = time.perf_counter()
    result = run_cli("validate", str(path))
    assert time.perf_counter() - started < 30
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"poicheck: error: {path}: ")
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.slow
def test_a_run_over_many_files_reports_each_bad_one_and_checks_the_others(tmp_path: Path) -> None:
    bad = [build(case, tmp_path) for case in HOSTILE if case not in ("fifo", "directory")]
    good = _valid(tmp_path / "good.xlsx")
    invalid = write_sheet(tmp_path / "invalid.xlsx", [["EvseID"], ["DE*PCK*1"]])
    paths = [str(p) for p in [bad[0], good, *bad[1:], invalid]]
    hashes = {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}
    result = run_cli("validate", *paths, "--format", "json", timeout=120)
    assert result.returncode == 2  # the worst outcome: unreadable input
    errors = result.stderr.strip().splitlines()
    assert [line.split(": ")[2] for line in errors] == [str(p) for p in bad]
    assert "Traceback" not in result.stderr
    assert '"EVS002"' in result.stdout
    assert str(good) in result.stdout
    assert {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths} == hashes


@pytest.mark.slow
def test_a_debug_run_still_ends_with_the_one_line_message(tmp_path: Path) -> None:
    path = build("truncated", tmp_path)
    result = run_cli("--debug", "validate", str(path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("poicheck: error:")


@pytest.mark.parametrize("interruption", [OSError(28, "No space left"), KeyboardInterrupt()])
def test_an_interrupted_report_leaves_no_half_written_file(
    interruption: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _valid(tmp_path / "good.xlsx")
    out = tmp_path / "report.json"
    out.write_text("the previous report\n")

    def fail(*args: object) -> None:
        raise interruption

    monkeypatch.setattr(os, "replace", fail)
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(good), "--format", "json", "--output", str(out)])
    assert result.exit_code != 0
    assert out.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.xlsx", "report.json"]


@pytest.mark.slow
def test_memory_stays_bounded_on_a_bomb(tmp_path: Path) -> None:
    path = build("zip-bomb", tmp_path)
    # The peak of this process's own address space (VmHWM starts anew at exec); ru_maxrss
    # would carry over the size of the forking test process.
    probe = (
        "import re, sys\n"
        "from poicheck.readers import read_table\n"
        "from poicheck.ruleset.loader import load_ruleset\n"
        "from poicheck.errors import InputError\n"
        "try:\n    read_table(sys.argv[1], load_ruleset())\n"
        "except InputError:\n    pass\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s*([0-9]+) kB', status).group(1))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True
    )
    assert int(result.stdout.strip()) < 600 * 1024  # KiB: far below the 1.1 GiB it inflates to


# JSON numbers whose plain digits would run to a billion (int() of 1e999999999 never ends) or
# past Python's digit limit for int() (a ValueError inside the standard library's parser):
# each is checked as written, in bounded time, like any other wrong value.
HUGE_NUMBERS = {
    "1e999999999": "1E+999999999",
    "1e-999999999": "1E-999999999",
    "9" * 5000: "9" * 5000,
    "-" + "9" * 5000 + ".5": "-" + "9" * 5000 + ".5",
}


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
@pytest.mark.parametrize("written", list(HUGE_NUMBERS), ids=lambda text: text[:12])
def test_numbers_too_big_for_plain_digits_are_checked_as_written(
    written: str, suffix: str, tmp_path: Path
) -> None:
    record = f'{{"EvseID": "DE*PCK*E1", "MaxCapacity": {written}}}'
    path = tmp_path / f"huge{suffix}"
    path.write_text(f"[{record}]" if suffix == ".json" else record + "\n", encoding="utf-8")
    result = run_cli("validate", str(path), "--format", "json", "-q", timeout=60)
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["value"]) for f in found if f["field"] == "MaxCapacity"] == [
        ("PWR012", HUGE_NUMBERS[written])
    ]
