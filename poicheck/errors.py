"""Errors poicheck reports to its users, each with the exit code the CLI ends with."""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class PoicheckError(Exception):
    """An error with a message meant for the user; the CLI prints it without a traceback."""

    exit_code = EXIT_USAGE

    def __init__(
        self, message: str, *, location: str | None = None, details: Sequence[str] = ()
    ) -> None:
        self.message = message
        self.location = location
        self.details = tuple(details)  # lines shown below the message, one by one
        self.headline = f"{location}: {message}" if location else message
        super().__init__("\n".join([self.headline, *self.details]))


class InputError(PoicheckError):
    """An input file cannot be read or is not data poicheck understands."""


class RuleFileError(PoicheckError):
    """A rule file is broken: invalid YAML, or not valid against the rule-file schema."""


class UsageError(PoicheckError):
    """Options that do not fit together or name something that does not exist."""
