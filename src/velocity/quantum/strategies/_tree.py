"""A speculation tree: the builds most likely to be the one that lands each PR.

Each queued PR gets a belief that it is good: a prior, raised to certainty by
a passing build that contains it, and lowered by failing builds through Bayes
over which suspects are broken (a failure one PR explains barely implicates
the others). A candidate build is a queue prefix, or a prefix that skips one or
two PRs (it lands if they are ejected); its score is the chance that it is
exactly what lands its last PR.
"""

from __future__ import annotations

from itertools import combinations

from velocity.quantum import _queue as q
from velocity.quantum.model import Build
from velocity.quantum.model import QueueState

Chain = tuple[int, ...]
Skips = tuple[int, ...]
KEEP = 2.0
MAX_SKIPS = q.MAX_SKIPPED
MOST_BROKEN = 3
_last: list[tuple[QueueState, tuple[int, float, float, float, int], list[Chain]]] = []


def beliefs(state: QueueState, prs: list[int], fail: float, flake: float) -> list[float]:
    # Per PR in *prs*, the chance it is good given the finished builds still valid.
    good, failed = _evidence(state)
    broken = _posterior([tail for tail, _ in failed], good, fail, flake)
    return [1.0 if pr in good else 1 - broken.get(pr, fail) for pr in prs]


def condemned(state: QueueState, fail: float, flake: float, at: float) -> list[tuple[int, Build]]:
    # Queued PRs at least *at* likely broken, each with the last failed build it was in.
    good, failed = _evidence(state)
    broken = _posterior([tail for tail, _ in failed], good, fail, flake)
    last = {pr: b for tail, b in failed for pr in tail}
    return [(pr, last[pr]) for pr, p in broken.items() if p >= at]


def _evidence(state: QueueState) -> tuple[set[int], list[tuple[Chain, Build]]]:
    # PRs a passing build vouches for, and the failed builds that can still land.
    good: set[int] = set()
    failed: list[tuple[Chain, Build]] = []
    for b in state.builds:
        if b.status == "running":
            continue
        tail = q.tail_of(state, b)
        if tail is None:
            continue
        if b.status == "passed":
            good.update(tail)
        else:
            failed.append((tail, b))
    return good, failed


def _posterior(failed: list[Chain], good: set[int], fail: float, flake: float) -> dict[int, float]:
    # Exact Bayes over which suspects are broken (at most a few at once): a failed
    # build is explained by any broken PR in it, or else by a flake.
    suspects: list[int] = []
    masks: list[int] = []
    for tail in failed:
        mask = 0
        for pr in tail:
            if pr in good:
                continue
            if pr not in suspects:
                suspects.append(pr)
            mask |= 1 << suspects.index(pr)
        if mask:  # a failure with only good PRs in it was a flake
            masks.append(mask)
    if not masks:
        return {}
    odds = fail / (1 - fail)
    total, marginal = 0.0, [0.0] * len(suspects)
    # Fewer PRs broken at once the more suspects there are: the work stays bounded.
    most = MOST_BROKEN if len(suspects) <= 8 else 2 if len(suspects) <= 16 else 1
    for size in range(most + 1):
        for combo in combinations(range(len(suspects)), size):
            h = sum(1 << i for i in combo)
            weight = odds**size * flake ** sum(1 for m in masks if not m & h)
            total += weight
            for i in combo:
                marginal[i] += weight
    return {pr: marginal[i] / total for i, pr in enumerate(suspects)}


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
    # A candidate is (key, last index j, skip count, skipped indices); the chain's
    # tuple is built for winners only. Plain prefixes first: the limit-th best of
    # them is a bar that no chain skipping PRs below it can beat.
    scored: list[tuple[int, int, int, Skips]] = []
    through = 1.0
    for j in range(len(prs)):
        through *= ok[j]
        if through * KEEP < floor:
            break
        scored.append((_key(through, (j, ()) in running), j, 0, ()))
    keys = sorted(c[0] for c in scored)
    bar = max(floor, -keys[limit - 1] / 1e9) if len(keys) >= limit else floor
    _skipping(scored, ok, running, bar)
    # Ties (not float noise) decide equal chances: nearer the head first, then fewer
    # skips, then skipping an earlier PR (the head's verdict comes first).
    scored.sort()
    cut = -int(floor * 1e9)
    chains = [_chain(prs, j, skips) for key, j, _, skips in scored[:limit] if key <= cut]
    if prs and (prs[0],) not in chains:
        # However suspect, the head is built alone: only that build ejects it.
        chains.insert(0, (prs[0],))
    return chains


def _skipping(
    scored: list[tuple[int, int, int, Skips]],
    ok: list[float],
    running: set[tuple[int, Skips]],
    bar: float,
) -> None:
    # Chains that skip PRs (they land if those PRs are ejected), depth-first over
    # "PR k is in" / "PR k is skipped"; a branch stops once even a running build
    # on it would fall below *bar* (longer chains only get less likely).
    stack: list[tuple[int, float, Skips]] = []
    through = 1.0
    for i in range(len(ok)):
        if through * KEEP < bar:
            break
        if through * (1 - ok[i]) * KEEP >= bar:
            stack.append((i + 1, through * (1 - ok[i]), (i,)))
        through *= ok[i]
    while stack:
        k, score, skips = stack.pop()
        if k == len(ok):
            continue
        keep = score * ok[k]
        if keep * KEEP >= bar:
            scored.append((_key(keep, (k, skips) in running), k, len(skips), skips))
            stack.append((k + 1, keep, skips))
        drop = score * (1 - ok[k])
        if len(skips) < MAX_SKIPS and drop * KEEP >= bar:
            stack.append((k + 1, drop, (*skips, k)))


def _key(score: float, running: bool) -> int:
    return -int((score * KEEP if running else score) * 1e9)


def _chain(prs: list[int], j: int, skips: Skips) -> Chain:
    return tuple(pr for k, pr in enumerate(prs[: j + 1]) if k not in skips)


def _running(state: QueueState, prs: list[int]) -> set[tuple[int, Skips]]:
    # Running builds as (last index, skipped indices) over *prs*.
    out = set()
    for b in state.builds:
        tail = q.tail_of(state, b) if b.status == "running" else None
        if not tail or len(tail) > len(prs):
            continue
        skips: list[int] = []
        k = 0
        for pr in tail:
            while k < len(prs) and prs[k] != pr:
                skips.append(k)
                k += 1
            k += 1
        if k <= len(prs) and len(skips) <= MAX_SKIPS:
            out.add((k - 1, tuple(skips)))
    return out
