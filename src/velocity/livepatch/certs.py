"""A project CA and the certificates it signs for agents and (short-lived) clients.

Layout of the certificate directory (default ``.velocity/livepatch/certs``)::

    ca.crt, ca.key              the project CA (``livepatch certs init``)
    client.crt, client.key      this machine's client identity (``issue client NAME``)
    agents/NAME/                a ready ``--tls-dir`` for ``livepatch-agent serve``:
                                ca.crt, agent.crt, agent.key, allowed-clients
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from velocity.core.errors import VelocityError
from velocity.core.workdir import private_dir

__all__ = ["CertError", "init_ca", "issue", "issue_agent", "issue_client"]

AGENT_DAYS = 365
CLIENT_HOURS = 12  # client certificates are short-lived: re-issue rather than revoke


class CertError(VelocityError):
    """A CA that is missing or already exists, or a bad certificate request.

    .. versionadded:: 0.1
    """


def init_ca(directory: Path, *, name: str = "velocity livepatch CA", days: int = 3650) -> Path:
    """Create the project CA in *directory*; refuses to overwrite one.

    :returns: the path of ``ca.crt``.

    .. versionadded:: 0.1
    """
    if (directory / "ca.key").exists():
        raise CertError(f"{directory}/ca.key exists already; remove it to start over")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    private_dir(directory)  # the CA key must never be committed by accident
    _write(directory / "ca.key", _key_pem(key), secret=True)
    return _write(directory / "ca.crt", cert.public_bytes(serialization.Encoding.PEM))


def issue(
    ca_dir: Path,
    kind: str,
    name: str,
    *,
    hosts: Sequence[str] = (),
    valid_for: dt.timedelta,
    not_before: dt.datetime | None = None,
) -> tuple[bytes, bytes]:
    """Sign a new key for *name*: ``kind`` is ``"agent"`` (server) or ``"client"``.

    :param hosts: DNS names and IP addresses the agent answers on.
    :param not_before: start of validity (default: now); tests use the past.
    :returns: ``(certificate PEM, private key PEM)``.

    .. versionadded:: 0.1
    """
    ca_key, ca_cert = _load_ca(ca_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if kind == "agent" else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + valid_for)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if kind == "agent":
        builder = builder.add_extension(x509.SubjectAlternativeName(_sans(hosts)), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def issue_agent(
    ca_dir: Path,
    name: str,
    out: Path,
    *,
    hosts: Sequence[str] = (),
    days: int = AGENT_DAYS,
    allow: Sequence[str] = (),
) -> Path:
    """Write a ready ``--tls-dir`` for an agent into *out*.

    .. versionadded:: 0.1
    """
    all_hosts = [name, "localhost", "127.0.0.1", *hosts]
    cert, key = issue(ca_dir, "agent", name, hosts=all_hosts, valid_for=dt.timedelta(days=days))
    _write(out / "ca.crt", (ca_dir / "ca.crt").read_bytes())
    _write(out / "agent.crt", cert)
    _write(out / "agent.key", key, secret=True)
    allowlist = out / "allowed-clients"
    known = allowlist.read_text(encoding="utf-8").split() if allowlist.exists() else []
    _write(allowlist, "".join(f"{n}\n" for n in dict.fromkeys([*known, *allow])).encode())
    return out


def issue_client(ca_dir: Path, name: str, *, hours: float = CLIENT_HOURS) -> Path:
    """Make *name* this machine's client identity (``client.crt`` next to the CA).

    .. versionadded:: 0.1
    """
    cert, key = issue(ca_dir, "client", name, valid_for=dt.timedelta(hours=hours))
    _write(ca_dir / "client.key", key, secret=True)
    return _write(ca_dir / "client.crt", cert)


def _load_ca(ca_dir: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    try:
        key = serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate((ca_dir / "ca.crt").read_bytes())
    except FileNotFoundError:
        raise CertError(f"no CA in {ca_dir}; run 'livepatch certs init' first") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertError(f"{ca_dir}/ca.key is not an EC key")
    return key, cert


def _sans(hosts: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, secret: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path
