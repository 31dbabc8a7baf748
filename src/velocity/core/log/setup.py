"""Wire structlog and stdlib logging into one scrubbed pipeline on one stream."""

from __future__ import annotations

import logging
import sys
from typing import IO
from typing import Any

import structlog
from structlog.typing import Processor

from velocity.core.errors import ConfigError
from velocity.core.log.scrub import Scrubber
from velocity.core.log.scrub import scrub_text

__all__ = ["FORMATS", "configure", "get_logger"]

FORMATS = ("auto", "json", "console")

_DEFAULT_SCRUBBER = Scrubber()
_ORIGINAL_RECORD_FACTORY = logging.getLogRecordFactory()


class _Handler(logging.StreamHandler[IO[str]]):
    # A distinct type so configure() finds and replaces its own handler only.
    def handleError(self, record: logging.LogRecord) -> None:
        # The stdlib version prints the raw message and arguments: secrets included.
        error = scrub_text(repr(sys.exc_info()[1]))
        sys.stderr.write(f"--- Logging error in {record.name}: {error}\n")


def configure(
    *,
    level: str | int = "INFO",
    fmt: str = "auto",
    stream: IO[str] | None = None,
    scrub: bool = True,
    scrubber: Scrubber | None = None,
) -> None:
    """Send structlog and stdlib logging through one pipeline that scrubs secrets.

    Safe to call again: the previous configuration is replaced, not stacked.

    :param level: a level name (``"debug"``, ``"INFO"``) or number, for the root logger.
    :param fmt: ``"json"`` (one JSON object a line), ``"console"`` (aligned,
        colored on a terminal) or ``"auto"``: console on a TTY, else JSON.
    :param stream: where lines go; ``sys.stderr`` by default.
    :param scrub: ``False`` only for the tests' control run, which proves the
        secret corpus would leak without the scrubber; never turn it off otherwise.
    :param scrubber: a :class:`Scrubber` with extra patterns or key names;
        the default knows the built-in formats only.

    .. versionadded:: 0.1
    """
    stream = sys.stderr if stream is None else stream
    numeric = _level(level)
    renderer = _renderer(fmt, _isatty(stream))
    scrubbers: list[Processor] = [scrubber or _DEFAULT_SCRUBBER] if scrub else []
    shared = _shared()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            *scrubbers,
            renderer,
        ],
    )
    _install(_Handler(stream), formatter, numeric)
    _install_record_factory(scrubber or _DEFAULT_SCRUBBER if scrub else None)
    structlog.configure(
        # Scrubbing before the hand-off too keeps other root handlers clean.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            *scrubbers,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached, so a later configure() reaches loggers created earlier.
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger backed by the stdlib logger *name*.

    .. versionadded:: 0.1
    """
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def _shared() -> list[Processor]:
    # Both structlog events and stdlib records get these; exceptions become
    # text here so the scrubber sees tracebacks as strings.
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]


def _install(handler: logging.Handler, formatter: logging.Formatter, level: int) -> None:
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def _install_record_factory(scrubber: Scrubber | None) -> None:
    # Libraries that log to handlers of their own (uvicorn's default config) or
    # to other root handlers never reach our formatter: scrub every stdlib
    # record when it is made, so no handler anywhere sees the raw text.
    if scrubber is None:
        logging.setLogRecordFactory(_ORIGINAL_RECORD_FACTORY)
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = _ORIGINAL_RECORD_FACTORY(*args, **kwargs)
        if isinstance(record.msg, dict):  # a structlog event: scrubbed already
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: leave it to the handler's handleError
            return record
        record.msg, record.args = scrubber.scrub_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrubber.scrub_text(_format_exception(record))
        return record

    logging.setLogRecordFactory(factory)


def _format_exception(record: logging.LogRecord) -> str:
    return logging.Formatter().formatException(record.exc_info) if record.exc_info else ""


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ConfigError(f"unknown log level {level!r}")
    return numeric


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real file
        return False


def _renderer(fmt: str, tty: bool) -> Processor:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown log format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "json" or (fmt == "auto" and not tty):
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(
        colors=tty, exception_formatter=structlog.dev.plain_traceback
    )
