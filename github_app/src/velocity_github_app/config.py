"""The app's own knobs, beside velocity.core.config's ``github`` and ``quantum`` sections."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AppConfig"]


@dataclass(frozen=True)
class AppConfig:
    """How the app runs the queue of every repository it is installed on.

    :param label: the pull request label that queues a PR.
    :param strategy: a velocity.quantum strategy name (``speculative``, ``serial``, ...).
    :param depth: speculation depth; ``None`` takes ``quantum.depth`` from the settings.
    :param context: the commit status context the app reports under.
    :param required: CI contexts that must report success on a speculative commit
        (empty: every status and check run present, at least one).
    :param merge_method: ``merge`` (default), ``squash`` or ``rebase``.
    :param spec_prefix: branch name prefix of speculative commits.
    :param reconcile_interval: seconds between reconciliations of every known repository.
    :param command_associations: comment author associations whose commands count.
    :param dashboard: serve the dashboard's queue view under ``/dashboard``. It has no
        authentication of its own: turn it on only behind a proxy that authenticates.

    .. versionadded:: 0.1
    """

    label: str = "quantum:merge"
    strategy: str = "speculative"
    depth: int | None = None
    context: str = "velocity/quantum"
    required: tuple[str, ...] = ()
    merge_method: str = "merge"
    spec_prefix: str = "quantum/spec/"
    reconcile_interval: float = 300.0
    command_associations: frozenset[str] = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
    dashboard: bool = False
