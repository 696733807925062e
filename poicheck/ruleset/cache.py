"""Rule files parsed and validated once: the validated document is kept in a cache keyed by
the file's content, the rule-file schema and poicheck's version."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from poicheck.errors import RuleFileError
from poicheck.files.limits import MAX_YAML_BYTES
from poicheck.files.user import read_regular

CACHE_FORMAT = "1"  # bump when the cached form of a rule file changes


def cache_dir() -> Path | None:
    """Where parsed rule files are kept (None: no cache, POICHECK_NO_CACHE set)."""
    if os.environ.get("POICHECK_NO_CACHE"):
        return None
    base = os.environ.get("POICHECK_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "poicheck" if base else Path.home() / ".cache" / "poicheck"


def cached_document(path: Path) -> tuple[dict[str, Any] | None, Path | None]:
    """The validated document of a rule file from the cache, and the cache file to use.

    Parsing YAML with the pure-Python loader and validating it against the rule-file schema
    cost about a second per run; the cache key is the file's content, the schema's text and
    poicheck's version, so any change to one of them reads the file anew.
    """
    from poicheck.version import __version__

    directory = cache_dir()
    if directory is None:
        return None, None
    content = read_regular(path, MAX_YAML_BYTES, error=RuleFileError)
    schema = resources.files("poicheck.ruleset").joinpath("rulefile.schema.json").read_bytes()
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|".encode())
    digest.update(hashlib.sha256(schema).digest())
    digest.update(content)
    cache_file = directory / "rules" / f"{digest.hexdigest()}.json"
    try:
        document = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, cache_file
    return (document if isinstance(document, dict) else None), cache_file


def store_document(cache_file: Path, document: dict[str, Any]) -> None:
    """Keep a validated document for the next run; a cache that cannot be written is skipped."""
    try:
        text = json.dumps(document, ensure_ascii=False)
        if json.loads(text) != document:  # only plain JSON values round-trip exactly
            return
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(cache_file)
    except (OSError, TypeError, ValueError):
        return
