"""What a route handler receives and returns, and the protocol every handler implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Protocol

from velocity.testing.github._auth import AppIdentity
from velocity.testing.github._auth import Credential
from velocity.testing.github._model import Repo
from velocity.testing.github._render_base import Urls
from velocity.testing.github._state import State

__all__ = ["Call", "Handler", "Reply"]

#: An HTTP status and a JSON body (None for an empty body).
Reply = tuple[int, Any]


@dataclass
class Call:
    """One validated API request, with the double's state to act on."""

    state: State
    urls: Urls
    app: AppIdentity
    credential: Credential
    params: dict[str, Any]
    query: dict[str, Any]
    body: Any

    @property
    def actor(self) -> str:
        """The login that appears as creator/author of what this call makes."""
        return self.app.slug + "[bot]"

    def repo(self) -> Repo:
        return self.state.repo(self.params["owner"], self.params["repo"])


class Handler(Protocol):
    """A route handler: keyed by ``operationId`` in a plain dict registry."""

    def __call__(self, call: Call) -> Reply: ...
