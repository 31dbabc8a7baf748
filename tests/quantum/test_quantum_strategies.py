from __future__ import annotations

import pytest

from velocity.quantum.model import BuildFinished
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Eject
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Merge
from velocity.quantum.model import PostStatus
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.scheduler import step
from velocity.quantum.strategies import STRATEGIES
from velocity.quantum.strategies import TIERS
from velocity.quantum.strategies import BatchStrategy
from velocity.quantum.strategies import FlakeAwareStrategy
from velocity.quantum.strategies import QuantumStrategy
from velocity.quantum.strategies import SerialStrategy
from velocity.quantum.strategies import SpeculativeStrategy
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import _tree
from velocity.quantum.strategies import make_strategy


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


def test_registry_builds_every_strategy_by_name():
    assert set(STRATEGIES) == {"serial", "speculative", "batch", "flake-aware", "quantum"}
    for name in STRATEGIES:
        assert make_strategy(name).name == name
    assert make_strategy("speculative").concurrency == TIERS["free"] == 1
    custom = make_strategy("speculative", StrategyOptions(depth=5, concurrency=2))
    assert (custom.depth, custom.concurrency) == (5, 2)
    with pytest.raises(KeyError):
        make_strategy("nope")


def test_serial_runs_one_pr_at_a_time():
    serial = SerialStrategy()
    state, actions = queued(serial, 3)
    assert [prs(a) for a in of(StartBuild, actions)] == [[1]]
    state, actions = step(serial, state, BuildFinished("b1", "pass"))
    assert [prs(a) for a in of(StartBuild, actions)] == [[1, 2]]  # base + landed #1 + #2


def test_speculative_concurrency_limit_below_depth():
    spec = SpeculativeStrategy(depth=4, concurrency=2)
    state, actions = queued(spec, 4)
    assert [prs(a) for a in of(StartBuild, actions)] == [[1], [1, 2]]
    state, actions = step(spec, state, BuildFinished("b1", "pass"))
    assert [prs(a) for a in of(StartBuild, actions)] == [[1, 2, 3]]


def test_batch_bisects_a_failed_batch_down_to_the_culprit():
    batch = BatchStrategy(batch_size=4)
    state, actions = queued(batch, 5)
    assert [prs(a) for a in of(StartBuild, actions)] == [[1]]  # all there was at the time
    state, actions = step(batch, state, BuildFinished("b1", "pass"))
    assert [prs(a) for a in of(StartBuild, actions)] == [[1, 2, 3, 4, 5]]
    state, actions = step(batch, state, BuildFinished("b2", "fail"))
    assert [prs(a) for a in of(StartBuild, actions)] == [[1, 2, 3]]
    state, actions = step(batch, state, BuildFinished("b3", "pass"))
    assert of(Merge, actions) == [Merge("b3", ((2, "h2"), (3, "h3")))]
    assert [prs(a) for a in of(StartBuild, actions)] == [[1, 2, 3, 4, 5]]
    state, actions = step(batch, state, BuildFinished("b4", "fail"))
    assert [prs(a) for a in of(StartBuild, actions)] == [[1, 2, 3, 4]]
    state, actions = step(batch, state, BuildFinished("b5", "fail"))
    assert [e.pr for e in of(Eject, actions)] == [4]
    assert state.bisect == (0, 0)
    state, actions = step(batch, state, BuildFinished("b6", "pass"))
    assert of(Merge, actions) == [Merge("b6", ((5, "h5"),))]
    assert state.queue == ()


def test_flake_aware_lands_a_failure_whose_successor_passes():
    flaky = FlakeAwareStrategy(depth=3, concurrency=3)
    state, _ = queued(flaky, 3)
    state, actions = step(flaky, state, BuildFinished("b1", "fail"))
    assert actions == []  # held: b2 and b3 will tell a flake from a break
    state, actions = step(flaky, state, BuildFinished("b2", "pass"))
    assert "landing with that build" in of(PostStatus, actions)[0].description
    assert of(Merge, actions) == [Merge("b2", ((1, "h1"), (2, "h2")))]
    assert of(StartBuild, actions) == []


def test_flake_aware_confirm_alone_retries_before_landing():
    flaky = FlakeAwareStrategy(depth=3, concurrency=3, confirm_alone=True)
    state, _ = queued(flaky, 3)
    state, _ = step(flaky, state, BuildFinished("b1", "fail"))
    state, actions = step(flaky, state, BuildFinished("b2", "pass"))
    assert of(Merge, actions) == []
    assert [prs(a) for a in of(StartBuild, actions)] == [[1]]
    state, actions = step(flaky, state, BuildFinished("b3", "pass"))
    assert of(Merge, actions) == []  # still waiting for #1 alone
    state, actions = step(flaky, state, BuildFinished("b4", "pass"))
    assert of(Merge, actions) == [Merge("b3", ((1, "h1"), (2, "h2"), (3, "h3")))]


