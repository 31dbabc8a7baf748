"""The one exception handlers raise to answer with a GitHub-style error body."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError"]


class ApiError(Exception):
    """An HTTP error the double answers with, shaped like GitHub's ``basic-error``.

    .. versionadded:: 0.1
    """

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "documentation_url": "https://docs.github.com/rest",
            **self.extra,
        }


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def invalid(message: str, field: str = "", code: str = "invalid") -> ApiError:
    """A 422 with GitHub's ``validation-error`` shape."""
    errors = [{"resource": "Request", "field": field, "code": code, "message": message}]
    return ApiError(422, message, errors=errors)
