"""``velocity dashboard``: serve the web UI over the graph, the agents' logs and the queue."""

from __future__ import annotations

import contextlib
import threading
import webbrowser
from pathlib import Path
from types import FrameType

import click

__all__ = ["dashboard"]


@click.command()
@click.option(
    "--repo",
    default=".",
    show_default=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The git repository whose dependency graph to show.",
)
@click.option("--base", default=None, help="Count changes from this ref (default: main/master).")
@click.option(
    "--store",
    default=None,
    help="redis://..., a SQLite file or a directory of them (default: REPO/.velocity/quantum.db).",
)
@click.option(
    "--agent",
    "agents",
    multiple=True,
    metavar="TARGET",
    help="A LivePatch target whose supervised process to follow (repeatable), "
    "e.g. agent://host:7000.",
)
@click.option(
    "--agent-command",
    default="livepatch-agent",
    show_default=True,
    help="How to start the agent on the far side (ssh://, docker://).",
)
@click.option(
    "--tls-dir",
    default=".velocity/livepatch/certs",
    show_default=True,
    type=click.Path(file_okay=False),
    help="ca.crt, client.crt and client.key for agent:// targets.",
)
@click.option("--known-hosts", type=click.Path(dir_okay=False), help="SSH known_hosts file.")
@click.option("--identity", "-i", type=click.Path(dir_okay=False), help="SSH private key.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(0, 65535))
@click.option("--open/--no-open", "open_browser", default=True, help="Open it in a browser.")
def dashboard(
    repo: Path,
    base: str | None,
    store: str | None,
    agents: tuple[str, ...],
    agent_command: str,
    tls_dir: str,
    known_hosts: str | None,
    identity: str | None,
    host: str,
    port: int,
    open_browser: bool,
) -> int:
    """Serve the dashboard until interrupted.

    \f
    .. versionadded:: 0.3
    """
    # Imported here: `velocity --help` and the other subcommands should not pay for them.
    import uvicorn

    from velocity.dashboard import create_app
    from velocity.dashboard._bundle import is_bundled
    from velocity.livepatch.client import ConnectOptions
    from velocity.livepatch.client import parse_target

    for target in agents:
        parse_target(target)  # a bad URL is a usage error now, not a red panel later
    options = ConnectOptions(
        agent_command=agent_command, known_hosts=known_hosts, identity=identity, tls_dir=tls_dir
    )
    app = create_app(repo=repo, base=base, store=store, agents=agents, connect_options=options)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    services = app.state.velocity_dashboard

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            services.close()  # ends the event streams, so the shutdown need not wait
            super().handle_exit(sig, frame)

    server = Server(config)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    click.echo(f"velocity dashboard on {url} (Ctrl-C to stop)", err=True)
    if not is_bundled():
        click.echo(
            "velocity: warning: the graph page needs cytoscape, which this install lacks:"
            " run scripts/bundle-dashboard.sh (needs npm) or install a built wheel",
            err=True,
        )
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    # uvicorn re-raises the Ctrl-C it handled; here that is a normal stop.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0
