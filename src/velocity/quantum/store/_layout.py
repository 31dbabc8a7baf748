"""The Redis layout of a queue state: small keys, so a transition writes only what changed.

``meta`` (a hash) holds the scalar fields, ``entries`` one field per queued PR,
``builds`` one field per build, and the state's ``finished`` is the tail of the
full ``finished`` history list. ``reasons`` (a hash) maps a position in that list to
the reason, time and head of its final state: old readers never look at it, and a
record pushed by an older writer simply has none. A transition becomes a :class:`Delta`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from operator import attrgetter
from operator import is_
from operator import neg
from typing import cast

from velocity.quantum.codec import _entry_json
from velocity.quantum.codec import _heads
from velocity.quantum.model import Action
from velocity.quantum.model import Build
from velocity.quantum.model import Entry
from velocity.quantum.model import FinalState
from velocity.quantum.model import QueueState
from velocity.quantum.store._finals import records
from velocity.quantum.store.protocol import FinalRecord


@dataclass
class Delta:
    meta: list[str] = field(default_factory=list)  # field, value, field, value, ...
    entries: list[str] = field(default_factory=list)  # pr, json, pr, json, ...
    gone_entries: list[str] = field(default_factory=list)
    builds: list[str] = field(default_factory=list)  # build id, json, ...
    gone_builds: list[str] = field(default_factory=list)
    finals: list[str] = field(default_factory=list)  # "pr:final"
    reasons: list[str] = field(default_factory=list)  # json [reason, at, sha] per final

    def to_json(self) -> str:
        return json.dumps(
            [
                self.meta,
                self.entries,
                self.gone_entries,
                self.builds,
                self.gone_builds,
                self.finals,
                self.reasons,
            ]
        )


def _build_json(b: Build) -> str:
    return json.dumps((b.build_id, b.base_sha, b.prs, b.status, b.landed_at, b.epoch))


def meta_of(state: QueueState) -> dict[str, str]:
    return {
        "base_sha": state.base_sha,
        "landed": json.dumps(state.landed),
        "counters": json.dumps((state.next_seq, state.next_build, state.epoch)),
        "bisect": json.dumps(state.bisect),
        "finished": json.dumps((len(state.finished), state.finished_total)),
        # Queue order is (-priority, seq) unless a driver reordered it: then it is kept.
        "order": "" if _in_order(state.queue) else json.dumps([e.pr for e in state.queue]),
    }


_PRIORITY = attrgetter("priority")
_SEQ = attrgetter("seq")


def _same_prefix(a: tuple[Entry, ...], b: tuple[Entry, ...]) -> int:
    same = list(map(is_, a, b))
    return same.index(False) if False in same else len(same)


def _rank(e: Entry) -> tuple[int, int]:
    return (-e.priority, e.seq)


def _in_order(queue: tuple[Entry, ...]) -> bool:
    # map/sorted keep this in C: it runs on every transition over the whole queue.
    priorities = list(map(_PRIORITY, queue))
    if priorities and min(priorities) == max(priorities):
        seqs = list(map(_SEQ, queue))
        return seqs == sorted(seqs)
    ranks = list(zip(map(neg, priorities), map(_SEQ, queue), strict=True))
    return ranks == sorted(ranks)


def delta(
    old: QueueState, old_meta: dict[str, str], new: QueueState, actions: list[Action]
) -> tuple[Delta, dict[str, str]]:
    """What turns *old* (whose :func:`meta_of` is *old_meta*) into *new*, and new's meta.

    *actions* are the transition's: they say why the PRs it finished left the queue.
    """
    out = Delta()
    new_meta = meta_of(new)
    for key, value in new_meta.items():
        if old_meta.get(key) != value:
            out.meta += [key, value]
    # Unchanged entries are the same objects (states share them): skip the common ends,
    # then diff identities; all of it runs in C, and the middle is usually one entry.
    lo = _same_prefix(old.queue, new.queue)
    hi = _same_prefix(old.queue[lo:][::-1], new.queue[lo:][::-1])
    was, now = old.queue[lo : len(old.queue) - hi], new.queue[lo : len(new.queue) - hi]
    before = dict(zip(map(id, was), was, strict=True))
    after = dict(zip(map(id, now), now, strict=True))
    changed = [after[i] for i in after.keys() - before.keys()]
    for e in sorted(changed, key=_rank):
        out.entries += [str(e.pr), _entry_json(e)]
    left = {before[i].pr for i in before.keys() - after.keys()}
    out.gone_entries = [str(pr) for pr in sorted(left - {e.pr for e in changed})]
    builds = {b.build_id: b for b in old.builds}
    for b in new.builds:
        was_build = builds.pop(b.build_id, None)
        if was_build is not b and was_build != b:
            out.builds += [b.build_id, _build_json(b)]
    out.gone_builds = list(builds)
    finished = records(old, new, actions)
    out.finals = [f"{r.pr}:{r.final}" for r in finished]
    out.reasons = [json.dumps((r.reason, r.at, r.sha)) for r in finished]
    return out, new_meta


def decode(
    meta: dict[str, str], entries: list[str], builds: list[str], finals: list[str]
) -> QueueState:
    next_seq, next_build, epoch = json.loads(meta["counters"])
    _, total = json.loads(meta["finished"])
    queue = [Entry(*json.loads(raw)) for raw in entries]
    if meta.get("order"):
        by_pr = {e.pr: e for e in queue}
        queue = [by_pr[pr] for pr in json.loads(meta["order"])]
    else:
        queue.sort(key=_rank)
    bisect = json.loads(meta["bisect"])
    return QueueState(
        base_sha=meta["base_sha"],
        landed=_heads(json.loads(meta["landed"])),
        queue=tuple(queue),
        # Build ids are b1, b2, ...: sorting them by (length, text) restores creation order.
        builds=tuple(
            sorted(
                (
                    Build(bid, base, _heads(prs), status, landed_at, ep)
                    for bid, base, prs, status, landed_at, ep in map(json.loads, builds)
                ),
                key=lambda b: (len(b.build_id), b.build_id),
            )
        ),
        finished=tuple(final(item) for item in finals),
        next_seq=next_seq,
        next_build=next_build,
        bisect=(bisect[0], bisect[1]),
        epoch=epoch,
        finished_total=total,
    )


def finished_len(meta: dict[str, str]) -> int:
    return int(json.loads(meta["finished"])[0])


def final(item: str) -> tuple[int, FinalState]:
    number, _, final = item.partition(":")
    return int(number), cast("FinalState", final)


def record(item: str, why: str | None) -> FinalRecord:
    pr, final_state = final(item)
    reason, at, sha = json.loads(why) if why else (None, None, None)
    return FinalRecord(pr, final_state, reason, at, sha)
