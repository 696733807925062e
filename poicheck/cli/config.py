"""Project configuration: `.poicheck.yaml` or `[tool.poicheck]` in `pyproject.toml`.

Found by walking up from the first input's directory (like .editorconfig) to the root of its
git repository; the command line takes precedence over what it says.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from poicheck.errors import UsageError
from poicheck.files.limits import MAX_YAML_BYTES
from poicheck.files.user import CONFIG_NAMES, read_regular
from poicheck.files.yaml_loader import load_yaml
from poicheck.ruleset.model import RuleIds


@dataclass(frozen=True)
class Config:
    """What a configuration file may set; every field may also come from the command line."""

    path: str | None = None
    operator_id: str | None = None
    operator_name: str | None = None
    sub_operator_ids: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    fail_on: str | None = None
    mapping: str | None = None
    severity: dict[str, str] = field(default_factory=dict)
    max_deletions: float | None = None
    # `ocpi.defaults`: OICP values for what OCPI Locations have no field for (poicheck.ocpi).
    ocpi_defaults: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def files(self) -> tuple[str, ...]:
        """The files this configuration makes a run read: itself, its rules, its mapping."""
        own = (self.path,) if self.path else ()
        return (*own, *self.rules, *((self.mapping,) if self.mapping else ()))


def config_schema() -> dict[str, Any]:
    text = (
        resources.files("poicheck.cli").joinpath("config.schema.json").read_text(encoding="utf-8")
    )
    return dict(json.loads(text))


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above `start` (stopping at a git root)."""
    directory = start if start.is_dir() else start.parent
    for candidate in [directory.resolve(), *directory.resolve().parents]:
        for name in CONFIG_NAMES:
            if (candidate / name).is_file():
                return candidate / name
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _pyproject_section(pyproject) is not None:
            return pyproject
        if (candidate / ".git").exists():
            return None
    return None


def _pyproject_section(path: Path) -> dict[str, Any] | None:
    text = read_regular(path, MAX_YAML_BYTES, error=UsageError)
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read configuration: {exc}", location=str(path)) from exc
    section = data.get("tool", {}).get("poicheck")
    return section if isinstance(section, dict) else None


def load_config(path: Path) -> Config:
    """Read and validate one configuration file; relative rule paths are made absolute."""
    from jsonschema import Draft202012Validator

    if path.name == "pyproject.toml":
        data: Any = _pyproject_section(path) or {}
    else:
        data = load_yaml(path, error=UsageError) or {}
    errors = sorted(Draft202012Validator(config_schema()).iter_errors(data), key=str)
    if errors:
        key = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise UsageError(
            f"invalid configuration at '{key}': {errors[0].message}", location=str(path)
        )
    base = path.parent
    return Config(
        path=str(path),
        operator_id=data.get("operator_id"),
        operator_name=data.get("operator_name"),
        sub_operator_ids=tuple(data.get("sub_operator_ids", ())),
        select=RuleIds(data.get("select", ()), f"{path}: select"),
        ignore=RuleIds(data.get("ignore", ()), f"{path}: ignore"),
        rules=tuple(str((base / p).resolve()) for p in data.get("rules", ())),
        fail_on=data.get("fail_on"),
        mapping=str((base / data["mapping"]).resolve()) if data.get("mapping") else None,
        severity=dict(data.get("severity", {})),
        max_deletions=data.get("max_deletions"),
        ocpi_defaults=dict(data.get("ocpi", {}).get("defaults", {})),
    )


def discover(paths: list[Path], explicit: Path | None = None) -> Config:
    """The configuration for a run: the explicit file, or the one found near the first input."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError("no such configuration file", location=str(explicit))
        return load_config(explicit)
    if not paths:
        return Config()
    found = find_config(paths[0])
    return load_config(found) if found else Config()
