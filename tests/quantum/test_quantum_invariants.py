"""Hypothesis state machines over every strategy, checking the queue's promises."""

from __future__ import annotations

import itertools

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine
from hypothesis.stateful import invariant
from hypothesis.stateful import precondition
from hypothesis.stateful import rule

from velocity.quantum.codec import state_from_json
from velocity.quantum.codec import state_to_json
from velocity.quantum.model import BaseAdvanced
from velocity.quantum.model import BaseMoved
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Eject
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Merge
from velocity.quantum.model import PRUpdated
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.model import Timeout
from velocity.quantum.scheduler import step
from velocity.quantum.strategies import BatchStrategy
from velocity.quantum.strategies import FlakeAwareStrategy
from velocity.quantum.strategies import QuantumStrategy
from velocity.quantum.strategies import SerialStrategy
from velocity.quantum.strategies import SpeculativeStrategy

PRS = st.integers(1, 6)
OUTCOMES = st.sampled_from(["pass", "pass", "fail", "error"])


class QueueMachine(RuleBasedStateMachine):
    strategy = SerialStrategy()

    def __init__(self):
        super().__init__()
        self.state = QueueState("base0")
        self.base, self.landed = "base0", ()
        self.heads: dict[int, str] = {}
        self.queued: set[int] = set()
        self.merged: set[int] = set()
        self.started: dict[str, tuple[str, tuple]] = {}
        self.running: set[str] = set()
        self.passed: set[str] = set()
        self.versions = itertools.count()
        self.bases = itertools.count(1)
        self.aliases: dict[str, tuple[str, tuple]] = {}

    def send(self, event):
        self.state, actions = step(self.strategy, self.state, event)
        for action in actions:
            self.check(action)

    def check(self, action):
        if isinstance(action, StartBuild):
            assert action.build_id not in self.started
            self.started[action.build_id] = (action.base_sha, action.prs)
            self.running.add(action.build_id)
            assert len(self.running) <= self.strategy.concurrency
        elif isinstance(action, CancelBuild):
            assert action.build_id in self.running
            self.running.discard(action.build_id)
        elif isinstance(action, Merge):
            # Exactly what lands was built and passed: base + landed + these heads.
            assert action.build_id in self.passed
            built = self.canonical(*self.started[action.build_id])
            assert built == self.canonical(self.base, self.landed + action.prs)
            for pr, head in action.prs:
                assert pr not in self.merged, f"#{pr} merged twice"
                assert pr in self.queued
                assert self.heads[pr] == head
                self.merged.add(pr)
                self.queued.discard(pr)
            self.landed += action.prs
        elif isinstance(action, Eject):
            assert action.pr in self.queued
            assert action.reason
            self.queued.discard(action.pr)

    def canonical(self, base, prs):
        # A base named by BaseAdvanced stands for an older base plus landed PRs.
        while base in self.aliases:
            base, landed = self.aliases[base]
            prs = landed + prs
        return base, prs

    @rule(count=st.integers(1, 3))
    def advance(self, count):
        if len(self.landed) >= count:
            new = f"adv{next(self.bases)}"
            self.aliases[new] = (self.base, self.landed[:count])
            self.send(BaseAdvanced(self.base, self.landed[:count], new))
            self.base, self.landed = new, self.landed[count:]
        else:
            before = self.state
            self.send(BaseAdvanced(self.base, (*self.landed, (99, "x")), "never"))
            assert self.state == before

    @rule(pr=PRS, priority=st.integers(0, 2))
    def enqueue(self, pr, priority):
        if pr not in self.queued:
            self.heads[pr] = f"h{pr}.{next(self.versions)}"
        self.send(Enqueue(pr, self.heads[pr], priority))
        if pr not in self.merged:
            self.queued.add(pr)

    @rule(pr=PRS)
    def dequeue(self, pr):
        self.send(Dequeue(pr))
        self.queued.discard(pr)

    @rule(pr=PRS)
    def update(self, pr):
        if pr in self.queued:
            self.heads[pr] = f"h{pr}.{next(self.versions)}"
            self.send(PRUpdated(pr, self.heads[pr]))

    @precondition(lambda self: self.running)
    @rule(index=st.integers(0, 10), outcome=OUTCOMES)
    def finish(self, index, outcome):
        build_id = sorted(self.running)[index % len(self.running)]
        self.running.discard(build_id)
        if outcome == "pass":
            self.passed.add(build_id)
        self.send(BuildFinished(build_id, outcome))

    @precondition(lambda self: self.running)
    @rule(index=st.integers(0, 10))
    def timeout(self, index):
        build_id = sorted(self.running)[index % len(self.running)]
        self.send(Timeout(build_id))
        assert build_id not in self.running  # the scheduler cancelled it

    @rule(pr=PRS)
    def conflict(self, pr):
        self.send(Conflicted(pr, ("a.py",)))
        self.queued.discard(pr)

    @rule()
    def base_moved(self):
        self.base, self.landed = f"base{next(self.bases)}", ()
        self.send(BaseMoved(self.base))

    @rule(build_id=st.sampled_from(["b1", "b2", "nope"]), outcome=OUTCOMES)
    def stale_result(self, build_id, outcome):
        if build_id not in self.running:
            before = self.state
            self.send(BuildFinished(build_id, outcome))
            assert self.state == before

    @invariant()
    def survives_a_store_roundtrip(self):
        assert state_from_json(state_to_json(self.state)) == self.state

    @invariant()
    def agrees_with_scheduler(self):
        assert {b.build_id for b in self.state.running()} == self.running
        assert {e.pr for e in self.state.queue} == self.queued
        assert len(self.running) <= self.strategy.concurrency

    def teardown(self):
        # Events stop; builds keep finishing (some failing): every PR must end.
        outcomes = itertools.cycle(["pass", "fail", "pass", "error", "pass"])
        for _ in range(500):
            if not self.running:
                break
            build_id = min(self.running)
            outcome = next(outcomes)
            self.running.discard(build_id)
            if outcome == "pass":
                self.passed.add(build_id)
            self.send(BuildFinished(build_id, outcome))
        assert not self.running
        assert self.state.queue == ()
        assert self.queued == set()


SETTINGS = settings(max_examples=150, stateful_step_count=40, deadline=None)


def machine(strategy):
    cls = type(f"{strategy.name}Machine", (QueueMachine,), {"strategy": strategy})
    return SETTINGS(cls).TestCase


TestSerial = machine(SerialStrategy())
TestSpeculativeFree = machine(SpeculativeStrategy())
TestSpeculative = machine(SpeculativeStrategy(depth=4, concurrency=4))
TestSpeculativeLimited = machine(SpeculativeStrategy(depth=5, concurrency=2))
TestBatch = machine(BatchStrategy(batch_size=4))
TestFlakeAware = machine(FlakeAwareStrategy(depth=3, concurrency=2))
TestQuantum = machine(QuantumStrategy(depth=4, concurrency=6))
TestQuantumTight = machine(QuantumStrategy(depth=5, concurrency=3))
TestQuantumWide = machine(QuantumStrategy(depth=6, concurrency=8))  # room for two-PR hedges
TestFlakeAwareConfirm = machine(FlakeAwareStrategy(depth=3, concurrency=3, confirm_alone=True))
