#!/bin/sh
# The agent image's entrypoint: `livepatch-agent run` supervising the image's CMD.
#   LIVEPATCH_ROOT     the directory the agent owns and the app runs from (default /app)
#   LIVEPATCH_TLS_DIR  ca.crt, agent.crt, agent.key (livepatch certs issue agent NAME --out DIR);
#                      when it holds ca.crt the agent also listens on LIVEPATCH_LISTEN with mTLS,
#                      otherwise it is reachable only through `docker exec -i` / `kubectl exec -i`
#   LIVEPATCH_LISTEN   HOST:PORT for agent:// clients (default 0.0.0.0:7070)
#   LIVEPATCH_RELOAD   how the app picks up a batch: signal:NAME, restart, exec:CMD, none
#                      (--reload; the image sets restart, which suits any app)
#   LIVEPATCH_HEALTH_URL  polled after a reload; no 2xx within the grace window rolls back
set -eu
root="${LIVEPATCH_ROOT:-/app}"
tls_dir="${LIVEPATCH_TLS_DIR:-/etc/livepatch/tls}"
set -- -- "$@"
if [ -n "${LIVEPATCH_RELOAD:-}" ]; then
    set -- --reload "$LIVEPATCH_RELOAD" "$@"
fi
if [ -n "${LIVEPATCH_HEALTH_URL:-}" ]; then
    set -- --health-url "$LIVEPATCH_HEALTH_URL" "$@"
fi
if [ -f "$tls_dir/ca.crt" ]; then
    set -- --listen "${LIVEPATCH_LISTEN:-0.0.0.0:7070}" --tls-dir "$tls_dir" "$@"
fi
exec livepatch-agent run --root "$root" "$@"
