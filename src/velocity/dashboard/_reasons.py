"""Guesses at why a PR left the queue, for final states stored without a reason.

Stores record each final state's reason since 0.2; a record an older Velocity wrote
has none. For those the dashboard works a reason out from the states before and
after, if it was watching; the page marks it as a guess ("not recorded").
"""

from __future__ import annotations

from collections.abc import Sequence

from velocity.quantum import Build
from velocity.quantum import QueueState

__all__ = ["infer_reasons"]


def infer_reasons(
    old: QueueState, new: QueueState, finished: Sequence[tuple[int, str]]
) -> list[str]:
    """One guess per final state in *finished* (those reached between *old* and *new*)."""
    builds = {b.build_id: b for b in (*old.builds, *new.builds)}
    gone = {b.build_id for b in old.builds} - {b.build_id for b in new.builds}
    return [_reason(old, builds, gone, pr, final) for pr, final in finished]


def _chain(b: Build) -> str:
    return "base + " + " + ".join(f"#{pr}" for pr, _ in b.prs)


def _reason(old: QueueState, builds: dict[str, Build], gone: set[str], pr: int, final: str) -> str:
    if final == "dequeued":
        return "taken out of the queue on request"
    entry = next((e for e in old.queue if e.pr == pr), None)
    if final == "merged":
        # The build that landed it passed, or passed and was retired in the same step.
        tested = [
            b
            for b in builds.values()
            if entry is not None
            and entry.head in b.prs
            and (b.status == "passed" or (b.build_id in gone and b.status != "failed"))
        ]
        if tested:
            b = min(tested, key=lambda b: len(b.prs))
            return f"merged: tested in {b.build_id} ({_chain(b)})"
        return "merged"
    ending = [b for b in builds.values() if b.prs and b.prs[-1][0] == pr]
    if entry is not None and entry.errors:
        return f"ejected: CI errors on {ending[-1].build_id if ending else 'its builds'}"
    if ending:
        b = ending[-1]
        return f"ejected: {b.build_id} ({_chain(b)}) failed"
    return "ejected before any build of it finished (conflict or update)"
