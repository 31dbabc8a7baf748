"""The ``uvicorn`` reload strategy: aware of gunicorn masters and plain uvicorn servers.

``livepatch-agent run --reload uvicorn[:ARG] -- gunicorn -k uvicorn.workers.UvicornWorker app:app``

- under a gunicorn master, sends it SIGHUP (new workers start, old ones finish their
  requests) and waits until every old worker is gone;
- for plain uvicorn, restarts the process and waits until its port accepts connections.

ARG is optional: ``PORT``, ``HOST:PORT`` or a health URL ``http://HOST:PORT/PATH`` that must
answer 2xx; by default the address comes from the app's ``--bind``/``--host``/``--port``.

.. versionadded:: 0.1
"""

from __future__ import annotations

from collections.abc import Mapping

from livepatch_uvicorn._reloader import UvicornReloader
from velocity.livepatch.hookspecs import ReloaderFactory
from velocity.livepatch.hookspecs import hookimpl

__all__ = ["UvicornReloader", "livepatch_reloaders"]


@hookimpl
def livepatch_reloaders() -> Mapping[str, ReloaderFactory]:
    return {"uvicorn": UvicornReloader.from_arg}