def test_flake_aware_ejects_when_successors_fail_too_or_retry_fails():
    flaky = FlakeAwareStrategy(depth=2, concurrency=2, confirm_alone=True)
    state, _ = queued(flaky, 2)
    state, _ = step(flaky, state, BuildFinished("b2", "fail"))
    state, actions = step(flaky, state, BuildFinished("b1", "fail"))
    assert [e.pr for e in of(Eject, actions)] == [1]
    state, _ = queued(flaky, 2)
    state, _ = step(flaky, state, BuildFinished("b2", "pass"))
    state, _ = step(flaky, state, BuildFinished("b1", "fail"))
    state, actions = step(flaky, state, BuildFinished("b3", "fail"))  # the retry
    assert [e.pr for e in of(Eject, actions)] == [1]
    assert [prs(a) for a in of(StartBuild, actions)] == [[2]]


def test_flake_aware_retries_a_lone_failure_once():
    flaky = FlakeAwareStrategy()
    state, _ = queued(flaky, 1)
    state, actions = step(flaky, state, BuildFinished("b1", "fail"))
    assert [prs(a) for a in of(StartBuild, actions)] == [[1]]
    assert "retrying once" in of(PostStatus, actions)[0].description
    state, actions = step(flaky, state, BuildFinished("b2", "fail"))
    assert [e.pr for e in of(Eject, actions)] == [1]


def test_quantum_spends_a_spare_slot_on_the_queue_without_the_head():
    ours = QuantumStrategy(depth=3, concurrency=3)
    state, actions = queued(ours, 2)
    assert [prs(a) for a in of(StartBuild, actions)] == [[1], [1, 2], [2]]
    _, actions = step(ours, state, Enqueue(3, "h3"))
    assert of(StartBuild, actions) == []  # every slot is busy; nothing is preempted


def test_quantum_promotes_the_build_without_a_suspect_on_ejection():
    ours = QuantumStrategy(depth=3, concurrency=3)
    state, _ = queued(ours, 2)
    state, actions = step(ours, state, BuildFinished("b1", "fail"))
    assert actions == []  # held: b2 (#1 + #2) tells a flake from a break
    state, actions = step(ours, state, BuildFinished("b2", "fail"))
    assert [e.pr for e in of(Eject, actions)] == [1]
    assert of(StartBuild, actions) == []  # b3 (#2 alone) is now the head's build
    state, actions = step(ours, state, BuildFinished("b3", "pass"))
    assert of(Merge, actions) == [Merge("b3", ((2, "h2"),))]
    assert state.queue == ()


def test_quantum_cancels_builds_around_a_suspect_that_turns_out_flaky():
    ours = QuantumStrategy(depth=3, concurrency=3)
    state, _ = queued(ours, 2)
    state, _ = step(ours, state, BuildFinished("b1", "fail"))
    state, actions = step(ours, state, BuildFinished("b2", "pass"))  # #1 was a flake
    assert of(Merge, actions) == [Merge("b2", ((1, "h1"), (2, "h2")))]
    assert of(CancelBuild, actions) == [CancelBuild("b3")]


def test_quantum_trusts_a_pr_that_passed_and_suspects_one_that_failed():
    ours = QuantumStrategy(depth=3, concurrency=2)
    state, _ = queued(ours, 3)  # b1 #1, b2 #1 + #2
    state, _ = step(ours, state, BuildFinished("b2", "fail"))
    ok = _tree.beliefs(state, [1, 2, 3], 0.1, 0.05)
    assert ok[0] == ok[1] < 0.9 == ok[2]  # either may have broken b2; #3 was not built yet
    state, actions = step(ours, state, BuildFinished("b1", "pass"))
    assert of(Merge, actions) == [Merge("b1", ((1, "h1"),))]
    ok = _tree.beliefs(state, [2, 3], 0.1, 0.05)
    assert ok == [pytest.approx(1 - 0.1 / (1 - 0.9 * 0.95)), 0.9]


def test_a_priority_pr_cancels_builds_it_jumped():
    fixed = SpeculativeStrategy(depth=2, concurrency=4)
    state, _ = queued(fixed, 2)
    state, actions = step(fixed, state, Enqueue(9, "h9", priority=5))
    assert set(of(CancelBuild, actions)) == {CancelBuild("b1"), CancelBuild("b2")}


def test_quantum_keeps_builds_a_priority_pr_jumped_as_builds_without_it():
    ours = QuantumStrategy(depth=2, concurrency=4)
    state, _ = queued(ours, 2)  # b1 #1, b2 #1 + #2, b3 #2
    state, actions = step(ours, state, Enqueue(9, "h9", priority=5))
    assert of(CancelBuild, actions) == [CancelBuild("b3")]  # it would skip two PRs
    assert [prs(a) for a in of(StartBuild, actions)] == [[9], [9, 1]]
