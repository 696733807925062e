"""A stand-in for Hubject's eRoamingPushEvseData on this machine: HTTPS with client
certificates required, answering acknowledgements as Hubject does, so that a pipeline can be
tested offline (`poicheck push-server`) and poicheck's own tests have a real server.

It checks what can be checked without Hubject's data: the path (02 eRoamingPushEvseData),
the OperatorID against the client certificate (017) and against the body (400), the EvseIDs
against the OperatorID and the sub-operators it is told of (018). Every request is kept, with
the most requests it ever had in flight at once.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from poicheck.push.certs import compact_id

_PATH = re.compile(r"/evsepush/v23/operators/([^/]+)/data-records")


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes
    client_cn: str | None
    operator_id: str | None  # from the path


@dataclass(frozen=True)
class Reply:
    """What to answer: a status and a JSON body, after `delay` seconds; or `drop` the
    connection without a word."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def acknowledgement(code: str, description: str, info: str | None = None) -> Reply:
    """An eRoamingAcknowledgement (03 CPO Data Types, StatusCodeType)."""
    status = {"Code": code, "Description": description}
    if info:
        status["AdditionalInfo"] = info
    return Reply(
        body={"Result": code == "000", "StatusCode": status, "SessionID": str(uuid.uuid4())}
    )


def hubject_like(sub_operator_ids: tuple[str, ...] = ()) -> Callable[[Received], Reply]:
    """Answers as Hubject would to what it can see: 404, 400, 017, 018, else 000."""

    def answer(request: Received) -> Reply:
        if request.operator_id is None:
            return Reply(404, {"message": "Not found"})
        try:
            data = json.loads(request.body)["OperatorEvseData"]
            operator, records = str(data["OperatorID"]), list(data["EvseDataRecord"])
        except (ValueError, KeyError, TypeError):
            return Reply(
                400,
                {
                    "message": "Bad request",
                    "validationErrors": [
                        {"fieldReference": "operatorEvseData", "errorMessage": "missing or invalid"}
                    ],
                },
            )
        owner = compact_id(request.operator_id)
        if compact_id(request.client_cn or "") != owner or compact_id(operator) != owner:
            return acknowledgement(
                "017", "Unauthorized Access", f"the certificate names {request.client_cn}"
            )
        owners = [owner, *(compact_id(s) for s in sub_operator_ids)]
        foreign = [
            str(r.get("EvseID"))
            for r in records
            if not any(compact_id(str(r.get("EvseID", ""))).startswith(o) for o in owners)
        ]
        if foreign:
            return acknowledgement("018", "Inconsistent EvseID", ", ".join(foreign[:10]))
        return acknowledgement("000", "Success")

    return answer


class StandIn:
    """The server, in a thread: `with StandIn(cert, key, ca) as server: server.url`."""

    def __init__(
        self,
        cert: Path,
        key: Path,
        ca: Path,
        *,
        answer: Callable[[Received], Reply] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.answer = answer or hubject_like()
        self.received: list[Received] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        context.load_verify_locations(str(ca))
        context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, as Hubject
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The service root to give as `--url`."""
        host, port = self.server.server_address[:2]
        return f"https://{host!s}:{port}/api/oicp"

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: Received) -> Reply:
        """Keep the request, count it in flight while it is answered."""
        with self._lock:
            self.received.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.answer(request)
            if reply.delay:
                time.sleep(reply.delay)
            return reply
        finally:
            with self._lock:
                self.in_flight -= 1


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body are two writes: without TCP_NODELAY the body waits for the
        # client's delayed ACK (~40 ms a request)
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            cert = (
                self.connection.getpeercert()
                if isinstance(self.connection, ssl.SSLSocket)
                else None
            )
            found = _PATH.fullmatch(self.path.split("?")[0].removeprefix("/api/oicp"))
            reply = standin.handle(
                Received(
                    self.path,
                    dict(self.headers.items()),
                    body,
                    _cn(cert),
                    found.group(1).replace("%2A", "*") if found else None,
                )
            )
            if reply.drop:
                self.close_connection = True
                return
            data = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting (a timeout): nobody to answer
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the caller reads `received`

    return Handler


def _cn(cert: Any) -> str | None:
    """The CN of a peer certificate as ssl.getpeercert() gives it."""
    for rdn in (cert or {}).get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return None
