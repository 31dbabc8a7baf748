"""``kubectl://`` targets: the LivePatch agent spawned in a pod through ``kubectl exec -i``.

``kubectl://[context@]namespace/pod[:container]/path`` runs::

    kubectl [--context CONTEXT] exec -i -n NAMESPACE POD [-c CONTAINER] -- \\
        livepatch-agent stdio --root /path

.. versionadded:: 0.1
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from velocity.core.errors import UsageError
from velocity.livepatch.client import Channel
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import StdioChannel
from velocity.livepatch.client import Target
from velocity.livepatch.hookspecs import TransportFactory
from velocity.livepatch.hookspecs import hookimpl

__all__ = ["PodRef", "kubectl_argv", "livepatch_transports", "open_kubectl", "pod_ref"]


class PodRef:
    """Where a ``kubectl://`` URL points: context, namespace, pod, container, path.

    .. versionadded:: 0.1
    """

    def __init__(self, context: str, namespace: str, pod: str, container: str, path: str) -> None:
        self.context, self.namespace, self.pod = context, namespace, pod
        self.container, self.path = container, path


def pod_ref(target: Target) -> PodRef:
    """Split a parsed ``kubectl://`` target; :class:`UsageError` (one line) when malformed.

    .. versionadded:: 0.1
    """
    pod_part, _, rest = target.path.lstrip("/").partition("/")
    pod, _, container = pod_part.partition(":")
    if not (target.host and pod and rest.strip("/")):
        raise UsageError(
            f"write a kubectl target as kubectl://[context@]namespace/pod[:container]/path, "
            f"not {target.url!r}"
        )
    if target.port is not None:
        raise UsageError(f"a kubectl target has no port: {target.url!r}")
    return PodRef(target.user, target.host, pod, container, "/" + rest)


def kubectl_argv(target: Target, options: ConnectOptions) -> list[str]:
    """The ``kubectl exec -i`` command line that starts the agent in the pod.

    .. versionadded:: 0.1
    """
    ref = pod_ref(target)
    argv = ["kubectl"]
    if ref.context:
        argv += ["--context", ref.context]
    argv += ["exec", "-i", "-n", ref.namespace, ref.pod]
    if ref.container:
        argv += ["-c", ref.container]
    return [*argv, "--", *shlex.split(options.agent_command), "stdio", "--root", ref.path]


def open_kubectl(target: Target, options: ConnectOptions) -> Channel:
    """Open a channel to the agent in the pod (the ``kubectl`` transport factory).

    .. versionadded:: 0.1
    """
    return StdioChannel(kubectl_argv(target, options), target.url)


@hookimpl
def livepatch_transports() -> Mapping[str, TransportFactory]:
    return {"kubectl": open_kubectl}
