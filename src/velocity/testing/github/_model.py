"""The records the double keeps besides git itself (which owns refs and commits)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from velocity.testing.github._git import BareRepo

__all__ = ["CheckRun", "Comment", "Pull", "Repo", "Status", "iso_now"]


def iso_now() -> str:
    """Now, in GitHub's timestamp format."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Repo:
    id: int
    owner: str
    owner_id: int
    name: str
    default_branch: str
    git: BareRepo
    created_at: str = field(default_factory=iso_now)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Pull:
    id: int
    number: int
    repo: Repo
    title: str
    body: str | None
    head_ref: str
    base_ref: str
    user: str
    head_sha: str
    draft: bool = False
    state: str = "open"
    merged: bool = False
    merged_at: str | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    closed_at: str | None = None
    labels: list[str] = field(default_factory=list)
    comments: int = 0
    created_at: str = field(default_factory=iso_now)
    updated_at: str = field(default_factory=iso_now)


@dataclass
class Status:
    id: int
    repo: Repo
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: str = field(default_factory=iso_now)


@dataclass
class CheckRun:
    id: int
    suite_id: int
    repo: Repo
    head_sha: str
    name: str
    status: str = "queued"
    conclusion: str | None = None
    details_url: str | None = None
    external_id: str | None = None
    output: dict[str, Any] = field(default_factory=dict)
    started_at: str | None = None
    completed_at: str | None = None


@dataclass
class Comment:
    id: int
    repo: Repo
    issue_number: int
    body: str
    user: str
    user_type: str = "User"
    created_at: str = field(default_factory=iso_now)
