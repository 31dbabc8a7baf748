"""What the app asks of GitHub for one repository, and its githubkit implementation.

Responses are read as plain JSON (``response.json()``) for the few fields used, so a
GitHub Enterprise Server older than githubkit's models answers just as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Literal
from typing import Protocol
from typing import cast

from githubkit import GitHub
from githubkit.exception import RequestFailed

from velocity.quantum.model import Outcome

__all__ = ["ClientFactory", "Forge", "GitHubForge", "MergeRefused", "PullInfo", "SpecConflict"]

ClientFactory = Callable[[], GitHub[Any]]
"""Makes a githubkit client authenticated as the App (JWT); installations derive from it."""

StatusState = Literal["error", "failure", "pending", "success"]
MergeMethod = Literal["merge", "squash", "rebase"]

_FAILED = {"failure", "error", "timed_out", "cancelled", "action_required", "startup_failure"}


class SpecConflict(Exception):
    """The speculative merge of the *index*-th head did not merge cleanly."""

    def __init__(self, index: int) -> None:
        super().__init__(f"head #{index} conflicts")
        self.index = index


class MergeRefused(Exception):
    """GitHub refused a merge (409: head moved, 405: not mergeable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


@dataclass(frozen=True)
class PullInfo:
    """The state of a pull request as GitHub reports it now.

    .. versionadded:: 0.1
    """

    number: int
    open: bool
    merged: bool
    head_sha: str
    base_ref: str
    labels: frozenset[str]


class Forge(Protocol):
    """One repository on GitHub, as the queue driver sees it.

    .. versionadded:: 0.1
    """

    def default_branch(self) -> str: ...
    def branch_sha(self, branch: str) -> str | None: ...
    def pull(self, number: int) -> PullInfo: ...
    def open_pulls(self, base: str) -> list[PullInfo]: ...
    def build_spec(self, branch: str, base_sha: str, heads: list[str]) -> str: ...
    def delete_branch(self, branch: str) -> None: ...
    def ci_outcome(self, sha: str, ignore: str, required: tuple[str, ...]) -> Outcome | None: ...
    def post_status(self, sha: str, state: str, description: str, context: str) -> None: ...
    def merge_pull(self, number: int, sha: str, method: str) -> str: ...
    def comment(self, number: int, body: str) -> None: ...
    def set_label(self, number: int, label: str, present: bool) -> None: ...
    def tree_of(self, sha: str) -> str: ...


def _json(response: Any) -> Any:
    # githubkit types bodies as its models' TypedDicts; the app reads a few keys as plain JSON.
    return response.json()


def _pull_info(raw: Any) -> PullInfo:
    return PullInfo(
        number=int(raw["number"]),
        open=raw["state"] == "open",
        merged=bool(raw.get("merged") or raw.get("merged_at")),
        head_sha=str(raw["head"]["sha"]),
        base_ref=str(raw["base"]["ref"]),
        labels=frozenset(str(label["name"]) for label in raw.get("labels") or ()),
    )


class GitHubForge:
    """:class:`Forge` over githubkit, as the App's installation on ``owner/name``.

    :param client: a githubkit client authenticated as the installation.

    .. versionadded:: 0.1
    """

    def __init__(self, client: GitHub[Any], owner: str, name: str) -> None:
        self.gh, self.owner, self.name = client, owner, name

    def default_branch(self) -> str:
        return str(_json(self.gh.rest.repos.get(self.owner, self.name))["default_branch"])

    def branch_sha(self, branch: str) -> str | None:
        try:
            raw = _json(self.gh.rest.git.get_ref(self.owner, self.name, f"heads/{branch}"))
        except RequestFailed as exc:
            if exc.response.status_code == 404:
                return None
            raise
        return str(raw["object"]["sha"])

    def pull(self, number: int) -> PullInfo:
        return _pull_info(_json(self.gh.rest.pulls.get(self.owner, self.name, number)))

    def open_pulls(self, base: str) -> list[PullInfo]:
        found: list[PullInfo] = []
        for page in range(1, 100):
            raw = _json(
                self.gh.rest.pulls.list(
                    self.owner, self.name, state="open", base=base, per_page=100, page=page
                )
            )
            found += [_pull_info(item) for item in raw]
            if len(raw) < 100:
                break
        return found

    def build_spec(self, branch: str, base_sha: str, heads: list[str]) -> str:
        ref = f"refs/heads/{branch}"
        try:
            self.gh.rest.git.create_ref(self.owner, self.name, ref=ref, sha=base_sha)
        except RequestFailed as exc:
            if exc.response.status_code != 422:  # it exists: start it over
                raise
            self.gh.rest.git.update_ref(self.owner, self.name, ref[5:], sha=base_sha, force=True)
        tip = base_sha
        for index, head in enumerate(heads):
            try:
                resp = self.gh.rest.repos.merge(self.owner, self.name, base=branch, head=head)
            except RequestFailed as exc:
                if exc.response.status_code == 409:
                    raise SpecConflict(index) from None
                raise
            if resp.status_code == 201:
                tip = str(_json(resp)["sha"])
        return tip

    def delete_branch(self, branch: str) -> None:
        try:
            self.gh.rest.git.delete_ref(self.owner, self.name, f"heads/{branch}")
        except RequestFailed as exc:
            if exc.response.status_code not in (404, 422):  # already gone
                raise

    def ci_outcome(self, sha: str, ignore: str, required: tuple[str, ...]) -> Outcome | None:
        results: dict[str, str | None] = {}
        combined = self.gh.rest.repos.get_combined_status_for_ref(self.owner, self.name, sha)
        for status in _json(combined)["statuses"]:
            state = str(status["state"])
            results[str(status["context"])] = None if state == "pending" else state
        runs = self.gh.rest.checks.list_for_ref(self.owner, self.name, sha, per_page=100)
        for run in _json(runs)["check_runs"]:
            done = run["status"] == "completed"
            results[str(run["name"])] = str(run["conclusion"]) if done else None
        results.pop(ignore, None)
        return _outcome(results, required)

    def post_status(self, sha: str, state: str, description: str, context: str) -> None:
        self.gh.rest.repos.create_commit_status(
            self.owner,
            self.name,
            sha,
            state=cast(StatusState, state),
            description=description[:140],
            context=context,
        )

    def merge_pull(self, number: int, sha: str, method: str) -> str:
        try:
            resp = self.gh.rest.pulls.merge(
                self.owner,
                self.name,
                number,
                sha=sha,
                merge_method=cast(MergeMethod, method),
            )
        except RequestFailed as exc:
            if exc.response.status_code in (405, 409, 422):
                raise MergeRefused(exc.response.status_code, str(exc)) from None
            raise
        return str(_json(resp)["sha"])

    def comment(self, number: int, body: str) -> None:
        self.gh.rest.issues.create_comment(self.owner, self.name, number, body=body)

    def set_label(self, number: int, label: str, present: bool) -> None:
        try:
            if present:
                self.gh.rest.issues.add_labels(self.owner, self.name, number, labels=[label])
            else:
                self.gh.rest.issues.remove_label(self.owner, self.name, number, label)
        except RequestFailed as exc:
            if exc.response.status_code != 404:  # removing a label that is not there
                raise

    def tree_of(self, sha: str) -> str:
        return str(_json(self.gh.rest.git.get_commit(self.owner, self.name, sha))["tree"]["sha"])


def _outcome(results: dict[str, str | None], required: tuple[str, ...]) -> Outcome | None:
    states = set(results.values())
    if states & (_FAILED - {"error"}):
        return "fail"
    if "error" in states:
        return "error"  # the CI broke, not the code: the scheduler rebuilds
    if any(name not in results for name in required) or not results:
        return None
    if any(state is None for state in results.values()):
        return None
    return "pass"
