"""Messy real-world spreadsheets: the same records in clean and messy form give the same
findings; Excel damage is reported at its cell, read as meant where that is certain."""

from __future__ import annotations

import codecs
import csv
import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from poicheck import validate
from poicheck.errors import InputError
from poicheck.readers import read_table
from poicheck.results.report import Finding
from poicheck.ruleset.model import RuleSet
from tests.corpus import csv_bytes, write_sheet
from tests.records import VALID_CELLS

OPERATOR = {"operator_id": "DE*PCK", "operator_name": "PoiCheck Demo Hub"}
BOOLEANS = [c for c in VALID_CELLS if VALID_CELLS[c] in ("true", "false")]


def records() -> list[dict[str, str]]:
    """Four EVSEs, three with a planted mistake, with text that needs a real encoding."""
    out = []
    for i in range(4):
        record = {**VALID_CELLS, "EvseID": f"DE*PCK*E100{i}*1", "Address.City": "Düsseldorf"}
        record["Address.Street"] = "Königsallee"
        out.append(record)
    out[0]["AdditionalInfo.en"] = 'Two points, "next to the lifts";\nlevel -1'  # quoted newline
    out[1]["Plugs"] = "Type 2"
    out[2]["ChargingFacilities.1.Power"] = "22kW"
    out[3]["Address.TimeZone"] = "Europe/Berlin"
    out[3]["IsOpen24Hours"] = "false"
    return out


def rows_of(data: list[dict[str, str]]) -> list[list[str]]:
    header = list(data[0])
    return [header, *[[r[c] for c in header] for r in data]]


