"""The OCPI 2.2.1 -> OICP 2.3 mapping tables, read from `rules/ocpi-2.2.1/mapping.yaml` (the
one source of truth for the converter and for docs/ocpi.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from poicheck.errors import RuleFileError
from poicheck.files.yaml_loader import load_yaml
from poicheck.ruleset.loader import default_rules_dir

MAPPING_DIR = "ocpi-2.2.1"


def mapping_path() -> Path:
    """The shipped mapping file (inside the wheel, or the repository's rules/)."""
    return default_rules_dir().parent / MAPPING_DIR / "mapping.yaml"


@dataclass(frozen=True)
class Connector:
    """How one ConnectorType becomes an OICP plug type: one plug, or one per format."""

    plug: str | None
    by_format: dict[str, str]
    modes: tuple[str, ...]

    def plug_for(self, fmt: Any) -> str | None:
        if self.plug is not None:
            return self.plug
        return self.by_format.get(fmt) if isinstance(fmt, str) else None

    @property
    def plugs(self) -> list[str]:
        return [self.plug] if self.plug is not None else list(self.by_format.values())


@dataclass(frozen=True)
class Field:
    """One OCPI field, the OICP properties it gives and how (docs/ocpi.md)."""

    ocpi: str
    oicp: tuple[str, ...]
    how: str


@dataclass(frozen=True)
class Mapping:
    """The tables of mapping.yaml, typed."""

    document: dict[str, Any]
    name_language: str
    connectors: dict[str, Connector]
    power_types: dict[str, tuple[str | None, int]]
    capabilities: dict[str, dict[str, tuple[str, ...]]]
    parking_types: dict[str, dict[str, Any]]
    parking_restrictions: dict[str, str | None]
    unpublished_accessibility: str
    energy_sources: dict[str, str | None]
    environmental_impact: dict[str, str]
    weekdays: dict[int, str]
    day_groups: dict[str, tuple[int, ...]]
    image_categories: tuple[str, ...]
    number_last: re.Pattern[str]
    number_first: re.Pattern[str]
    locate: dict[str, tuple[str, str]]
    fields: tuple[Field, ...]
    without_source: tuple[str, ...]
    unsaid: tuple[str, ...]
    conventions: tuple[tuple[str, str], ...]


@cache
def load_mapping(path: Path | None = None) -> Mapping:
    """The mapping file, typed (cached: it is poicheck's own and does not change in a run)."""
    path = path or mapping_path()
    data = load_yaml(path, error=RuleFileError, trusted=True)
    try:
        return _typed(data)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise RuleFileError(f"malformed OCPI mapping: {exc!r}", location=str(path)) from exc


def _typed(data: dict[str, Any]) -> Mapping:
    connectors = {
        name: Connector(
            plug=entry.get("plug"),
            by_format={k: v for k, v in entry.items() if k in ("SOCKET", "CABLE")},
            modes=tuple(entry.get("modes", ())),
        )
        for name, entry in data["connectors"].items()
    }
    locate = {}
    for path, where in data["locate"].items():
        base, _, suffix = str(where).partition(":")
        locate[path] = (base, suffix)
    return Mapping(
        document=data,
        name_language=str(data["name_language"]),
        connectors=connectors,
        power_types={k: (v["oicp"], int(v["phases"])) for k, v in data["power_types"].items()},
        capabilities={
            k: {target: tuple(values) for target, values in v.items()}
            for k, v in data["capabilities"].items()
        },
        parking_types=dict(data["parking_types"]),
        parking_restrictions=dict(data["parking_restrictions"]),
        unpublished_accessibility=str(data["unpublished_accessibility"]),
        energy_sources=dict(data["energy_sources"]),
        environmental_impact=dict(data["environmental_impact"]),
        weekdays={int(k): str(v) for k, v in data["weekdays"].items()},
        day_groups={k: tuple(int(d) for d in v) for k, v in data["day_groups"].items()},
        image_categories=tuple(data["image_categories"]),
        number_last=re.compile(data["address"]["number_last"]),
        number_first=re.compile(data["address"]["number_first"]),
        locate=locate,
        fields=tuple(
            Field(str(f["ocpi"]), tuple(f.get("oicp") or ()), str(f["how"])) for f in data["fields"]
        ),
        without_source=tuple(data["without_source"]),
        unsaid=tuple(data["unsaid"]),
        conventions=tuple((str(c["title"]), str(c["text"])) for c in data["conventions"]),
    )
