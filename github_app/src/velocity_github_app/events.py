"""Webhook payloads -> hints: only the few fields the app uses, each checked.

A hint says *what to look at again*, never what is true: the runner re-reads
GitHub before it changes the queue, so duplicated, reordered or stale events
cannot cause a wrong merge. The payload examples GitHub publishes are older than
githubkit's strict models, hence plain dict access here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Literal

from velocity.core.errors import VelocityError

__all__ = [
    "BaseHint",
    "BuildHint",
    "CommandHint",
    "Hint",
    "InstallationHint",
    "PayloadError",
    "PullHint",
    "RepoRef",
    "parse_command",
    "parse_event",
]

RepoRef = tuple[str, str]
"""``(owner, name)`` of a repository."""

Command = Literal["merge", "cancel", "priority-high"]


class PayloadError(VelocityError):
    """A signed payload lacks a field the app needs (answered with 400).

    .. versionadded:: 0.1
    """


@dataclass(frozen=True)
class PullHint:
    """Look again at pull request *number*: labels, head, open or closed.

    .. versionadded:: 0.1
    """

    repo: RepoRef
    number: int


@dataclass(frozen=True)
class CommandHint:
    """``/quantum <command>`` was written on pull request *number*.

    .. versionadded:: 0.1
    """

    repo: RepoRef
    number: int
    command: Command


@dataclass(frozen=True)
class BuildHint:
    """CI reported something on commit *sha* (maybe a speculative one).

    .. versionadded:: 0.1
    """

    repo: RepoRef
    sha: str


@dataclass(frozen=True)
class BaseHint:
    """Branch *branch* moved: if it is the base, the queue may have to rebuild.

    .. versionadded:: 0.1
    """

    repo: RepoRef
    branch: str


@dataclass(frozen=True)
class InstallationHint:
    """The app is installed as *installation_id* on *repos* (or they were added).

    .. versionadded:: 0.1
    """

    installation_id: int
    repos: tuple[RepoRef, ...]


Hint = PullHint | CommandHint | BuildHint | BaseHint | InstallationHint

_COMMANDS: dict[str, Command] = {
    "merge": "merge",
    "cancel": "cancel",
    "priority high": "priority-high",
}


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            raise PayloadError("payload has no " + ".".join(path))
        data = data[key]
    return data


def _str(data: Any, *path: str) -> str:
    value = _get(data, *path)
    if not isinstance(value, str) or not value:
        raise PayloadError(".".join(path) + " is not a non-empty string")
    return value


def _int(data: Any, *path: str) -> int:
    value = _get(data, *path)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError(".".join(path) + " is not an integer")
    return value


def _dict(data: Any, *path: str) -> dict[str, Any]:
    value = _get(data, *path)
    if not isinstance(value, dict):
        raise PayloadError(".".join(path) + " is not an object")
    return value


def _repo_ref(full_name: str) -> RepoRef:
    owner, sep, name = full_name.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise PayloadError(f"bad repository name {full_name!r}")
    return owner, name


def _repo(payload: Any) -> RepoRef:
    return _repo_ref(_str(payload, "repository", "full_name"))


def _installation_id(payload: Any) -> int | None:
    """The ``installation.id`` a delivery to an app carries, if any.

    .. versionadded:: 0.1
    """
    inst = payload.get("installation") if isinstance(payload, dict) else None
    if isinstance(inst, dict) and isinstance(inst.get("id"), int):
        return int(inst["id"])
    return None


def parse_command(body: str) -> Command | None:
    """The first ``/quantum <command>`` line of a comment *body*, or ``None``.

    .. versionadded:: 0.1
    """
    for line in body.splitlines():
        words = line.strip().split()
        if len(words) >= 2 and words[0] == "/quantum":
            return _COMMANDS.get(" ".join(words[1:]).lower())
    return None


def _pull_request(payload: Any, label: str, allowed: frozenset[str]) -> list[Hint]:
    action = _str(payload, "action")
    if action in ("labeled", "unlabeled") and _str(payload, "label", "name") != label:
        return []
    return [PullHint(_repo(payload), _int(payload, "pull_request", "number"))]


def _issue_comment(payload: Any, label: str, allowed: frozenset[str]) -> list[Hint]:
    if _str(payload, "action") != "created" or not _dict(payload, "issue").get("pull_request"):
        return []
    command = parse_command(_str(payload, "comment", "body"))
    if command is None or _str(payload, "comment", "author_association") not in allowed:
        return []
    if _dict(payload, "comment", "user").get("type") == "Bot":
        return []  # never obey a bot (this app's own comments included)
    return [CommandHint(_repo(payload), _int(payload, "issue", "number"), command)]


def _installation(payload: Any, label: str, allowed: frozenset[str]) -> list[Hint]:
    ident = _int(payload, "installation", "id")
    if _str(payload, "action") in ("deleted", "suspend", "removed"):
        return []
    listed = payload.get("repositories") or payload.get("repositories_added") or []
    if not isinstance(listed, list):
        raise PayloadError("repositories is not a list")
    return [InstallationHint(ident, tuple(_repo_ref(_str(r, "full_name")) for r in listed))]


def _push(payload: Any, label: str, allowed: frozenset[str]) -> list[Hint]:
    ref = _str(payload, "ref")
    if not ref.startswith("refs/heads/"):
        return []
    return [BaseHint(_repo(payload), ref.removeprefix("refs/heads/"))]


Parser = Callable[[Any, str, frozenset[str]], list[Hint]]

PARSERS: dict[str, Parser] = {
    "pull_request": _pull_request,
    "issue_comment": _issue_comment,
    "check_run": lambda p, _l, _a: [BuildHint(_repo(p), _str(p, "check_run", "head_sha"))],
    "check_suite": lambda p, _l, _a: [BuildHint(_repo(p), _str(p, "check_suite", "head_sha"))],
    "status": lambda p, _l, _a: [BuildHint(_repo(p), _str(p, "sha"))],
    "push": _push,
    "installation": _installation,
    "installation_repositories": _installation,
    # merge_group belongs to GitHub's own merge queue; this app never answers it.
}
"""Event name -> parser; events not listed are acknowledged and ignored."""


def parse_event(
    event: str,
    payload: Any,
    *,
    label: str = "quantum:merge",
    allowed: frozenset[str] = frozenset({"OWNER", "MEMBER", "COLLABORATOR"}),
) -> list[Hint]:
    """The hints in one delivery of *event* (``X-GitHub-Event``); ``[]`` when none matter.

    :param label: the queue label; other labels' (un)labeled events are ignored.
    :param allowed: comment author associations whose ``/quantum`` commands count.
    :raises PayloadError: a field the app needs is missing or mistyped.

    .. versionadded:: 0.1
    """
    parser = PARSERS.get(event)
    if parser is None:
        return []
    if not isinstance(payload, dict):
        raise PayloadError("payload is not a JSON object")
    hints = parser(payload, label, allowed)
    ident = _installation_id(payload)
    if ident is not None and hints and not isinstance(hints[0], InstallationHint):
        repo = hints[0].repo
        hints.insert(0, InstallationHint(ident, (repo,)))
    return hints
