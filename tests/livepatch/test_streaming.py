"""Batches streamed in parts: staged as they arrive, committed (or dropped) as one."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from velocity.core.errors import VelocityError
from velocity.livepatch import codec
from velocity.livepatch.agent import Engine
from velocity.livepatch.agent._convert import delta_to_pb
from velocity.livepatch.agent._convert import signature_from_pb
from velocity.livepatch.agent._convert import signature_to_pb
from velocity.livepatch.agent._service import Service
from velocity.livepatch.client import _encode
from velocity.livepatch.client import _parts
from velocity.livepatch.client import _sync
from velocity.livepatch.client._channel import TransportError
from velocity.livepatch.client._sync import AgentError
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._targets import parse_target
from velocity.livepatch.proto import pb
from velocity.livepatch.proto.framing import read_frame
from velocity.livepatch.proto.framing import write_frame


def whole(path: str, data: bytes) -> pb.Change:
    digest = hashlib.sha256(data).digest()
    return pb.Change(
        path=path, whole=pb.Whole(zstd=codec.compress(data), size=len(data)), sha256=digest
    )


def part(n: int, changes, *, more: bool, stream: str = "s1") -> pb.Request:
    return pb.Request(batch=pb.Batch(changes=changes, more=more, stream_id=stream, part=n))


@pytest.fixture
def service(root: Path):
    with Engine(root) as engine:
        svc = Service(engine, precompute=False)
        yield svc
        svc.close()


def test_parts_commit_together(service, root, snapshot):
    assert service.handle(part(0, [whole("a/1", b"1")], more=True)).batch.changed == 1
    assert not (root / "a/1").exists()  # staged, not yet visible
    reply = service.handle(part(1, [whole("b/2", b"2")], more=False))
    assert reply.batch.changed == 2
    assert reply.batch.token
    assert snapshot(root) == {
        "a": ("dir", b"", 0o755),
        "a/1": ("file", b"1", 0o644),
        "b": ("dir", b"", 0o755),
        "b/2": ("file", b"2", 0o644),
    }


def test_a_refused_last_part_drops_the_earlier_ones(service, root, snapshot):
    before = snapshot(root)
    service.handle(part(0, [whole("a/1", b"1")], more=True))
    assert service.handle(part(1, [whole("../x", b"x")], more=False)).error.code == "refused"
    assert snapshot(root) == before
    # The stream is gone: a late part of it is refused rather than applied alone.
    assert service.handle(part(2, [whole("c", b"c")], more=False)).error.code == "invalid"
    assert snapshot(root) == before


def test_a_new_stream_replaces_an_abandoned_one(service, root, snapshot):
    service.handle(part(0, [whole("old", b"o")], more=True, stream="a"))
    service.handle(part(0, [whole("new", b"n")], more=False, stream="b"))
    assert sorted(snapshot(root)) == ["new"]


def test_grpc_style_service_takes_no_parts(root):
    with Engine(root) as engine:
        svc = Service(engine, streaming=False, precompute=False)
        assert svc.handle(part(0, [whole("a", b"1")], more=True)).error.code == "invalid"
        assert svc.handle(part(0, [whole("a", b"1")], more=False)).batch.changed == 1


def test_client_vanishing_mid_stream_leaves_nothing(root, snapshot):
    proc = subprocess.Popen(
        [sys.executable, "-m", "velocity.livepatch.agent", "stdio", "--root", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    write_frame(proc.stdin, part(0, [whole(f"d/f{i}", b"x" * 100) for i in range(20)], more=True))
    assert read_frame(proc.stdout, pb.Response()).batch.changed == 20
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    proc.stdout.close()
    assert snapshot(root) == {}
    assert sorted(p.name for p in (root / ".livepatch-agent").iterdir()) == [
        "lock",
        "signatures-v2",
    ]


def spy_parts(monkeypatch, syncer) -> list[list[pb.Request]]:
    """The requests of every call_many of *syncer*'s channel, as they are made."""
    sent: list[list[pb.Request]] = []
    original = syncer.channel.call_many

    def spy(requests):
        requests = list(requests)
        sent.append(requests)
        return original(requests)

    monkeypatch.setattr(syncer.channel, "call_many", spy)
    return sent


