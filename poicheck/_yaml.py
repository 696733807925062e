"""YAML loading with YAML 1.2 semantics.

NOTE: PyYAML (YAML 1.1) reads a bare ``on:`` (the OpeningTimes property), ``yes`` and ``no`` as
booleans. ruamel.yaml's pure-Python safe loader follows YAML 1.2, where only ``true`` and
``false`` are booleans, so rule files, configuration and mappings cannot fall into that trap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from poicheck.errors import PoicheckError


def load_yaml(source: str | Path, *, error: type[PoicheckError] = PoicheckError) -> Any:
    """Load one YAML document from a path (or from text, when given a str that is not a path)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    try:
        if isinstance(source, Path):
            with source.open(encoding="utf-8") as handle:
                return yaml.load(handle)
        return yaml.load(source)
    except YAMLError as exc:
        where = str(source) if isinstance(source, Path) else "<text>"
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"{where}:{mark.line + 1}:{mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"invalid YAML: {problem}", location=where) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read file: {exc}", location=str(source)) from exc
