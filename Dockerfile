# Velocity's images, one multi-stage file (see docs/containers.md):
#   docker build --target agent -t velocity-agent .   livepatch-agent supervising your app
#   docker build --target app   -t velocity-app .     the GitHub App (Quantum Merge)
# Both run Debian's Python 3.11 as an unprivileged user; BASE_IMAGE may be any Debian bookworm
# image (the release builds use debian:bookworm-slim; tests/release/test_docker_image.py a
# debootstrap minbase imported into a private engine, built with --network host).
# Plain Dockerfile syntax (no BuildKit-only features), so the classic builder builds it too.

ARG BASE_IMAGE=debian:bookworm-slim

# ---- python: the base every stage shares (Debian's python3, a non-root user) ----------------
FROM ${BASE_IMAGE} AS python
# Versions come from the bookworm release the base pins; pinning Debian patch versions here
# would break the build at every point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 velocity \
    && useradd --system --uid 10001 --gid velocity --home-dir /home/velocity --create-home \
        --shell /usr/sbin/nologin velocity
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VELOCITY_LOG__FORMAT=json

# ---- deps: wheels for every dependency, made from the two pyproject.toml files alone -------
# Its layers change only with the dependencies, so a source change reuses them (and npm).
FROM python AS deps
# npm: the wheel's build hook (hatch_build.py) vendors the dashboard's browser libraries.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends npm \
    && rm -rf /var/lib/apt/lists/*
# PEM certificates to trust beyond Debian's, for a network whose proxy inspects TLS (the image
# test passes the host's local CAs); only the build stages see them, never the runtime images.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
        printf '%s\n' "$EXTRA_CA_CERTS" >> /etc/ssl/certs/ca-certificates.crt; \
    fi
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
COPY pyproject.toml constraints.txt ./
COPY github_app/pyproject.toml github_app/
# /wheels/agent.txt and /wheels/app.txt: each project's own requirements (velocity-* excluded).
RUN python3 -m venv /opt/build \
    && for req in agent:pyproject.toml app:github_app/pyproject.toml; do \
        python3 -c "import sys, tomllib; print(*(d for d in tomllib.load(open(sys.argv[1], 'rb'))['project']['dependencies'] if not d.startswith('velocity-')), sep='\n')" \
            "${req#*:}" > "/tmp/${req%%:*}.txt" || exit 1; \
    done \
    && /opt/build/bin/pip wheel --wheel-dir /wheels --constraint constraints.txt \
        --requirement /tmp/agent.txt --requirement /tmp/app.txt hatchling \
    && mv /tmp/agent.txt /tmp/app.txt /wheels/

# ---- builder: the wheels of velocity-trinity and velocity-github-app, offline, in /dist -----
FROM deps AS builder
COPY README.md hatch_build.py* ./
COPY src/ src/
COPY github_app/ github_app/
RUN /opt/build/bin/pip wheel --no-index --find-links /wheels --no-deps --wheel-dir /dist \
    . ./github_app

# ---- installs: one virtual environment per image, from the wheels only ----------------------
# The dependencies first, in their own layer: a source change reinstalls only the project.
FROM python AS agent-install
COPY --from=deps /wheels /wheels
RUN python3 -m venv /opt/velocity \
    && /opt/velocity/bin/pip install --no-index --find-links /wheels \
        --requirement /wheels/agent.txt
COPY --from=builder /dist /dist
RUN /opt/velocity/bin/pip install --no-index --find-links /wheels /dist/velocity_trinity-*.whl

# ---- agent: livepatch-agent run --root /app [-- listen/TLS] -- CMD -------------------------
FROM python AS agent
COPY --from=agent-install /opt/velocity /opt/velocity
COPY deploy/docker/agent-entrypoint.sh /usr/local/bin/velocity-agent-entrypoint
COPY deploy/docker/agent-healthcheck.py /usr/local/bin/velocity-agent-healthcheck
ENV PATH=/opt/velocity/bin:$PATH \
    LIVEPATCH_ROOT=/app \
    LIVEPATCH_LISTEN=0.0.0.0:7070 \
    LIVEPATCH_TLS_DIR=/etc/livepatch/tls \
    LIVEPATCH_RELOAD=restart
RUN install -d -o velocity -g velocity /app
WORKDIR /app
USER 10001:10001
EXPOSE 7070
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python3", "/usr/local/bin/velocity-agent-healthcheck"]
ENTRYPOINT ["/bin/sh", "/usr/local/bin/velocity-agent-entrypoint"]
CMD ["python3", "-m", "http.server", "--directory", "/app", "8080"]

# ---- app-install: as agent-install, with the App's own dependencies and wheel ----------
FROM python AS app-install
COPY --from=deps /wheels /wheels
RUN python3 -m venv /opt/velocity \
    && /opt/velocity/bin/pip install --no-index --find-links /wheels \
        --requirement /wheels/agent.txt --requirement /wheels/app.txt
COPY --from=builder /dist /dist
RUN /opt/velocity/bin/pip install --no-index --find-links /wheels \
    /dist/velocity_trinity-*.whl /dist/velocity_github_app-*.whl

# ---- app: the GitHub App (webhooks in, Quantum Merge out); also runs `quantum worker` ------
FROM python AS app
# git: `quantum worker` builds speculative merges in worktrees with the real git.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o velocity -g velocity /var/lib/velocity
COPY --from=app-install /opt/velocity /opt/velocity
ENV PATH=/opt/velocity/bin:$PATH
WORKDIR /var/lib/velocity
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python3", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["velocity-github-app", "--host", "0.0.0.0", "--port", "8000"]
