"""A folder given as input: the data files in it, in name order.

`poicheck validate data/` reads every file of a supported type in `data/` (not the folders in
it unless `recursive`), as if each had been named. What it leaves out is said in a note each:
an Office lock file (`~$stations.xlsx`, left while Excel has the workbook open), a hidden
file, a file of another type, a folder inside (without `recursive`), poicheck's own JSON
findings report (`validate data/ -o data/findings.json` must not make the next run read its
findings as data) and an export folder of poicheck's (its requests are the data once more).
The configuration files that the run reads as such are not data and go unmentioned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from poicheck.errors import InputError, UsageError
from poicheck.files.user import CONFIG_NAMES, read_head
from poicheck.readers import FORMATS

CONFIGURATION = frozenset({*CONFIG_NAMES, "pyproject.toml"})
FOLDER_SKIPPED = "--recursive reads the folders inside too"
# How poicheck's findings report (JSON output) and an export's manifest.json begin.
OWN_OUTPUT = re.compile(
    rb'\A\s*\{\s*"(schema_version|manifest_version)"\s*:\s*"[0-9.]+"\s*,'
    rb'\s*"tool"\s*:\s*\{\s*"name"\s*:\s*"poicheck"'
)
OWN_KINDS = {b"schema_version": "a findings report", b"manifest_version": "an export manifest"}


def expand(paths: Iterable[Path], *, recursive: bool = False) -> tuple[list[Path], list[str]]:
    """The paths with every folder replaced by its data files (sorted by name, each file
    once), and a note for each file or folder left out. Other paths stay as they are (a
    missing file is the reader's to report).

    Raises:
        UsageError: a folder that holds no data file.
        InputError: a folder that cannot be listed.
    """
    files: list[Path] = []
    notes: list[str] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        skipped = len(notes)
        found = _walk(path, recursive, notes, set())
        if not found:
            folders = any(note.endswith(FOLDER_SKIPPED + ")") for note in notes[skipped:])
            raise UsageError(
                f"{path}: no data files in this folder (poicheck reads "
                f"{', '.join(sorted(FORMATS))}{'; ' + FOLDER_SKIPPED if folders else ''})",
                details=[f"  {note}" for note in notes[skipped:]],
            )
        files.extend(found)
    return list(dict.fromkeys(files)), notes


def _walk(folder: Path, recursive: bool, notes: list[str], seen: set[Path]) -> list[Path]:
    """The data files of `folder` (and, `recursive`, of the folders in it), in name order;
    a folder met again through a link is read once."""
    seen.add(folder.resolve())
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise InputError(
            f"cannot list the folder: {exc.strerror or exc}", location=str(folder)
        ) from exc
    found: list[Path] = []
    for entry in entries:
        reason = _left_out(entry, recursive)
        if reason is None and entry.is_dir():
            if entry.resolve() not in seen:
                found.extend(_walk(entry, recursive, notes, seen))
        elif reason is None:
            found.append(entry)
        elif reason:
            notes.append(f"{entry}: skipped ({reason})")
    return found


def _left_out(entry: Path, recursive: bool) -> str | None:
    """Why `entry` is not read ("" when that goes unsaid), or None when it is."""
    name = entry.name
    if name in CONFIGURATION:
        return ""
    if name.startswith("~$"):
        return "an Office lock file, there while the file is open in Excel"
    if name.startswith("."):
        return "a hidden file" if not entry.is_dir() else "a hidden folder"
    if entry.is_dir():
        if not recursive:
            return f"a folder; {FOLDER_SKIPPED}"
        if _own_output(entry / "manifest.json") == "an export manifest":
            return "a poicheck export folder: its requests are exported data, not a source"
        return None
    if entry.suffix.lower() not in FORMATS:
        kind = f"'{entry.suffix}'" if entry.suffix else "no extension"
        return f"not a data file: {kind}; poicheck reads {', '.join(sorted(FORMATS))}"
    own = _own_output(entry) if entry.suffix.lower() == ".json" else None
    return f"{own} written by poicheck, not data" if own else None


def _own_output(path: Path) -> str | None:
    """What output of poicheck's `path` is, from its first bytes, or None (also for anything
    that is not a regular file)."""
    found = OWN_OUTPUT.match(read_head(path, 512) or b"")
    return OWN_KINDS[found.group(1)] if found else None