def test_big_sync_streams_in_parts(tmp_path, monkeypatch, snapshot):
    monkeypatch.setattr(_parts, "PART_BYTES", 2000)
    monkeypatch.setattr(_parts, "FIRST_PART_BYTES", 2000)
    src, dst = tmp_path / "src", tmp_path / "dst"
    dst.mkdir()
    for i in range(30):
        (src / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i % 3}/f{i}").write_bytes(os.urandom(500))
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "state") as syncer:
        sent = spy_parts(monkeypatch, syncer)
        assert syncer.sync().counts == {"whole": 30}
        assert len(sent[-1]) > 3
        assert snapshot(dst) == snapshot(src)
        (src / "d0/../bad").symlink_to("/etc/passwd")  # skipped by the planner, not sent
        (src / "d1/f1").write_bytes(b"changed")
        assert syncer.sync().counts == {"whole": 1}


def test_big_files_go_last_in_parts_of_their_own(tmp_path, monkeypatch, snapshot):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "z").mkdir(parents=True)
    dst.mkdir()
    (src / "a_big.bin").write_bytes(os.urandom(5 << 20))  # first by name
    for i in range(20):
        (src / f"z/f{i}").write_bytes(os.urandom(300))
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "state") as syncer:
        sent = spy_parts(monkeypatch, syncer)
        assert syncer.sync().counts == {"whole": 21}
    parts = [paths for r in sent[-1] if (paths := [c.path for c in r.batch.changes])]
    # 5 MiB: a first piece of 4 MiB and the rest, each in a part of its own.
    assert parts[-2:] == [["a_big.bin"], ["a_big.bin"]]
    assert sorted(p for part in parts[:-2] for p in part) == sorted(f"z/f{i}" for i in range(20))
    assert snapshot(dst) == snapshot(src)


def pieces(path: str, data: bytes, size: int) -> list[pb.Change]:
    """*data* as a whole with ``more`` and appends of *size* bytes, as the client sends it."""
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    first = pb.Change(path=path, sha256=hashlib.sha256(data).digest())
    first.whole.zstd, first.whole.size = codec.compress(chunks[0]), len(chunks[0])
    first.whole.more = len(chunks) > 1
    changes = [first]
    for n, chunk in enumerate(chunks[1:], start=2):
        change = pb.Change(path=path)
        change.append.zstd, change.append.size = codec.compress(chunk), len(chunk)
        change.append.more = n < len(chunks)
        changes.append(change)
    return changes


def test_a_big_file_goes_in_pieces_written_as_they_come(tmp_path, monkeypatch, snapshot):
    monkeypatch.setattr(_encode, "PIECE_BYTES", 1 << 20)
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "big.bin").write_bytes(os.urandom((3 << 20) + 5))
    (src / "small").write_bytes(b"s")
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "state") as syncer:
        sent = spy_parts(monkeypatch, syncer)
        assert syncer.sync().counts == {"whole": 2}
    changes = [c for r in sent[-1] for c in r.batch.changes if c.path == "big.bin"]
    assert [c.WhichOneof("op") for c in changes] == ["whole", "append", "append", "append"]
    sizes = [len(r.batch.changes) for r in sent[-1]]
    assert sizes in ([1] * 5, [1] * 5 + [0])  # one piece a part (and the end of the batch)
    assert [c.append.more for c in changes[1:]] == [True, True, False]
    assert snapshot(dst) == snapshot(src)


