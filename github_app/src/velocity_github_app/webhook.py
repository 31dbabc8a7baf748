"""``POST /webhook``: verify, deduplicate, parse, hand over, answer 202 — nothing more."""

from __future__ import annotations

import json

from githubkit.webhooks import verify
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from velocity_github_app.config import AppConfig
from velocity_github_app.events import PayloadError
from velocity_github_app.events import parse_event
from velocity_github_app.ledger import Ledger
from velocity_github_app.metrics import Metrics
from velocity_github_app.runner import Runner

__all__ = ["WebhookEndpoint"]

_PREFIX = "sha256="


class WebhookEndpoint:
    """The ASGI endpoint GitHub delivers to.

    A missing or bad ``X-Hub-Signature-256`` (only ``sha256=`` is accepted, compared in
    constant time) is 401 and nothing is queued; a repeated ``X-GitHub-Delivery`` is 200
    and ignored; anything else that parses is queued for the runner and answered 202.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        secret: str | None,
        ledger: Ledger,
        runner: Runner,
        config: AppConfig,
        metrics: Metrics,
    ) -> None:
        self.secret, self.ledger, self.runner = secret, ledger, runner
        self.config, self.metrics = config, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        event = request.headers.get("x-github-event", "")
        status, result, body = await self._receive(request, event)
        self.metrics.inc("velocity_github_app_deliveries_total", event=event or "-", result=result)
        await JSONResponse({"result": result, **body}, status_code=status)(scope, receive, send)

    async def _receive(self, request: Request, event: str) -> tuple[int, str, dict[str, object]]:
        body = await request.body()
        signature = request.headers.get("x-hub-signature-256", "")
        if not self._signed(body, signature):
            return 401, "unauthorized", {}
        delivery = request.headers.get("x-github-delivery", "")
        if not event or not delivery:
            return 400, "invalid", {"error": "X-GitHub-Event and X-GitHub-Delivery are required"}
        try:
            hints = parse_event(
                event,
                json.loads(body),
                label=self.config.label,
                allowed=self.config.command_associations,
            )
        except (ValueError, PayloadError) as exc:
            return 400, "invalid", {"error": str(exc)[:200]}
        if not await run_in_threadpool(self.ledger.first_delivery, delivery):
            return 200, "duplicate", {}
        self.runner.submit(hints)
        return 202, ("accepted" if hints else "ignored"), {"hints": len(hints)}

    def _signed(self, body: bytes, signature: str) -> bool:
        if self.secret is None or not signature.startswith(_PREFIX):
            return False
        return verify(self.secret, body, signature)
