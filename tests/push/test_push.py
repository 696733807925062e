"""`poicheck push` against a real local HTTPS server with client-certificate verification,
acting as Hubject (tests/push/conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import poicheck.cli.push  # noqa: F401  (registers the commands)
from poicheck.cli import cli
from poicheck.push import PushOptions, PushRefusedError, load_plan, push
from poicheck.push.lock import locked
from poicheck.push.standin import Received, Reply, StandIn, acknowledgement
from tests.push.conftest import SAMPLE, SUBS, Certs
from tests.push.pki import Pki

Start = Callable[..., StandIn]
Export = Callable[[str], Path]


def run(
    directory: Path,
    server: StandIn | str,
    certs: Certs,
    *extra: str,
    cert: Path | None = None,
    key: Path | None = None,
) -> Result:
    url = server if isinstance(server, str) else server.url
    args = [
        "push",
        str(directory),
        "--url",
        url,
        "--cert",
        str(cert or certs.client.cert),
        "--key",
        str(key or certs.client.key),
        "--ca",
        str(certs.ca),
        "--timeout",
        "2",
        *extra,
    ]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def log(directory: Path) -> list[dict[str, Any]]:
    text = (directory / "push-log.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def scripted(*replies: Reply) -> Callable[[Received], Reply]:
    """Answer with `replies` in turn, then 000 for ever."""
    queue = list(replies)
    return lambda _request: queue.pop(0) if queue else acknowledgement("000", "Success")


@pytest.mark.slow
def test_files_go_in_order_one_at_a_time_byte_for_byte(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("update")
    server = hubject()
    result = run(directory, server, certs)
    assert result.exit_code == 0, result.output
    names = [f["file"] for f in manifest(directory)["files"]]
    assert names == ["0001-update.json", "0002-update.json", "0003-update.json"]
    assert [r.body for r in server.received] == [(directory / n).read_bytes() for n in names]
    assert server.max_in_flight == 1
    first = server.received[0]
    assert first.path == "/api/oicp/evsepush/v23/operators/DE*PCK/data-records"
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    assert first.headers["User-Agent"].startswith("poicheck/")
    assert first.client_cn == "DE*PCK"  # the server saw the client certificate
    entries = log(directory)
    assert [(e["file"], e["outcome"], e["status_code"], e["http_status"]) for e in entries] == [
        (n, "acknowledged", "000", 200) for n in names
    ]
    assert all(e["session_id"] and e["time"].endswith("+00:00") for e in entries)
    assert "3 file(s) sent and acknowledged; 3 of 3" in result.stdout


def test_a_second_run_sends_nothing_and_restart_sends_all(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("update")
    server = hubject()
    assert run(directory, server, certs).exit_code == 0
    again = run(directory, server, certs)
    assert again.exit_code == 0
    assert len(server.received) == 3
    assert again.stdout.count("acknowledged before (push log), not sent again") == 3
    restarted = run(directory, server, certs, "--restart")
    assert restarted.exit_code == 0
    assert len(server.received) == 6
    assert "--restart: every file is sent again" in restarted.stderr
    assert log(directory)[3]["restart"] is True


def test_503_once_is_resent_and_the_push_goes_on(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("insert")  # even an insert: a 503 was not processed
    server = hubject(scripted(Reply(503, {"message": "maintenance"}, headers={"Retry-After": "0"})))
    result = run(directory, server, certs)
    assert result.exit_code == 0, result.output
    assert len(server.received) == 4
    assert server.received[0].body == server.received[1].body
    assert [e["outcome"] for e in log(directory)] == ["retried", *["acknowledged"] * 3]
    assert "HTTP 503 (Service unavailable.); resent in 0 s (attempt 2 of 4)" in result.stderr


@pytest.mark.parametrize(("directory_name", "requests"), [("update", 4), ("insert", 1)])
def test_a_gateway_error_is_resent_only_where_twice_is_once(
    hubject: Start, export_dir: Export, certs: Certs, directory_name: str, requests: int
) -> None:
    """A 502 may come after Hubject applied the request: an update is resent, an insert not."""
    directory = export_dir(directory_name)
    server = hubject(scripted(Reply(502, {}, headers={"Retry-After": "0"})))
    result = run(directory, server, certs)
    assert len(server.received) == requests
    assert result.exit_code == (0 if directory_name == "update" else 1), result.output


def test_017_stops_the_push_with_its_meaning(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("update")
    server = hubject(
        scripted(acknowledgement("000", "Success"), acknowledgement("017", "Unauthorized Access"))
    )
    result = run(directory, server, certs)
    assert result.exit_code == 1
    assert len(server.received) == 2  # never the third
    assert "0002-update.json: StatusCode 017 (Unauthorized Access.)" in result.stderr
    assert "use the certificate Hubject issued for this OperatorID" in result.stderr
    assert "Traceback" not in result.output
    assert [e["outcome"] for e in log(directory)] == ["acknowledged", "refused"]
    # the next run resumes at the refused file
    server.answer = scripted()
    assert run(directory, server, certs).exit_code == 0
    assert [r.body for r in server.received[2:]] == [
        (directory / n).read_bytes() for n in ("0002-update.json", "0003-update.json")
    ]


def test_018_names_the_evses_and_their_source_rows(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    """The stand-in knows no sub-operators: Hubject refuses AT*VLT's EvseIDs with 018."""
    from poicheck.push.standin import hubject_like

    directory = export_dir("update")
    server = hubject(hubject_like(()))
    result = run(directory, server, certs)
    assert result.exit_code == 1
    assert "StatusCode 018 (Inconsistent EvseID.)" in result.stderr
    # AT*VLT*E2001*1 is the third record of the second file, row 24 of the sample
    assert f"record 3 ({SAMPLE} row 24)  AT*VLT*E2001*1" in result.stderr
    assert "DE*PCK*E" not in result.stderr.split("to fix at their source:")[1]


