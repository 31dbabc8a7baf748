from __future__ import annotations

import time

from velocity.quantum.model import HISTORY
from velocity.quantum.model import BaseAdvanced
from velocity.quantum.model import BaseMoved
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Eject
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Merge
from velocity.quantum.model import PostStatus
from velocity.quantum.model import PRUpdated
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.model import Timeout
from velocity.quantum.scheduler import MAX_ERRORS
from velocity.quantum.scheduler import step
from velocity.quantum.strategies import SpeculativeStrategy

SPEC3 = SpeculativeStrategy(depth=3, concurrency=3)
P1, P2, P3 = (1, "h1"), (2, "h2"), (3, "h3")


def drive(events, strategy=SPEC3, state=None):
    state = state or QueueState("base")
    actions = []
    for event in events:
        state, out = step(strategy, state, event)
        actions += out
    return state, actions


def of(kind, actions):
    return [a for a in actions if isinstance(a, kind)]


def three_queued():
    return drive([Enqueue(1, "h1"), Enqueue(2, "h2"), Enqueue(3, "h3")])


def test_three_prs_build_concurrently_as_prefixes():
    state, actions = three_queued()
    assert of(StartBuild, actions) == [
        StartBuild("b1", "base", (P1,)),
        StartBuild("b2", "base", (P1, P2)),
        StartBuild("b3", "base", (P1, P2, P3)),
    ]
    assert len(state.running()) == 3


def test_head_passes_merges_and_promotes_next_build():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, BuildFinished("b1", "pass"))
    assert of(Merge, actions) == [Merge("b1", (P1,))]
    assert of(StartBuild, actions) == []  # b2 is promoted, not rebuilt
    assert of(CancelBuild, actions) == []
    assert {b.build_id for b in state.running()} == {"b2", "b3"}
    state, actions = step(SPEC3, state, BuildFinished("b2", "pass"))
    assert of(Merge, actions) == [Merge("b2", (P2,))]
    assert state.landed == (P1, P2)


def test_head_fails_is_ejected_and_only_builds_containing_it_restart():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, BuildFinished("b1", "fail"))
    [eject] = of(Eject, actions)
    assert eject.pr == 1
    assert "b1" in eject.reason
    assert "#1" in eject.reason
    assert of(CancelBuild, actions) == [CancelBuild("b2"), CancelBuild("b3")]
    assert of(StartBuild, actions) == [
        StartBuild("b4", "base", (P2,)),
        StartBuild("b5", "base", (P2, P3)),
    ]
    assert state.final_state(1) == "ejected"


def test_middle_failure_waits_for_head_then_restarts_only_its_successors():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, BuildFinished("b2", "fail"))
    assert actions == []  # #1 may be the culprit: wait for b1
    state, actions = step(SPEC3, state, BuildFinished("b1", "pass"))
    assert of(Merge, actions) == [Merge("b1", (P1,))]
    assert [e.pr for e in of(Eject, actions)] == [2]
    assert of(CancelBuild, actions) == [CancelBuild("b3")]
    assert of(StartBuild, actions) == [StartBuild("b4", "base", (P1, P3))]


def test_later_pass_merges_everything_up_to_it_once_head_passes():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, BuildFinished("b3", "pass"))
    assert actions == []
    state, actions = step(SPEC3, state, BuildFinished("b1", "pass"))
    assert of(Merge, actions) == [Merge("b1", (P1,))]  # b2 still running holds b3 back
    state, actions = step(SPEC3, state, BuildFinished("b2", "pass"))
    assert of(Merge, actions) == [Merge("b3", (P2, P3))]  # b3 tested exactly base+1+2+3
    assert state.builds == ()


def test_priority_jumps_the_queue_and_voids_builds_behind_it():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, Enqueue(9, "h9", priority=1))
    assert [e.pr for e in state.queue] == [9, 1, 2, 3]
    assert set(of(CancelBuild, actions)) == {CancelBuild(b) for b in ("b1", "b2", "b3")}
    assert of(StartBuild, actions)[0] == StartBuild("b4", "base", ((9, "h9"),))


def test_dequeue_and_update_void_builds_with_that_pr():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, Dequeue(3))
    assert of(CancelBuild, actions) == [CancelBuild("b3")]
    assert state.final_state(3) == "dequeued"
    state, actions = step(SPEC3, state, PRUpdated(2, "h2b"))
    assert of(CancelBuild, actions) == [CancelBuild("b2")]
    assert of(StartBuild, actions) == [StartBuild("b4", "base", (P1, (2, "h2b")))]
    assert step(SPEC3, state, Dequeue(42))[1] == []


