"""Small, valid data the tests build on: one canonical record and helpers to vary it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from poicheck.ruleset.examples import EXAMPLE_RECORD, frame_of, json_record

# The record every rule example is set in (poicheck rules test sets them in the same one).
VALID_CELLS: dict[str, str] = dict(EXAMPLE_RECORD)


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


__all__ = ["VALID_CELLS", "frame_of", "json_record", "write_json"]
