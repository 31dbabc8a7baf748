"""One repository's queue: hints in, GitHub re-read, engine stepped, actions performed.

Nothing here trusts a webhook payload: every hint leads to a fresh read of the
pull request, branch or CI results, so a duplicated, reordered or dropped event
changes nothing the next read would not. :meth:`RepoQueue.reconcile` repeats
every read, which is how missed events are repaired.
"""

from __future__ import annotations

from collections.abc import Sequence

from velocity.core.log import get_logger
from velocity.quantum import Store
from velocity.quantum import StoreError
from velocity.quantum import Strategy
from velocity.quantum.model import Action
from velocity.quantum.model import BaseMoved
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Event
from velocity.quantum.model import Merge
from velocity.quantum.model import PRUpdated
from velocity.quantum.model import QueueState
from velocity_github_app import actions
from velocity_github_app.config import AppConfig
from velocity_github_app.events import BaseHint
from velocity_github_app.events import BuildHint
from velocity_github_app.events import CommandHint
from velocity_github_app.events import Hint
from velocity_github_app.events import PullHint
from velocity_github_app.events import RepoRef
from velocity_github_app.forge import Forge
from velocity_github_app.forge import PullInfo
from velocity_github_app.ledger import Ledger
from velocity_github_app.metrics import Metrics
from velocity_github_app.transitions import find
from velocity_github_app.transitions import moved
from velocity_github_app.transitions import steps

__all__ = ["RepoQueue"]

log = get_logger(__name__)

# How often a transition may be re-planned because a PR it would merge moved meanwhile.
_VERIFY_ROUNDS = 3