def test_pieces_in_one_part_and_across_parts(service, root):
    data = os.urandom(10_000)
    changes = pieces("p/big", data, 3000)
    assert service.handle(part(0, changes[:2], more=True)).batch.changed == 1
    assert not (root / "p/big").exists()
    assert service.handle(part(1, changes[2:], more=False)).batch.token
    assert (root / "p/big").read_bytes() == data


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("a piece changed on the way", "invalid"),
        ("the batch ends before the last piece", "invalid"),
        ("a piece of a file never begun", "invalid"),
        ("a piece after the last one", "invalid"),
        ("pieces without the file's hash", "invalid"),
        ("a piece bigger than it says", "invalid"),
    ],
)
def test_bad_pieces_drop_the_whole_batch(service, root, snapshot, case, code):
    (root / "keep").write_bytes(b"old")
    before = snapshot(root)
    data = os.urandom(9000)
    changes = [whole("keep", b"new"), *pieces("big", data, 3000)]
    if case == "a piece changed on the way":
        changes[2].append.zstd = codec.compress(b"x" * 3000)
    elif case == "the batch ends before the last piece":
        del changes[-1]
    elif case == "a piece of a file never begun":
        changes[2].path = "other"
    elif case == "a piece after the last one":
        changes.append(changes[-1])
    elif case == "pieces without the file's hash":
        changes[1].ClearField("sha256")
    else:
        changes[2].append.size = 10
    first = service.handle(part(0, changes[:2], more=True))
    last = service.handle(part(1, changes[2:], more=False))
    if case == "pieces without the file's hash":
        assert first.error.code == code  # refused at the first piece
    else:
        assert first.batch.changed == 2
    assert last.error.code == code
    assert snapshot(root) == before
    leftovers = [p.name for p in root.rglob("*") if p.name.startswith(".~lp")]
    assert leftovers == []


def test_stream_error_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(_parts, "PART_BYTES", 10)
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "x").mkdir(parents=True)
    dst.mkdir()
    for i in range(5):
        (src / f"x/f{i}").write_text(str(i))
    (dst / "x").mkdir()
    (dst / "x/f3").mkdir()  # a directory where a file must go: refused, nothing applied
    target = parse_target(f"local://{dst}")
    with Syncer(src, target, state_dir=tmp_path / "s") as syncer, pytest.raises(AgentError):
        syncer.sync()
    assert sorted(p.name for p in (dst / "x").iterdir()) == ["f3"]


def flat_tree(tmp_path, monkeypatch, *, files: int, size: int, part: int) -> tuple[Path, Path]:
    """SRC with *files* random files of *size* bytes, an empty DST, parts of *part* bytes."""
    monkeypatch.setattr(_parts, "PART_BYTES", part)
    monkeypatch.setattr(_parts, "FIRST_PART_BYTES", part)
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    for i in range(files):
        (src / f"f{i}").write_bytes(os.urandom(size))
    return src, dst


@pytest.mark.parametrize("target", ["empty", "not empty"])
def test_file_vanishing_mid_stream_fails_cleanly_and_the_channel_stays_usable(
    tmp_path, monkeypatch, snapshot, target
):
    src, dst = flat_tree(tmp_path, monkeypatch, files=10, size=500, part=600)
    if target == "not empty":  # the sync plans before it sends
        for root in (src, dst):
            (root / "keep").write_bytes(b"k")
    before = snapshot(dst)
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "s") as syncer:
        if target == "empty":  # files go as the walk finds them

            def delete_fifth(n: int, path: str) -> None:
                if n == 5:  # found by the walk, gone before the encoder reads it
                    (src / path).unlink()

            watch_walk(monkeypatch, delete_fifth)
        else:
            original = syncer._scan

            def scan_then_delete(hints):
                tree = original(hints)
                (src / "f7").unlink(missing_ok=True)
                return tree

            monkeypatch.setattr(syncer, "_scan", scan_then_delete)
        with pytest.raises(VelocityError, match="changed while syncing"):
            syncer.sync()
        assert snapshot(dst) == before
        monkeypatch.undo()
        assert syncer.sync().counts == {"whole": 9}
    assert snapshot(dst) == snapshot(src)


