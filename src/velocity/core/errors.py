"""Errors the user can act on.

Every front end turns a :class:`VelocityError` into one line on stderr and its
``exit_code``; anything else is a bug and is reported as such.
"""

from __future__ import annotations

__all__ = ["ConfigError", "UsageError", "VelocityError"]


class VelocityError(Exception):
    """An error caused by input the user controls: one line, non-zero exit.

    .. versionadded:: 0.1
    """

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        # One line, always: multi-line detail belongs in logs, not on the terminal.
        return " ".join(str(self.args[0]).split()) if self.args else type(self).__name__


class UsageError(VelocityError):
    """Bad arguments or options on the command line.

    .. versionadded:: 0.1
    """


class ConfigError(VelocityError):
    """A configuration file or value is malformed; the message names file and key.

    .. versionadded:: 0.1
    """
