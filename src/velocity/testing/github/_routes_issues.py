"""Handlers for the issue side of pull requests: labels, comments and reactions."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._call import Call
from velocity.testing.github._call import Handler
from velocity.testing.github._call import Reply
from velocity.testing.github._errors import invalid
from velocity.testing.github._errors import not_found
from velocity.testing.github._model import Pull
from velocity.testing.github._pulls import add_comment
from velocity.testing.github._pulls import add_labels
from velocity.testing.github._pulls import remove_label
from velocity.testing.github._render_base import node_id
from velocity.testing.github._render_base import user_json
from velocity.testing.github._render_checks import comment_json
from velocity.testing.github._render_pulls import label_json

__all__ = ["HANDLERS"]


def _issue(call: Call) -> Pull:
    # The double's only issues are pull requests (they share GitHub's issue numbers).
    return call.state.pull(call.repo(), call.params["issue_number"])


def _label_names(body: Any) -> list[str]:
    items = body.get("labels", []) if isinstance(body, dict) else body
    if isinstance(items, str):
        items = [items]
    names = [item["name"] if isinstance(item, dict) else item for item in items or []]
    if not names:
        raise invalid("labels must not be empty", "labels", "missing_field")
    return names


def post_labels(call: Call) -> Reply:
    pull = _issue(call)
    add_labels(call.state, pull, _label_names(call.body))
    return 200, [label_json(call.urls, pull.repo, name) for name in pull.labels]


def delete_label(call: Call) -> Reply:
    pull = _issue(call)
    remove_label(call.state, pull, call.params["name"])
    return 200, [label_json(call.urls, pull.repo, name) for name in pull.labels]


def post_comment(call: Call) -> Reply:
    comment = add_comment(call.state, _issue(call), call.body["body"], call.actor)
    return 201, comment_json(call.state, call.urls, comment)


def post_reaction(call: Call) -> Reply:
    comment = call.state.comments.get(call.params["comment_id"])
    if comment is None or comment.repo is not call.repo():
        raise not_found()
    ident = call.state.next_id()
    return 201, {
        "id": ident,
        "node_id": node_id("Reaction", ident),
        "user": user_json(call.urls, call.actor, call.state.user_id(call.actor)),
        "content": call.body["content"],
        "created_at": comment.created_at,
    }


HANDLERS: dict[str, Handler] = {
    "issues/add-labels": post_labels,
    "issues/remove-label": delete_label,
    "issues/create-comment": post_comment,
    "reactions/create-for-issue-comment": post_reaction,
}
