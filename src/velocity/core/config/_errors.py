# Turn a pydantic ValidationError into one line that never repeats an input value.
from __future__ import annotations

import re

from pydantic import ValidationError

from velocity.core.config._layers import Layer

__all__ = ["describe"]

_CLASS_REPR = re.compile(r" for <class '[\w.]+'>")
_MIN_ECHO = 3  # shorter inputs ("1", "no") are too common in prose to strip safely


def describe(layer: Layer, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_context=False):
        message = _CLASS_REPR.sub("", _without_input(error["msg"], error.get("input")))
        problems.append(f"{layer.where(tuple(error['loc']))}: {message}")
    return f"{layer.name}: " + "; ".join(problems)


def _without_input(message: str, value: object) -> str:
    # pydantic's own messages don't quote the input, but a validator's ValueError may.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= _MIN_ECHO:
            message = message.replace(text, "<value hidden>")
    return message
