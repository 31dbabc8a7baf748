"""The shared core: logging with secret scrubbing, configuration, CLI helpers, errors."""

from __future__ import annotations

from velocity.core.errors import ConfigError
from velocity.core.errors import UsageError
from velocity.core.errors import VelocityError

__all__ = ["ConfigError", "UsageError", "VelocityError"]
