"""Handlers for the git database: refs and commit objects."""

from __future__ import annotations

from velocity.testing.github._call import Call
from velocity.testing.github._call import Handler
from velocity.testing.github._call import Reply
from velocity.testing.github._errors import ApiError
from velocity.testing.github._errors import invalid
from velocity.testing.github._errors import not_found
from velocity.testing.github._refs import create_ref
from velocity.testing.github._refs import delete_ref
from velocity.testing.github._refs import ref_or_404
from velocity.testing.github._refs import update_ref
from velocity.testing.github._render_base import git_commit_json
from velocity.testing.github._render_base import ref_json

__all__ = ["HANDLERS"]


def _full(ref: str) -> str:
    return ref if ref.startswith("refs/") else f"refs/{ref}"


def get_ref(call: Call) -> Reply:
    repo = call.repo()
    ref = _full(call.params["ref"])
    return 200, ref_json(call.urls, repo, ref, ref_or_404(repo, ref))


def post_ref(call: Call) -> Reply:
    repo = call.repo()
    ref, sha = call.body["ref"], call.body["sha"]
    create_ref(call.state, repo, ref, sha)
    return 201, ref_json(call.urls, repo, ref, sha)


def patch_ref(call: Call) -> Reply:
    repo = call.repo()
    ref = _full(call.params["ref"])
    update_ref(call.state, repo, ref, call.body["sha"], bool(call.body.get("force", False)))
    return 200, ref_json(call.urls, repo, ref, call.body["sha"])


def remove_ref(call: Call) -> Reply:
    repo = call.repo()
    delete_ref(call.state, repo, _full(call.params["ref"]))
    return 204, None


def get_commit(call: Call) -> Reply:
    repo = call.repo()
    sha = call.params["commit_sha"]
    if repo.git.resolve(sha) != sha:
        raise not_found()
    return 200, git_commit_json(call.urls, repo, sha)


def post_commit(call: Call) -> Reply:
    repo = call.repo()
    body = call.body
    parents = body.get("parents", [])
    if any(repo.git.resolve(p) != p for p in parents):
        raise invalid("Parent SHA does not exist or is not a commit object", "parents")
    try:
        repo.git.git("cat-file", "-e", f"{body['tree']}^{{tree}}")
    except Exception:
        raise invalid("Tree SHA does not exist", "tree") from None
    sha = repo.git.commit_tree(body["tree"], parents, body["message"])
    if not sha:
        raise ApiError(409, "Git Repository is empty.")
    return 201, git_commit_json(call.urls, repo, sha)


HANDLERS: dict[str, Handler] = {
    "git/get-ref": get_ref,
    "git/create-ref": post_ref,
    "git/update-ref": patch_ref,
    "git/delete-ref": remove_ref,
    "git/get-commit": get_commit,
    "git/create-commit": post_commit,
}
