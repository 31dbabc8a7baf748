"""The pure scheduler: ``step(strategy, state, event) -> (state, actions)``.

No I/O and no clock: the simulator and a production driver run this same
code and differ only in who performs the actions and when events arrive.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import replace

from velocity.quantum import _queue as q
from velocity.quantum.model import Action
from velocity.quantum.model import BaseAdvanced
from velocity.quantum.model import BaseMoved
from velocity.quantum.model import Build
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import BuildStatus
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Entry
from velocity.quantum.model import Event
from velocity.quantum.model import Merge
from velocity.quantum.model import PostStatus
from velocity.quantum.model import PRHead
from velocity.quantum.model import PRUpdated
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.model import Timeout
from velocity.quantum.strategies import Eager
from velocity.quantum.strategies import Strategy

__all__ = ["MAX_ERRORS", "step"]

MAX_ERRORS = 3
"""CI errors (or timeouts) charged to one pull request before it is ejected."""

Result = tuple[QueueState, list[Action]]


def step(strategy: Strategy, state: QueueState, event: Event) -> tuple[QueueState, list[Action]]:
    """Apply *event* to *state* under *strategy*; return the new state and the actions to take.

    :param strategy: decides which speculative builds to run and what a failure means.
    :param state: the state after the previous step (or a fresh ``QueueState(base_sha)``).
    :param event: what just happened.

    .. versionadded:: 0.1
    """
    state, actions = _apply(state, event)
    state, more = _settle(strategy, state)
    return state, actions + more


def _apply(state: QueueState, event: Event) -> Result:
    if isinstance(event, Enqueue):
        return _enqueue(state, event)
    if isinstance(event, Dequeue):
        if q.find(state, event.pr) is None:
            return state, []
        state = q.finish(q.remove(state, event.pr), event.pr, "dequeued")
        return state, [PostStatus(event.pr, "error", "removed from the merge queue")]
    if isinstance(event, PRUpdated):
        return _update(state, event.pr, event.new_head_sha)
    if isinstance(event, BuildFinished):
        return _finished(state, event)
    if isinstance(event, Timeout):
        build = q.build(state, event.build_id)
        if build is None or build.status != "running":
            return state, []
        state, actions = _error(state, build, "timed out")
        return state, [CancelBuild(build.build_id), *actions]
    if isinstance(event, BaseAdvanced):
        return _advance(state, event), []
    if isinstance(event, Conflicted):
        if q.find(state, event.pr) is None:
            return state, []
        return q.eject(state, event.pr, "merge conflict in " + ", ".join(event.files))
    assert isinstance(event, BaseMoved)
    moved = replace(state, base_sha=event.new_sha, landed=(), bisect=(0, 0), epoch=state.epoch + 1)
    return moved, []


def _advance(state: QueueState, event: BaseAdvanced) -> QueueState:
    k = len(event.landed)
    if state.base_sha != event.old_sha or state.landed[:k] != event.landed or not k:
        return state  # stale: the base moved or was advanced since
    builds = []
    for b in state.builds:
        if b.epoch == state.epoch and b.base_sha == state.base_sha and b.prs[:k] == event.landed:
            landed_at = max(0, b.landed_at - k)
            b = replace(b, base_sha=event.new_sha, prs=b.prs[k:], landed_at=landed_at)
        builds.append(b)  # anything else is pruned as before
    return replace(state, base_sha=event.new_sha, landed=state.landed[k:], builds=tuple(builds))


def _enqueue(state: QueueState, event: Enqueue) -> Result:
    if state.final_state(event.pr) == "merged":
        return state, [PostStatus(event.pr, "failure", "already merged")]
    if q.find(state, event.pr) is not None:
        return _update(state, event.pr, event.head_sha)
    entry = Entry(event.pr, event.head_sha, event.priority, state.next_seq)
    # Higher priority first; equal priority keeps arrival order (the queue is kept sorted).
    at = bisect_right(state.queue, -event.priority, key=lambda e: -e.priority)
    queue = (*state.queue[:at], entry, *state.queue[at:])
    state = replace(state, queue=queue, next_seq=state.next_seq + 1)
    return state, [PostStatus(event.pr, "pending", f"queued at position {at + 1}")]


def _update(state: QueueState, pr: int, head_sha: str) -> Result:
    entry = q.find(state, pr)
    if entry is None or entry.head_sha == head_sha:
        return state, []
    fresh = replace(entry, head_sha=head_sha, retries=0, errors=0, confirm=False)
    queue = tuple(fresh if e.pr == pr else e for e in state.queue)
    return replace(state, queue=queue), [PostStatus(pr, "pending", "updated; rebuilding")]


def _finished(state: QueueState, event: BuildFinished) -> Result:
    build = q.build(state, event.build_id)
    if build is None or build.status != "running":
        return state, []
    if event.outcome == "error":
        return _error(state, build, "errored")
    status: BuildStatus = "passed" if event.outcome == "pass" else "failed"
    return q.put_build(state, replace(build, status=status)), []


def _error(state: QueueState, build: Build, what: str) -> Result:
    # A CI error says nothing about the code: rebuild, but charge the newest PR
    # so a build that always errors cannot keep the queue busy forever.
    state = q.drop_build(state, build.build_id)
    entry = q.find(state, build.prs[-1][0])
    if entry is None:
        return state, []
    if entry.errors + 1 >= MAX_ERRORS:
        return q.eject(state, entry.pr, f"CI {what} {MAX_ERRORS} times (last: {build.build_id})")
    bumped = replace(entry, errors=entry.errors + 1)
    return replace(state, queue=tuple(bumped if e is entry else e for e in state.queue)), []


def _settle(strategy: Strategy, state: QueueState) -> Result:
    actions: list[Action] = []
    triage = strategy.triage if isinstance(strategy, Eager) else None
    while True:
        state, cancelled = q.prune(state, set(strategy.plan(state)))
        actions += cancelled
        merged = _merge(state, triage is not None)
        if merged is not None:
            state, done = merged
            actions += done
            continue
        failed = q.conclusive_failure(state)
        new_state, done = strategy.on_failure(state, *failed) if failed else (state, [])
        if triage is not None and new_state is state:
            new_state, done = triage(state)
        actions += done
        if new_state is state or new_state == state:
            break
        state = new_state
    state, started = _start(strategy, state)
    return state, actions + started


def _merge(state: QueueState, eager: bool) -> Result | None:
    best: tuple[int, Build] | None = None
    builds = sorted(q.valid_by_length(state).items())
    passed = {n for n, b in builds if b.status == "passed"}
    for length, build in builds:
        if build.status != "passed" and eager:
            continue  # a longer build passing tested exactly what it lands, whatever this says
        if build.status != "passed":
            break  # a shorter build still running or failed holds back everything after it
        # A PR being retried after a failure may have to pass on its own first.
        if any(e.confirm and i + 1 not in passed for i, e in enumerate(state.queue[: length - 1])):
            break
        best = (length, build)
    if best is None:
        return None
    length, build = best
    prs = tuple(e.head for e in state.queue[:length])
    cap, suspects = state.bisect
    bisect = (0, 0) if suspects - length <= 0 else (cap, suspects - length)
    state = replace(state, landed=state.landed + prs, queue=state.queue[length:], bisect=bisect)
    return _landed(q.drop_build(state, build.build_id), build, prs)


def _landed(state: QueueState, build: Build, prs: tuple[PRHead, ...]) -> Result:
    actions: list[Action] = [Merge(build.build_id, prs)]
    for pr, _ in prs:
        state = q.finish(state, pr, "merged")
        actions.append(PostStatus(pr, "success", f"merged (tested in {build.build_id})"))
    return state, actions


def _start(strategy: Strategy, state: QueueState) -> Result:
    actions: list[Action] = []
    # A chain the plan lists twice gets a second build (a retry next to a failed one).
    have = Counter(q.tail_of(state, b) for b in state.builds)
    wanted: Counter[tuple[int, ...]] = Counter()
    running = len(state.running())
    for want in strategy.plan(state):
        wanted[want] += 1
        if not want or have[want] >= wanted[want]:
            continue
        if running >= strategy.concurrency:
            break
        build_id = f"b{state.next_build}"
        prs = state.landed + q.heads_for(state, want)
        build = Build(build_id, state.base_sha, prs, landed_at=len(state.landed), epoch=state.epoch)
        state = replace(state, builds=(*state.builds, build), next_build=state.next_build + 1)
        have[want] += 1
        running += 1
        actions.append(StartBuild(build_id, state.base_sha, prs))
    return state, actions
