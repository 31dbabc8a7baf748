"""agent:// against the real ``livepatch-agent serve`` process, and every client it must refuse."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from velocity.livepatch import codec
from velocity.livepatch.agent_cli import main as agent_main
from velocity.livepatch.certs import init_ca
from velocity.livepatch.certs import issue
from velocity.livepatch.cli import main
from velocity.livepatch.client._channel import TransportError
from velocity.livepatch.client._grpc import METHOD
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import parse_target
from velocity.livepatch.proto import pb


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    base = tmp_path_factory.mktemp("pki")
    certs = base / "certs"
    assert main(["certs", "init", "--dir", str(certs)]) == 0
    assert main(["certs", "issue", "agent", "box", "--dir", str(certs), "--allow", "alice"]) == 0
    assert main(["certs", "issue", "client", "alice", "--dir", str(certs)]) == 0
    return certs


def start_serve(pki: Path, root: Path) -> tuple[subprocess.Popen[str], str]:
    """A real ``livepatch-agent serve`` on *root*, and its agent:// URL."""
    argv = [sys.executable, "-m", "velocity.livepatch.agent", "serve", "--root", str(root)]
    argv += ["--listen", "127.0.0.1:0", "--tls-dir", str(pki / "agents/box")]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"listening on (\S+)", line)
    assert match, line
    return proc, f"agent://{match.group(1)}"


@pytest.fixture
def agent(pki, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    proc, url = start_serve(pki, root)
    yield root, url
    proc.terminate()
    assert proc.wait(timeout=10) == 0
    proc.stderr.close()


def test_sigterm_to_a_worker_thread_stops_serve(pki, tmp_path, signal_worker_thread):
    # gRPC's threads may receive the signal; the main thread must still wake and stop.
    proc, _ = start_serve(pki, tmp_path)
    try:
        signal_worker_thread(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


def client_dir(tmp_path: Path, pki: Path, name: str, ca: Path | None = None, **validity) -> Path:
    out = tmp_path / f"client-{name}"
    out.mkdir()
    cert, key = issue(ca or pki, "client", name, valid_for=dt.timedelta(hours=1), **validity)
    (out / "ca.crt").write_bytes((pki / "ca.crt").read_bytes())
    (out / "client.crt").write_bytes(cert)
    (out / "client.key").write_bytes(key)
    return out


def batch_request() -> pb.Request:
    data = b"should never land"
    change = pb.Change(
        path="pwned.txt",
        whole=pb.Whole(zstd=codec.compress(data), size=len(data)),
        sha256=hashlib.sha256(data).digest(),
    )
    return pb.Request(batch=pb.Batch(changes=[change]))


def raw_call(address: str, creds: grpc.ChannelCredentials) -> grpc.StatusCode:
    with grpc.secure_channel(address, creds) as channel:
        call = channel.unary_unary(
            METHOD,
            request_serializer=pb.Request.SerializeToString,
            response_deserializer=pb.Response.FromString,
        )
        try:
            call(batch_request(), timeout=10)
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_allowed_client_syncs(agent, pki, tmp_path, snapshot):
    root, url = agent
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg/app.py").write_text("print(1)\n")
    options = ConnectOptions(tls_dir=str(pki))
    with Syncer(src, parse_target(url), options, tmp_path / "state") as syncer:
        assert syncer.sync().counts == {"whole": 1}
        (src / "pkg/app.py").write_text("print(2)\n")
        assert syncer.sync().counts == {"whole": 1}
    assert snapshot(root) == snapshot(src)


def _creds(directory: Path) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=(directory / "ca.crt").read_bytes(),
        private_key=(directory / "client.key").read_bytes(),
        certificate_chain=(directory / "client.crt").read_bytes(),
    )


def test_client_without_a_certificate_is_refused(agent, pki):
    root, url = agent
    creds = grpc.ssl_channel_credentials(root_certificates=(pki / "ca.crt").read_bytes())
    assert raw_call(url.removeprefix("agent://"), creds) == grpc.StatusCode.UNAVAILABLE
    assert list(root.iterdir()) == [root / ".livepatch-agent"]


def test_certificate_from_another_ca_is_refused(agent, pki, tmp_path):
    root, url = agent
    other = tmp_path / "other-ca"
    init_ca(other)
    creds = _creds(client_dir(tmp_path, pki, "alice", ca=other))
    assert raw_call(url.removeprefix("agent://"), creds) == grpc.StatusCode.UNAVAILABLE
    assert not (root / "pwned.txt").exists()


def test_expired_certificate_is_refused(agent, pki, tmp_path):
    root, url = agent
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    creds = _creds(client_dir(tmp_path, pki, "alice", not_before=past))
    assert raw_call(url.removeprefix("agent://"), creds) == grpc.StatusCode.UNAVAILABLE
    assert not (root / "pwned.txt").exists()


def test_client_not_on_the_allowlist_is_refused(agent, pki, tmp_path):
    root, url = agent
    creds = _creds(client_dir(tmp_path, pki, "mallory"))
    assert raw_call(url.removeprefix("agent://"), creds) == grpc.StatusCode.PERMISSION_DENIED
    assert not (root / "pwned.txt").exists()


def test_refusal_reaches_the_cli_as_one_line(agent, pki, tmp_path, capsys):
    _, url = agent
    mallory = client_dir(tmp_path, pki, "mallory")
    src = tmp_path / "src"
    src.mkdir()
    code = main(
        ["sync", str(src), url, "--tls-dir", str(mallory), "--state-dir", str(tmp_path / "s")]
    )
    assert code == 2
    assert "PERMISSION_DENIED" in capsys.readouterr().err


def test_missing_client_certificate_is_a_clear_error(tmp_path):
    with pytest.raises(TransportError, match="missing client certificate"):
        Syncer(tmp_path, parse_target("agent://127.0.0.1:1"), ConnectOptions(tls_dir=str(tmp_path)))


def test_agent_refuses_to_start_without_an_allowlist(pki, tmp_path, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    code = agent_main(
        ["serve", "--root", str(tmp_path), "--listen", "127.0.0.1:0", "--tls-dir", str(bare)]
    )
    assert code == 2
    assert "no client is allowed" in capsys.readouterr().err


def test_certs_cli_errors_are_one_line(tmp_path, capsys):
    certs = str(tmp_path / "certs")
    assert main(["certs", "issue", "client", "bob", "--dir", certs]) == 2
    assert "run 'livepatch certs init' first" in capsys.readouterr().err
    assert main(["certs", "init", "--dir", certs]) == 0
    assert main(["certs", "init", "--dir", certs]) == 2
    assert "exists already" in capsys.readouterr().err
    assert (tmp_path / "certs/ca.key").stat().st_mode & 0o777 == 0o600


def test_issued_certificates_carry_names_usages_and_lifetimes(tmp_path):
    certs = tmp_path / "certs"
    init_ca(certs)
    assert main(["certs", "issue", "agent", "box", "--dir", str(certs), "--host", "10.1.2.3"]) == 0
    agent = x509.load_pem_x509_certificate((certs / "agents/box/agent.crt").read_bytes())
    sans = agent.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "box" in sans.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "10.1.2.3"]
    assert main(["certs", "issue", "client", "carol", "--dir", str(certs), "--hours", "2"]) == 0
    client = x509.load_pem_x509_certificate((certs / "client.crt").read_bytes())
    usage = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    lifetime = client.not_valid_after_utc - client.not_valid_before_utc
    assert lifetime == dt.timedelta(hours=2)
