"""Structured logging for every Velocity tool, with secrets scrubbed from every line.

Call :func:`configure` once at start-up, then log with :func:`get_logger` or
any stdlib logger: both go through the same processors, and a
:class:`Scrubber` redacts tokens, keys, URL credentials and secret-named
fields just before each line is rendered.
"""

from __future__ import annotations

from velocity.core.log.scrub import Scrubber
from velocity.core.log.scrub import scrub_text
from velocity.core.log.scrub import scrub_value
from velocity.core.log.setup import configure
from velocity.core.log.setup import get_logger

__all__ = ["Scrubber", "configure", "get_logger", "scrub_text", "scrub_value"]
