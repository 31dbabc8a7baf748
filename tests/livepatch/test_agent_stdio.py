"""The agent process itself, spoken to frame by frame over stdio."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from velocity.livepatch import codec
from velocity.livepatch.agent._convert import delta_to_pb
from velocity.livepatch.agent_cli import main as agent_main
from velocity.livepatch.proto import PROTOCOL_VERSION
from velocity.livepatch.proto import pb
from velocity.livepatch.proto.framing import read_frame
from velocity.livepatch.proto.framing import write_frame


@pytest.fixture
def agent(root: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "velocity.livepatch.agent", "stdio", "--root", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )

    def call(**body) -> pb.Response:
        write_frame(proc.stdin, pb.Request(**body))
        response = read_frame(proc.stdout, pb.Response())
        assert response is not None
        return response

    yield call
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    proc.stdout.close()


def whole(path: str, data: bytes) -> pb.Change:
    return pb.Change(
        path=path,
        whole=pb.Whole(zstd=codec.compress(data), size=len(data)),
        sha256=hashlib.sha256(data).digest(),
    )


def test_hello_manifest_batch(agent, root):
    hello = agent(hello=pb.Hello(version=PROTOCOL_VERSION)).hello
    assert hello.version == PROTOCOL_VERSION
    reply = agent(batch=pb.Batch(base_token=hello.token, changes=[whole("a/b.txt", b"hi")]))
    assert reply.batch.changed == 1
    assert (root / "a/b.txt").read_bytes() == b"hi"
    manifest = agent(manifest=pb.ManifestRequest()).manifest
    assert manifest.token == reply.batch.token
    assert [(e.path, e.sha256) for e in manifest.entries] == [
        ("a/b.txt", hashlib.sha256(b"hi").digest())
    ]


def test_escape_over_the_wire_is_refused(agent, tmp_path, root):
    (tmp_path / "sentinel").write_bytes(b"precious")
    reply = agent(batch=pb.Batch(changes=[whole("ok.txt", b"1"), whole("../sentinel", b"pwned")]))
    assert reply.error.code == "refused"
    assert (tmp_path / "sentinel").read_bytes() == b"precious"
    assert not (root / "ok.txt").exists()


def test_stale_token_is_a_conflict(agent, root):
    reply = agent(batch=pb.Batch(base_token="not-the-token", changes=[whole("x", b"1")]))
    assert reply.error.code == "conflict"
    assert not (root / "x").exists()


def test_wrong_hash_is_refused(agent, root):
    change = whole("x", b"1")
    change.sha256 = hashlib.sha256(b"2").digest()
    assert agent(batch=pb.Batch(changes=[change])).error.code == "invalid"
    assert not (root / "x").exists()


def test_delta_against_a_changed_basis_is_a_conflict(agent, root):
    old = bytes(range(256)) * 1000
    (root / "big").write_bytes(old)
    sig = agent(signatures=pb.SignatureRequest(files=[pb.FileRef(path="big")])).signatures
    assert sig.files[0].sha256 == hashlib.sha256(old).digest()
    delta = codec.make_delta(codec.signature(old, sig.files[0].block_size), old + b"tail")
    wanted = hashlib.sha256(old + b"tail").digest()
    change = pb.Change(path="big", delta=delta_to_pb(delta, sig.files[0].sha256), sha256=wanted)
    (root / "big").write_bytes(old[::-1])  # someone else changed the basis meanwhile
    assert agent(batch=pb.Batch(changes=[change])).error.code == "conflict"
    (root / "big").unlink()
    assert agent(batch=pb.Batch(changes=[change])).error.code == "conflict"
    (root / "big").write_bytes(old)
    assert agent(batch=pb.Batch(changes=[change])).batch.changed == 1
    assert (root / "big").read_bytes() == old + b"tail"


def test_signatures_are_cached_by_hash(agent, root):
    data = b"abc" * 50_000
    (root / "f").write_bytes(data)
    ref = pb.FileRef(path="f", sha256=hashlib.sha256(data).digest())
    first = agent(signatures=pb.SignatureRequest(files=[ref])).signatures.files[0]
    (root / "f").unlink()  # a cache hit does not even read the file
    second = agent(signatures=pb.SignatureRequest(files=[ref])).signatures.files[0]
    assert first == second


def test_empty_request_is_invalid(agent):
    assert agent().error.code == "invalid"


def test_agent_cli_help_and_version(capsys):
    assert agent_main(["--version"]) == 0
    assert "livepatch-agent" in capsys.readouterr().out
    assert agent_main(["stdio"]) == 2


@pytest.mark.parametrize(
    "garbage",
    [b"\xff\xff\xff\xff", b"\x00\x00\x00\x10short", b"\x00\x00\x00\x03\xff\xff\xff"],
    ids=["oversized", "truncated", "not-protobuf"],
)
def test_garbage_on_stdin_is_one_line_and_exit_2(garbage, root):
    proc = subprocess.run(
        [sys.executable, "-m", "velocity.livepatch.agent", "stdio", "--root", str(root)],
        input=garbage,
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr.decode().count("\n") == 1
    assert b"not a LivePatch client" in proc.stderr


def test_corrupt_payloads_are_refused_and_the_session_goes_on(agent, root):
    bad_zstd = pb.Change(path="a", whole=pb.Whole(zstd=b"not zstd at all", size=10))
    assert agent(batch=pb.Batch(changes=[whole("ok", b"1"), bad_zstd])).error.code == "invalid"
    bad_delta = pb.Change(path="a", delta=pb.DeltaData(block_size=0))
    assert agent(batch=pb.Batch(changes=[bad_delta])).error.code in ("invalid", "conflict")
    assert not (root / "ok").exists()
    assert agent(batch=pb.Batch(changes=[whole("ok", b"1")])).batch.changed == 1
