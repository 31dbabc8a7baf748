"""Why each pull request a transition finished left the queue, as its actions tell.

The scheduler hands reasons out only as actions (``Merge``, ``Eject``, the ``PostStatus``
of a dequeue), so a store pairs every new final state with the action that explains it
and records both in the same write.
"""

from __future__ import annotations

import time
from collections import defaultdict

from velocity.quantum import _queue as q
from velocity.quantum.model import Action
from velocity.quantum.model import Eject
from velocity.quantum.model import Merge
from velocity.quantum.model import PostStatus
from velocity.quantum.model import QueueState
from velocity.quantum.store.protocol import FinalRecord

UNTOLD = "no reason given"  # a driver that wrote the final state itself

_Told = dict[tuple[int, str], list[tuple[str, str | None]]]


def records(old: QueueState, new: QueueState, actions: list[Action]) -> list[FinalRecord]:
    """A record per final state *new* reached since *old*, explained by *actions*."""
    finished = q.newly_finished(old, new)
    if not finished:
        return []
    told = _told(actions)
    heads = {e.pr: e.head_sha for e in old.queue}
    now = time.time()
    out = []
    for pr, final in finished:
        reasons = told[pr, final]
        reason, sha = reasons.pop(0) if reasons else (UNTOLD, None)
        out.append(FinalRecord(pr, final, reason, now, sha or heads.get(pr)))
    return out


def _told(actions: list[Action]) -> _Told:
    # (pr, final) -> (reason, head) in action order: a PR may finish twice in one transition.
    told: _Told = defaultdict(list)
    for a in actions:
        if isinstance(a, Merge):
            chain = " + ".join(f"#{pr}" for pr, _ in a.prs)
            for pr, head in a.prs:
                told[pr, "merged"].append((f"build {a.build_id} of base + {chain} passed", head))
        elif isinstance(a, Eject):
            told[a.pr, "ejected"].append((a.reason, None))
        elif isinstance(a, PostStatus) and a.state == "error":
            told[a.pr, "dequeued"].append((a.description, None))
    return told