def test_018_without_names_blames_the_records_of_other_operators(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("full")
    server = hubject(scripted(acknowledgement("018", "Inconsistent EvseID")))
    result = run(directory, server, certs)
    assert result.exit_code == 1
    blamed = result.stderr.split("to fix at their source:")[1].splitlines()[1:]
    assert len(blamed) == 60 - 22
    assert all("DE*PCK*" not in line for line in blamed)
    assert f"record 23 ({SAMPLE} row 24)  AT*VLT*E2001*1" in result.stderr


def test_022_and_http_400_validation_errors_point_at_source_rows(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("full")
    bad = {
        "message": "Bad Request",
        "validationErrors": [
            {
                "fieldReference": "operatorEvseData.evseDataRecord[3].hotlinePhoneNumber",
                "errorMessage": 'must match "^\\+[0-9]{5,15}$"',
            }
        ],
    }
    server = hubject(scripted(Reply(400, bad)))
    result = run(directory, server, certs)
    assert result.exit_code == 1
    assert "HTTP 400 (Bad request.)" in result.stderr
    assert f"record 4 ({SAMPLE} row 5)  DE*PCK*E1002*1  HotlinePhoneNumber: must match" in (
        result.stderr
    )
    server.answer = scripted(acknowledgement("022", "Data error", "DE*PCK*E1001*2: bad value"))
    result = run(directory, server, certs)
    assert result.exit_code == 1
    assert "StatusCode 022 (Data error.)" in result.stderr
    assert "AdditionalInfo: DE*PCK*E1001*2: bad value" in result.stderr
    assert f"record 2 ({SAMPLE} row 3)  DE*PCK*E1001*2" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("reply", [Reply(delay=2.5), Reply(drop=True)], ids=["slow", "dropped"])
def test_no_answer_is_not_resent_at_once_and_the_next_run_resends(
    hubject: Start, export_dir: Export, certs: Certs, reply: Reply
) -> None:
    """Hubject may still be applying it: a resend now could run two pushes at once."""
    directory = export_dir("full")
    server = hubject(scripted(reply))
    result = run(directory, server, certs, "--timeout", "0.5")
    assert result.exit_code == 1
    assert "no answer (No acknowledgement came" in result.stderr
    assert len(server.received) == 1
    assert log(directory)[0]["outcome"] == "refused"
    assert log(directory)[0]["error"]
    assert run(directory, server, certs).exit_code == 0
    assert len(server.received) == 2


def test_a_changed_file_is_refused_before_any_request(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("update")
    changed = directory / "0003-update.json"
    changed.write_bytes(changed.read_bytes().replace(b'"update"', b'"fullLoad"'))
    server = hubject()
    result = run(directory, server, certs)
    assert result.exit_code == 2
    assert "0003-update.json: changed since the export" in result.stderr
    assert server.received == []
    assert not (directory / "push-log.jsonl").exists()


def test_expired_or_foreign_certificates_are_refused_before_any_request(
    hubject: Start, export_dir: Export, certs: Certs, pki: Pki
) -> None:
    directory = export_dir("full")
    server = hubject()
    expired = pki.issue("expired", "DE*PCK", days=(-30, -1))
    result = run(directory, server, certs, cert=expired.cert, key=expired.key)
    assert result.exit_code == 2
    assert "the client certificate expired on" in result.stderr
    result = run(directory, server, certs, key=expired.key)
    assert result.exit_code == 2
    assert "does not belong to this certificate" in result.stderr
    assert server.received == []


def test_a_subject_without_the_operator_id_is_warned_and_hubject_says_017(
    hubject: Start, export_dir: Export, certs: Certs, pki: Pki
) -> None:
    directory = export_dir("full")
    other = pki.issue("other", "FR*XYZ")
    server = hubject()
    result = run(directory, server, certs, cert=other.cert, key=other.key)
    assert "warning: the client certificate's subject" in result.stderr
    assert "does not name the OperatorID DE*PCK" in result.stderr
    assert result.exit_code == 1
    assert "StatusCode 017" in result.stderr


def test_dry_run_sends_nothing(hubject: Start, export_dir: Export, certs: Certs) -> None:
    directory = export_dir("update")
    server = hubject()
    result = run(directory, server, certs, "--dry-run")
    assert result.exit_code == 0
    assert "dry run: would send 3 file(s) to https://127.0.0.1:" in result.stdout
    assert server.received == []
    assert not (directory / "push-log.jsonl").exists()


def test_usage_errors_exit_2(export_dir: Export, certs: Certs, tmp_path: Path) -> None:
    directory = export_dir("full")
    plain = run(directory, "http://127.0.0.1:9/api/oicp", certs)
    assert plain.exit_code == 2
    assert "--url must be an https://" in plain.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no manifest.json" in run(empty, "https://127.0.0.1:9", certs).stderr
    with locked(directory):
        busy = run(directory, "https://127.0.0.1:9/api/oicp", certs)
    assert busy.exit_code == 2
    assert "another poicheck push is sending" in busy.stderr


def test_an_unreachable_server_is_tried_a_bounded_number_of_times(
    export_dir: Export, certs: Certs, hubject: Start
) -> None:
    directory = export_dir("full")
    server = hubject()
    url = server.url
    server.__exit__(None, None, None)  # nobody listens there any more
    options = PushOptions(
        url, certs.client.cert, certs.client.key, certs.ca, timeout=1, attempts=3, backoff=0
    )
    notes: list[str] = []
    with pytest.raises(PushRefusedError, match="no connection"):
        push(load_plan(directory), options, lambda kind, line: notes.append(f"{kind}: {line}"))
    assert [e["attempt"] for e in log(directory)] == [1, 2, 3]
    assert notes == [
        f"note: 0001-fullLoad.json: no connection (Hubject could not be reached.); resent in 0 s "
        f"(attempt {n} of 3)"
        for n in (2, 3)
    ]


@pytest.mark.slow
def test_a_refused_restart_resumes_at_the_refused_file(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    """Acknowledgements from before a --restart do not count after it."""
    directory = export_dir("update")
    server = hubject()
    assert run(directory, server, certs).exit_code == 0
    server.answer = scripted(acknowledgement("000", "Success"), acknowledgement("021", "Error"))
    assert run(directory, server, certs, "--restart").exit_code == 0  # 021 resent (update)
    server.answer = scripted(acknowledgement("000", "Success"), acknowledgement("009", "Error"))
    assert run(directory, server, certs, "--restart").exit_code == 1
    sent = len(server.received)
    server.answer = scripted()
    assert run(directory, server, certs).exit_code == 0
    assert [r.body for r in server.received[sent:]] == [
        (directory / n).read_bytes() for n in ("0002-update.json", "0003-update.json")
    ]


def test_tls_refused_by_either_side_is_a_usage_error(
    hubject: Start, export_dir: Export, certs: Certs, tmp_path: Path
) -> None:
    directory = export_dir("full")
    server = hubject()
    strangers = Pki(tmp_path / "strangers")
    foreign = strangers.issue("foreign", "DE*PCK")  # signed by a CA the server does not know
    result = run(directory, server, certs, cert=foreign.cert, key=foreign.key)
    assert result.exit_code == 2, result.output
    assert "the TLS handshake with 127.0.0.1 failed" in result.stderr
    args = ["push", str(directory), "--url", server.url, "--cert", str(certs.client.cert)]
    args += ["--key", str(certs.client.key), "--ca", str(strangers.ca)]
    untrusted = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert untrusted.exit_code == 2
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    assert server.received == []


def test_an_answer_that_is_no_acknowledgement_stops_the_push(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("full")
    server = hubject(scripted(Reply(200, {"hello": "world"})))
    result = run(directory, server, certs)
    assert result.exit_code == 1
    assert "HTTP 200 (The answer is not an eRoamingAcknowledgement.)" in result.stderr


@pytest.mark.slow
def test_the_console_script_pushes_to_push_server(
    exports: dict[str, Path], certs: Certs, tmp_path: Path
) -> None:
    """End to end, as an operator would: `poicheck push-server` in one process, `poicheck
    push` in another (real exit codes, no test doubles)."""
    directory = tmp_path / "out"
    shutil.copytree(exports["update"], directory)
    command = [sys.executable, "-m", "poicheck"]
    server = subprocess.Popen(
        [
            *command,
            "push-server",
            "--cert",
            str(certs.server.cert),
            "--key",
            str(certs.server.key),
            "--ca",
            str(certs.ca),
            "--port",
            "0",
            *(arg for sub in SUBS for arg in ("--sub-operator-id", sub)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(" at ")[1].split()[0]
        args = [
            *command,
            "push",
            str(directory),
            "--url",
            url,
            "--cert",
            str(certs.client.cert),
            "--key",
            str(certs.client.key),
            "--ca",
            str(certs.ca),
        ]
        first = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
        again = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=10)
    assert first.returncode == 0, first.stderr
    assert "3 file(s) sent and acknowledged" in first.stdout
    assert again.returncode == 0
    assert "0 file(s) sent and acknowledged; 3 of 3" in again.stdout
    assert "3 request(s) answered" in out


def test_a_named_evse_id_is_matched_whole(hubject: Start, export_dir: Export, certs: Certs) -> None:
    """`DE*PCK*E1001*12` (no such EVSE) does not name `DE*PCK*E1001*1`."""
    directory = export_dir("full")
    server = hubject(
        scripted(acknowledgement("022", "Data error", "DE*PCK*E1001*12, DE*PCK*E1002*1."))
    )
    result = run(directory, server, certs)
    blamed = result.stderr.split("to fix at their source:")[1].splitlines()[1:]
    assert blamed == [f"  record 4 ({SAMPLE} row 5)  DE*PCK*E1002*1"]


def test_what_the_export_asked_to_review_is_repeated_before_the_push(
    export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("full")
    document = manifest(directory)
    document["records"]["left_out"] = 2
    document["review"]["deletes"].update(records=9, share_of_previous=15.0, over_limit=True)
    (directory / "manifest.json").write_text(json.dumps(document), encoding="utf-8")
    result = run(directory, "https://127.0.0.1:9/api/oicp", certs, "--dry-run")
    assert result.exit_code == 0
    assert "warning: 2 record(s) were left out of this fullLoad" in result.stderr
    assert "warning: this push deletes 9 EVSEs, 15.0 % of those Hubject holds" in result.stderr


@pytest.mark.slow
def test_a_new_export_into_the_directory_keeps_the_push_log(tmp_path: Path) -> None:
    from poicheck.export import ExportOptions, build_export, write_export
    from tests.records import VALID_CELLS, frame_of

    options = ExportOptions(operator_id="DE*PCK", operator_name="PoiCheck")
    directory = tmp_path / "push"
    write_export(build_export(frame_of(VALID_CELLS), options), directory)
    log = directory / "push-log.jsonl"
    log.write_text('{"file": "0001-fullLoad.json", "outcome": "acknowledged"}\n', "utf-8")
    changed = {**VALID_CELLS, "ChargingFacilities.1.Power": "11"}
    previous = ExportOptions(**{**options.__dict__, "previous": (directory / "manifest.json",)})
    write_export(build_export(frame_of(changed), previous), directory)
    assert log.read_text("utf-8").startswith('{"file": "0001-fullLoad.json"')
    assert (directory / "0001-update.json").is_file()


def test_a_body_beyond_one_request_is_refused_before_any_request(
    hubject: Start, export_dir: Export, certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-flight reads each body in pieces, never whole, and refuses one larger than a
    request may carry (4 GiB; lowered here) with its location, before anything is sent."""
    directory = export_dir("full")
    monkeypatch.setattr("poicheck.push.plan.MAX_PUSH_BODY_BYTES", 1000)
    server = hubject()
    result = run(directory, server, certs)
    assert result.exit_code == 2
    assert "0001-fullLoad.json: is larger than 0 MiB" in result.stderr
    assert server.received == []


def test_a_fifo_in_place_of_a_body_is_refused_not_waited_on(
    hubject: Start, export_dir: Export, certs: Certs
) -> None:
    directory = export_dir("full")
    body = directory / "0001-fullLoad.json"
    body.unlink()
    os.mkfifo(body)
    server = hubject()
    result = run(directory, server, certs)
    assert result.exit_code == 2
    assert "0001-fullLoad.json: is not a regular file" in result.stderr
    assert server.received == []
