"""Hubject's status codes and HTTP statuses: what they mean, what to do, whether to resend.

The table is status_codes.yaml beside this module (03 CPO Data Types, CodeType), the one
source of the messages of `poicheck push` and of the table in README "Push".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from poicheck.files.yaml_loader import load_yaml

TABLE = Path(__file__).with_name("status_codes.yaml")
RETRIES = ("never", "unsent", "idempotent")
SUCCESS = "000"
# ActionTypes whose second application leaves the same state as the first (02
# eRoamingPushEvseData Message): a fullLoad replaces, an update overwrites, a delete removes.
IDEMPOTENT = ("fullLoad", "update", "delete")


@dataclass(frozen=True)
class Status:
    """One row of the table: a StatusCode (`000`) or an HTTP status (`HTTP 503`)."""

    key: str
    meaning: str
    do: str
    retry: str

    def retried(self, action: str) -> bool:
        """Whether a push of `action` that got this answer is resent."""
        return self.retry == "unsent" or (self.retry == "idempotent" and action in IDEMPOTENT)


@cache
def table() -> dict[str, Status]:
    """`000`... and `HTTP 400`... to their Status, as the data file lists them."""
    document = load_yaml(TABLE)
    out = {}
    for section, prefix in (("codes", ""), ("http", "HTTP ")):
        for code, row in document[section].items():
            if row["retry"] not in RETRIES:
                raise ValueError(f"{TABLE}: {code}: retry must be one of {RETRIES}")
            key = f"{prefix}{code}"
            out[key] = Status(key, row["meaning"], row["do"], row["retry"])
    return out


def status_code(code: str) -> Status:
    """The row of a StatusCode; one the table does not list is not retried."""
    return table().get(code) or Status(
        code, "Unknown status code.", "Ask Hubject support, with the SessionID.", "never"
    )


def http_status(status: int) -> Status:
    """The row of an HTTP status without an acknowledgement."""
    key = f"HTTP {status}"
    return table().get(key) or Status(
        key, "Unexpected HTTP status.", "Check --url; ask Hubject support if it persists.", "never"
    )


def markdown_table() -> str:
    """The table as README "Push" shows it."""
    lines = ["| Answer | Meaning | What to do | Resent |", "|---|---|---|---|"]
    shown = {"never": "no", "unsent": "yes", "idempotent": "fullLoad, update, delete"}
    for status in table().values():
        lines.append(f"| {status.key} | {status.meaning} | {status.do} | {shown[status.retry]} |")
    return "\n".join(lines) + "\n"
