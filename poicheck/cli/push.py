"""`poicheck push` (an export to Hubject), `poicheck csr` (the certificate request) and
`poicheck push-server` (a local stand-in for Hubject)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from poicheck.cli import cli, echo, guarded, output_option, say

_FILE = click.Path(path_type=Path, dir_okay=False)


@cli.command("push")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--url",
    required=True,
    metavar="BASE",
    help="Service root, e.g. https://service-qa.hubject.com/api/oicp.",
)
@click.option("--cert", required=True, type=_FILE, help="Client certificate (PEM or DER).")
@click.option("--key", required=True, type=_FILE, help="Its private key (unencrypted).")
@click.option("--ca", type=_FILE, help="CA certificates of the server (default: public roots).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=120.0,
    show_default=True,
    metavar="S",
    help="Seconds to wait for each acknowledgement.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the export and the certificate, show what would be sent; send nothing.",
)
@click.option(
    "--restart",
    is_flag=True,
    help="Send every file again from the first, also those acknowledged before.",
)
@guarded
def push_command(
    directory: Path,
    url: str,
    cert: Path,
    key: Path,
    ca: Path | None,
    timeout: float,
    dry_run: bool,
    restart: bool,
) -> None:
    """Send the export in DIRECTORY to Hubject: one file at a time, each only after the
    previous was acknowledged (000); a later run resumes after the last acknowledged file.

    Exit codes: 0 every file acknowledged; 1 Hubject refused a file or did not answer (the
    push stopped there); 2 usage error, unreadable or changed export, unusable certificate.
    """
    from poicheck.push import PushOptions, load_plan, push

    plan = load_plan(directory)
    options = PushOptions(url, cert, key, ca, timeout=timeout, restart=restart, dry_run=dry_run)
    if restart:
        say(
            "note",
            "--restart: every file is sent again from the first, also those "
            "acknowledged before (a fullLoad replaces everything again; an insert of EVSEs "
            "Hubject holds is refused)",
        )
    result = push(plan, options, say)
    for name in result.skipped:
        echo(f"{name}: acknowledged before (push log), not sent again")
    if dry_run:
        echo(f"dry run: would send {len(result.pending)} file(s) to {result.url}, in order:")
        for name in result.pending:
            echo(f"  {name}")
        return
    total = len(plan.files)
    echo(
        f"{len(result.sent)} file(s) sent and acknowledged; {total} of {total} acknowledged "
        f"for {plan.operator_id} at {result.url}"
    )


@cli.command("csr")
@click.option(
    "--operator-id",
    required=True,
    metavar="ID",
    help="The OperatorID the certificate is for (subject CN), e.g. DE*PCK.",
)
@click.option(
    "--organization",
    required=True,
    metavar="NAME",
    help="Your organisation's legal name (subject O).",
)
@click.option("--country", metavar="CC", help="ISO 3166 alpha-2 country code (subject C).")
@click.option(
    "--key-size",
    type=click.Choice(["2048", "3072", "4096"]),
    default="2048",
    show_default=True,
    help="RSA key size in bits.",
)
@output_option(
    "Directory for the key, the request and what to send (made if missing).",
    dest="out_dir",
    required=True,
)
@guarded
def csr_command(
    operator_id: str, organization: str, country: str | None, key_size: str, out_dir: Path
) -> None:
    """Make a private key and a PKCS#10 certificate signing request for Hubject's
    onboarding. The key (mode 0600) is never overwritten and never to be sent."""
    from poicheck.push.csr import make_csr

    made = make_csr(operator_id, organization, out_dir, country=country, key_size=int(key_size))
    echo(f"{made.key}: private key (0600) - keep it here, never send it")
    echo(f"{made.csr}: certificate signing request - send it to Hubject")
    echo(f"{made.readme}: what to send and what not")


@cli.command("push-server")
@click.option("--cert", required=True, type=_FILE, help="Server certificate (PEM).")
@click.option("--key", required=True, type=_FILE, help="Its private key (PEM).")
@click.option(
    "--ca",
    required=True,
    type=_FILE,
    help="CA certificates that client certificates must chain to.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True)
@click.option(
    "--sub-operator-id",
    "sub_operator_ids",
    multiple=True,
    metavar="ID",
    help="A sub-operator whose EvseIDs are accepted (repeatable).",
)
@guarded
def push_server(
    cert: Path, key: Path, ca: Path, port: int, sub_operator_ids: tuple[str, ...]
) -> None:
    """Answer eRoamingPushEvseData on 127.0.0.1 as Hubject would (017, 018, 000), with
    client certificates required: test a push pipeline offline. Stop with Ctrl-C."""
    from poicheck.push.standin import StandIn, hubject_like

    with StandIn(cert, key, ca, answer=hubject_like(sub_operator_ids), port=port) as server:
        echo(f"stand-in for Hubject at {server.url} (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            echo(f"{len(server.received)} request(s) answered")
