"""Operations the shared subset lacks but the harness needs, transcribed from GitHub's description.

``POST /repos/{owner}/{repo}/pulls`` (``pulls/create``) is not in the fixture subset; its
request schema below is GitHub's published one, and its responses reuse the subset's own
components, so traffic through it is validated like everything else. Each supplemented
operation carries ``x-velocity-supplement: true``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["supplement"]

_PULLS_CREATE: dict[str, Any] = {
    "summary": "Create a pull request",
    "operationId": "pulls/create",
    "x-velocity-supplement": True,
    "parameters": [
        {"$ref": "#/components/parameters/owner"},
        {"$ref": "#/components/parameters/repo"},
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string"},
                        "head": {"type": "string"},
                        "head_repo": {"type": "string"},
                        "base": {"type": "string"},
                        "body": {"type": "string"},
                        "maintainer_can_modify": {"type": "boolean"},
                        "draft": {"type": "boolean"},
                        "issue": {"type": "integer", "format": "int64"},
                    },
                    "required": ["head", "base"],
                }
            }
        },
    },
    "responses": {
        "201": {
            "description": "Response",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/pull-request"}}
            },
        },
        "403": {"$ref": "#/components/responses/forbidden"},
        "422": {"$ref": "#/components/responses/validation_failed"},
    },
}


def supplement(document: dict[str, Any]) -> list[str]:
    """Add the missing operations to *document* in place; returns their operation ids."""
    added = []
    item = document["paths"].setdefault("/repos/{owner}/{repo}/pulls", {})
    if "post" not in item:
        item["post"] = _PULLS_CREATE
        added.append("pulls/create")
    return added
