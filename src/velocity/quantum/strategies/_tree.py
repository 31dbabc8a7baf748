"""A speculation tree: the builds most likely to be the one that lands each PR.

Each queued PR gets a belief that it is good: a prior, raised to certainty by
a passing build that contains it, lowered by failing builds. A candidate build
is a queue prefix, or a prefix that skips one PR (it lands if that PR is
ejected); its score is the chance that it is exactly what lands its last PR.
"""

from __future__ import annotations

from velocity.quantum import _queue as q
from velocity.quantum.model import QueueState

Chain = tuple[int, ...]
KEEP = 2.0
MAIN = -1  # a plain queue prefix sorts before chains that skip a PR
_last: list[tuple[QueueState, tuple[int, float, float, float, int], list[Chain]]] = []


def beliefs(state: QueueState, prs: list[int], fail: float, flake: float) -> list[float]:
    # Per PR in *prs*, the chance it is good given the finished builds still valid.
    good: set[int] = set()
    failed: list[Chain] = []
    for b in state.builds:
        if b.status == "running":
            continue
        tail = q.tail_of(state, b)
        if tail is None:
            continue
        if b.status == "passed":
            good.update(tail)
        else:
            failed.append(tail)
    suspicion: dict[int, float] = {}
    for tail in failed:
        unknown = [pr for pr in tail if pr not in good]
        # Bayes with independent PRs: P(pr broken | this build failed).
        p_fail = 1 - (1 - fail) ** len(unknown) * (1 - flake)
        for pr in unknown:
            suspicion[pr] = max(suspicion.get(pr, 0.0), min(1.0, fail / p_fail))
    return [1.0 if pr in good else 1 - suspicion.get(pr, fail) for pr in prs]


def plan(
    state: QueueState, depth: int, fail: float, flake: float, floor: float, limit: int
) -> list[Chain]:
    # The *limit* likeliest candidates over the first *depth* PRs, down to *floor*; a
    # running build counts double (it is closer to an answer than a new one).
    key = (depth, fail, flake, floor, limit)
    for seen, seen_key, chains in _last:
        if seen is state and seen_key == key:
            return list(chains)  # the scheduler asks again about the same (immutable) state
    chains = _plan(state, depth, fail, flake, floor, limit)
    _last[:] = [(state, key, chains)]
    return list(chains)


def _plan(
    state: QueueState, depth: int, fail: float, flake: float, floor: float, limit: int
) -> list[Chain]:
    prs = [e.pr for e in state.queue[:depth]]
    ok = beliefs(state, prs, fail, flake)
    running = _running(state, prs)
    # A candidate is (last index j, skipped index i or MAIN); tuples are built for winners only.
    scored: list[tuple[int, int, int]] = []
    through = 1.0  # the chance that every PR up to here is good
    for i in range(len(prs)):
        if ok[i] < 1.0:  # chains that skip PR i: it is bad, the ones after it good
            score = through * (1 - ok[i])
            for j in range(i + 1, len(prs)):
                score *= ok[j]
                if score * KEEP < floor:  # longer chains only get less likely
                    break
                scored.append((_key(score, (j, i) in running), j, i))
        through *= ok[i]
        scored.append((_key(through, (i, MAIN) in running), i, MAIN))
    # Ties (not float noise) decide equal chances: nearer the head first, then skipping
    # an earlier PR (the head's verdict comes first, so builds around it pay off first).
    scored.sort()
    cut = -int(floor * 1e9)
    return [_chain(prs, j, i) for key, j, i in scored[:limit] if key <= cut]


def _key(score: float, running: bool) -> int:
    return -int((score * KEEP if running else score) * 1e9)


def _chain(prs: list[int], j: int, i: int) -> Chain:
    return tuple(prs[: j + 1]) if i == MAIN else (*prs[:i], *prs[i + 1 : j + 1])


def _running(state: QueueState, prs: list[int]) -> set[tuple[int, int]]:
    # Running builds as (last index, skipped index) over *prs*.
    out = set()
    for b in state.builds:
        tail = q.tail_of(state, b) if b.status == "running" else None
        if not tail or len(tail) > len(prs):
            continue
        i = next((k for k, pr in enumerate(tail) if pr != prs[k]), MAIN)
        j = len(tail) - 1 if i == MAIN else len(tail)
        if j < len(prs) and _chain(prs, j, i) == tail:
            out.add((j, i))
    return out