def test_file_edited_between_scan_and_send_is_sent_as_read(tmp_path, monkeypatch):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "f").write_text("scanned")
    for root in (src, dst):  # a target that is not empty: the sync plans before it sends
        (root / "keep").write_bytes(b"k")
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "s") as syncer:
        original = syncer._scan

        def scan_then_edit(hints):
            tree = original(hints)
            (src / "f").write_text("edited after the scan")
            return tree

        monkeypatch.setattr(syncer, "_scan", scan_then_edit)
        assert syncer.sync().counts == {"whole": 1}
        assert (dst / "f").read_text() == "edited after the scan"
        monkeypatch.undo()
        assert syncer.sync().counts == {"whole": 1}  # the remembered hash was the scanned one
        assert syncer.sync().changed == 0


def watch_walk(monkeypatch, on_file=None) -> dict:
    """Wrap the walk of an empty target's first sync: records whether it is done, and calls
    *on_file* with the number and path of each file it yields."""
    state = {"done": False, "files": 0}
    original = _sync.walk

    def walk(*args):
        for info in original(*args):
            state["files"] += 1
            if on_file is not None:
                on_file(state["files"], info.path)
            yield info
        state["done"] = True

    monkeypatch.setattr(_sync, "walk", walk)
    return state


def test_an_empty_target_gets_files_while_the_walk_goes_on(tmp_path, monkeypatch, snapshot):
    monkeypatch.setattr(_parts, "FIRST_PART_BYTES", 600)
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "d").mkdir(parents=True)
    dst.mkdir()
    for i in range(10):
        (src / f"d/f{i}").write_bytes(os.urandom(500))
    (src / "big.bin").write_bytes(os.urandom(2 << 20))  # sent after the small ones
    (src / "link").symlink_to("d/f1")
    (src / "out").symlink_to("/etc/passwd")  # skipped, as a planned sync skips it
    walked = watch_walk(monkeypatch)
    parts_sent = []
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "s") as syncer:
        original = syncer.channel.call_many

        def spy(requests):
            for request in requests:
                parts_sent.append(([c.path for c in request.batch.changes], walked["done"]))
                yield request

        monkeypatch.setattr(syncer.channel, "call_many", lambda r: original(spy(r)))
        result = syncer.sync()
        assert result.counts == {"whole": 11, "link": 1}
        assert result.skipped_links == ["out"]
        assert syncer.sync().changed == 0  # what it remembers is what the target holds
    assert parts_sent[0][1] is False  # the first part went out before the walk was done
    order = [path for paths, _ in parts_sent for path in paths]
    assert order[-2:] == ["big.bin", "link"]
    assert sorted(order[:-2]) == sorted(f"d/f{i}" for i in range(10))
    expected = snapshot(src)
    del expected["out"]
    assert snapshot(dst) == expected


def test_an_empty_target_filled_meanwhile_is_planned_against_again(tmp_path, monkeypatch, snapshot):
    src, other, dst = tmp_path / "src", tmp_path / "other", tmp_path / "dst"
    for root in (src, other, dst):
        root.mkdir()
    for i in range(5):
        (src / f"f{i}").write_bytes(b"mine %d" % i)
    (other / "f0").write_bytes(b"theirs")
    (other / "extra").write_bytes(b"extra")
    target = parse_target(f"local://{dst}")

    def someone_else_syncs(n: int, path: str) -> None:
        if n == 1:  # after the manifest said empty, before the first part
            with Syncer(other, target, state_dir=tmp_path / "s2") as theirs:
                theirs.sync()

    with Syncer(src, target, state_dir=tmp_path / "s") as syncer:
        walked = watch_walk(monkeypatch, someone_else_syncs)
        result = syncer.sync()
        assert walked["done"]
        assert result.counts == {"whole": 5, "delete": 1}  # planned against what is there
        assert syncer.sync().changed == 0
    assert snapshot(dst) == snapshot(src)


def test_a_first_sync_plans_when_the_target_is_not_empty(tmp_path, monkeypatch):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "a").write_bytes(b"a")
    (dst / "stale").write_bytes(b"s")
    walked = watch_walk(monkeypatch)
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "s") as syncer:
        assert syncer.sync().counts == {"whole": 1, "delete": 1}
    assert walked["files"] == 0  # the planned path: a scan, then the plan
    assert sorted(p.name for p in dst.iterdir() if not p.name.startswith(".")) == ["a"]


