"""The values of the input options every data command takes, completed by the
configuration, and what they mean for `poicheck.validate`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poicheck.cli import echo, files_read, say

if TYPE_CHECKING:
    from poicheck.cli.config import Config


@dataclass(frozen=True)
class Inputs:
    """The values of input_options (and --quiet): the data and how to read and check it."""

    paths: tuple[Path, ...]
    rules: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sheet: str | None = None
    encoding: str | None = None
    mapping: Path | None = None
    operator_id: str | None = None
    operator_name: str | None = None
    sub_operator_ids: tuple[str, ...] = ()
    config: Path | None = None
    quiet: bool = False
    # Only from the configuration (`severity:`): rule id or prefix -> severity.
    severities: Mapping[str, str] = field(default_factory=dict)
    # Only from the configuration (`ocpi.defaults`): OICP values OCPI Locations do not give.
    ocpi_defaults: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, paths: Sequence[Path], values: Mapping[str, Any]) -> Inputs:
        """From a command's option values (by their parameter names). A folder stands for
        the data files in it (poicheck.readers.folders); what it leaves out is said in a note."""
        from poicheck.readers.folders import expand

        files, notes = expand(paths, recursive=bool(values.get("recursive")))
        for note in notes:
            say("note", note)
        return cls(
            paths=tuple(files),
            rules=tuple(values.get("extra_rules", ())),
            select=values.get("select", ()),
            ignore=values.get("ignore", ()),
            sheet=values.get("sheet"),
            encoding=values.get("encoding"),
            mapping=values.get("mapping"),
            operator_id=values.get("operator_id"),
            operator_name=values.get("operator_name"),
            sub_operator_ids=tuple(values.get("sub_operator_ids", ())),
            config=values.get("config_path"),
            quiet=bool(values.get("quiet")),
        )

    def configured(self) -> tuple[Inputs, Config]:
        """Completed by the configuration found near the data (the command line wins), and
        that configuration; its file is named on stderr unless --quiet."""
        from poicheck.cli.config import discover

        config = discover(list(self.paths), self.config)
        if config.path and not self.quiet:
            echo(f"poicheck: using configuration {Path(config.path).resolve()}", err=True)
        done = replace(
            self,
            rules=(*(Path(p) for p in config.rules), *self.rules),
            select=self.select or config.select,
            ignore=self.ignore or config.ignore,
            mapping=self.mapping or (Path(config.mapping) if config.mapping else None),
            operator_id=self.operator_id or config.operator_id,
            operator_name=self.operator_name or config.operator_name,
            sub_operator_ids=self.sub_operator_ids or config.sub_operator_ids,
            severities=self.severities or config.severity,
            ocpi_defaults=self.ocpi_defaults or config.ocpi_defaults,
        )
        return done, config

    def files(self) -> list[Path]:
        """Every file the run reads (see `files_read`): none may be an output."""
        return files_read(self.paths, rules=self.rules, mapping=self.mapping, config=self.config)

    def checks(self) -> dict[str, Any]:
        """The keyword arguments of `poicheck.validate` these options stand for."""
        return {
            "rules": list(self.rules),
            "select": self.select,
            "ignore": self.ignore,
            "sheet": self.sheet,
            "encoding": self.encoding,
            "mapping": self.mapping,
            "operator_id": self.operator_id,
            "operator_name": self.operator_name,
            "sub_operator_ids": self.sub_operator_ids,
            "severities": self.severities,
            "ocpi_defaults": self.ocpi_defaults,
        }
