"""Readers: bytes in, canonical table out. They never judge values; rules do."""

from __future__ import annotations

from pathlib import Path

from poicheck.errors import InputError
from poicheck.ruleset.model import RuleSet
from poicheck.table import CanonicalTable

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
}


def read_table(
    path: str | Path,
    ruleset: RuleSet,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
) -> CanonicalTable:
    """Read one input file into the canonical table; raise InputError when it is unusable."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a directory, not a data file", location=str(path))
    if not path.exists():
        raise InputError("no such file", location=str(path))
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        if path.suffix.lower() == ".xls":
            raise InputError(
                "the old binary .xls format is not supported; save the workbook as .xlsx",
                location=str(path),
            )
        raise InputError(
            f"unknown file type '{path.suffix}'; expected .xlsx, .csv or .json", location=str(path)
        )
    try:
        if fmt == "csv":
            from poicheck.readers.csv import read_csv

            return read_csv(path, ruleset, encoding=encoding)
        if fmt == "xlsx":
            from poicheck.readers.xlsx import read_xlsx

            return read_xlsx(path, ruleset, sheet=sheet)
        from poicheck.readers.json import read_json

        return read_json(path, ruleset)
    except PermissionError as exc:
        raise InputError("permission denied", location=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", location=str(path)) from exc
