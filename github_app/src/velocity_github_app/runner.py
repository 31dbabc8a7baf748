"""The background runner: hints are queued by the webhook handler and handled here, one at a time.

The handler answers GitHub at once; the work (reads, engine steps, GitHub calls)
happens on this thread, serialised so one process never races itself. Every
*reconcile_interval* seconds (or on :meth:`Runner.reconcile_soon`) each known
repository is reconciled, which repairs missed deliveries.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from velocity.core.log import get_logger
from velocity.quantum import StoreError
from velocity.quantum import StrategyOptions
from velocity.quantum import make_strategy
from velocity_github_app.config import AppConfig
from velocity_github_app.driver import RepoQueue
from velocity_github_app.events import Hint
from velocity_github_app.events import InstallationHint
from velocity_github_app.events import RepoRef
from velocity_github_app.forge import ClientFactory
from velocity_github_app.forge import GitHubForge
from velocity_github_app.metrics import Metrics
from velocity_github_app.stores import Stores

__all__ = ["Runner"]

log = get_logger(__name__)

_RECONCILE = "reconcile"
_STOP = "stop"
_Item = Hint | str


class Runner:
    """Handles hints on one background thread; see the module docstring.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        stores: Stores,
        clients: ClientFactory,
        config: AppConfig,
        metrics: Metrics,
        depth: int,
    ) -> None:
        self.stores, self.clients, self.config, self.metrics = stores, clients, config, metrics
        options = StrategyOptions(depth=config.depth or depth)
        self.strategy = make_strategy(config.strategy, options)
        self._items: queue.Queue[_Item] = queue.Queue()
        self._queues: dict[RepoRef, RepoQueue] = {}
        self._app: Any = None
        self._thread: threading.Thread | None = None
        metrics.gauges = self.queue_lengths

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="github-app-runner", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the hint being handled, then stop."""
        if self._thread is not None:
            self._items.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def submit(self, hints: list[Hint]) -> None:
        """Queue *hints*; returns at once."""
        for hint in hints:
            self._items.put(hint)

    def reconcile_soon(self) -> None:
        """Queue a reconciliation of every known repository."""
        self._items.put(_RECONCILE)

    def pending(self) -> int:
        """Hints queued or being handled."""
        return self._items.unfinished_tasks

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or being handled; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        while self._items.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # -- the thread -------------------------------------------------------------------------

    def _loop(self) -> None:
        next_reconcile = time.monotonic() + self.config.reconcile_interval
        while True:
            try:
                item, queued = (
                    self._items.get(timeout=max(0.0, next_reconcile - time.monotonic())),
                    True,
                )
            except queue.Empty:
                item, queued = _RECONCILE, False
            try:
                if item == _STOP:
                    return
                if item == _RECONCILE:
                    next_reconcile = time.monotonic() + self.config.reconcile_interval
                self._handle(item)
            finally:
                if queued:
                    self._items.task_done()

    def _handle(self, item: _Item) -> None:
        try:
            if isinstance(item, str):
                for repo in self.known_repos():
                    self._queue(repo).reconcile()
            elif isinstance(item, InstallationHint):
                for owner, name in item.repos:
                    self.stores.ledger.put(
                        f"installation:{owner}/{name}", str(item.installation_id)
                    )
                    self.stores.ledger.add("repos", f"{owner}/{name}")
            else:
                self.stores.ledger.add("repos", "/".join(item.repo))
                self._queue(item.repo).handle(item)
        except Exception:
            # One bad hint must not stop the queue; the next reconcile retries its work.
            self.metrics.inc("velocity_github_app_errors_total")
            log.exception("handling a hint failed", hint=repr(item))

    def _queue(self, repo: RepoRef) -> RepoQueue:
        if repo not in self._queues:
            forge = GitHubForge(self._installation_client(repo), *repo)
            store = self.stores.queue(*repo)
            self._queues[repo] = RepoQueue(
                repo, forge, store, self.stores.ledger, self.strategy, self.config, self.metrics
            )
        return self._queues[repo]

    def _installation_client(self, repo: RepoRef) -> Any:
        if self._app is None:
            self._app = self.clients()
        owner, name = repo
        ident = self.stores.ledger.get(f"installation:{owner}/{name}")
        if ident is None:
            ident = str(self._app.rest.apps.get_repo_installation(owner, name).json()["id"])
            self.stores.ledger.put(f"installation:{owner}/{name}", ident)
        return self._app.with_auth(self._app.auth.as_installation(int(ident)))

    # -- reading ----------------------------------------------------------------------------

    def known_repos(self) -> list[RepoRef]:
        """Repositories the app has heard of, sorted."""
        found = sorted(self.stores.ledger.members("repos"))
        return [(owner, name) for owner, _, name in (r.partition("/") for r in found)]

    def queue_lengths(self) -> dict[str, int]:
        """Queued pull requests by ``owner/name``."""
        lengths: dict[str, int] = {}
        for owner, name in self.known_repos():
            try:
                lengths[f"{owner}/{name}"] = len(self.stores.queue(owner, name).load().queue)
            except StoreError:
                lengths[f"{owner}/{name}"] = 0
        return lengths
