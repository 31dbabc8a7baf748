"""Options and helpers the local-queue subcommands share."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from velocity.core.cli import emit_json
from velocity.core.workdir import private_dir
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.localqueue import LocalQueue
from velocity.quantum.model import Action
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Eject
from velocity.quantum.model import Merge
from velocity.quantum.model import PostStatus
from velocity.quantum.model import StartBuild
from velocity.quantum.store.protocol import Store
from velocity.quantum.store.protocol import open_store
from velocity.quantum.strategies import STRATEGIES
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import make_strategy

_OPTIONS = [
    click.option(
        "--repo", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path)
    ),
    click.option(
        "--store",
        "store_location",
        default=None,
        help="redis://... or a SQLite file (default: REPO/.velocity/quantum.db).",
    ),
    click.option("--base", default="main", show_default=True, help="The branch PRs merge into."),
    click.option(
        "--strategy",
        default="speculative",
        show_default=True,
        type=click.Choice(sorted(STRATEGIES)),
    ),
    click.option("--depth", default=3, show_default=True, type=click.IntRange(1, 1000)),
    click.option(
        "--remote",
        default=None,
        help="Git remote (name or URL) holding the base branch; merges are pushed there.",
    ),
]


@dataclass(frozen=True)
class QueueArgs:
    # The options every local-queue subcommand takes, gathered by queue_options.
    repo: Path
    store_location: str | None
    base: str
    strategy: str
    depth: int
    remote: str | None

    def open(self) -> LocalQueue:
        store = open_location(self.repo, self.store_location)
        chosen = make_strategy(self.strategy, StrategyOptions(depth=self.depth))
        return LocalQueue(GitMerger(self.repo), store, chosen, self.base, remote=self.remote)


def queue_options(func: Callable[..., int]) -> Callable[..., int]:
    """Add the queue options; the command receives them as one ``queue_args``."""

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> int:
        fields = {name: kwargs.pop(name) for name in QueueArgs.__dataclass_fields__}
        return func(*args, queue_args=QueueArgs(**fields), **kwargs)

    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def velocity_dir(repo: Path) -> Path:
    return private_dir(repo / ".velocity")


def open_location(repo: Path, location: str | None) -> Store:
    if location and location.startswith(("redis://", "rediss://", "unix://")):
        return open_store("redis", location)
    return open_store("sqlite", location or str(velocity_dir(repo) / "quantum.db"))


def describe(action: Action) -> str:
    if isinstance(action, StartBuild):
        return f"{action.build_id}: building {' + '.join(f'#{pr}' for pr, _ in action.prs)}"
    if isinstance(action, CancelBuild):
        return f"{action.build_id}: cancelled"
    if isinstance(action, Merge):
        return f"merged {' '.join(f'#{pr}' for pr, _ in action.prs)} (tested in {action.build_id})"
    if isinstance(action, Eject):
        return f"#{action.pr} ejected: {action.reason}"
    assert isinstance(action, PostStatus)
    return f"#{action.pr} {action.state}: {action.description}"


def report(actions: list[Action], as_json: bool) -> None:
    if as_json:
        emit_json([{"action": type(a).__name__, **asdict(a)} for a in actions])
        return
    for action in actions:
        click.echo(describe(action))
