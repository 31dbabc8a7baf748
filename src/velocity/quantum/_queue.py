"""Small pure helpers over QueueState shared by the scheduler and the strategies."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from velocity.quantum.model import HISTORY
from velocity.quantum.model import Action
from velocity.quantum.model import Build
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Eject
from velocity.quantum.model import Entry
from velocity.quantum.model import FinalState
from velocity.quantum.model import PostStatus
from velocity.quantum.model import PRHead
from velocity.quantum.model import QueueState


def find(state: QueueState, pr: int) -> Entry | None:
    for entry in state.queue:
        if entry.pr == pr:
            return entry
    return None


def remove(state: QueueState, pr: int) -> QueueState:
    return replace(state, queue=tuple(e for e in state.queue if e.pr != pr))


def finish(state: QueueState, pr: int, final: FinalState) -> QueueState:
    finished = (*state.finished[-(HISTORY - 1) :], (pr, final))
    return replace(state, finished=finished, finished_total=state.finished_total + 1)


def newly_finished(old: QueueState, new: QueueState) -> tuple[tuple[int, FinalState], ...]:
    """The final states *new* reached since *old* (for a store's full history)."""
    count = new.finished_total - old.finished_total
    if count <= 0:  # a driver that appended to ``finished`` itself
        count = len(new.finished) - len(old.finished)
    return new.finished[-count:] if count > 0 else ()


def build(state: QueueState, build_id: str) -> Build | None:
    for b in state.builds:
        if b.build_id == build_id:
            return b
    return None


def put_build(state: QueueState, new: Build) -> QueueState:
    builds = tuple(new if b.build_id == new.build_id else b for b in state.builds)
    return replace(state, builds=builds)


def drop_build(state: QueueState, build_id: str) -> QueueState:
    return replace(state, builds=tuple(b for b in state.builds if b.build_id != build_id))


def eject(state: QueueState, pr: int, reason: str) -> tuple[QueueState, list[Action]]:
    state = finish(remove(state, pr), pr, "ejected")
    return state, [Eject(pr, reason), PostStatus(pr, "failure", reason)]


MAX_SKIPPED = 2
"""How many queued PRs a build may skip and still be kept (see QuantumStrategy)."""


def tail_of(state: QueueState, b: Build) -> tuple[int, ...] | None:
    """The queued PRs *b* tests on top of the landed ones, or ``None`` if it can never land.

    A build can still land while its PRs are, in order and at their current
    heads, a subsequence of the queue: the PRs it skips may yet be ejected.
    """
    # Asked many times per step about the same builds: the answer depends only on
    # the (immutable) queue, landed chain, base and epoch, and the build itself.
    key = (state.queue, state.landed, state.base_sha, state.epoch)
    seen, memo = _tails[0]  # one read: a consistent pair even with threads
    if not all(a is c for a, c in zip(seen, key, strict=True)):
        seen, memo = key, {}
        _tails[0] = (seen, memo)
    hit = memo.get(id(b))
    if hit is not None and hit[0] is b:
        return hit[1]
    tail = _tail_of(state, b)
    memo[id(b)] = (b, tail)  # holding *b* keeps its id from being reused
    return tail


def build_tail(state: QueueState, build: Build) -> tuple[int, ...] | None:
    """The queued PRs *build* tests on top of the landed ones, or ``None`` if it can never land.

    :param state: the queue *build* belongs to.
    :param build: one of ``state.builds``.
    :returns: PR numbers in queue order; a prefix of the queue for a build that lands
        them all, a subsequence when the build skips PRs that may yet be ejected.
        ``None`` for a stale build (of an old base, an old head, or PRs since gone).

    .. versionadded:: 0.2
    """
    return tail_of(state, build)


_Memo = dict[int, tuple[Build, tuple[int, ...] | None]]
_tails: list[tuple[tuple[Any, ...], _Memo]] = [((None, None, None, None), {})]


def _tail_of(state: QueueState, b: Build) -> tuple[int, ...] | None:
    n, m = len(state.landed), b.landed_at
    if b.epoch != state.epoch or b.base_sha != state.base_sha or m > n or len(b.prs) <= n:
        return None
    # prs[:m] was copied from landed when the build started; landed only grows since.
    if b.prs[m:n] != state.landed[m:n]:
        return None
    tail = b.prs[n:]
    # Strategies skip at most two PRs per build, which bounds the scan (this is hot).
    window = len(tail) + MAX_SKIPPED
    if window > _INDEXED:
        heads = iter(e.head for e in state.queue[:window])
        return tuple(pr for pr, _ in tail) if all(h in heads for h in tail) else None
    where, last = _index(state.queue), -1
    for head in tail:
        at = where.get(head, _INDEXED)
        if at <= last:
            return None
        last = at
    return tuple(pr for pr, _ in tail) if last < window else None


_INDEXED = 64
_indexed: list[tuple[tuple[Entry, ...], dict[PRHead, int]]] = [((), {})]


def _index(queue: tuple[Entry, ...]) -> dict[PRHead, int]:
    # Queue positions of the first heads, kept while the (immutable) queue is the same.
    seen, where = _indexed[0]
    if seen is not queue:
        where = {e.head: i for i, e in enumerate(queue[:_INDEXED])}
        _indexed[0] = (queue, where)
    return where


def heads_for(state: QueueState, prs: tuple[int, ...]) -> tuple[PRHead, ...]:
    """The current heads of *prs*, which appear in this order in the queue."""
    entries = iter(state.queue)
    return tuple(next(e.head for e in entries if e.pr == pr) for pr in prs)


def prefix(state: QueueState, length: int) -> tuple[int, ...]:
    return tuple(e.pr for e in state.queue[:length])


def prefixes(state: QueueState, depth: int) -> list[tuple[int, ...]]:
    return [prefix(state, n) for n in range(1, min(depth, len(state.queue)) + 1)]


def valid_by_length(state: QueueState) -> dict[int, Build]:
    """Builds of exactly the first N queued PRs, by N."""
    out: dict[int, Build] = {}
    for b in state.builds:
        tail = tail_of(state, b)
        if tail and tail == prefix(state, len(tail)):
            out[len(tail)] = b
    return out


def prune(
    state: QueueState, wanted: Collection[tuple[int, ...]]
) -> tuple[QueueState, list[Action]]:
    # Keep what the strategy wants, and finished builds that can still land: their
    # results decide merges, blame and beliefs, and forgetting a failed one would
    # only have it rebuilt (and fail) again. Cancel the rest if they run.
    keep: list[Build] = []
    actions: list[Action] = []
    for b in state.builds:
        tail = tail_of(state, b)
        if tail and (tail in wanted or b.status != "running"):
            keep.append(b)
        elif b.status == "running":
            actions.append(CancelBuild(b.build_id))
    if len(keep) == len(state.builds):
        return state, actions
    return replace(state, builds=tuple(keep)), actions


def conclusive_failure(state: QueueState) -> tuple[int, Build] | None:
    """The shortest failed build with no shorter build still running, and its length."""
    for length, b in sorted(valid_by_length(state).items()):
        if b.status == "running":
            return None
        if b.status == "failed":
            return length, b
    return None


def describe(b: Build, skip: int = 0) -> str:
    return "base + " + " + ".join(f"#{pr}" for pr, _ in b.prs[skip:])
