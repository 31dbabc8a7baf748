"""Pure helpers over the engine: several events as one transition, and queue lookups."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace

from velocity.quantum import Strategy
from velocity.quantum import step
from velocity.quantum.model import Action
from velocity.quantum.model import Entry
from velocity.quantum.model import Event
from velocity.quantum.model import Merge
from velocity.quantum.model import QueueState
from velocity_github_app.forge import PullInfo

__all__ = ["Fn", "find", "moved", "steps"]

Fn = Callable[[QueueState], tuple[QueueState, list[Action]]]
"""A transition the store applies atomically."""


def find(state: QueueState, number: int) -> Entry | None:
    """The queue entry of pull request *number*, or ``None``."""
    return next((e for e in state.queue if e.pr == number), None)


def moved(pull: PullInfo, planned: list[Action]) -> bool:
    """Whether *planned* merges would land *pull* at a head other than its current one."""
    heads = {pr: head for a in planned if isinstance(a, Merge) for pr, head in a.prs}
    return heads.get(pull.number, pull.head_sha) != pull.head_sha


def steps(strategy: Strategy, events: Sequence[Event], reopen: tuple[int, ...]) -> Fn:
    """One transition stepping *strategy* through *events*, after reopening *reopen*.

    The engine refuses to queue a PR it recorded as merged; a merge GitHub then
    refused is undone by recording the PR as dequeued first.
    """

    def transition(state: QueueState) -> tuple[QueueState, list[Action]]:
        if reopen:
            state = replace(state, finished=(*state.finished, *((n, "dequeued") for n in reopen)))
        done: list[Action] = []
        for event in events:
            state, more = step(strategy, state, event)
            done += more
        return state, done

    return transition
