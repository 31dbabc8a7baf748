"""Redact secrets in text, in nested values and in structlog event dicts."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import MutableMapping
from typing import Any

from velocity.core.log import patterns

__all__ = ["Scrubber", "scrub_text", "scrub_value"]

_MAX_DEPTH = 32
_MAX_PASSES = 8
# Shorter text holds no secret: the shortest match is "auth=x" or "://u:p@".
_MIN_LEN = 6
_TRIGGERS = tuple(
    (trigger, i) for i, family in enumerate(patterns.FAMILIES) for trigger in family.triggers
)
_BY_LENGTH = tuple((f.min_len, i) for i, f in enumerate(patterns.FAMILIES) if not f.triggers)
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{0,31}")
_ATOMS = (int, float, complex, bool, type(None))


class Scrubber:
    """Redact secrets; an instance is also a structlog processor.

    Put it last before the renderer, after ``format_exc_info``, so that
    tracebacks are text by the time they are scrubbed.

    :param extra_patterns: more regular expressions whose whole match is a
        secret; keep their quantifiers bounded.
    :param extra_keys: more regular expressions for names whose value is a
        secret, matched case-insensitively anywhere in a field name.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        extra_patterns: Iterable[str | re.Pattern[str]] = (),
        extra_keys: Iterable[str] = (),
    ) -> None:
        self._extra = tuple(re.compile(p) if isinstance(p, str) else p for p in extra_patterns)
        keys = [patterns.SENSITIVE_KEY.pattern, *extra_keys]
        self._key = re.compile("|".join(f"(?:{k})" for k in keys), re.IGNORECASE)

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in event_dict.items():
            # structlog's own bookkeeping (the LogRecord) is never rendered.
            if not key.startswith("_"):
                event_dict[key] = self._field(key, value, 0)
        return event_dict

    def is_sensitive_key(self, key: str) -> bool:
        """Whether a field called *key* holds a secret whatever its value.

        .. versionadded:: 0.1
        """
        return self._key.search(key) is not None

    def scrub_text(self, text: str) -> str:
        """Return *text* with every secret replaced by a ``[REDACTED]`` marker.

        .. versionadded:: 0.1
        """
        if not self._extra and "PRIVATE KEY" not in text and not _needed(text):
            return text
        # A marker can complete a match next to it ("...x" + "[" ends a word),
        # so repeat until nothing changes: that makes scrubbing idempotent.
        for _ in range(_MAX_PASSES):
            scrubbed = self._pass(text)
            if scrubbed == text:
                break
            text = scrubbed
        return text

    def _pass(self, text: str) -> str:
        if "PRIVATE KEY" in text:
            text = patterns.PEM_PRIVATE_KEY.sub("[REDACTED:private-key]", text)
        needed = _needed(text)
        if needed:
            text = _combined(needed).sub(_replace, text)
        for rx in self._extra:
            text = rx.sub(patterns.REDACTED, text)
        return text

    def scrub_value(self, value: object) -> object:
        """Return a copy of *value* with secrets redacted at any depth.

        Strings are scrubbed, bytes are decoded and scrubbed, containers are
        copied, and the value under a secret-named key is redacted whole.

        .. versionadded:: 0.1
        """
        return self._value(value, 0)

    def _field(self, key: object, value: object, depth: int) -> object:
        # None and booleans say whether a secret is set, never what it is.
        if (
            isinstance(key, str)
            and not isinstance(value, bool | None)
            and self.is_sensitive_key(key)
        ):
            return patterns.REDACTED
        return self._value(value, depth)

    def _value(self, value: object, depth: int) -> object:
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, _ATOMS):
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return self.scrub_text(bytes(value).decode("utf-8", "replace"))
        if depth < _MAX_DEPTH:
            if isinstance(value, Mapping):
                return {
                    self._value(k, depth + 1): self._field(k, v, depth + 1)
                    for k, v in value.items()
                }
            if isinstance(value, list | tuple | set | frozenset):
                return type(value)(self._value(v, depth + 1) for v in value)
        # Anything else is rendered through repr(); scrub that instead.
        text = repr(value)
        scrubbed = self.scrub_text(text)
        return value if scrubbed == text else scrubbed


def _needed(text: str) -> tuple[int, ...]:
    if len(text) < _MIN_LEN:
        return ()
    lower = text.lower()
    found = [i for trigger, i in _TRIGGERS if trigger in lower]
    found += [i for size, i in _BY_LENGTH if len(text) >= size]
    return tuple(sorted(set(found)))


@functools.lru_cache(maxsize=512)
def _combined(indices: tuple[int, ...]) -> re.Pattern[str]:
    # Only the families whose trigger is in the text: most lines need few.
    return re.compile("|".join(f"(?P<f{i}>{patterns.FAMILIES[i].regex})" for i in indices))


def _replace(m: re.Match[str]) -> str:
    family = patterns.FAMILIES[int((m.lastgroup or "f0")[1:])]
    if family.name == "url":
        return _userinfo(m)
    if family.name == "query":
        return f"{m['qkey']}={patterns.REDACTED}"
    if family.name == "header":
        return m["hkey"] + m["hsep"] + _header_value(m["hval"])
    if family.name == "keyvalue":
        return m["key"] + m["sep"] + _quoted_like(m["val"], patterns.REDACTED)
    if family.name == "bearer":
        return m["scheme_"] + patterns.REDACTED
    return f"[REDACTED:{family.name}]"


def _userinfo(m: re.Match[str]) -> str:
    user, pw = m["user"], m["pw"]
    if pw is not None:
        return f"://{user}:{patterns.REDACTED}@"
    # A bare user name (git@, deploy@) is kept; a token used as the user is not.
    if _USERNAME.fullmatch(user):
        return m.group()
    return f"://{patterns.REDACTED}@"


def _header_value(value: str) -> str:
    inner = value.strip("\\\"'")
    scheme, _, rest = inner.partition(" ")
    if rest and scheme.lower() in patterns.AUTH_SCHEMES:
        return _quoted_like(value, f"{scheme} {patterns.REDACTED}")
    return _quoted_like(value, patterns.REDACTED)


def _quoted_like(original: str, replacement: str) -> str:
    # Keep the quotes around a quoted value so JSON and reprs stay well-formed.
    for quote in ('\\"', '"', "'"):
        if original.startswith(quote):
            end = quote if original.endswith(quote) and len(original) > len(quote) else ""
            return quote + replacement + end
    return replacement


_DEFAULT = Scrubber()


def scrub_text(text: str) -> str:
    """Return *text* with every secret replaced by a ``[REDACTED]`` marker.

    .. versionadded:: 0.1
    """
    return _DEFAULT.scrub_text(text)


def scrub_value(value: object) -> object:
    """Return a copy of *value* with secrets redacted at any depth.

    .. versionadded:: 0.1
    """
    return _DEFAULT.scrub_value(value)
