"""Ref moves and branch merges, as GitHub's git/refs and merges endpoints do them."""

from __future__ import annotations

from velocity.testing.github._errors import ApiError
from velocity.testing.github._errors import invalid
from velocity.testing.github._errors import not_found
from velocity.testing.github._git import MergeConflictError
from velocity.testing.github._model import Repo
from velocity.testing.github._state import DomainEvent
from velocity.testing.github._state import State

__all__ = ["branch_moved", "create_ref", "delete_ref", "merge_branch", "update_ref"]

_ZERO = "0" * 40


def branch_moved(
    state: State,
    repo: Repo,
    ref: str,
    before: str | None,
    after: str | None,
    sender: str | None = None,
) -> None:
    """Announce a ref change: a ``push`` event, and ``synchronize`` for PRs whose head moved."""
    who = {"sender": sender} if sender else {}
    extra = {"ref": ref, "before": before or _ZERO, "after": after or _ZERO, **who}
    state.emit(DomainEvent("push", repo, extra=extra))
    branch = ref.removeprefix("refs/heads/")
    if not ref.startswith("refs/heads/") or after is None:
        return
    for pull in state.pulls_for_head(repo, branch):
        if pull.head_sha != after:
            before_sha, pull.head_sha = pull.head_sha, after
            extra = {"before": before_sha, "after": after, **who}
            state.emit(DomainEvent("pull_request", repo, "synchronize", pull, extra))


def create_ref(state: State, repo: Repo, ref: str, sha: str) -> None:
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise invalid("Reference name must start with 'refs/' and have at least two slashes.")
    if repo.git.ref(ref) is not None:
        raise invalid("Reference already exists", "ref", "already_exists")
    if repo.git.resolve(sha) != sha:
        raise invalid("Object does not exist", "sha")
    repo.git.update_ref(ref, sha, None)
    branch_moved(state, repo, ref, None, sha)


def update_ref(state: State, repo: Repo, ref: str, sha: str, force: bool) -> None:
    old = repo.git.ref(ref)
    if old is None:
        raise invalid("Reference does not exist", "ref")
    if repo.git.resolve(sha) != sha:
        raise invalid("Object does not exist", "sha")
    if not force and not repo.git.is_ancestor(old, sha):
        raise invalid("Update is not a fast forward", "sha")
    repo.git.update_ref(ref, sha, old)
    branch_moved(state, repo, ref, old, sha)


def delete_ref(state: State, repo: Repo, ref: str) -> None:
    old = repo.git.ref(ref)
    if old is None:
        raise invalid("Reference does not exist", "ref")
    if ref == f"refs/heads/{repo.default_branch}":
        raise invalid("Cannot delete the default branch", "ref")
    repo.git.delete_ref(ref, old)
    branch_moved(state, repo, ref, old, None)


def merge_branch(state: State, repo: Repo, base: str, head: str, message: str | None) -> str | None:
    """Merge *head* into branch *base*; the new commit, or None when nothing was to merge."""
    base_ref = f"refs/heads/{base}"
    base_sha = repo.git.ref(base_ref)
    head_sha = repo.git.resolve(head)
    if base_sha is None or head_sha is None:
        raise ApiError(404, "Base does not exist" if base_sha is None else "Head does not exist")
    if repo.git.is_ancestor(head_sha, base_sha):
        return None
    try:
        merged = repo.git.merge(base_sha, head_sha, message or f"Merge {head} into {base}")
    except MergeConflictError:
        raise ApiError(409, "Merge conflict") from None
    repo.git.update_ref(base_ref, merged, base_sha)
    branch_moved(state, repo, base_ref, base_sha, merged)
    return merged


def ref_or_404(repo: Repo, ref: str) -> str:
    sha = repo.git.ref(ref)
    if sha is None:
        raise not_found()
    return sha