def test_base_moved_rebuilds_everything_on_the_new_base():
    state, _ = three_queued()
    state, _ = step(SPEC3, state, BuildFinished("b1", "pass"))
    state, actions = step(SPEC3, state, BaseMoved("base2"))
    assert state.landed == ()
    assert len(of(CancelBuild, actions)) == 2
    assert of(StartBuild, actions)[0] == StartBuild("b4", "base2", (P2,))


def test_errors_and_timeouts_rebuild_then_eject():
    state, _ = drive([Enqueue(1, "h1")])
    state, actions = step(SPEC3, state, BuildFinished("b1", "error"))
    assert of(StartBuild, actions) == [StartBuild("b2", "base", (P1,))]
    state, actions = step(SPEC3, state, Timeout("b2"))
    assert of(CancelBuild, actions) == [CancelBuild("b2")]
    assert len(of(StartBuild, actions)) == 1
    state, actions = step(SPEC3, state, Timeout("b3"))
    assert f"{MAX_ERRORS} times" in of(Eject, actions)[0].reason
    assert state.queue == ()


def test_unknown_or_repeated_events_are_no_ops():
    state, _ = three_queued()
    assert step(SPEC3, state, BuildFinished("nope", "pass")) == (state, [])
    assert step(SPEC3, state, Timeout("nope")) == (state, [])
    assert step(SPEC3, state, Enqueue(1, "h1"))[1] == []
    state, _ = step(SPEC3, state, BuildFinished("b1", "pass"))
    assert step(SPEC3, state, BuildFinished("b1", "pass"))[1] == []
    state, actions = step(SPEC3, state, Enqueue(1, "h1"))
    assert actions == [PostStatus(1, "failure", "already merged")]


def test_reenqueue_of_queued_pr_with_new_head_is_an_update():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, Enqueue(3, "h3b"))
    assert of(CancelBuild, actions) == [CancelBuild("b3")]
    assert state.queue[2].head_sha == "h3b"


def test_conflict_ejects_with_file_names_and_restarts_builds_with_it():
    state, _ = three_queued()
    state, actions = step(SPEC3, state, Conflicted(2, ("a.py", "b/c.py")))
    assert of(Eject, actions) == [Eject(2, "merge conflict in a.py, b/c.py")]
    assert of(CancelBuild, actions) == [CancelBuild("b2"), CancelBuild("b3")]
    assert of(StartBuild, actions) == [StartBuild("b4", "base", (P1, P3))]
    assert step(SPEC3, state, Conflicted(2, ("a.py",))) == (state, [])


def test_a_decision_with_a_thousand_queued_prs_stays_well_under_a_millisecond():
    spec = SpeculativeStrategy(depth=8, concurrency=8)
    state = QueueState("base")
    for pr in range(1000):
        state, _ = step(spec, state, Enqueue(pr, f"h{pr}"))
    cpu = []
    for i in range(200):
        started = time.thread_time()  # CPU time: other load on the machine does not count
        state, _ = step(spec, state, BuildFinished(state.running()[0].build_id, "pass"))
        cpu.append(time.thread_time() - started)
        state, _ = step(spec, state, Enqueue(5000 + i, f"x{i}"))
    assert sorted(cpu)[100] < 0.001


def test_base_advanced_shortens_the_landed_chain_and_keeps_builds():
    state, _ = three_queued()
    state, _ = step(SPEC3, state, BuildFinished("b1", "pass"))
    assert state.landed == (P1,)
    stale = BaseAdvanced("other", (P1,), "s1")
    assert step(SPEC3, state, stale) == (state, [])
    state, actions = step(SPEC3, state, BaseAdvanced("base", (P1,), "s1"))
    assert actions == []
    assert (state.base_sha, state.landed) == ("s1", ())
    assert {b.prs for b in state.builds} == {(P2,), (P2, P3)}
    state, actions = step(SPEC3, state, BuildFinished("b2", "pass"))
    assert of(Merge, actions) == [Merge("b2", (P2,))]
    state, actions = step(SPEC3, state, Enqueue(4, "h4"))
    assert of(StartBuild, actions) == [StartBuild("b4", "s1", (P2, P3, (4, "h4")))]


def test_finished_keeps_the_last_history_final_states_and_counts_them_all():
    state = QueueState("base", finished=tuple((pr, "merged") for pr in range(HISTORY)))
    state, _ = step(SPEC3, state, Enqueue(5000, "h"))
    state, _ = step(SPEC3, state, Dequeue(5000))
    assert len(state.finished) == HISTORY
    assert state.finished[-1] == (5000, "dequeued")
    assert state.finished[0] == (1, "merged")
    assert state.finished_total == 1
