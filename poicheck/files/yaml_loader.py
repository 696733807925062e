"""The one YAML loader for everything poicheck reads (configuration, rule files, mappings).

NOTE: PyYAML (YAML 1.1) reads a bare ``on:`` (the OpeningTimes property), ``yes`` and ``no`` as
booleans. ruamel.yaml's pure-Python safe loader follows YAML 1.2, where only ``true`` and
``false`` are booleans, so rule files, configuration and mappings cannot fall into that trap.

A user's file is bounded: at most MAX_YAML_BYTES, a regular file, and no aliases (``*name``):
a kilobyte of nested aliases ("billion laughs") expands to gigabytes. The events are parsed
first (aliases are not expanded by the parser), so a bomb is refused before anything is built.
The rule files shipped with poicheck are trusted (`trusted=True`): they name a list once with
an anchor and use it in several rules (one source of truth).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent

from poicheck.errors import PoicheckError
from poicheck.files.limits import MAX_YAML_BYTES
from poicheck.files.user import read_regular


def load_yaml(
    source: str | Path, *, error: type[PoicheckError] = PoicheckError, trusted: bool = False
) -> Any:
    """Load one YAML document from a path (or from text, when given a str that is not a path);
    aliases only in a `trusted` file (poicheck's own)."""
    where = str(source) if isinstance(source, Path) else "<text>"
    if isinstance(source, Path):
        try:
            text = read_regular(source, MAX_YAML_BYTES, error=error).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"cannot read file: {exc}", location=where) from exc
    else:
        text = source
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    try:
        if not trusted:
            _refuse_aliases(yaml, text, where, error)
        return yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"{where}:{mark.line + 1}:{mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"invalid YAML: {problem}", location=where) from exc
    except RecursionError as exc:
        raise error("invalid YAML: nested too deeply", location=where) from exc


def _refuse_aliases(yaml: YAML, text: str, where: str, error: type[PoicheckError]) -> None:
    for event in yaml.parse(text):
        if isinstance(event, AliasEvent):
            mark = event.start_mark
            raise error(
                f"YAML aliases (*{event.anchor}) are not allowed in poicheck files; write the "
                "value out",
                location=f"{where}:{mark.line + 1}:{mark.column + 1}",
            )
