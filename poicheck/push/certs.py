"""The client certificate, checked before the first request (01 CPO Communication
Paradigms: Hubject compares the OperatorID of every request with the client certificate and
answers 017 when they differ)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PublicKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from poicheck.errors import UsageError
from poicheck.files.user import read_regular

MAX_PEM_BYTES = 1024 * 1024
EXPIRY_WARNING = timedelta(days=30)
_SEPARATORS = str.maketrans("", "", "*-+ ")


def compact_id(operator_id: str) -> str:
    """`DE*PCK` and `de-pck` -> `DEPCK`: how an OperatorID is compared with a subject."""
    return operator_id.translate(_SEPARATORS).upper()


@dataclass(frozen=True)
class Checked:
    """A usable client certificate, and what may still go wrong with it."""

    subject: str
    not_after: datetime
    warnings: tuple[str, ...]


def _certificate(path: Path) -> x509.Certificate:
    data = read_regular(path, MAX_PEM_BYTES, error=UsageError)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise UsageError(
            f"not an X.509 certificate (PEM or DER): {exc}", location=str(path)
        ) from exc


def _public_key_bytes(path: Path) -> bytes:
    data = read_regular(path, MAX_PEM_BYTES, error=UsageError)
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except TypeError as exc:  # encrypted, and no password given
        raise UsageError(
            "the private key is encrypted; give an unencrypted copy, kept readable by you only "
            "(chmod 600)",
            location=str(path),
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UsageError(f"not a private key (PEM or DER): {exc}", location=str(path)) from exc
    return _spki(key.public_key())


def _spki(public_key: CertificatePublicKeyTypes | PublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def preflight(cert: Path, key: Path, operator_id: str, now: datetime | None = None) -> Checked:
    """Refuse a certificate that cannot work (UsageError, exit 2): unreadable, expired or not
    yet valid, not for TLS clients, or not matching the key. Warn where it may not work: a
    subject that does not name the OperatorID, an expiry within EXPIRY_WARNING."""
    now = now or datetime.now(UTC)
    certificate = _certificate(cert)
    where = str(cert)
    after, before = certificate.not_valid_after_utc, certificate.not_valid_before_utc
    if now > after:
        raise UsageError(
            f"the client certificate expired on {after:%Y-%m-%d %H:%M} UTC; "
            "request a new one from Hubject (`poicheck csr`)",
            location=where,
        )
    if now < before:
        raise UsageError(
            f"the client certificate is valid only from {before:%Y-%m-%d %H:%M} "
            "UTC; check the computer's clock or wait",
            location=where,
        )
    if _public_key_bytes(key) != _spki(certificate.public_key()):
        raise UsageError(
            f"the key {key} does not belong to this certificate (their public keys "
            "differ); give the key the certificate request was made with",
            location=where,
        )
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = None
    if usages is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        raise UsageError(
            "the certificate is not for TLS clients (its extended key usage lacks clientAuth)",
            location=where,
        )
    warnings = []
    subject = certificate.subject.rfc4514_string()
    if not _names(certificate, operator_id):
        warnings.append(
            f"the client certificate's subject ({subject}) does not name the OperatorID "
            f"{operator_id}: Hubject answers 017 (Unauthorized Access) if they do not match"
        )
    if after - now < EXPIRY_WARNING:
        warnings.append(
            f"the client certificate expires on {after:%Y-%m-%d} UTC: request the "
            "next one now (`poicheck csr`)"
        )
    return Checked(subject, after, tuple(warnings))


def _names(certificate: x509.Certificate, operator_id: str) -> bool:
    """Whether the subject (any attribute) or a DNS alternative name holds the OperatorID."""
    wanted = compact_id(operator_id)
    values = [str(a.value) for a in certificate.subject]
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        values += names.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return any(wanted in compact_id(value) for value in values)


def common_name(certificate: x509.Certificate) -> str | None:
    """The subject's CN, if it has one."""
    found = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else None


def client_context(cert: Path, key: Path, ca: Path | None) -> ssl.SSLContext:
    """TLS for the push: the server verified against `ca` (else the public roots of
    certifi), the client certificate presented."""
    import certifi

    try:
        context = ssl.create_default_context(cafile=str(ca) if ca else certifi.where())
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot use as CA certificates: {exc}", location=str(ca)) from exc
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(
            f"cannot use the client certificate and key: {exc}", location=str(cert)
        ) from exc
    return context
