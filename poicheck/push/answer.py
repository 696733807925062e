"""Hubject's answer to one request, read: the eRoamingAcknowledgement (03 CPO Data Types,
StatusCodeType), an HTTP 400 body with validationErrors, or no answer at all."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from poicheck.push.certs import compact_id
from poicheck.push.codes import SUCCESS, Status, http_status, status_code
from poicheck.push.plan import PushFile

SHOWN = 50  # records named per refusal; the rest counted
UNSENT = "unsent"  # no connection: nothing reached Hubject
UNANSWERED = "unanswered"  # sent, but no answer (a timeout, a dropped connection)
TLS = "tls"  # the TLS handshake failed: a certificate one side does not accept
# `operatorEvseData.evseDataRecord[3].hotlinePhoneNumber` (Hubject's 400 fieldReference)
_WORD = re.compile(r"[A-Za-z0-9*+]+")
_REFERENCE = re.compile(r"evseDataRecord\[(\d+)\]\.?(.*)", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """What one attempt got back."""

    http: int | None = None
    code: str | None = None
    description: str | None = None
    additional_info: str | None = None
    session_id: str | None = None
    validation_errors: tuple[dict[str, Any], ...] = ()
    transport: str | None = None  # UNSENT or UNANSWERED
    error: str | None = None
    retry_after: float | None = None
    raw: str = field(default="", repr=False)

    @property
    def acknowledged(self) -> bool:
        return self.http == 200 and self.code == SUCCESS

    @property
    def status(self) -> Status:
        """The table row that says what this answer means."""
        if self.transport == UNSENT:
            return Status(
                "no connection",
                "Hubject could not be reached.",
                "Check --url, the network and the firewall.",
                "unsent",
            )
        if self.transport == UNANSWERED:
            return Status(
                "no answer",
                "No acknowledgement came (a timeout or a dropped connection).",
                "Hubject may have applied the request, or may still be applying it: resending "
                "now could run two pushes at once (01 Data push operations). Wait, check in "
                "the Hubject portal, then run the push again (it resends this file).",
                "never",
            )
        if self.code is not None and (self.http == 200 or self.http is None):
            return status_code(self.code)
        if self.http == 200:
            return Status(
                "HTTP 200",
                "The answer is not an eRoamingAcknowledgement.",
                "Check --url: the service root, e.g. https://service-qa.hubject.com/api/oicp.",
                "never",
            )
        return http_status(self.http or 0)

    def log_entry(self) -> dict[str, Any]:
        return {
            "http_status": self.http,
            "status_code": self.code,
            "description": self.description,
            "additional_info": self.additional_info,
            "session_id": self.session_id,
            **({"error": self.error} if self.error else {}),
            **(
                {"validation_errors": list(self.validation_errors)}
                if self.validation_errors
                else {}
            ),
        }


def read_answer(http: int, body: bytes, retry_after: str | None) -> Answer:
    """An HTTP response as an Answer; a body that is not an acknowledgement keeps its text."""
    text = body.decode("utf-8", errors="replace")
    wait = _seconds(retry_after)
    try:
        document = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    status = document.get("StatusCode")
    errors = document.get("validationErrors")
    return Answer(
        http=http,
        code=str(status.get("Code")) if isinstance(status, dict) and "Code" in status else None,
        description=_text(status, "Description") or _text(document, "message"),
        additional_info=_text(status, "AdditionalInfo"),
        session_id=_text(document, "SessionID"),
        validation_errors=tuple(e for e in errors if isinstance(e, dict))
        if isinstance(errors, list)
        else (),
        retry_after=wait,
        raw=text[:2000],
    )


def _text(document: Any, name: str) -> str | None:
    value = document.get(name) if isinstance(document, dict) else None
    return None if value is None else str(value)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the backoff applies


def blame(
    answer: Answer, item: PushFile, bodies: list[dict[str, Any]], operator_id: str
) -> list[str]:
    """The records of `item` an answer names, each with its source file and row: a
    validationErrors fieldReference by its index, a 018 or 022 by the EvseIDs its text
    names (for an 018 without names: the EvseIDs that are not the main operator's)."""
    lines = []
    for error in answer.validation_errors:
        found = _REFERENCE.search(str(error.get("fieldReference", "")))
        message = str(error.get("errorMessage", ""))
        if found is None:
            lines.append(f"{error.get('fieldReference')}: {message}")
            continue
        index, name = int(found.group(1)), found.group(2)
        lines.append(f"{_where(index, item, bodies)}  {_oicp_name(name)}: {message}")
    if answer.code in ("018", "022", "009"):
        text = f"{answer.description or ''} {answer.additional_info or ''}"
        words = {compact_id(w) for w in _WORD.findall(text)}  # whole IDs: E1*1 is not E1*10
        named = [i for i, r in enumerate(bodies) if compact_id(str(r.get("EvseID"))) in words]
        if not named and answer.code == "018":
            main = compact_id(operator_id)
            named = [
                i
                for i, r in enumerate(bodies)
                if not compact_id(str(r.get("EvseID", ""))).startswith(main)
            ]
        lines.extend(_where(i, item, bodies) for i in named[:SHOWN])
        if len(named) > SHOWN:
            lines.append(f"... and {len(named) - SHOWN} more")
    return lines


def _where(index: int, item: PushFile, bodies: list[dict[str, Any]]) -> str:
    """`record 4 (evse.csv row 5)  DE*PCK*E1001*1`: a record of the request and its source."""
    evse = bodies[index].get("EvseID") if index < len(bodies) else None
    file, row = item.sources[index] if index < len(item.sources) else (None, None)
    origin = f"{file} row {row}" if row is not None else file
    at = f" ({origin})" if origin else ""
    return f"record {index + 1}{at}  {evse or '(no EvseID)'}"


def _oicp_name(reference: str) -> str:
    """`address.postalCode` -> `Address.PostalCode`: Hubject's camelCase as OICP spells it."""
    return ".".join(p[:1].upper() + p[1:] for p in reference.split(".") if p)
