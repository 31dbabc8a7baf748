"""The quantum strategy's speculation tree: eager merges, two-PR hedges, triage, beliefs."""

from __future__ import annotations

import pytest

from velocity.quantum.model import Build
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Eject
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Entry
from velocity.quantum.model import Merge
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.scheduler import step
from velocity.quantum.simulator import SimConfig
from velocity.quantum.simulator import simulate
from velocity.quantum.strategies import Eager
from velocity.quantum.strategies import FlakeAwareStrategy
from velocity.quantum.strategies import QuantumStrategy
from velocity.quantum.strategies import SpeculativeStrategy
from velocity.quantum.strategies import _tree


def queued(strategy, n):
    state, actions = QueueState("base"), []
    for pr in range(1, n + 1):
        state, out = step(strategy, state, Enqueue(pr, f"h{pr}"))
        actions += out
    return state, actions


def of(kind, actions):
    return [a for a in actions if isinstance(a, kind)]


def prs(start):
    return [pr for pr, _ in start.prs]


def test_only_quantum_is_eager():
    assert isinstance(QuantumStrategy(), Eager)
    assert not isinstance(FlakeAwareStrategy(), Eager)
    assert not isinstance(SpeculativeStrategy(), Eager)


def test_quantum_lands_a_longer_passing_build_while_a_shorter_one_runs():
    ours = QuantumStrategy(depth=2, concurrency=2)
    state, _ = queued(ours, 2)  # b1 #1, b2 #1 + #2
    state, actions = step(ours, state, BuildFinished("b2", "pass"))
    assert of(Merge, actions) == [Merge("b2", ((1, "h1"), (2, "h2")))]
    assert of(CancelBuild, actions) == [CancelBuild("b1")]
    assert state.queue == ()


def test_fixed_depth_still_waits_for_the_shorter_build():
    fixed = SpeculativeStrategy(depth=2, concurrency=2)
    state, _ = queued(fixed, 2)
    state, actions = step(fixed, state, BuildFinished("b2", "pass"))
    assert of(Merge, actions) == []
    state, actions = step(fixed, state, BuildFinished("b1", "pass"))
    assert of(Merge, actions) == [Merge("b2", ((1, "h1"), (2, "h2")))]


def test_quantum_hedges_against_both_of_two_suspects():
    ours = QuantumStrategy(depth=4, concurrency=8)
    state, _ = queued(ours, 4)
    started = {b.build_id: tuple(p for p, _ in b.prs) for b in state.builds}
    failing = [i for i, chain in started.items() if chain[:2] == (1, 2) or chain[:1] == (2,)]
    for build_id in failing:  # #1 passes nothing yet; everything with #2 in front fails
        state, _ = step(ours, state, BuildFinished(build_id, "fail"))
    chains = ours.plan(state)
    assert (1,) in chains  # the head is always built alone
    assert any(1 not in c and 2 not in c for c in chains), chains  # skips both suspects
    assert all(len(set(range(1, c[-1] + 1)) - set(c)) <= 2 for c in chains)


def test_beliefs_explain_away_a_failure_another_pr_already_explains():
    state = QueueState(
        "base",
        queue=tuple(_entry(pr) for pr in (1, 2, 3)),
        builds=(
            Build("b1", "base", ((1, "h1"), (2, "h2")), status="failed"),
            Build("b2", "base", ((2, "h2"), (3, "h3")), status="failed"),
        ),
    )
    ok = _tree.beliefs(state, [1, 2, 3], 0.1, 0.05)
    assert ok[1] < 0.2  # #2 explains both failures
    assert ok[0] == ok[2] > 0.8  # so the others are barely suspect


def test_quantum_triage_ejects_a_condemned_pr_before_it_reaches_the_head():
    ours = QuantumStrategy(depth=3, concurrency=8)
    state, _ = queued(ours, 3)
    chains = {tuple(p for p, _ in b.prs): b.build_id for b in state.builds}
    assert {(1, 2), (1, 2, 3), (1, 3), (2, 3)} <= set(chains)
    for chain in [(1, 2), (1, 2, 3), (2, 3)]:
        state, actions = step(ours, state, BuildFinished(chains[chain], "fail"))
        assert of(Eject, actions) == []  # #1 might still be the culprit
    state, actions = step(ours, state, BuildFinished(chains[(1, 3)], "pass"))
    # #1 and #3 are good, so #2 broke three builds: it goes, and #1 + #3 land.
    assert [e.pr for e in of(Eject, actions)] == [2]
    assert "keep failing" in of(Eject, actions)[0].reason
    assert of(Merge, actions) == [Merge(chains[(1, 3)], ((1, "h1"), (3, "h3")))]
    assert state.queue == ()


def test_quantum_holds_a_failed_head_while_the_blame_is_unclear():
    ours = QuantumStrategy(depth=3, concurrency=4)
    state, _ = queued(ours, 3)  # b1 #1, b2 #1 + #2, b3 #2, b4 #1 + #2 + #3
    state, _ = step(ours, state, BuildFinished("b1", "fail"))
    state, actions = step(ours, state, BuildFinished("b2", "fail"))
    assert of(Eject, actions) == []  # #2 may have broken b2, and b4 (with #1) still runs
    state, actions = step(ours, state, BuildFinished("b4", "pass"))
    assert of(Merge, actions) == [Merge("b4", ((1, "h1"), (2, "h2"), (3, "h3")))]


def test_quantum_keeps_a_failed_hedge_as_evidence_and_does_not_rebuild_it():
    ours = QuantumStrategy(depth=3, concurrency=3)
    state, _ = queued(ours, 2)  # b1 #1, b2 #1 + #2, b3 #2 (without #1)
    state, actions = step(ours, state, BuildFinished("b3", "fail"))
    assert [b.status for b in state.builds if b.build_id == "b3"] == ["failed"]
    assert all(prs(a) != [2] for a in of(StartBuild, actions))


def test_quantum_always_builds_the_head_alone():
    picky = QuantumStrategy(depth=3, concurrency=3, floor=0.95)
    _, actions = queued(picky, 2)
    assert [prs(a) for a in of(StartBuild, actions)] == [[1]]


def test_arrival_scale_keeps_the_trace_and_moves_the_arrivals():
    knobs = {"prs": 30, "seed": 3, "fail_rate": 0.2, "arrivals_per_hour": 12}
    spread = simulate(SimConfig(**knobs))
    packed = simulate(SimConfig(**knobs, arrival_scale=0.0))
    assert packed.broken == spread.broken
    assert set(packed.arrived.values()) == {0.0}
    assert max(spread.arrived.values()) > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_quantum_never_breaks_main_on_a_noisy_trace(seed):
    config = SimConfig(
        prs=60, seed=seed, strategy="quantum", depth=8, sigma=0.3, fail_rate=0.15,
        flake_rate=0.05, conflict_rate=0.03, arrivals_per_hour=12,
    )  # fmt: skip
    result = simulate(config)
    assert result.broken_main == 0
    assert len(result.merged) + len(result.ejected) == 60


def _entry(pr):
    return Entry(pr, f"h{pr}", seq=pr)
