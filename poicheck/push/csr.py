"""`poicheck csr`: the onboarding step of the client certificate (OICP training, lesson 3:
"generate private and public key ... then generate CSR with PKCS10 standard ... send it to
Hubject"). The key stays on this machine; only the request is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from poicheck.errors import UsageError
from poicheck.files.output import write_bytes, write_new_private, write_text

# OperatorIDType (03 CPO Data Types): ISO `DE*A36`, DIN `+49*536`.
OPERATOR_ID = re.compile(r"[A-Za-z]{2}\*?[A-Za-z0-9]{3}|\+?[0-9]{1,3}\*?[0-9]{3}")
KEY_SIZES = (2048, 3072, 4096)


@dataclass(frozen=True)
class Request:
    """The files `csr` wrote."""

    key: Path
    csr: Path
    readme: Path


def file_stem(operator_id: str) -> str:
    """`DE*PCK` -> `DE-PCK` (no `*` in file names)."""
    return operator_id.replace("*", "-").replace("+", "")


def make_csr(
    operator_id: str,
    organization: str,
    out_dir: Path,
    *,
    country: str | None = None,
    key_size: int = 2048,
) -> Request:
    """A new RSA key (0600, never over an existing file) and a PKCS#10 request whose subject
    names the OperatorID (CN), the organisation (O) and the country (C)."""
    _check(operator_id, organization, country, key_size, out_dir)
    stem = file_stem(operator_id)
    made = Request(
        out_dir / f"{stem}.key", out_dir / f"{stem}.csr", out_dir / f"{stem}-SEND-TO-HUBJECT.txt"
    )
    for path in (made.key, made.csr, made.readme):
        if path.exists():
            raise UsageError(
                "exists already; poicheck never overwrites it (a key that is "
                "replaced cannot use the certificate signed for it)",
                location=str(path),
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    names = [
        x509.NameAttribute(NameOID.COMMON_NAME, operator_id),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization.strip()),
    ]
    if country:
        names.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(names))
        .sign(key, hashes.SHA256())
    )
    write_new_private(
        made.key,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    write_bytes(made.csr, request.public_bytes(serialization.Encoding.PEM))
    write_text(made.readme, instructions(operator_id, made))
    return made


def _check(
    operator_id: str, organization: str, country: str | None, key_size: int, out_dir: Path
) -> None:
    """Refuse values that would make a request Hubject cannot sign (UsageError)."""
    if not OPERATOR_ID.fullmatch(operator_id):
        raise UsageError(
            f"--operator-id '{operator_id}' is not an ISO (DE*A36) or DIN (+49*536) OperatorID"
        )
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise UsageError(f"--country '{country}' is not an ISO 3166 alpha-2 code (e.g. DE)")
    if not 0 < len(organization.strip()) <= 64:  # RFC 5280 ub-organization-name
        raise UsageError("--organization must have 1 to 64 characters")
    if key_size not in KEY_SIZES:
        raise UsageError(f"--key-size must be one of {', '.join(map(str, KEY_SIZES))}")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError("is not a directory", location=str(out_dir))


def instructions(operator_id: str, made: Request) -> str:
    """What to send to Hubject, and what never to send."""
    return f"""Client certificate for OperatorID {operator_id}

Send to your Hubject onboarding manager (by e-mail, as they asked):
  {made.csr.name}   the certificate signing request (PKCS#10, PEM). It holds the public key
  and the subject, nothing secret.

Never send, to anyone:
  {made.key.name}   the private key. It never leaves this machine; keep a backup where only
  you can read it. Hubject does not need it: a certificate is signed for the request.

Hubject returns the signed certificate (and its CA certificates) for QA, later for
production. Check it and push with it:
  poicheck push EXPORT_DIR --url https://service-qa.hubject.com/api/oicp \\
      --cert SIGNED.pem --key {made.key.name} --dry-run

Hubject compares the OperatorID of every request with this certificate (status 017 when
they differ), and accepts calls only from the IP addresses you registered.
"""
