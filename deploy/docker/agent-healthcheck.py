"""The agent image's HEALTHCHECK: the root is there and, with TLS set up, the port answers."""

import os
import socket
import sys

root = os.environ.get("LIVEPATCH_ROOT", "/app")
tls_dir = os.environ.get("LIVEPATCH_TLS_DIR", "/etc/livepatch/tls")
if not os.path.isdir(root):
    sys.exit(f"unhealthy: {root} is not a directory")
if os.path.isfile(os.path.join(tls_dir, "ca.crt")):
    _, _, port = os.environ.get("LIVEPATCH_LISTEN", "0.0.0.0:7070").rpartition(":")
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=3).close()
    except OSError as exc:
        sys.exit(f"unhealthy: agent port {port}: {exc}")
