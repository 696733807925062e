"""`poicheck csr`: a private key (0600, never overwritten) and a PKCS#10 request that
`openssl req -verify` accepts."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

import poicheck.cli.push  # noqa: F401  (registers the commands)
from poicheck.cli import cli

ARGS = ["csr", "--operator-id", "DE*PCK", "--organization", "PoiCheck Demo GmbH"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_csr_writes_a_private_key_and_a_signed_request(tmp_path: Path) -> None:
    out = tmp_path / "onboarding"
    result = run(*ARGS, "--country", "DE", "-o", str(out))
    assert result.exit_code == 0, result.output
    key, csr = out / "DE-PCK.key", out / "DE-PCK.csr"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    request = x509.load_pem_x509_csr(csr.read_bytes())
    assert request.is_signature_valid
    subject = {a.oid: a.value for a in request.subject}
    assert subject == {
        NameOID.COMMON_NAME: "DE*PCK",
        NameOID.ORGANIZATION_NAME: "PoiCheck Demo GmbH",
        NameOID.COUNTRY_NAME: "DE",
    }
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert private.public_key().public_bytes(
        serialization.Encoding.DER, spki
    ) == request.public_key().public_bytes(serialization.Encoding.DER, spki)
    text = (out / "DE-PCK-SEND-TO-HUBJECT.txt").read_text(encoding="utf-8")
    assert "DE-PCK.csr" in text
    assert "Never send" in text
    assert "never leaves this machine" in text


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_the_request(tmp_path: Path) -> None:
    assert run(*ARGS, "-o", str(tmp_path)).exit_code == 0
    checked = subprocess.run(
        ["openssl", "req", "-verify", "-in", str(tmp_path / "DE-PCK.csr"), "-noout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "verify OK" in checked.stdout + checked.stderr


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "DE-PCK.key").write_bytes(b"the key a certificate was signed for\n")
    result = run(*ARGS, "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "DE-PCK.key: exists already; poicheck never overwrites it" in result.stderr
    assert (tmp_path / "DE-PCK.key").read_bytes() == b"the key a certificate was signed for\n"
    assert not (tmp_path / "DE-PCK.csr").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--operator-id", "DE*PC", "is not an ISO (DE*A36) or DIN"),
        ("--country", "DEU", "is not an ISO 3166 alpha-2 code"),
    ],
)
def test_bad_values_are_usage_errors(tmp_path: Path, option: str, value: str, message: str) -> None:
    args = [*ARGS, "--country", "DE", "-o", str(tmp_path)]
    args[args.index(option) + 1] = value
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []
