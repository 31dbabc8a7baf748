"""A merge queue over a git repository on this machine: the scheduler, a store and real merges.

The base branch always equals ``base_sha + landed`` from the store. Merges are
fast-forwards to the (reproducible) speculative commit of the landed chain, done
with a compare-and-swap ``git update-ref``; a crash between the store commit and
the ref update is repaired by :meth:`LocalQueue.sync`, and a push from outside
the queue becomes a ``BaseMoved`` event.

With a *remote*, the base branch is the remote's: it is fetched (with every
branch and ``refs/pull/*``, so PR heads resolve) before it is read, and a merge
is a ``git push --force-with-lease`` of the speculative commit, which every
clone computes identically. Workers in separate clones of one remote then
cooperate through a shared store.
"""

from __future__ import annotations

from velocity.quantum.gitsim import Conflict
from velocity.quantum.gitsim import GitError
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.model import Action
from velocity.quantum.model import BaseAdvanced
from velocity.quantum.model import BaseMoved
from velocity.quantum.model import Event
from velocity.quantum.model import Merge
from velocity.quantum.model import QueueState
from velocity.quantum.scheduler import step
from velocity.quantum.store.protocol import Store
from velocity.quantum.strategies import Strategy

__all__ = ["LocalQueue"]

_FORWARD_TRIES = 5  # workers racing to land parts of one chain

_MIRROR = "refs/velocity-quantum/remote/"  # where a remote's refs are fetched to


class LocalQueue:
    """Drive the queue of *branch* in the repository *merger* works on.

    :param merger: builds and reproduces speculative commits in the repository.
    :param store: where the queue state and build jobs live.
    :param strategy: which builds to run.
    :param branch: the base branch PRs merge into.
    :param remote: a git remote name or URL (a bare repository path works) that
        holds the base branch; ``None`` means the repository's own branch.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       The *remote* parameter.
    """

    def __init__(
        self,
        merger: GitMerger,
        store: Store,
        strategy: Strategy,
        branch: str = "main",
        *,
        remote: str | None = None,
    ) -> None:
        self.merger = merger
        self.store = store
        self.strategy = strategy
        self.ref = f"refs/heads/{branch}"
        self.remote = remote

    def branch_sha(self) -> str:
        """Where the base branch points now (on the remote, if there is one).

        .. versionadded:: 0.1
        """
        if self.remote is None:
            return self.merger.git("rev-parse", "--verify", self.ref).strip()
        self.fetch()
        return self.merger.git("rev-parse", "--verify", _MIRROR + self.ref[5:]).strip()

    def fetch(self) -> None:
        """Bring the remote's branches and pull request refs here (no-op without a remote).

        .. versionadded:: 0.2
        """
        if self.remote is not None:
            heads, pulls = f"+refs/heads/*:{_MIRROR}heads/*", f"+refs/pull/*:{_MIRROR}pull/*"
            self.merger.git("fetch", "--quiet", "--no-tags", self.remote, heads, pulls)

    def expected_sha(self, state: QueueState) -> str:
        """The commit ``base_sha + landed`` of *state*: where the branch should point.

        .. versionadded:: 0.1
        """
        chain = self.merger.build(state.base_sha, state.landed)
        if isinstance(chain, Conflict):  # landed once, so it merged once: a corrupt store
            raise GitError(f"landed chain no longer merges: {chain.reason}")
        return chain.tip

    def sync(self) -> QueueState:
        """Reconcile the branch and the store; finish an interrupted merge.

        .. versionadded:: 0.1
        """
        actual = self.branch_sha()
        self.store.init(actual)
        state = self.store.load()
        expected = self.expected_sha(state)
        if actual != expected and not self._is_ancestor(actual, expected):
            state, _ = self._transition(BaseMoved(actual))
            return state
        if actual != expected:
            self._fast_forward(expected, actual)
        if state.landed:  # keep the chain short: name the landed commit as the base
            event = BaseAdvanced(state.base_sha, state.landed, expected)
            state, _ = self._transition(event)
        return state

    def apply(self, event: Event) -> list[Action]:
        """Sync, apply *event* atomically, and land whatever it merged.

        .. versionadded:: 0.1
        """
        self.sync()
        _, actions = self._transition(event)
        return actions

    def _transition(self, event: Event) -> tuple[QueueState, list[Action]]:
        state, actions = self.store.transition(lambda s: step(self.strategy, s, event))
        if any(isinstance(a, Merge) for a in actions):
            # Another process may have landed more already: only ever move forward.
            actual = self.branch_sha()
            expected = self.expected_sha(state)
            if actual != expected and self._is_ancestor(actual, expected):
                self._fast_forward(expected, actual)
        return state, actions

    def _is_ancestor(self, older: str, newer: str) -> bool:
        return self.merger.test("merge-base", "--is-ancestor", older, newer)

    def _fast_forward(self, new: str, old: str) -> None:
        for attempt in range(_FORWARD_TRIES):
            try:
                if self.remote is None:
                    message = "velocity quantum: merge"
                    self.merger.git("update-ref", "-m", message, self.ref, new, old)
                else:  # a compare-and-swap on the remote, like update-ref's <old> here
                    lease = f"--force-with-lease={self.ref}:{old}"
                    self.merger.git("push", "--quiet", lease, self.remote, f"{new}:{self.ref}")
                return
            except GitError:
                # Another worker may have landed the same merge (or more) first, or a part
                # of this chain: then go on from where it is, still only forward.
                now = self.branch_sha()
                if now == new or self._is_ancestor(new, now):
                    return
                if attempt + 1 == _FORWARD_TRIES or not self._is_ancestor(now, new):
                    raise
                old = now
