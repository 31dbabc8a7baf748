"""The quantum strategy's flake retry: a second build next to the failed one, kept as evidence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Eject
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Merge
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.scheduler import step
from velocity.quantum.strategies import FlakeAwareStrategy
from velocity.quantum.strategies import QuantumStrategy
from velocity.quantum.strategies import _tree


def queued(strategy, n):
    state = QueueState("base")
    for pr in range(1, n + 1):
        state, _ = step(strategy, state, Enqueue(pr, f"h{pr}"))
    return state


def of(kind, actions):
    return [a for a in actions if isinstance(a, kind)]


def chain(build):
    return tuple(pr for pr, _ in build.prs)


def test_quantum_retries_a_lone_failure_next_to_the_failed_build():
    ours = QuantumStrategy(depth=3, concurrency=3)
    state = queued(ours, 1)
    state, actions = step(ours, state, BuildFinished("b1", "fail"))
    assert [chain(a) for a in of(StartBuild, actions)] == [(1,)]
    assert [(b.build_id, b.status) for b in state.builds] == [("b1", "failed"), ("b2", "running")]
    assert _tree.beliefs(state, [1], 0.1, 0.05) == [pytest.approx(1 - 0.1 / (0.1 + 0.9 * 0.05))]
    state, actions = step(ours, state, BuildFinished("b2", "fail"))
    assert [e.pr for e in of(Eject, actions)] == [1]


def test_quantum_lands_a_lone_failure_whose_retry_passes():
    ours = QuantumStrategy(depth=3, concurrency=3)
    state = queued(ours, 1)
    state, _ = step(ours, state, BuildFinished("b1", "fail"))
    state, actions = step(ours, state, BuildFinished("b2", "pass"))
    assert of(Merge, actions) == [Merge("b2", ((1, "h1"),))]
    assert state.queue == ()
    assert state.builds == ()


def test_flake_aware_still_drops_the_failed_build_to_retry():
    flaky = FlakeAwareStrategy(depth=3, concurrency=3)
    state = queued(flaky, 1)
    state, _ = step(flaky, state, BuildFinished("b1", "fail"))
    assert [(b.build_id, b.status) for b in state.builds] == [("b2", "running")]


def test_a_retried_head_is_suspect_to_the_prs_queued_behind_it():
    # Forgetting the failure makes #1 0.9 likely good again and builds with it rank
    # first; kept, the queue without #1 does, next to #1's retry alone.
    plans = {}
    for keep in (True, False):
        ours = QuantumStrategy(depth=3, concurrency=2, keep_failed=keep)
        state = queued(ours, 1)
        state, _ = step(ours, state, BuildFinished("b1", "fail"))
        assert [chain(b) for b in state.running()] == [(1,)]  # the retry
        for pr in (2, 3):
            state, _ = step(ours, state, Enqueue(pr, f"h{pr}"))
        plans[keep] = ours.plan(state)
    assert plans[True] == [(2,), (1,), (2, 3)]
    assert plans[False][:3] == [(1,), (1, 2), (1, 2, 3)]


@settings(max_examples=200, deadline=None)
@given(
    prs=st.integers(1, 4),
    finishes=st.lists(st.tuples(st.integers(0, 7), st.booleans()), max_size=60),
)
def test_quantum_never_ejects_on_one_failure_and_retries_beside_it(prs, finishes):
    ours = QuantumStrategy(depth=4, concurrency=5)
    state, started, failed = QueueState("base"), {}, {}
    for pr in range(1, prs + 1):
        state, actions = step(ours, state, Enqueue(pr, f"h{pr}"))
        started.update((a.build_id, a) for a in of(StartBuild, actions))
    # The drawn finishes, then passes until the queue drains.
    for index, passes in [*finishes, *[(0, True)] * 200]:
        running = sorted(b.build_id for b in state.running())
        if not running:
            break
        build_id = running[index % len(running)]
        if not passes:
            for pr, _ in started[build_id].prs:
                failed[pr] = failed.get(pr, 0) + 1
        before = state
        state, actions = step(ours, state, BuildFinished(build_id, "pass" if passes else "fail"))
        for eject in of(Eject, actions):
            assert failed.get(eject.pr, 0) >= 2, f"#{eject.pr} ejected on one failure"
        for start in of(StartBuild, actions):
            started[start.build_id] = start
            twin = [b for b in before.builds if b.prs == start.prs and b.status == "failed"]
            if twin:  # a rebuild of a failed chain is the head's retry, beside the failure
                assert len(start.prs) == len(state.landed) + 1
                assert any(b.build_id == twin[0].build_id for b in state.builds)
        if state.queue and state.queue[0].retries:
            alone = (*state.landed, state.queue[0].head)
            statuses = [b.status for b in state.builds if b.prs == alone]
            assert "failed" in statuses, "a retried head forgot its failure"
    assert state.queue == ()