class RepoQueue:
    """Drive the merge queue of *repo* on GitHub through *forge*, keeping state in *store*.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        repo: RepoRef,
        forge: Forge,
        store: Store,
        ledger: Ledger,
        strategy: Strategy,
        config: AppConfig,
        metrics: Metrics,
    ) -> None:
        self.repo, self.forge, self.store, self.ledger = repo, forge, store, ledger
        self.strategy, self.config, self.metrics = strategy, config, metrics
        self.key = f"{repo[0]}/{repo[1]}"
        self._base: str | None = None

    @property
    def base(self) -> str:
        """The base branch (the repository's default branch).

        .. versionadded:: 0.1
        """
        if self._base is None:
            self._base = self.forge.default_branch()
        return self._base

    def record(self, kind: str, ident: object, value: str | None = None) -> str:
        """The ledger key for *kind*/*ident* of this repository; stores *value* if given."""
        key = f"{kind}:{self.key}:{ident}"
        if value is not None:
            self.ledger.put(key, value)
        return key

    def ensure(self) -> QueueState:
        """Create the queue on the base branch's current commit unless it exists.

        .. versionadded:: 0.1
        """
        try:
            return self.store.load()
        except StoreError:
            pass  # first contact with this repository
        sha = self.forge.branch_sha(self.base)
        if sha is not None:
            self.store.init(sha)
        return self.store.load()

    def handle(self, hint: Hint) -> None:
        """Act on *hint* after re-reading what it points at.

        .. versionadded:: 0.1
        """
        if isinstance(hint, BaseHint) and hint.branch != self.base:
            return  # speculative and feature branches move all the time
        self.ensure()
        if isinstance(hint, PullHint):
            self.sync_pull(self.forge.pull(hint.number))
        elif isinstance(hint, CommandHint):
            self._command(hint)
        elif isinstance(hint, BuildHint):
            self.check_build(hint.sha)
        elif isinstance(hint, BaseHint):
            self.check_base()

    def reconcile(self) -> None:
        """Re-read everything the queue depends on; repairs whatever events were missed.

        .. versionadded:: 0.1
        """
        self.ensure()
        self.check_base()
        open_pulls = {p.number: p for p in self.forge.open_pulls(self.base)}
        for pull in open_pulls.values():
            self.sync_pull(pull)
        for entry in self.store.load().queue:
            if entry.pr not in open_pulls:
                self.sync_pull(self.forge.pull(entry.pr))
        for build in self.store.load().running():
            tip = self.ledger.get(self.record("build", build.build_id))
            if tip is None:  # the app stopped before it made the speculative commit
                actions.restart_build(self, build)
            else:
                self.check_build(tip)
        actions.collect_branches(self, self.store.load())

    # -- reading GitHub --------------------------------------------------------------------

    def wanted(self, pull: PullInfo) -> bool:
        """Whether *pull* belongs in the queue now (open, on the base, labelled, not ejected)."""
        if self.config.label not in pull.labels:
            # Unlabelled since its ejection: labelling it again is a fresh request.
            self.ledger.delete(self.record("ejected", pull.number))
            return False
        ejected_at = self.ledger.get(self.record("ejected", pull.number))
        return (
            pull.open
            and pull.base_ref == self.base
            and self.config.label in pull.labels
            and ejected_at != pull.head_sha
        )

    def priority(self, number: int) -> int:
        return 1 if self.ledger.get(self.record("priority", number)) else 0

    def sync_pull(self, pull: PullInfo, depth: int = 0) -> None:
        """Make the queue agree with *pull* as GitHub reports it.

        .. versionadded:: 0.1
        """
        state = self.store.load()
        entry = find(state, pull.number)
        wanted = self.wanted(pull)
        if wanted and entry is None:
            if state.final_state(pull.number) == "merged":
                if any(pr == pull.number for pr, _ in state.landed):
                    return  # being merged right now
                self.requeue([pull.number])  # recorded as merged, but GitHub disagrees
                return
            self.apply(Enqueue(pull.number, pull.head_sha, self.priority(pull.number)), depth=depth)
        elif wanted and entry is not None and entry.head_sha != pull.head_sha:
            self.apply(PRUpdated(pull.number, pull.head_sha), depth=depth)
        elif not wanted and entry is not None:
            self.apply(Dequeue(pull.number), depth=depth)

    def check_build(self, sha: str) -> None:
        """If *sha* is a running speculative build and CI has decided, report it.

        .. versionadded:: 0.1
        """
        build_id = self.ledger.get(self.record("spec", sha))
        if build_id is None or self.ledger.get(self.record("build", build_id)) != sha:
            return  # not a speculative commit, or one its build no longer uses
        running = {b.build_id for b in self.store.load().running()}
        if build_id not in running:
            return
        outcome = self.forge.ci_outcome(sha, self.config.context, self.config.required)
        if outcome is not None:
            self.apply(BuildFinished(build_id, outcome))

    def check_base(self) -> None:
        """Compare the base branch with the queue's idea of it; rebuild if it moved.

        .. versionadded:: 0.1
        """
        state = self.store.load()
        actual = self.forge.branch_sha(self.base)
        if actual is None:
            return
        if state.landed:  # a merge was interrupted: redo what did not land
            self.requeue([pr for pr, _ in state.landed if not self.forge.pull(pr).merged])
        elif actual != state.base_sha:
            self.apply(BaseMoved(actual))

    def requeue(self, numbers: Sequence[int]) -> None:
        """Reset the queue onto the base branch as it is and queue *numbers* again.

        The engine refuses to queue a PR it recorded as merged; a merge GitHub then
        refused (409, head moved) is undone by marking it dequeued first.

        .. versionadded:: 0.1
        """
        actual = self.forge.branch_sha(self.base)
        events: list[Event] = [] if actual is None else [BaseMoved(actual)]
        reopen: list[int] = []
        for number in numbers:
            pull = self.forge.pull(number)
            if self.wanted(pull):
                events.append(Enqueue(number, pull.head_sha, self.priority(number)))
                reopen.append(number)
        self.apply(*events, reopen=tuple(reopen))

    # -- changing the queue ----------------------------------------------------------------

    def apply(self, *events: Event, reopen: tuple[int, ...] = (), depth: int = 0) -> QueueState:
        """Step the engine through *events* atomically, then perform the actions.

        Before a transition that would merge, the PRs it lands are read again; one
        whose head moved or that closed is brought up to date first, so a merge is
        never attempted with stale knowledge (GitHub's 409 still guards the race).

        .. versionadded:: 0.1
        """
        for _ in range(_VERIFY_ROUNDS if depth < 2 else 0):
            _, planned = steps(self.strategy, events, reopen)(self.store.load())
            stale = [p for p in self._landing(planned) if not self.wanted(p) or moved(p, planned)]
            if not stale:
                break
            for pull in stale:
                self.sync_pull(pull, depth=depth + 1)
        before = self.store.load()
        after, done = self.store.transition(steps(self.strategy, events, reopen))
        actions.perform(self, before, after, done)
        if depth == 0:
            actions.collect_branches(self, self.store.load())
        return after

    def _landing(self, planned: list[Action]) -> list[PullInfo]:
        return [self.forge.pull(pr) for a in planned if isinstance(a, Merge) for pr, _ in a.prs]

    def _command(self, hint: CommandHint) -> None:
        if hint.command == "cancel":
            self.forge.set_label(hint.number, self.config.label, False)
        else:
            self.ledger.delete(self.record("ejected", hint.number))
            self.forge.set_label(hint.number, self.config.label, True)
        if hint.command == "priority-high":
            self.record("priority", hint.number, "1")
            entry = find(self.store.load(), hint.number)
            pull = self.forge.pull(hint.number)
            if entry is not None and entry.priority < 1 and self.wanted(pull):
                self.apply(Dequeue(hint.number), Enqueue(hint.number, pull.head_sha, 1))
                return
        self.sync_pull(self.forge.pull(hint.number))