def key(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return sorted(
        (f.rule, f.severity, f.record, f.row, f.field, f.value, f.message) for f in findings
    )


def findings_of(path: Path, ruleset: RuleSet, **options: Any) -> list[Finding]:
    report = validate(path, ruleset=ruleset, **OPERATOR, **options)
    assert report.unreadable == [], report.unreadable
    return report.findings


@pytest.fixture
def clean(tmp_path: Path, ruleset: RuleSet) -> list[Finding]:
    path = tmp_path / "clean.csv"
    path.write_bytes(csv_bytes(rows_of(records())))
    found = findings_of(path, ruleset)
    assert {f.rule for f in found} >= {"PWR002", "PWR007", "ADR015"}
    return found


MESSY: dict[str, Callable[[list[list[str]]], bytes]] = {
    "latin1-semicolon-crlf": lambda r: csv_bytes(
        r, delimiter=";", encoding="latin-1", newline="\r\n"
    ),
    "cp1252-tab": lambda r: csv_bytes(r, delimiter="\t", encoding="cp1252"),
    "utf16-le-bom": lambda r: csv_bytes(
        r, delimiter=";", encoding="utf-16-le", bom=codecs.BOM_UTF16_LE, newline="\r\n"
    ),
    "utf16-be-no-bom": lambda r: csv_bytes(r, delimiter=";", encoding="utf-16-be"),
    "utf8-bom-pipe": lambda r: csv_bytes(r, delimiter="|", bom=codecs.BOM_UTF8),
    "classic-mac-cr": lambda r: csv_bytes(r, delimiter=";", newline="\r"),
    "all-quoted": lambda r: csv_bytes(r, quoting=csv.QUOTE_ALL, newline="\r\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(MESSY))
def test_messy_csv_gives_the_findings_of_its_clean_twin(
    variant: str, clean: list[Finding], tmp_path: Path, ruleset: RuleSet
) -> None:
    path = tmp_path / f"{variant}.csv"
    path.write_bytes(MESSY[variant](rows_of(records())))
    found = findings_of(path, ruleset)
    # A file read in another encoding than UTF-8 says so, once (TBL014).
    said = [f for f in found if f.rule == "TBL014"]
    assert len(said) == (1 if variant.startswith(("latin1", "cp1252")) else 0)
    assert key([f for f in found if f not in said]) == key(clean)


def native_rows(data: list[dict[str, str]], ruleset: RuleSet) -> list[list[Any]]:
    """The records as Excel holds them: native booleans, numbers and coordinates."""
    header = list(data[0])
    out: list[list[Any]] = [header]
    for record in data:
        row: list[Any] = []
        for column in header:
            prop = ruleset.property_for_column(column)
            value: Any = record[column]
            if prop is not None and prop.base == "boolean":
                value = value == "true"
            elif prop is not None and prop.base == "integer" and value.isdigit():
                value = int(value)
            elif column.startswith("GeoCoordinates."):
                value = float(value)
            row.append(value)
        out.append(row)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_workbook_with_native_types_gives_the_findings_of_its_clean_twin(
    suffix: str, clean: list[Finding], tmp_path: Path, ruleset: RuleSet
) -> None:
    path = write_sheet(tmp_path / "native.xlsx", native_rows(records(), ruleset))
    if suffix != ".xlsx":
        path = Path(shutil.copy(path, tmp_path / f"native{suffix}"))
    assert key(findings_of(path, ruleset)) == key(clean)


def test_german_excel_export_is_read_as_meant_and_said_once_per_column(
    clean: list[Finding], tmp_path: Path, ruleset: RuleSet
) -> None:
    data = records()
    for record in data:
        for column in ("GeoCoordinates.Latitude", "GeoCoordinates.Longitude"):
            record[column] = record[column].replace(".", ",")
        for column in BOOLEANS:
            record[column] = {"true": "WAHR", "false": "FALSCH"}[record[column]]
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(rows_of(data), delimiter=";", encoding="cp1252", newline="\r\n"))
    found = findings_of(path, ruleset)
    said = [f for f in found if f.rule in ("TBL008", "TBL009")]
    encoding = [f for f in found if f.rule == "TBL014"]
    assert [f.severity for f in encoding] == ["warning"]
    assert key([f for f in found if f not in said + encoding]) == key(clean)
    assert all(f.severity == "info" for f in said)
    assert sorted((f.rule, f.field) for f in said) == sorted(
        [("TBL008", "GeoCoordinates.Latitude"), ("TBL008", "GeoCoordinates.Longitude")]
        + [("TBL009", c) for c in BOOLEANS]
    )
    assert "'52.521918'" in next(f.message for f in said if f.field.endswith("Latitude"))
    table = read_table(path, ruleset)
    assert set(table.frame["GeoCoordinates.Latitude"]) == {"52.521918"}
    assert set(table.frame["IsOpen24Hours"]) == {"true", "false"}


def test_a_decimal_comma_among_decimal_points_is_a_typo_for_the_field_rule(
    tmp_path: Path, ruleset: RuleSet
) -> None:
    data = records()
    data[0]["GeoCoordinates.Latitude"] = "52,521918"
    data[2]["RenewableEnergy"] = "yes"
    path = tmp_path / "typo.csv"
    path.write_bytes(csv_bytes(rows_of(data), delimiter=";"))
    found = findings_of(path, ruleset, select=["GEO002", "NRG002", "TBL"])
    assert sorted((f.rule, f.record, f.value) for f in found) == [
        ("GEO002", 0, "52,521918"),
        ("NRG002", 2, "yes"),
    ]


@pytest.mark.parametrize(
    ("cells", "read"),
    [
        ({"RenewableEnergy": ["1", "0"]}, ["true", "false"]),
        ({"RenewableEnergy": ["ja", "nein"]}, ["true", "false"]),
        ({"RenewableEnergy": ["Yes", "no"]}, ["true", "false"]),
        ({"RenewableEnergy": ["TRUE", "False"]}, ["TRUE", "False"]),
    ],
    ids=["digits", "german", "english", "any-case-true-false"],
)
def test_boolean_spellings(
    cells: dict[str, list[str]], read: list[str], tmp_path: Path, ruleset: RuleSet
) -> None:
    column, values = next(iter(cells.items()))
    rows = [["EvseID", column], ["DE*PCK*E1", values[0]], ["DE*PCK*E2", values[1]]]
    path = tmp_path / "booleans.csv"
    path.write_bytes(csv_bytes(rows))
    table = read_table(path, ruleset)
    assert table.frame[column].tolist() == read
    report = validate(path, ruleset=ruleset, select=["NRG002", "TBL009"])
    expected = [] if read == values else [("TBL009", "info", 0)]
    assert [(f.rule, f.severity, f.record) for f in report.findings] == expected


def test_native_booleans_need_no_word(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "RenewableEnergy"], ["DE*PCK*E1", True], ["DE*PCK*E2", False]]
    path = write_sheet(tmp_path / "native.xlsx", rows)
    assert read_table(path, ruleset).frame["RenewableEnergy"].tolist() == ["true", "false"]
    assert validate(path, ruleset=ruleset, select=["NRG", "TBL", "XLS"]).findings == []


# --- CSV encodings and shapes --------------------------------------------------------------


def test_latin1_bytes_that_cp1252_leaves_undefined(tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("EvseID;AdditionalInfo.en\nDE*PCK*E1;\x81 Köln\n".encode("latin-1"))
    assert read_table(path, ruleset).frame["AdditionalInfo.en"].tolist() == ["\x81 Köln"]


def test_wrong_explicit_encoding_is_a_clear_error(tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "latin.csv"
    body = "EvseID;Address.City\n" + "DE*PCK*E1;Berlin\n" * 5000 + "DE*PCK*E2;Köln\n"
    path.write_bytes(body.encode("cp1252"))
    with pytest.raises(InputError) as caught:
        read_table(path, ruleset, encoding="utf-8")
    assert "--encoding" in caught.value.message
    assert read_table(path, ruleset, encoding="cp1252").frame["Address.City"].iloc[-1] == "Köln"
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_table(path, ruleset, encoding="klingon")


def test_rows_with_more_or_fewer_cells_than_the_header(tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(
        "EvseID;AdditionalInfo.en;Address.City\n"
        "DE*PCK*E1;Level -1; bay 3;Berlin\n"
        "DE*PCK*E2;Level 0\n"
        "DE*PCK*E3;Level 2;Köln;;\n",
        encoding="utf-8",
    )
    table = read_table(path, ruleset)
    cities = table.frame["Address.City"]
    assert cities.fillna("(empty)").tolist() == [" bay 3", "(empty)", "Köln"]
    report = validate(path, ruleset=ruleset, select=["TBL006"])
    assert [(f.rule, f.row, f.value) for f in report.findings] == [("TBL006", 2, "Berlin")]


def test_long_cells_are_cut_at_the_spreadsheet_limit(tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "long.csv"
    path.write_text("EvseID,AdditionalInfo.en\nDE*PCK*E1," + "x" * 100_000 + "\n")
    table = read_table(path, ruleset)
    assert len(table.frame["AdditionalInfo.en"].iloc[0]) == 32_767
    report = validate(path, ruleset=ruleset, select=["TBL005", "TXT002"])
    assert [f.rule for f in report.findings] == ["TBL005", "TXT002"]
    assert "100,000 characters" in report.findings[0].message
    assert len(report.findings[0].value or "") < 100


@pytest.mark.slow
def test_a_cell_of_many_megabytes_is_read_within_bounds(tmp_path: Path, ruleset: RuleSet) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w") as handle:
        handle.write('EvseID,AdditionalInfo.en\nDE*PCK*E1,"')
        handle.write("x;" * (10 << 20))
        handle.write('"\nDE*PCK*E2,short\n')
    table = read_table(path, ruleset)
    assert [len(v) for v in table.frame["AdditionalInfo.en"]] == [32_767, 5]
    assert [f.rule for f in table.reader_findings] == ["TBL005"]


@pytest.mark.slow
def test_a_cell_larger_than_a_parse_block(tmp_path: Path, ruleset: RuleSet) -> None:
    """pyarrow parses 4 MiB blocks; a 6 MB cell makes the reader parse with larger ones."""
    from poicheck.readers.csv import FAST_BLOCK

    path = tmp_path / "large.csv"
    size = FAST_BLOCK + (2 << 20)
    path.write_text(f'EvseID,AdditionalInfo.en\nDE*PCK*E1,"{"y" * size}"\nDE*PCK*E2,x\n')
    table = read_table(path, ruleset)
    assert [len(v) for v in table.frame["AdditionalInfo.en"]] == [32_767, 1]
    assert table.rows.tolist() == [2, 3]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (codecs.BOM_UTF8 + b"\r\n \r\n", "empty"),
        (codecs.BOM_UTF16_LE, "empty"),
        (b"EvseID;Address.City\r\n", "no data rows"),
        (b"EvseID;Address.City\r\n;\r\n\r\n", "no data rows"),
        (b"Ladepunkt;Ort\r\nDE*PCK*E1;Berlin\r\n", "--mapping"),
    ],
    ids=[
        "empty",
        "bom-and-blank-lines",
        "utf16-bom-only",
        "header-only",
        "header-and-blanks",
        "no-known-column",
    ],
)
def test_empty_and_header_only_files(
    content: bytes, reason: str, tmp_path: Path, ruleset: RuleSet
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_table(path, ruleset)
    assert reason in caught.value.message


def test_header_only_workbook(tmp_path: Path, ruleset: RuleSet) -> None:
    path = write_sheet(tmp_path / "header.xlsx", [["EvseID", "Address.City"]])
    with pytest.raises(InputError, match="no data rows"):
        read_table(path, ruleset)


@pytest.mark.slow
def test_reading_never_changes_an_input(tmp_path: Path, ruleset: RuleSet) -> None:
    rows = [["EvseID", "Address.City"], ["DE*PCK*E1", None], ["DE*PCK*E2", "=A2"]]
    inputs = [
        write_sheet(tmp_path / "m.xlsx", rows, merged=["B2:B3"], hidden_rows=[3]),
        tmp_path / "l.csv",
    ]
    inputs[1].write_bytes(MESSY["latin1-semicolon-crlf"](rows_of(records())))
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in inputs}
    validate(inputs, ruleset=ruleset)
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in inputs}
    assert after == before


def test_null_spellings_are_text_not_empty_cells(tmp_path: Path, ruleset: RuleSet) -> None:
    """pyarrow reads n/a, NULL, NaN... as missing by default; for poicheck they are what the
    user wrote (a placeholder the quality rules report), and only an empty cell is empty."""
    data = records()
    for record, spelled in zip(data, ["n/a", "NULL", "NaN", "-"], strict=True):
        record["Address.HouseNum"] = spelled
    path = tmp_path / "nulls.csv"
    path.write_bytes(csv_bytes(rows_of(data)))
    found = {(f.rule, f.value) for f in findings_of(path, ruleset) if "HouseNum" in f.field}
    assert ("ADR019", "n/a") in found
    assert ("ADR019", "NULL") in found
    assert not any(rule == "ADR009" for rule, _ in found)  # never "missing"
