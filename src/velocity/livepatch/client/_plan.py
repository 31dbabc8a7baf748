"""Compare the local tree with what the target holds and decide what to send."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from velocity.livepatch.agent._manifest import FileInfo
from velocity.livepatch.agent._paths import PathError
from velocity.livepatch.agent._paths import check_link_target
from velocity.livepatch.client._scan import Tree

__all__ = ["Plan", "add_content", "make_plan"]


@dataclass
class Plan:
    """The changes one sync sends.

    .. versionadded:: 0.1
    """

    puts: list[FileInfo] = field(default_factory=list)
    links: list[FileInfo] = field(default_factory=list)
    chmods: list[FileInfo] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    copies: dict[str, str] = field(default_factory=dict)  # new path -> target path, same content
    skipped: list[str] = field(default_factory=list)  # links that point out of the tree

    def __len__(self) -> int:
        return len(self.puts) + len(self.links) + len(self.chmods) + len(self.deletes)


def make_plan(
    local: Tree, remote: Tree, ignored: Callable[[str], bool], only: Iterable[str] | None = None
) -> Plan:
    """What turns *remote* into *local*; remote paths the ignore rules match are left alone.

    :param only: compare just these paths (the rest is known to be unchanged).

    .. versionadded:: 0.1
    """
    plan = Plan()
    paths = sorted(set(local) | set(remote) if only is None else set(only))
    for path in paths:
        mine, theirs = local.get(path), remote.get(path)
        if mine is None:
            if theirs is not None and not ignored(path):
                plan.deletes.append(path)
        elif theirs is None or theirs.is_link != mine.is_link or theirs.sha256 != mine.sha256:
            add_content(plan, mine)
        elif not mine.is_link and theirs.mode != mine.mode:
            plan.chmods.append(mine)
    # Only a path the target lacks can be a rename or copy; edits skip the index.
    wanted = {f.sha256 for f in plan.puts if f.path not in remote}
    if wanted:
        by_hash = {f.sha256: p for p, f in remote.items() if f.sha256 in wanted and not f.is_link}
        for mine in plan.puts:
            source = by_hash.get(mine.sha256)
            if source is not None and mine.path not in remote:
                plan.copies[mine.path] = source
    return plan


def add_content(plan: Plan, mine: FileInfo) -> None:
    """Add *mine* to send: a file, a symlink, or a symlink skipped for pointing out."""
    if not mine.is_link:
        plan.puts.append(mine)
        return
    try:
        check_link_target(mine.path, mine.target)
    except PathError:
        plan.skipped.append(mine.path)
        return
    plan.links.append(mine)


def apply_plan(remote: Tree, plan: Plan) -> Tree:
    """Update *remote* in place to the tree the target holds once *plan* is applied.

    In place, so that a one-file sync costs nothing per file of the tree.
    """
    for info in [*plan.puts, *plan.links, *plan.chmods]:
        remote[info.path] = info
    for path in plan.deletes:
        remote.pop(path, None)
    return remote
