"""The certificate pre-flight on its own: what is refused (exit 2) and what is a warning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from poicheck.errors import UsageError
from poicheck.push.certs import preflight
from tests.push.pki import NOW, Pki


def test_a_good_certificate_passes_without_warnings(pki: Pki) -> None:
    good = pki.issue("good", "DE*PCK")
    checked = preflight(good.cert, good.key, "DE*PCK")
    assert checked.warnings == ()
    assert checked.subject == "O=PoiCheck Test,CN=DE*PCK"  # RFC 4514: the last RDN first


def test_a_der_certificate_and_a_separator_free_subject_pass(pki: Pki) -> None:
    plain = pki.issue("plain", "DEPCK")
    der = plain.cert.with_suffix(".der")
    certificate = x509.load_pem_x509_certificate(plain.cert.read_bytes())
    der.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
    assert preflight(der, plain.key, "DE*PCK").warnings == ()


def test_not_yet_valid_and_not_for_clients_are_refused(pki: Pki) -> None:
    future = pki.issue("future", "DE*PCK", days=(2, 30))
    with pytest.raises(UsageError, match="is valid only from"):
        preflight(future.cert, future.key, "DE*PCK")
    server_only = pki.issue("server-only", "DE*PCK", server=True)
    with pytest.raises(UsageError, match="lacks clientAuth"):
        preflight(server_only.cert, server_only.key, "DE*PCK")


def test_an_expiry_within_30_days_is_a_warning(pki: Pki) -> None:
    soon = pki.issue("soon", "DE*PCK", days=(-300, 10))
    (warning,) = preflight(soon.cert, soon.key, "DE*PCK").warnings
    assert "expires on" in warning
    with pytest.raises(UsageError, match="expired on"):
        preflight(soon.cert, soon.key, "DE*PCK", now=NOW + timedelta(days=11))


def test_unreadable_files_are_usage_errors(pki: Pki) -> None:
    good = pki.issue("good2", "DE*PCK")
    with pytest.raises(UsageError, match=r"not an X\.509 certificate"):
        preflight(good.key, good.key, "DE*PCK")
    with pytest.raises(UsageError, match="not a private key"):
        preflight(good.cert, good.cert, "DE*PCK")
    with pytest.raises(UsageError, match="no such file"):
        preflight(good.cert.with_name("missing.pem"), good.key, "DE*PCK")


def test_an_encrypted_key_is_refused_with_what_to_do(pki: Pki) -> None:
    good = pki.issue("locked", "DE*PCK")
    key = serialization.load_pem_private_key(good.key.read_bytes(), password=None)
    good.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(UsageError, match="the private key is encrypted"):
        preflight(good.cert, good.key, "DE*PCK")
