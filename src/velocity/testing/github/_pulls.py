"""Pull request life cycle: open, label, merge pinned to a head SHA, update from base."""

from __future__ import annotations

from velocity.testing.github._errors import ApiError
from velocity.testing.github._errors import invalid
from velocity.testing.github._git import MergeConflictError
from velocity.testing.github._model import Comment
from velocity.testing.github._model import Pull
from velocity.testing.github._model import Repo
from velocity.testing.github._model import iso_now
from velocity.testing.github._refs import branch_moved
from velocity.testing.github._state import DomainEvent
from velocity.testing.github._state import State

__all__ = ["add_comment", "add_labels", "merge_pull", "mergeable", "open_pull", "remove_label"]


def open_pull(
    state: State,
    repo: Repo,
    head: str,
    base: str,
    title: str,
    body: str | None,
    user: str,
    sender: str | None = None,
    *,
    draft: bool = False,
) -> Pull:
    branch = head.split(":", 1)[-1]
    head_sha = repo.git.ref(f"refs/heads/{branch}")
    if head_sha is None:
        raise invalid("Validation Failed", "head", "invalid")
    if repo.git.ref(f"refs/heads/{base}") is None:
        raise invalid("Validation Failed", "base", "invalid")
    if state.pulls_for_head(repo, branch) and any(
        p.base_ref == base for p in state.pulls_for_head(repo, branch)
    ):
        raise invalid(f"A pull request already exists for {repo.owner}:{branch}.", code="custom")
    number = state.next_number(repo)
    pull = Pull(state.next_id(), number, repo, title, body, branch, base, user, head_sha, draft)
    state.pulls[(repo.full_name, number)] = pull
    state.emit(DomainEvent("pull_request", repo, "opened", pull, _who(sender)))
    return pull


def mergeable(repo: Repo, pull: Pull) -> bool | None:
    """Whether head merges cleanly into base (None once closed, like GitHub)."""
    if pull.state != "open":
        return None
    base = repo.git.ref(f"refs/heads/{pull.base_ref}")
    if base is None:
        return False
    try:
        repo.git.merge_tree(base, pull.head_sha)
    except MergeConflictError:
        return False
    return True


def merge_pull(
    state: State, pull: Pull, sha: str | None, method: str, title: str | None, message: str | None
) -> str:
    """Merge like ``PUT /pulls/{n}/merge``: 405 when not mergeable, 409 when *sha* is stale."""
    repo = pull.repo
    if pull.state != "open" or pull.draft:
        raise ApiError(405, "Pull Request is not mergeable")
    if sha is not None and sha != pull.head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    base_ref = f"refs/heads/{pull.base_ref}"
    base = repo.git.ref(base_ref)
    if base is None or not mergeable(repo, pull):
        raise ApiError(405, "Pull Request is not mergeable")
    subject = title or _default_title(pull, method)
    text = f"{subject}\n\n{message if message is not None else pull.title}"
    tree = repo.git.merge_tree(base, pull.head_sha)
    if method == "merge":
        new = repo.git.commit_tree(tree, [base, pull.head_sha], text)
    elif method == "squash":
        new = repo.git.commit_tree(tree, [base], text)
    else:
        try:
            new = repo.git.rebase(base, pull.head_sha)
        except MergeConflictError:
            raise ApiError(405, "Pull Request is not mergeable") from None
    repo.git.update_ref(base_ref, new, base)
    pull.state, pull.merged = "closed", True
    pull.merged_at = pull.closed_at = pull.updated_at = iso_now()
    pull.merged_by, pull.merge_commit_sha = state.bot_login, new
    state.emit(DomainEvent("pull_request", repo, "closed", pull))
    branch_moved(state, repo, base_ref, base, new)
    return new


def _default_title(pull: Pull, method: str) -> str:
    if method == "squash":
        return f"{pull.title} (#{pull.number})"
    return f"Merge pull request #{pull.number} from {pull.repo.owner}/{pull.head_ref}"


def _who(sender: str | None) -> dict[str, str]:
    return {"sender": sender} if sender else {}


def add_labels(state: State, pull: Pull, names: list[str], sender: str | None = None) -> None:
    for name in names:
        if name not in pull.labels:
            pull.labels.append(name)
            extra = {"label": name, **_who(sender)}
            state.emit(DomainEvent("pull_request", pull.repo, "labeled", pull, extra))


def remove_label(state: State, pull: Pull, name: str, sender: str | None = None) -> None:
    if name not in pull.labels:
        raise ApiError(404, "Label does not exist")
    pull.labels.remove(name)
    extra = {"label": name, **_who(sender)}
    state.emit(DomainEvent("pull_request", pull.repo, "unlabeled", pull, extra))


def update_branch(state: State, pull: Pull, expected: str | None) -> None:
    """Merge the base branch into the PR head branch (``PUT .../update-branch``)."""
    if expected is not None and expected != pull.head_sha:
        raise invalid("expected head sha didn't match current head ref.", "expected_head_sha")
    repo = pull.repo
    head_ref = f"refs/heads/{pull.head_ref}"
    base = repo.git.ref(f"refs/heads/{pull.base_ref}")
    if base is None or repo.git.is_ancestor(base, pull.head_sha):
        return
    try:
        new = repo.git.merge(
            pull.head_sha, base, f"Merge branch '{pull.base_ref}' into {pull.head_ref}"
        )
    except MergeConflictError:
        raise invalid("merge conflict between base and head", code="custom") from None
    old = pull.head_sha
    repo.git.update_ref(head_ref, new, old)
    branch_moved(state, repo, head_ref, old, new)


def add_comment(state: State, pull: Pull, body: str, user: str) -> Comment:
    """Record a comment on *pull* and announce it with an ``issue_comment`` event."""
    user_type = "Bot" if user.endswith("[bot]") else "User"
    comment = Comment(state.next_id(), pull.repo, pull.number, body, user, user_type)
    state.comments[comment.id] = comment
    pull.comments += 1
    extra = {"comment": comment, "sender": user}
    state.emit(DomainEvent("issue_comment", pull.repo, "created", pull, extra))
    return comment
