"""``GitHubDouble``: the honest local GitHub, served on loopback and driven by tests."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from velocity.testing.github._asgi import API_PREFIX
from velocity.testing.github._asgi import ApiContext
from velocity.testing.github._asgi import build_app
from velocity.testing.github._auth import AppIdentity
from velocity.testing.github._openapi import load_spec
from velocity.testing.github._payloads import PayloadContext
from velocity.testing.github._payloads import build_payload
from velocity.testing.github._people import RepoActions
from velocity.testing.github._render_base import Urls
from velocity.testing.github._routes import HANDLERS
from velocity.testing.github._serve import ThreadedServer
from velocity.testing.github._state import DomainEvent
from velocity.testing.github._state import State
from velocity.testing.github._validate import SchemaViolation
from velocity.testing.github._validate import Violations
from velocity.testing.github._webhooks import Delivery
from velocity.testing.github._webhooks import WebhookSender

__all__ = ["GitHubDouble", "SchemaViolationError"]


class SchemaViolationError(AssertionError):
    """Traffic through the double broke the OpenAPI subset.

    .. versionadded:: 0.1
    """


def _rsa_pair() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


class GitHubDouble(RepoActions):
    """A local GitHub API backed by real bare git repositories, checked against the subset.

    Use it as a context manager (or call :meth:`start` / :meth:`stop`) and point githubkit
    at :attr:`base_url` with :attr:`app_id` and :attr:`private_key_pem`.

    :param workdir: where bare repositories live; a temporary directory by default.
    :param owner: the account the app is installed on.
    :param app_slug: the app's slug; its bot login is ``<slug>[bot]``.
    :param webhook_secret: the secret deliveries are signed with (random by default).
    :param webhook_url: where deliveries go (also settable with :meth:`set_webhook`).
    :param auto_deliver: deliver events from a background thread instead of on
        :meth:`deliver_pending`.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        owner: str = "velocity",
        app_slug: str = "velocity-quantum",
        webhook_secret: str | None = None,
        webhook_url: str | None = None,
        auto_deliver: bool = False,
    ) -> None:
        # Fail on missing fixtures before anything is created on disk.
        spec = load_spec()
        self._own_dir = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="github-double-")) if workdir is None else workdir
        )
        self.private_key_pem, public = _rsa_pair()
        # githubkit caches tokens per app id process-wide: a fresh id per double keeps them apart.
        app_id, installation_id = 10**5 + secrets.randbelow(9 * 10**5), secrets.randbelow(10**7)
        self.app = AppIdentity(app_id, app_slug, owner, public, installation_id + 1)
        self.webhook_secret = webhook_secret or secrets.token_hex(16)
        self.violations_log = Violations()
        self.state = State(self.workdir / "repos", app_slug, self._on_event)
        self.webhooks = WebhookSender(
            spec, self.violations_log, self.webhook_secret, webhook_url, auto_deliver
        )
        self._ctx = ApiContext(spec, self.state, self.app, self.violations_log)
        self._server = ThreadedServer(build_app(self._ctx))

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> GitHubDouble:
        """Serve on a free loopback port; returns self."""
        port = self._server.start()
        web = f"http://127.0.0.1:{port}"
        self._ctx.urls = Urls(api=web + API_PREFIX, web=web)
        return self

    def stop(self) -> None:
        """Stop serving, stop deliveries, and remove the temporary work directory."""
        self._server.stop()
        self.webhooks.close()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> GitHubDouble:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The REST API root, GHES style (``http://127.0.0.1:<port>/api/v3/``)."""
        return self._ctx.urls.api + "/"

    @property
    def app_id(self) -> int:
        return self.app.app_id

    @property
    def installation_id(self) -> int:
        return self.app.installation_id

    # -- webhooks ---------------------------------------------------------------------------

    def set_webhook(self, url: str | None) -> None:
        """Send deliveries to *url* (None: keep them queued)."""
        self.webhooks.url = url

    def deliver_pending(self) -> list[Delivery]:
        """POST every queued delivery in order; returns them with the receiver's answers."""
        return self.webhooks.deliver_pending()

    def emit_example(
        self,
        event: str,
        action: str | None,
        owner: str,
        name: str,
        overrides: dict[str, Any] | None = None,
    ) -> Delivery:
        """Queue GitHub's example payload for *event* (``merge_group``, ``installation``, ...).

        Repository, installation and sender are patched to the double's; events the double
        models (``pull_request``, ``push``, ...) should rather come from real state changes.
        *overrides* replace top-level keys. The payload is validated like every delivery.
        """
        with self.state.lock:
            repo = self.state.repo(owner, name)
            ctx = PayloadContext(self.state, self._ctx.urls, self.app)
            payload = build_payload(ctx, DomainEvent(event, repo, action), from_state=False)
        payload.update(overrides or {})
        delivery = self.webhooks.prepare(event, action, payload)
        self.webhooks.enqueue(delivery)
        return delivery

    def _on_event(self, event: DomainEvent) -> None:
        ctx = PayloadContext(self.state, self._ctx.urls, self.app)
        self.webhooks.enqueue(
            self.webhooks.prepare(event.event, event.action, build_payload(ctx, event))
        )

    # -- checking ---------------------------------------------------------------------------

    @property
    def violations(self) -> list[SchemaViolation]:
        """Every request, response or webhook that broke the subset so far."""
        return self.violations_log.snapshot()

    def assert_no_violations(self) -> None:
        """Raise :class:`SchemaViolationError` listing every violation recorded so far."""
        found = self.violations
        if found:
            raise SchemaViolationError("\n".join(map(str, found)))

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """``(method, path, status)`` for every API request served, in order."""
        return list(self._ctx.requests)

    @staticmethod
    def implemented_operations() -> list[str]:
        """The ``operationId`` of every subset operation the double implements."""
        return sorted(HANDLERS)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``githubkit.AppAuthStrategy``."""
        return {"app_id": self.app_id, "private_key": self.private_key_pem}
