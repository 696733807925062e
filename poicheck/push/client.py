"""`poicheck push`: an export's files sent to Hubject one at a time over mutual TLS, each
only after the previous was acknowledged with 000 (01 CPO Communication Paradigms, Data push
operations; 02 eRoamingPushEvseData: "MUST always be used sequentially")."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import msgspec

from poicheck.errors import UsageError
from poicheck.files.output import check_output
from poicheck.push.answer import TLS, UNANSWERED, UNSENT, Answer, blame, read_answer
from poicheck.push.certs import client_context, preflight
from poicheck.push.lock import locked
from poicheck.push.plan import ACKNOWLEDGED, Plan, PushFile, PushLog, PushRefusedError
from poicheck.version import __version__

# 02 eRoamingPushEvseData; openapi-cpo/openapi.yaml paths.
PATH = "/evsepush/v23/operators/{operator_id}/data-records"
CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_TIMEOUT = 120.0
ATTEMPTS = 4  # the first and at most three more
BACKOFF = 2.0  # seconds before the first resend, doubled each time
MAX_WAIT = 60.0  # the longest Retry-After honoured


@dataclass(frozen=True)
class PushOptions:
    """How to push: where to, with which certificate, how patiently."""

    url: str
    cert: Path
    key: Path
    ca: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    restart: bool = False
    dry_run: bool = False
    attempts: int = ATTEMPTS
    backoff: float = BACKOFF


@dataclass
class PushResult:
    """What a push did: files sent and acknowledged, files acknowledged by an earlier run."""

    url: str
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # --dry-run: what would be sent


def endpoint(base: str, operator_id: str) -> str:
    """The eRoamingPushEvseData URL under the service root `base`."""
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.netloc:
        raise UsageError(
            f"--url must be an https:// service root, e.g. "
            f"https://service-qa.hubject.com/api/oicp (got {base})"
        )
    url = base.rstrip("/") + PATH.format(operator_id=quote(operator_id, safe="*+"))
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UsageError(f"--url {base} is not a URL: {exc}") from exc
    return url


def push(plan: Plan, options: PushOptions, note: Callable[[str, str], None]) -> PushResult:
    """Send the files of `plan` not yet acknowledged, in order; raise PushRefusedError (exit 1)
    at the first file Hubject refuses or does not acknowledge."""
    url = endpoint(options.url, plan.operator_id)
    checked = preflight(options.cert, options.key, plan.operator_id)
    for warning in (*plan.cautions, *checked.warnings):
        note("warning", warning)
    context = client_context(options.cert, options.key, options.ca)
    result = PushResult(url)
    with locked(plan.directory):
        log = PushLog.open(plan)
        if not options.dry_run:  # an acknowledgement that cannot be logged would be resent
            check_output(log.path, log.inputs)
        if options.restart and not options.dry_run:
            log.add(restart=True, note="--restart: every file is sent again from the first")
        start = _resume_at(plan, log, options.restart)
        result.skipped = [f.name for f in plan.files[:start]]
        todo = plan.files[start:]
        if options.dry_run:
            result.pending = [f.name for f in todo]
            return result
        timeout = httpx.Timeout(options.timeout)
        with httpx.Client(verify=context, timeout=timeout, http2=False) as client:
            for item in todo:
                _send(client, url, plan, item, log, options, note)
                result.sent.append(item.name)
    return result


def _resume_at(plan: Plan, log: PushLog, restart: bool) -> int:
    """The first file to send: after the files acknowledged since the last --restart."""
    if restart:
        return 0
    for index, item in enumerate(plan.files):
        if not log.acknowledged(item):
            return index
    return len(plan.files)


def _send(
    client: httpx.Client,
    url: str,
    plan: Plan,
    item: PushFile,
    log: PushLog,
    options: PushOptions,
    note: Callable[[str, str], None],
) -> None:
    """One file, resent after transient failures where that cannot duplicate an effect."""
    body = plan.body(item)  # checked against the manifest once more, right before sending
    for attempt in range(1, options.attempts + 1):
        answer = _post(client, url, body)
        if answer.transport == TLS:
            log.add(
                file=item.name,
                sha256=item.sha256,
                action=item.action,
                attempt=attempt,
                outcome="refused",
                **answer.log_entry(),
            )
            raise _tls_refused(url, answer)
        status = answer.status
        outcome = ACKNOWLEDGED if answer.acknowledged else "refused"
        retry = not answer.acknowledged and status.retried(item.action)
        if retry and attempt < options.attempts:
            outcome = "retried"
        log.add(
            file=item.name,
            sha256=item.sha256,
            action=item.action,
            attempt=attempt,
            outcome=outcome,
            **answer.log_entry(),
        )
        if answer.acknowledged:
            note("note", f"{item.name}: acknowledged (000), SessionID {answer.session_id or '-'}")
            return
        if outcome != "retried":
            break
        wait = min(
            answer.retry_after
            if answer.retry_after is not None
            else options.backoff * 2 ** (attempt - 1),
            MAX_WAIT,
        )
        note(
            "note",
            f"{item.name}: {status.key} ({status.meaning}); resent in {wait:g} s "
            f"(attempt {attempt + 1} of {options.attempts})",
        )
        time.sleep(wait)
    raise _refused(plan, item, answer, attempt, body)


def _post(client: httpx.Client, url: str, body: bytes) -> Answer:
    """One request; the bytes as written, nothing re-encoded."""
    try:
        response = client.post(
            url,
            content=body,
            headers={
                "Content-Type": CONTENT_TYPE,
                "Accept": "application/json",
                "User-Agent": f"poicheck/{__version__}",
            },
        )
    except httpx.TransportError as exc:
        return _failed(exc)
    return read_answer(response.status_code, response.content, response.headers.get("Retry-After"))


def _failed(exc: httpx.TransportError) -> Answer:
    """No answer: a TLS handshake refused (by either side), nothing sent, or no answer."""
    error = f"{type(exc).__name__}: {exc}"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return Answer(transport=TLS, error=error)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return Answer(transport=UNSENT, error=error)
    return Answer(transport=UNANSWERED, error=error)  # a read timeout, a dropped connection


def _tls_refused(url: str, answer: Answer) -> UsageError:
    return UsageError(
        f"the TLS handshake with {httpx.URL(url).host} failed ({answer.error}); nothing was "
        "processed. Check --ca (the server's certificate must chain to it) and --cert/--key "
        "(Hubject must have signed the client certificate for this environment)"
    )


def _refused(
    plan: Plan, item: PushFile, answer: Answer, attempts: int, body: bytes
) -> PushRefusedError:
    """The push stops at `item` (whose bytes were `body`): the answer, what it means, what to
    do, which records."""
    status = answer.status
    got = f"StatusCode {answer.code}" if answer.code else status.key
    if answer.http not in (None, 200):
        got = f"HTTP {answer.http}" + (f", StatusCode {answer.code}" if answer.code else "")
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    details = [f"what to do: {status.do}"]
    for label, value in (
        ("Description", answer.description),
        ("AdditionalInfo", answer.additional_info),
        ("SessionID", answer.session_id),
        ("error", answer.error),
    ):
        if value:
            details.append(f"{label}: {value}")
    records = blame(answer, item, _records(body), plan.operator_id)
    if records:
        details.append(f"records of {item.name} to fix at their source:")
        details.extend(f"  {line}" for line in records)
    return PushRefusedError(
        f"{got} ({status.meaning}){tried}: the push stopped at this file; the files before it "
        "are acknowledged, a later run resumes here",
        location=str(plan.directory / item.name),
        details=details,
    )


class _Record(msgspec.Struct):
    EvseID: Any = None


class _Operator(msgspec.Struct):
    EvseDataRecord: list[_Record] = msgspec.field(default_factory=list)


class _Request(msgspec.Struct):
    OperatorEvseData: _Operator | None = None


def _records(body: bytes) -> list[dict[str, Any]]:
    """The EvseIDs of the body's records in order (a fullLoad of a million records is decoded
    to these alone, never to dicts of every property)."""
    try:
        request = msgspec.json.decode(body, type=_Request)
    except msgspec.DecodeError:
        return []
    operator = request.OperatorEvseData
    if not isinstance(operator, _Operator):
        return []
    return [{"EvseID": r.EvseID} if isinstance(r, _Record) else {} for r in operator.EvseDataRecord]
