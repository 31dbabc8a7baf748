"""A private Docker engine for tests: its own dockerd, data root, exec root and socket.

No registry is reachable, so the base image is built locally: ``debootstrap --variant=minbase
bookworm`` into a root filesystem, packed into a tarball kept in the user's cache directory
(``$XDG_CACHE_HOME/velocity/docker``) and ``docker import``-ed into each engine. Containers run
this very interpreter and Velocity through read-only bind mounts, so nothing is installed in
the image.

.. versionadded:: 0.2
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from velocity.testing._process import LoggedProcess
from velocity.testing._process import ManagedServer
from velocity.testing._process import ServerStartError

__all__ = ["BASE_IMAGE", "DockerEngine", "DockerUnavailable", "base_tarball", "cache_dir"]

BASE_IMAGE = "velocity-base:bookworm"
_SUITE = "bookworm"
_PACKAGES = ("python3", "rsync")  # rsync: the benchmark's anchor runs through docker exec
_BINARIES = ("dockerd", "docker", "containerd", "runc")


class DockerUnavailable(ServerStartError):
    """The engine cannot run here; the message says why (dockerd's own error when it has one).

    .. versionadded:: 0.2
    """


def cache_dir() -> Path:
    """Where the base image tarball is kept between runs.

    .. versionadded:: 0.2
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base, "velocity", "docker")


def base_tarball(cache: Path | None = None) -> Path:
    """The ``debootstrap --variant=minbase`` root filesystem as a tarball, built if missing.

    :raises DockerUnavailable: not root, no debootstrap, or debootstrap failed.

    .. versionadded:: 0.2
    """
    # Named by its packages: a cache built with other packages is not taken for this one.
    tarball = (cache or cache_dir()) / f"{_SUITE}-minbase-{'-'.join(_PACKAGES)}.tar"
    if tarball.exists():
        return tarball
    if os.geteuid() != 0:
        raise DockerUnavailable(f"building {tarball} needs root (debootstrap); run as root once")
    if shutil.which("debootstrap") is None:
        raise DockerUnavailable("debootstrap is missing: apt-get install debootstrap")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent) as work:
        rootfs, partial = Path(work, "rootfs"), Path(work, "rootfs.tar")
        include = f"--include={','.join(_PACKAGES)}"
        argv = ["debootstrap", "--variant=minbase", include, _SUITE, str(rootfs)]
        _run_or_explain(argv, "debootstrap")
        _run_or_explain(["tar", "-C", str(rootfs), "-cf", str(partial), "."], "tar")
        partial.replace(tarball)  # atomic: a half-built tarball is never cached
    return tarball


def _run_or_explain(argv: Sequence[str], what: str) -> None:
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if done.returncode:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise DockerUnavailable(f"{what} failed with status {done.returncode}: {last[0]}")


