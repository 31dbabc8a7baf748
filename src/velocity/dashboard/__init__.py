"""One web UI over the three products: the dependency graph, live logs, the merge queue.

:func:`create_app` makes the Starlette application; ``velocity dashboard`` serves it.
"""

from __future__ import annotations

from velocity.dashboard._app import create_app
from velocity.dashboard._logs import LogLine
from velocity.dashboard._logs import LogSource

__all__ = ["LogLine", "LogSource", "create_app"]
