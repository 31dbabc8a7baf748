"""Webhook deliveries signed and sent the way GitHub's Hookshot sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import uuid
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import httpx

from velocity.testing.github._openapi import Spec
from velocity.testing.github._payloads import schema_pointer
from velocity.testing.github._validate import Violations

__all__ = ["Delivery", "WebhookSender", "sign"]

USER_AGENT = "GitHub-Hookshot/velocity-double"


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value: ``sha256=`` and the HMAC of the exact body.

    .. versionadded:: 0.1
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """One webhook delivery: exact body bytes, GitHub's headers, and what the receiver said.

    .. versionadded:: 0.1
    """

    event: str
    action: str | None
    payload: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    status_code: int | None = None
    response_body: bytes = b""

    @property
    def delivery_id(self) -> str:
        return self.headers["X-GitHub-Delivery"]


@dataclass
class WebhookSender:
    """Validates, signs, queues and delivers payloads to one webhook URL.

    :param secret: the webhook secret shared with the receiving app.
    :param url: where deliveries go; None queues them until a URL is set.
    :param auto: deliver from a background thread as soon as an event is queued.

    .. versionadded:: 0.1
    """

    spec: Spec
    violations: Violations
    secret: str
    url: str | None = None
    auto: bool = False
    hook_id: int = 4242
    pending: list[Delivery] = field(default_factory=list)
    delivered: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: queue.Queue[bool] = field(default_factory=queue.Queue)
    _worker: threading.Thread | None = None

    def prepare(self, event: str, action: str | None, payload: dict[str, Any]) -> Delivery:
        """Validate *payload* against the subset's ``x-webhooks`` schema and sign it."""
        errors = self.spec.errors(schema_pointer(event, action), payload)
        if errors:
            self.violations.add("webhook", f"{event}.{action}" if action else event, errors)
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": str(self.hook_id),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
            "X-Hub-Signature-256": sign(self.secret, body),
            "X-Hub-Signature": "sha1=" + hmac.new(self.secret.encode(), body, "sha1").hexdigest(),
        }
        return Delivery(event, action, payload, body, headers)

    def enqueue(self, delivery: Delivery) -> None:
        with self._lock:
            self.pending.append(delivery)
        if self.auto:
            self._ensure_worker()
            self._wake.put(True)

    def deliver_pending(self, timeout: float = 10.0) -> list[Delivery]:
        """POST every queued delivery in order; returns them with the receiver's status codes."""
        sent: list[Delivery] = []
        self._require_url()
        while True:
            with self._lock:
                if not self.pending:
                    return sent
                delivery = self.pending.pop(0)
            self.send(delivery, timeout)
            sent.append(delivery)

    def send(self, delivery: Delivery, timeout: float = 10.0) -> Delivery:
        """POST one delivery (again, for redelivery tests) and record the answer."""
        url = self._require_url()
        response = httpx.post(url, content=delivery.body, headers=delivery.headers, timeout=timeout)
        delivery.status_code, delivery.response_body = response.status_code, response.content
        with self._lock:
            self.delivered.append(delivery)
        return delivery

    def _require_url(self) -> str:
        if self.url is None:
            raise RuntimeError("no webhook URL registered: call GitHubDouble.set_webhook(url)")
        return self.url

    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._run, name="webhook-deliveries", daemon=True
            )
            self._worker.start()

    def _run(self) -> None:
        while self._wake.get():
            try:
                self.deliver_pending()
            except httpx.HTTPError:
                # The receiver may be down between tests; the delivery stays recorded as failed.
                continue

    def close(self) -> None:
        if self._worker is not None:
            self._wake.put(False)
            self._worker.join(timeout=5)
            self._worker = None