def test_a_delta_leaves_the_new_signature_ready(root):
    old = os.urandom(300_000)
    new = old[:100_000] + os.urandom(5_000) + old[105_000:]
    with Engine(root) as engine:
        svc = Service(engine)
        try:
            svc.handle(pb.Request(batch=pb.Batch(changes=[whole("big", old)])))
            ref = pb.FileRef(path="big", sha256=hashlib.sha256(old).digest())
            sig = svc.handle(pb.Request(signatures=pb.SignatureRequest(files=[ref])))
            basis = sig.signatures.files[0]
            delta = codec.make_delta(signature_from_pb(basis), new)
            change = pb.Change(path="big", delta=delta_to_pb(delta, basis.sha256))
            change.sha256 = hashlib.sha256(new).digest()
            assert svc.handle(pb.Request(batch=pb.Batch(changes=[change]))).batch.token
            assert (root / "big").read_bytes() == new
            ref = pb.FileRef(path="big", sha256=change.sha256)
            got = svc.handle(pb.Request(signatures=pb.SignatureRequest(files=[ref])))
            want = signature_to_pb(change.sha256, codec.signature(new))
            want.path = "big"
            assert got.signatures.files[0] == want
        finally:
            svc.close()


def test_the_client_reuses_the_signature_of_what_it_sent(tmp_path, monkeypatch):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    data = bytearray(os.urandom(400_000))
    (src / "big").write_bytes(data)
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "state") as syncer:
        syncer.sync()
        asked = []
        original = syncer._signatures
        monkeypatch.setattr(
            syncer, "_signatures", lambda refs: asked.append(refs) or original(refs)
        )
        for n in range(3):
            data[n * 100_000 : n * 100_000 + 10] = os.urandom(10)
            (src / "big").write_bytes(data)
            assert syncer.sync(["big"]).counts == {"delta": 1}
        assert len(asked) == 1  # the first delta only: later ones know their basis
        assert (dst / "big").read_bytes() == data


def test_signatures_of_protocol_1_are_dropped(root):
    # Their block checksums are not the ones a protocol 2 client matches against.
    legacy = root / ".livepatch-agent" / "signatures"
    legacy.mkdir(parents=True)
    (legacy / ("ab" * 32)).write_bytes(b"old")
    with Engine(root) as engine:
        Service(engine, precompute=False).close()
    assert sorted(p.name for p in (root / ".livepatch-agent").iterdir()) == [
        "lock",
        "signatures-v2",
    ]


def test_kill_9_between_pieces_keeps_the_old_file(root, snapshot):
    (root / "big").write_bytes(b"old content")
    before = snapshot(root)
    data = os.urandom(9000)
    changes = pieces("big", data, 3000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "velocity.livepatch.agent", "stdio", "--root", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    for n, change in enumerate(changes[:2]):
        write_frame(proc.stdin, part(n, [change], more=True))
        assert read_frame(proc.stdout, pb.Response()).batch.changed == 1
    assert any(p.name.startswith(".~lp") for p in root.iterdir())  # the temp file grows
    proc.kill()
    proc.wait(timeout=10)
    for stream in (proc.stdin, proc.stdout):
        stream.close()
    Engine(root).close()  # recovers
    assert snapshot(root) == before
    assert not any(p.name.startswith(".~lp") for p in root.iterdir())


def test_an_agent_dying_mid_stream_is_a_transport_error(tmp_path, monkeypatch):
    src, dst = flat_tree(tmp_path, monkeypatch, files=40, size=1500, part=2000)

    def agent_dies(n: int, path: str) -> None:
        if n == 20:  # later parts go through the sending thread, into a closed pipe
            syncer.channel._proc.kill()
            syncer.channel._proc.wait()

    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "s") as syncer:
        watch_walk(monkeypatch, agent_dies)
        with pytest.raises(TransportError) as caught:
            syncer.sync()
    assert "\n" not in str(caught.value)
    Engine(dst).close()  # the next agent recovers what the killed one staged
    assert [p for p in dst.iterdir() if not p.name.startswith(".livepatch")] == []
