"""One sync: scan, plan against the remembered (or fetched) target tree, encode, apply.

A :class:`Syncer` keeps its channel open, so repeated syncs (a watcher, a benchmark)
pay for the connection once.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import TracebackType
from typing import Self

from velocity.core.errors import VelocityError
from velocity.livepatch.agent._manifest import FileInfo
from velocity.livepatch.client._channel import Channel
from velocity.livepatch.client._channel import TransportError
from velocity.livepatch.client._encode import LATE_SIZE
from velocity.livepatch.client._encode import Encoder
from velocity.livepatch.client._parts import needs_deletes_first
from velocity.livepatch.client._parts import parts
from velocity.livepatch.client._plan import Plan
from velocity.livepatch.client._plan import add_content
from velocity.livepatch.client._plan import apply_plan
from velocity.livepatch.client._plan import make_plan
from velocity.livepatch.client._results import RollbackResult
from velocity.livepatch.client._results import outcome_from_pb
from velocity.livepatch.client._results import rollback_from_pb
from velocity.livepatch.client._scan import IGNORE_FILES
from velocity.livepatch.client._scan import IgnoreRules
from velocity.livepatch.client._scan import Tree
from velocity.livepatch.client._scan import load_ignore
from velocity.livepatch.client._scan import scan
from velocity.livepatch.client._scan import scan_paths
from velocity.livepatch.client._scan import unchanged_since_scan
from velocity.livepatch.client._scan import walk
from velocity.livepatch.client._state import TargetState
from velocity.livepatch.client._state import load_hashes
from velocity.livepatch.client._state import load_state
from velocity.livepatch.client._state import save_hashes
from velocity.livepatch.client._state import save_state
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import Target
from velocity.livepatch.client._targets import connect
from velocity.livepatch.plugins import get_plugin_manager
from velocity.livepatch.plugins import has_impl
from velocity.livepatch.proto import PROTOCOL_VERSION
from velocity.livepatch.proto import pb
from velocity.livepatch.reloaders import ReloadOutcome

__all__ = ["AgentError", "SyncResult", "Syncer"]


class AgentError(VelocityError):
    """The agent answered with an error (a refused path, a conflict, bad input).

    .. versionadded:: 0.1
    """

    def __init__(self, url: str, error: pb.Error) -> None:
        super().__init__(f"{url}: agent {error.code}: {error.message}")
        self.code = error.code


@dataclass
class SyncResult:
    """What one sync did.

    .. versionadded:: 0.1
    """

    target: str
    counts: dict[str, int] = field(default_factory=dict)
    manifest_exchanged: bool = False
    skipped_links: list[str] = field(default_factory=list)
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    #: How the agent reloaded the app after the batch (None when nothing was sent).
    reload: ReloadOutcome | None = None
    #: Set when the reload failed its health check and the agent undid the batch.
    rollback: RollbackResult | None = None

    @property
    def changed(self) -> int:
        return sum(self.counts.values())


class Syncer:
    """Sync *src* into *target*, over one connection, as often as asked.

    :param src: the local directory.
    :param target: where it goes.
    :param state_dir: where the client remembers each target (``.velocity/livepatch``).
    :param channel: an open channel to use instead of connecting.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        src: Path,
        target: Target,
        options: ConnectOptions | None = None,
        state_dir: Path = Path(".velocity/livepatch"),
        channel: Channel | None = None,
    ) -> None:
        self.src, self.target, self.state_dir = Path(src), target, Path(state_dir)
        self.channel = channel or connect(target, options or ConnectOptions())
        self.state = load_state(self.state_dir, target.url)
        self.hashes = load_hashes(self.state_dir)
        self._ignored = load_ignore(self.src)
        self._local: Tree | None = None
        self._hinted = False
        self._rolled_back_token = ""
        try:
            self._hello()
        except BaseException:
            self.channel.close()
            raise

    def sync(self, paths: Iterable[str] | None = None) -> SyncResult:
        """Bring the target to the local tree in one atomic batch; retries once on a conflict.

        :param paths: root-relative paths known to have changed (from a watcher); only
            they are looked at. ``None`` walks the whole tree.
        """
        started = time.perf_counter()
        sent, received = self.channel.bytes_sent, self.channel.bytes_received
        result = SyncResult(self.target.url)
        hints = None if paths is None else list(paths)
        try:
            plan = self._stream_fresh(result) if hints is None else None
            if plan is None:
                plan = self._plan_and_send(self._scan(hints), hints, result)
        except BaseException:
            self._local = None  # unsent changes must not hide behind later hints: walk next time
            raise
        finally:
            self.hashes.recent.clear()  # the bytes the scan read and the plan did not send
        result.skipped_links = plan.skipped
        result.bytes_sent = self.channel.bytes_sent - sent
        result.bytes_received = self.channel.bytes_received - received
        result.seconds = time.perf_counter() - started
        if result.changed and has_impl("livepatch_post_sync"):
            get_plugin_manager().hook.livepatch_post_sync(result=result)
        return result

    def _plan_and_send(self, local: Tree, hints: list[str] | None, result: SyncResult) -> Plan:
        for attempt in range(2):
            remote = self._remote(result, force=attempt > 0)
            only = hints if self._hinted and not result.manifest_exchanged else None
            plan = make_plan(local, remote, self._ignored, only)
            try:
                self._send(plan, remote, result)
                break
            except AgentError as exc:
                if exc.code != "conflict" or attempt:
                    raise
        return plan

    def _stream_fresh(self, result: SyncResult) -> Plan | None:
        # A target known to be empty (a first sync) gets files while the walk still goes
        # on, as rsync's incremental recursion does: there is nothing to compare, delete or
        # copy from. None: not such a target (or it changed meanwhile): plan first.
        if has_impl("livepatch_pre_sync"):
            return None  # the hook is shown the whole plan before anything is sent
        remote = self._remote(result, force=False)
        if remote:
            return None
        self._hinted = False
        self._ignored = load_ignore(self.src)
        plan, tree = Plan(), {}

        def puts() -> Iterator[FileInfo]:
            late = []  # big files after the others, as planned syncs send them
            for info in walk(self.src, self._ignored, self.hashes):
                tree[info.path] = info
                if info.is_link:
                    add_content(plan, info)
                elif info.size >= LATE_SIZE:
                    late.append(info)
                else:
                    plan.puts.append(info)
                    yield info
            plan.puts += late
            yield from late

        encoder = self._encoder(plan, remote, puts())
        changes = encoder.changes()
        first = next(changes, None)
        self._local = tree
        save_hashes(self.state_dir, self.hashes)
        if first is None:
            return plan  # nothing to send
        try:
            reply = self._stream(itertools.chain([first], changes))
        except AgentError as exc:
            if exc.code != "conflict":
                raise
            self.state.token = ""  # something arrived there meanwhile: fetch what
            return None
        result.counts = {k: v for k, v in encoder.counts.items() if v}
        self._outcome(reply, result)
        self._record(plan, remote, result)
        return plan

    def _encoder(self, plan: Plan, remote: Tree, puts: Iterable[FileInfo] | None = None) -> Encoder:
        return Encoder(
            plan,
            self.src,
            remote,
            self._signatures,
            lambda path, st: unchanged_since_scan(self.src, path, self.hashes, st),
            self.hashes.recent,
            puts,
        )

    def _scan(self, hints: list[str] | None) -> Tree:
        self._hinted = not (
            hints is None or self._local is None or any(_is_ignore_file(p) for p in hints)
        )
        if not self._hinted or hints is None or self._local is None:
            self._ignored = load_ignore(self.src)
            self._local = scan(self.src, self._ignored, self.hashes)
            # The hash cache is only a speed-up: saved after full walks and on close.
            save_hashes(self.state_dir, self.hashes)
        else:
            scan_paths(self.src, hints, self._ignored, self.hashes, self._local)
        return self._local

    @property
    def ignored(self) -> IgnoreRules:
        """The ignore rules of the latest scan (nested ``.gitignore`` files included).

        .. versionadded:: 0.2
        """
        return self._ignored

    def close(self) -> None:
        """Close the channel (and save the local hash cache)."""
        save_hashes(self.state_dir, self.hashes)
        self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def call(self, request: pb.Request) -> pb.Response:
        response = self.channel.call(request)
        if response.WhichOneof("body") == "error":
            raise AgentError(self.target.url, response.error)
        return response

    def _hello(self) -> None:
        reply = self.call(pb.Request(hello=pb.Hello(version=PROTOCOL_VERSION))).hello
        if reply.version != PROTOCOL_VERSION:
            raise VelocityError(
                f"{self.target.url}: the agent speaks protocol {reply.version}, this livepatch"
                f" {PROTOCOL_VERSION}: install the same velocity version on both sides"
            )
        self.agent_token = reply.token

    def _remote(self, result: SyncResult, *, force: bool) -> Tree:
        # The remembered tree is good only while the agent's token is the one we last saw.
        if not force and self.state.token and self.state.token == self.agent_token:
            return self.state.files
        manifest = self.call(pb.Request(manifest=pb.ManifestRequest())).manifest
        result.manifest_exchanged = True
        self.agent_token = manifest.token
        files = {
            e.path: FileInfo(e.path, e.sha256, e.mode, e.size, e.target, e.kind == pb.SYMLINK)
            for e in manifest.entries
        }
        self.state = TargetState(self.target.url, manifest.token, files)
        return files

    def _send(self, plan: Plan, remote: Tree, result: SyncResult) -> None:
        if len(plan):
            if has_impl("livepatch_pre_sync"):
                get_plugin_manager().hook.livepatch_pre_sync(target=self.target.url, changes=plan)
            encoder = self._encoder(plan, remote)
            if needs_deletes_first(plan):
                self._stream(encoder.changes(others=False), defer_reload=True)
                reply = self._stream(encoder.changes(deletes=False))
            else:
                reply = self._stream(encoder.changes())
            result.counts = {k: v for k, v in encoder.counts.items() if v}
            self._outcome(reply, result)
        self._record(plan, remote, result)

    def _record(self, plan: Plan, remote: Tree, result: SyncResult) -> None:
        # The target now holds remote + plan, under the token of the last reply.
        self.state.token = self.agent_token
        changed = [f.path for f in (*plan.puts, *plan.links, *plan.chmods)] + plan.deletes
        self.state.update(apply_plan(remote, plan), changed)
        save_state(self.state_dir, self.state, None if result.manifest_exchanged else changed)
        if result.rollback is not None and result.rollback.rolled_back:
            # The agent undid the batch: its new token makes the next sync fetch the tree.
            self.agent_token = self._rolled_back_token

    def _outcome(self, reply: pb.BatchReply, result: SyncResult) -> None:
        if reply.HasField("reload"):
            result.reload = outcome_from_pb(reply.reload)
        if reply.HasField("rollback"):
            result.rollback = rollback_from_pb(self.target.url, reply.rollback)
            self._rolled_back_token = reply.rollback.token

    def _stream(self, changes: Iterator[pb.Change], *, defer_reload: bool = False) -> pb.BatchReply:
        # On pipelined carriers a big batch goes in parts the agent stages as they come.
        if not self.channel.pipelined:
            batch = pb.Batch(
                base_token=self.agent_token, changes=list(changes), defer_reload=defer_reload
            )
            reply = self.call(pb.Request(batch=batch)).batch
            self.agent_token = reply.token
            return reply
        stream_id = uuid.uuid4().hex
        try:
            batches = parts(changes, self.agent_token, stream_id, defer_reload=defer_reload)
            responses = self.channel.call_many(batches)
        except VelocityError as exc:
            if not isinstance(exc, TransportError):
                # Producing a part failed: the agent must not keep what it staged.
                abort = pb.Batch(stream_id=stream_id, abort=True)
                self.channel.call(pb.Request(batch=abort))
            raise
        for response in responses:
            if response.WhichOneof("body") == "error":
                raise AgentError(self.target.url, response.error)
        self.agent_token = responses[-1].batch.token
        return responses[-1].batch

    def _signatures(self, refs: list[pb.FileRef]) -> list[pb.FileSignature]:
        request = pb.Request(signatures=pb.SignatureRequest(files=refs))
        return list(self.call(request).signatures.files)


def _is_ignore_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in IGNORE_FILES
