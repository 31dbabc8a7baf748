"""Per-language parsers, registered by file extension in a plain dict."""

from __future__ import annotations

import importlib
from pathlib import PurePosixPath
from typing import Protocol

from velocity.depci.model import ParsedFile

__all__ = ["PARSERS", "LanguageParser", "LazyParser", "language_of", "parse_source"]


class LanguageParser(Protocol):
    """Turns one file's bytes into a :class:`~velocity.depci.model.ParsedFile`.

    .. versionadded:: 0.1
    """

    #: Part of the cache key: bump it when the parser's output changes.
    version: str

    def parse(self, source: bytes, suffix: str, *, strict: bool = False) -> ParsedFile:
        """Parse *source* (the file's bytes); *suffix* is its extension, e.g. ``.tsx``.

        *strict* asks for the full parse with syntax errors reported (changed files); without
        it a parser may take a quicker path that finds the same imports or more.
        """
        ...


class LazyParser:
    """A :class:`LanguageParser` imported on first use, so a warm run never loads grammars.

    :param target: ``"package.module:ClassName"`` of the real parser.
    :param version: must equal the real parser's ``version``.

    .. versionadded:: 0.1
    """

    def __init__(self, target: str, version: str) -> None:
        self.target = target
        self.version = version
        self._real: LanguageParser | None = None

    def parse(self, source: bytes, suffix: str, *, strict: bool = False) -> ParsedFile:
        """Load the real parser once, then delegate to it."""
        if self._real is None:
            module, _, name = self.target.partition(":")
            self._real = getattr(importlib.import_module(module), name)()
            assert self._real.version == self.version, self.target
        return self._real.parse(source, suffix, strict=strict)


_PY = LazyParser("velocity.depci.parse_python:PythonParser", "py-2")
_JS = LazyParser("velocity.depci.parse_js:JsParser", "js-1")

#: Extension (with the dot) -> parser. Add a language by adding an entry.
PARSERS: dict[str, LanguageParser] = {
    ".py": _PY,
    **dict.fromkeys((".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"), _JS),
}


def language_of(path: str) -> LanguageParser | None:
    """The parser registered for *path*'s extension, or ``None``.

    .. versionadded:: 0.1
    """
    return PARSERS.get(PurePosixPath(path).suffix)


def parse_source(path: str, source: bytes, *, strict: bool = True) -> ParsedFile | None:
    """Parse *source* as the language of *path*; ``None`` when no parser handles it.

    :param strict: see :meth:`LanguageParser.parse`.

    .. versionadded:: 0.1
    """
    parser = language_of(path)
    suffix = PurePosixPath(path).suffix
    return None if parser is None else parser.parse(source, suffix, strict=strict)
