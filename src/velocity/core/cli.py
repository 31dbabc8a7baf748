"""Conventions every Velocity command line shares.

- ``main(argv=None) -> int`` runs a click command without ``sys.exit`` so tests
  call it in-process; console scripts exit with what it returns.
- A user error (:class:`~velocity.core.errors.VelocityError`, a click usage
  error) is one line on stderr and exit 2; never a traceback.
- ``--json`` on commands whose output is data; ``--version`` on every tool.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import TypeVar

import click

from velocity.core.errors import VelocityError

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "emit_json",
    "json_option",
    "run",
    "version_option",
]

EXIT_USAGE = 2
EXIT_INTERNAL = 70  # sysexits EX_SOFTWARE: a bug in Velocity, not in the user's input
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


def version_option(prog_name: str) -> Callable[[F], F]:
    """``--version``: print ``PROG, version X`` and exit 0.

    .. versionadded:: 0.1
    """
    return click.version_option(
        package_name="velocity-trinity", prog_name=prog_name, message="%(prog)s %(version)s"
    )


def json_option(func: F) -> F:
    """``--json``: print machine-readable JSON instead of the human view.

    .. versionadded:: 0.1
    """
    return click.option(
        "--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout."
    )(func)


def emit_json(data: Any) -> None:
    """Write *data* as one JSON document on stdout.

    .. versionadded:: 0.1
    """
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def run(command: click.Command, argv: Sequence[str] | None, prog_name: str) -> int:
    """Run *command* and map every outcome to an exit code.

    :param command: the tool's root click command or group.
    :param argv: arguments without the program name; ``None`` reads ``sys.argv``.
    :param prog_name: the name users type, used in messages.

    .. versionadded:: 0.1
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return EXIT_USAGE
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _fail(prog_name, _one_line(exc.format_message()) + hint, EXIT_USAGE)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:  # click turns KeyboardInterrupt and EOF into Abort
        return _fail(prog_name, "interrupted", EXIT_INTERRUPTED)
    except click.ClickException as exc:
        return _fail(prog_name, _one_line(exc.format_message()), exc.exit_code)
    except VelocityError as exc:
        return _fail(prog_name, _scrub(exc.message), exc.exit_code)
    except KeyboardInterrupt:
        return _fail(prog_name, "interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); stop quietly like other Unix tools.
        _silence_stdout()
        return 1
    except Exception as exc:
        if os.environ.get("VELOCITY_DEBUG"):
            raise
        msg = f"internal error: {type(exc).__name__}: {_scrub(_one_line(str(exc)))}"
        return _fail(prog_name, msg + " (set VELOCITY_DEBUG=1 for the traceback)", EXIT_INTERNAL)
    return rv if isinstance(rv, int) else 0


def _fail(prog_name: str, message: str, code: int) -> int:
    click.echo(f"{prog_name}: error: {message}", err=True)
    return code


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _scrub(text: str) -> str:
    # Error text can carry a user's secret (a URL with a token, a header value).
    from velocity.core.log import scrub_text

    return scrub_text(text)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