class DockerEngine(ManagedServer):
    """``dockerd`` of its own, reached through :attr:`env` (``DOCKER_HOST``).

    It runs without iptables and without a bridge: containers use ``--network host`` or
    ``--network none``. Needs root, and a kernel that lets dockerd mount overlays and
    create namespaces.

    :param workdir: the data root and the log live here. The exec root, the socket and the
        pid file go to a short temporary directory: containerd's sockets must fit the
        108-byte limit of a Unix socket path, which a deep test directory overflows.
    :param startup_timeout: seconds to wait for the API to answer.
    :param extra_args: more ``dockerd`` options (``--storage-driver vfs`` where overlays fail).

    .. versionadded:: 0.2
    """

    def __init__(
        self, workdir: Path, *, startup_timeout: float = 60.0, extra_args: Sequence[str] = ()
    ) -> None:
        self.workdir = Path(workdir).absolute()
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        self.runtime = self.workdir / "run"  # replaced by a short directory in start()
        self.socket_path = self.runtime / "docker.sock"
        self.log_path = self.workdir / "dockerd.log"
        self._process: LoggedProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment a ``docker`` client needs to reach this engine."""
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket_path}"}

    def start(self) -> None:
        missing = [name for name in _BINARIES if shutil.which(name) is None]
        if missing:
            raise DockerUnavailable(f"missing {', '.join(missing)}: apt-get install docker.io")
        if os.geteuid() != 0:
            raise DockerUnavailable("dockerd needs root here (rootless dockerd is not set up)")
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        self.runtime = Path(tempfile.mkdtemp(prefix="dockerd-"))
        self.socket_path = self.runtime / "docker.sock"
        argv = ["dockerd", "--data-root", str(self.workdir / "data")]
        argv += ["--exec-root", str(self.runtime / "exec"), "--host", f"unix://{self.socket_path}"]
        argv += ["--pidfile", str(self.runtime / "docker.pid"), "--iptables=false"]
        argv += ["--ip6tables=false", "--bridge=none", "--ip-masq=false", *self.extra_args]
        self._process = LoggedProcess(argv, self.log_path, cwd=self.workdir)
        try:
            self._process.wait_ready(self._answers, self.startup_timeout, "dockerd")
        except ServerStartError as exc:
            self._abandon()
            log = self.log_path.read_text(encoding="utf-8", errors="replace")
            raise DockerUnavailable(_dockerd_error(str(exc), log)) from None
        except BaseException:
            self._abandon()
            raise

    def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            return self.docker("version", check=False, timeout=5).returncode == 0
        except subprocess.TimeoutExpired:
            return False  # the socket exists but nobody serves it (yet, or any more)

    def _abandon(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process = None
        self._release()

    def _release(self) -> None:
        _unmount_below(self.workdir)
        _unmount_below(self.runtime)
        shutil.rmtree(self.runtime, ignore_errors=True)

    def stop(self, timeout: float = 20.0) -> None:
        if self._process is None:
            return
        ids = self.docker("ps", "-aq", check=False).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)
        self._process.stop(timeout)
        self._process = None
        self._release()

    def docker(
        self, *args: str, check: bool = True, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` against this engine; :class:`RuntimeError` with stderr on failure."""
        done = subprocess.run(
            ["docker", *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode:
            raise RuntimeError(f"docker {' '.join(args)}: {done.stderr.strip()}")
        return done

    def base_image(self, cache: Path | None = None) -> str:
        """:data:`BASE_IMAGE`, imported from the cached tarball (built first if missing)."""
        if self.docker("image", "inspect", BASE_IMAGE, check=False).returncode:
            tarball = base_tarball(cache)
            self.docker("import", str(tarball), BASE_IMAGE, timeout=600)
        return BASE_IMAGE

    def python_run_args(self) -> list[str]:
        """``docker run`` options that make this interpreter and Velocity usable inside."""
        import velocity

        package_root = Path(velocity.__file__).resolve().parents[1]
        mounts = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package_root}
        args = []
        for path in sorted(mounts):
            args += ["-v", f"{path}:{path}:ro"]
        return args


def _unmount_below(top: Path) -> None:
    # dockerd leaves its network namespace mounted under the exec root; a mount point that
    # outlives the engine makes the directory impossible to delete.
    prefix = f"{top}/"
    with open("/proc/self/mountinfo", encoding="utf-8") as info:
        points = [line.split()[4] for line in info if line.split()[4].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


def _dockerd_error(message: str, log: str) -> str:
    # dockerd logs a lot (containerd's shutdown comes after its own last words); the line
    # that says why it stopped is the one worth reporting.
    lines = log.splitlines()
    fatal = [line for line in lines if "failed to start daemon" in line or "level=fatal" in line]
    errors = [line for line in lines if "level=error" in line]
    reason = (fatal or errors or lines[-1:] or [message])[-1]
    return f"dockerd could not start: {message.splitlines()[0]}: {reason.strip()}"
