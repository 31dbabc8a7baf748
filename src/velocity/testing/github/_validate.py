"""Check each request and response against the subset; collect what breaks it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from velocity.testing.github._openapi import Operation
from velocity.testing.github._openapi import Spec

__all__ = ["SchemaViolation", "Violations", "check_request", "check_response"]

_JSON = "content/application~1json/schema"
_BASIC_ERROR = "/components/schemas/basic-error"


@dataclass(frozen=True)
class SchemaViolation:
    """One way a request or response broke GitHub's published description.

    .. versionadded:: 0.1
    """

    kind: str  # "request", "response" or "webhook"
    where: str
    errors: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.kind} {self.where}: " + "; ".join(self.errors)


class Violations:
    """A thread-safe log of :class:`SchemaViolation` records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[SchemaViolation] = []

    def add(self, kind: str, where: str, errors: list[str]) -> None:
        with self._lock:
            self._items.append(SchemaViolation(kind, where, tuple(errors)))

    def snapshot(self) -> list[SchemaViolation]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        try:
            return int(value)
        except ValueError:
            return value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def _parameters(spec: Spec, op: Operation) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for index, param in enumerate(op.raw.get("parameters", [])):
        local = f"{op.pointer}/parameters/{index}"
        pointer = param["$ref"].removeprefix("#") if "$ref" in param else local
        out.append((pointer, spec.resolve(param)))
    return out


def check_request(
    spec: Spec, op: Operation, path: Mapping[str, str], query: Mapping[str, str], body: Any
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Coerce path and query parameters by their schemas and validate them and the body.

    Returns the typed path parameters, the typed query parameters and the errors found.
    """
    typed: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
    errors: list[str] = []
    raw = {"path": path, "query": query}
    for pointer, param in _parameters(spec, op):
        where, name = param["in"], param["name"]
        if where not in raw:
            continue
        if name not in raw[where]:
            if param.get("required"):
                errors.append(f"{where} parameter {name!r} is required")
            continue
        value = _coerce(raw[where][name], param.get("schema", {}))
        typed[where][name] = value
        found = spec.errors(f"{pointer}/schema", value)
        errors += [f"{where} parameter {name}: {e}" for e in found]
    errors += _check_body(spec, op, body)
    return typed["path"], typed["query"], errors


def _check_body(spec: Spec, op: Operation, body: Any) -> list[str]:
    request_body = op.raw.get("requestBody")
    if request_body is None:
        return []
    if body is None:
        return ["request body is required"] if request_body.get("required") else []
    if "application/json" not in request_body.get("content", {}):
        return ["request body: this operation does not take JSON"]
    return [f"body {e}" for e in spec.errors(f"{op.pointer}/requestBody/{_JSON}", body)]


def check_response(spec: Spec, op: Operation, status: int, body: Any) -> list[str]:
    """Validate a response: its status must be documented (errors may fall back to basic-error)."""
    responses = op.raw["responses"]
    entry = responses.get(str(status))
    if entry is None:
        if status < 400:
            return [f"status {status} is not documented (documented: {sorted(responses)})"]
        return [f"error body: {e}" for e in spec.errors(_BASIC_ERROR, body)]
    pointer = f"{op.pointer}/responses/{status}"
    if "$ref" in entry:
        pointer = entry["$ref"].removeprefix("#")
    entry = spec.resolve(entry)
    if "application/json" not in entry.get("content", {}):
        if status >= 400 and body is not None:
            # Error bodies the description leaves out are GitHub's usual basic-error.
            return [f"error body: {e}" for e in spec.errors(_BASIC_ERROR, body)]
        return [] if body is None else [f"status {status} is documented without a body"]
    if body is None:
        return [f"status {status} must have a JSON body"]
    return spec.errors(f"{pointer}/{_JSON}", body)
