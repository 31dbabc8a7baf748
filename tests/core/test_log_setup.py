"""configure(): renderer choice, stdlib routing, reconfiguration, processor order."""

from __future__ import annotations

import io
import json
import logging
import os
import select

import pytest
import structlog

from velocity.core.errors import ConfigError
from velocity.core.log import Scrubber
from velocity.core.log import configure
from velocity.core.log import get_logger

TOKEN = "ghp_" + "Zq9" * 12


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    _reset()


def _reset() -> None:
    root = logging.getLogger()
    for handler in _ours():
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def _ours() -> list[logging.Handler]:
    return [
        h for h in logging.getLogger().handlers if type(h).__module__ == "velocity.core.log.setup"
    ]


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def pty():
    # A real terminal: the controller end is read back, the other end is the log stream.
    controller, terminal = os.openpty()
    stream = open(terminal, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    yield stream, controller
    _reset()  # detach the handler before its stream goes away
    stream.close()
    os.close(controller)


def _read_pty(controller: int) -> str:
    chunks = []
    while select.select([controller], [], [], 0.5)[0]:
        chunks.append(os.read(controller, 65536))
    return b"".join(chunks).decode()


def test_json_lines_when_not_a_tty():
    stream = io.StringIO()
    configure(stream=stream)
    get_logger("velocity.test").info("started", port=8080, token=TOKEN)
    [line] = _lines(stream)
    assert line["event"] == "started"
    assert line["port"] == 8080
    assert line["token"] == "[REDACTED]"
    assert line["level"] == "info"
    assert line["logger"] == "velocity.test"
    assert str(line["timestamp"]).endswith("Z")


def test_console_with_colors_on_a_tty(pty):
    stream, controller = pty
    configure(stream=stream)
    get_logger("velocity.test").info("started", url=f"https://bot:{TOKEN}@github.com")
    out = _read_pty(controller)
    assert "\x1b[" in out
    assert "started" in out
    assert "https://bot:[REDACTED]@github.com" in out
    assert TOKEN not in out
    assert not out.lstrip().startswith("{")


def test_fmt_overrides_the_tty_check(pty):
    stream, controller = pty
    configure(stream=stream, fmt="json")
    get_logger().info("on a tty", token=TOKEN)
    assert json.loads(_read_pty(controller))["token"] == "[REDACTED]"

    plain = io.StringIO()
    configure(stream=plain, fmt="console")
    get_logger().info("not a tty", token=TOKEN)
    out = plain.getvalue()
    assert "not a tty" in out
    assert "token=[REDACTED]" in out
    assert "\x1b[" not in out
    assert not out.startswith("{")


def test_a_stream_without_isatty_gets_json():
    class Sink:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

        def flush(self) -> None:
            pass

    sink = Sink()
    configure(stream=sink)  # type: ignore[arg-type]
    get_logger().info("plain object", token=TOKEN)
    assert json.loads("".join(sink.parts))["token"] == "[REDACTED]"


def test_stdlib_loggers_go_through_the_same_pipeline():
    stream = io.StringIO()
    configure(stream=stream)
    logging.getLogger("paramiko.transport").info("auth with %s", TOKEN)
    # The name is in the format string, the value in the arguments: only the
    # formatted message shows it is a secret.
    logging.getLogger("redis.connection").warning("connect password=%s db=%d", "hunter2", 0)
    try:
        raise ConnectionError(f"401 for token {TOKEN}")
    except ConnectionError:
        logging.getLogger("httpx").exception("request failed")
    paramiko, redis, httpx = _lines(stream)
    assert paramiko == {
        **paramiko,
        "event": "auth with [REDACTED:github-token]",
        "logger": "paramiko.transport",
    }
    assert redis["event"] == "connect password=[REDACTED] db=0"
    assert redis["level"] == "warning"
    assert "ConnectionError: 401 for token [REDACTED:github-token]" in str(httpx["exception"])
    assert TOKEN not in stream.getvalue()
    assert "hunter2" not in stream.getvalue()


def test_a_broken_record_does_not_print_its_arguments(capsys):
    stream = io.StringIO()
    configure(stream=stream)
    # One argument short; handled by our handler alone (pytest's own re-raises).
    [handler] = _ours()
    handler.handle(
        logging.LogRecord("redis", logging.INFO, __file__, 1, "auth %s %s", (TOKEN,), None)
    )
    err = capsys.readouterr().err
    assert "Logging error in redis: TypeError(" in err
    assert TOKEN not in err + stream.getvalue()


def test_levels_and_reconfiguration_reach_existing_loggers():
    first, second = io.StringIO(), io.StringIO()
    log = get_logger("velocity.test")
    configure(stream=first, level="info")
    log.debug("hidden")
    logging.getLogger("x").debug("hidden too")
    configure(stream=second, level=logging.DEBUG)
    log.debug("shown")
    logging.getLogger("x").debug("shown too")
    assert first.getvalue() == ""
    assert [line["event"] for line in _lines(second)] == ["shown", "shown too"]


def test_configure_is_idempotent_and_leaves_other_handlers_alone():
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    try:
        stream = io.StringIO()
        for _ in range(3):
            configure(stream=stream)
        get_logger().info("once")
        assert len(_ours()) == 1
        assert other in logging.getLogger().handlers
        assert len(_lines(stream)) == 1
    finally:
        logging.getLogger().removeHandler(other)


def test_scrubber_is_the_last_processor_before_the_renderer():
    configure(stream=io.StringIO())
    [handler] = _ours()
    formatter = handler.formatter
    assert isinstance(formatter, structlog.stdlib.ProcessorFormatter)
    *before, scrubber, renderer = formatter.processors
    assert isinstance(scrubber, Scrubber)
    assert isinstance(renderer, structlog.processors.JSONRenderer)
    assert structlog.processors.format_exc_info in before


def test_a_custom_scrubber_adds_patterns():
    stream = io.StringIO()
    configure(stream=stream, scrubber=Scrubber(extra_patterns=[r"ACME-\d{6}"], extra_keys=["pin"]))
    logging.getLogger("acme").info("code ACME-123456 and %s", TOKEN)
    get_logger().info("pin", user_pin=1234)
    first, second = _lines(stream)
    assert first["event"] == "code [REDACTED] and [REDACTED:github-token]"
    assert second["user_pin"] == "[REDACTED]"


def test_scrub_false_is_the_control_switch():
    stream = io.StringIO()
    configure(stream=stream, scrub=False)
    get_logger().info("leak", token=TOKEN)
    assert TOKEN in stream.getvalue()


def test_context_variables_and_positional_args_are_scrubbed():
    stream = io.StringIO()
    configure(stream=stream)
    structlog.contextvars.bind_contextvars(api_key="k-123", request_id="r1")
    get_logger().bind(client_secret="s").info("pushing %s", TOKEN)
    [line] = _lines(stream)
    assert line["api_key"] == line["client_secret"] == "[REDACTED]"
    assert line["request_id"] == "r1"
    assert line["event"] == "pushing [REDACTED:github-token]"


def test_other_root_handlers_get_scrubbed_structlog_events(caplog):
    configure(stream=io.StringIO())
    get_logger().info("for caplog", password="hunter2")
    [record] = [r for r in caplog.records if isinstance(r.msg, dict)]
    assert record.msg["password"] == "[REDACTED]"


def test_default_stream_is_stderr(capsys):
    configure()
    get_logger().warning("to stderr", token=TOKEN)
    err = capsys.readouterr().err
    assert json.loads(err)["event"] == "to stderr"
    assert TOKEN not in err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"fmt": "xml"}, "unknown log format"), ({"level": "LOUD"}, "unknown log level")],
)
def test_bad_settings_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        configure(stream=io.StringIO(), **kwargs)
    assert _ours() == []


def test_get_logger_binds():
    configure(stream=io.StringIO())
    log = get_logger("velocity.x").bind(a=1)
    assert isinstance(log, structlog.stdlib.BoundLogger)


def test_records_are_scrubbed_for_handlers_outside_our_pipeline():
    # uvicorn's default logging config gives its loggers their own handlers and
    # propagate=False; the record factory scrubs the record before any handler.
    import io
    import logging

    from velocity.core.log import configure

    secret = "ghp_" + "Q7" * 18
    own = io.StringIO()
    handler = logging.StreamHandler(own)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("uvicorn.error.velocity-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        configure(stream=io.StringIO())
        logger.warning("client sent token %s", secret)
        try:
            raise ValueError(f"bad credentials {secret}")
        except ValueError:
            logger.exception("failed")
        configure(stream=io.StringIO(), scrub=False)
        logger.warning("control %s", secret)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        configure(stream=io.StringIO())
    scrubbed, control = own.getvalue().split("control")
    assert "client sent token [REDACTED" in scrubbed
    assert "ValueError: bad credentials [REDACTED" in scrubbed
    assert secret not in scrubbed
    assert secret in control
