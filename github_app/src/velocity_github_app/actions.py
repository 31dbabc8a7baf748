"""The engine's actions, performed on GitHub: spec branches, statuses, comments, merges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from velocity.core.log import get_logger
from velocity.quantum.model import Action
from velocity.quantum.model import BaseAdvanced
from velocity.quantum.model import BaseMoved
from velocity.quantum.model import Build
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Eject
from velocity.quantum.model import Merge
from velocity.quantum.model import PostStatus
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity_github_app.forge import MergeRefused
from velocity_github_app.forge import SpecConflict

if TYPE_CHECKING:
    from velocity_github_app.driver import RepoQueue

__all__ = ["collect_branches", "perform", "restart_build"]

log = get_logger(__name__)

_WORDS = {"pending": "Pending", "success": "Passed", "failure": "Failed", "error": "Error"}

# merge-tree would name the files; GitHub's merges API only says 409.
_UNNAMED = ("files GitHub did not name",)


def perform(q: RepoQueue, before: QueueState, after: QueueState, done: list[Action]) -> None:
    heads = {e.pr: e.head_sha for e in (*before.queue, *after.queue)}
    heads.update(dict(after.landed))
    refused: set[int] = set()
    for action in done:
        if isinstance(action, StartBuild):
            _start(q, action)
        elif isinstance(action, CancelBuild):
            _drop_branch(q, action.build_id)
        elif isinstance(action, Merge):
            refused |= _land(q, action)
        elif isinstance(action, Eject):
            _eject(q, action, heads.get(action.pr))
        elif isinstance(action, PostStatus) and action.pr not in refused:
            sha = heads.get(action.pr) or q.forge.pull(action.pr).head_sha
            text = f"Speculative Build: {_WORDS.get(action.state, action.state)}"
            q.forge.post_status(
                sha, action.state, f"{text}: {action.description}", q.config.context
            )


def restart_build(q: RepoQueue, build: Build) -> None:
    _start(q, StartBuild(build.build_id, build.base_sha, build.prs))


def collect_branches(q: RepoQueue, state: QueueState) -> None:
    live = {b.build_id for b in state.builds}
    for build_id in q.ledger.members(f"specs:{q.key}") - live:
        _drop_branch(q, build_id)


def _start(q: RepoQueue, action: StartBuild) -> None:
    branch = q.config.spec_prefix + action.build_id
    try:
        tip = q.forge.build_spec(branch, action.base_sha, [head for _, head in action.prs])
    except SpecConflict as conflict:
        q.forge.delete_branch(branch)
        q.apply(Conflicted(action.prs[conflict.index][0], _UNNAMED))
        return
    q.record("spec", tip, action.build_id)
    q.record("build", action.build_id, tip)
    q.ledger.add(f"specs:{q.key}", action.build_id)
    chain = " + ".join(f"#{pr}" for pr, _ in action.prs)
    pr, head = action.prs[-1]
    text = f"Speculative Build: Pending ({action.build_id}: {branch} = base + {chain})"
    q.forge.post_status(head, "pending", text, q.config.context)
    log.info("speculative build started", repo=q.key, build=action.build_id, pr=pr, tip=tip)


def _drop_branch(q: RepoQueue, build_id: str) -> None:
    q.forge.delete_branch(q.config.spec_prefix + build_id)
    q.ledger.discard(f"specs:{q.key}", build_id)


def _eject(q: RepoQueue, action: Eject, head: str | None) -> None:
    q.metrics.inc("velocity_github_app_ejections_total")
    if head is not None:
        q.record("ejected", action.pr, head)
    q.forge.set_label(action.pr, q.config.label, False)
    body = (
        f"Removed from the merge queue: {action.reason}.\n\n"
        "Push a fix, then label the pull request again or comment `/quantum merge`."
    )
    q.forge.comment(action.pr, body)
    log.info("ejected", repo=q.key, pr=action.pr, reason=action.reason)


def _land(q: RepoQueue, action: Merge) -> set[int]:
    new_sha: str | None = None
    for index, (pr, head) in enumerate(action.prs):
        try:
            new_sha = q.forge.merge_pull(pr, head, q.config.merge_method)
        except MergeRefused as refused:
            log.warning("merge refused; requeued", repo=q.key, pr=pr, status=refused.status)
            left = [number for number, _ in action.prs[index:]]
            q.requeue(left)
            return set(left)
        q.metrics.inc("velocity_github_app_merges_total")
    if new_sha is None:
        return set()
    tip = q.ledger.get(q.record("build", action.build_id))
    if tip is not None and q.forge.tree_of(tip) != q.forge.tree_of(new_sha):
        # What landed is not what was tested (never seen: git merges deterministically).
        log.error("landed tree differs from tested tree", repo=q.key, build=action.build_id)
        q.apply(BaseMoved(new_sha))
        return set()
    state = q.store.load()
    q.apply(BaseAdvanced(state.base_sha, state.landed, new_sha))
    return set()
