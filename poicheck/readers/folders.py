"""A folder given as input: the data files in it, in name order.

`poicheck validate data/` reads every file of a supported type in `data/` (not the folders in
it unless `recursive`), as if each had been named. What it leaves out is said in a note each:
an Office lock file (`~$stations.xlsx`, left while Excel has the workbook open), a hidden
file, a file of another type, a folder inside (without `recursive`). The configuration files
that the run reads as such are not data and go unmentioned.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from poicheck.errors import InputError, UsageError
from poicheck.files.user import CONFIG_NAMES
from poicheck.readers import FORMATS

CONFIGURATION = frozenset({*CONFIG_NAMES, "pyproject.toml"})
FOLDER_SKIPPED = "--recursive reads the folders inside too"


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
        return None if recursive else f"a folder; {FOLDER_SKIPPED}"
    if entry.suffix.lower() not in FORMATS:
        kind = f"'{entry.suffix}'" if entry.suffix else "no extension"
        return f"not a data file: {kind}; poicheck reads {', '.join(sorted(FORMATS))}"
    return None
