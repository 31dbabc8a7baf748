"""The OpenAPI subset as JSON Schema: loaded once, ``nullable`` made 2020-12, checked by pointer."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing import Resource
from referencing.jsonschema import DRAFT202012

from velocity.testing.github._fixtures import fixtures_dir
from velocity.testing.github._supplement import supplement

__all__ = ["Operation", "Spec", "load_spec"]

_SPEC_URI = "urn:velocity:github-openapi-subset"
_METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    """One documented operation of the subset (a path template and a method)."""

    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    pointer: str
    raw: dict[str, Any]


def _to_json_schema(node: Any) -> Any:
    # OpenAPI 3.0 says "nullable: true"; JSON Schema 2020-12 says the type includes "null".
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _to_json_schema(value) for key, value in node.items()}
    if out.pop("nullable", False) is not True:
        return out
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _compile(template: str) -> re.Pattern[str]:
    # Path parameters never span a slash, except git refs ("heads/feature/x").
    parts = re.split(r"(\{[^}]+\})", template)
    regex = ""
    for part in parts:
        if part.startswith("{"):
            name = part[1:-1]
            body = ".+" if name in ("ref", "head") else ".+?" if name == "base" else "[^/]+"
            regex += f"(?P<{name}>{body})"
        else:
            regex += re.escape(part)
    return re.compile(f"^{regex}$")


class Spec:
    """The loaded subset: its operations, webhook schemas and validators by JSON pointer."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource: Resource[Any] = DRAFT202012.create_resource(document)
        self._registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        self.operations = [
            Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                template=template,
                pattern=_compile(template),
                pointer=f"/paths/{_escape(template)}/{method}",
                raw=op,
            )
            for template, item in document["paths"].items()
            for method, op in item.items()
            if method in _METHODS
        ]
        # Greedy parameters ({ref} may hold slashes): try the most literal templates first.
        self.operations.sort(key=lambda op: -len(re.sub(r"\{[^}]+\}", "", op.template)))

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str]]:
        """Find the operation for *method* and *path*; ``(None, {})`` when none is documented."""
        for op in self.operations:
            found = op.pattern.match(path)
            if found and op.method == method:
                return op, found.groupdict()
        return None, {}

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a ``$ref`` inside the document (parameters, responses, examples)."""
        while "$ref" in node:
            node = self.node(node["$ref"].removeprefix("#"))
        return node

    def node(self, pointer: str) -> Any:
        """Return the part of the document at JSON *pointer*."""
        current: Any = self.document
        for token in pointer.lstrip("/").split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            current = current[int(token)] if isinstance(current, list) else current[token]
        return current

    @functools.cache  # noqa: B019 - one Spec per process, kept for its life
    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at JSON *pointer*, with ``$ref`` resolved in the document."""
        return Draft202012Validator({"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry)

    def errors(self, pointer: str, instance: Any) -> list[str]:
        """Every way *instance* breaks the schema at *pointer*, as readable lines."""
        found = self.validator(pointer).iter_errors(instance)
        return [
            f"{'/'.join(map(str, err.absolute_path)) or '<root>'}: {err.message}" for err in found
        ]


@functools.cache
def load_spec() -> Spec:
    """Load (once per process) the subset from :func:`fixtures_dir`, converted to 2020-12.

    Operations the subset lacks are added from :mod:`._supplement` (marked as such).
    """
    raw = json.loads((fixtures_dir() / "github-openapi-subset.json").read_text("utf-8"))
    supplement(raw)
    return Spec(_to_json_schema(raw))
