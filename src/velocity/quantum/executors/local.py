"""Builds on this machine: merge with git, check the commit out in a worktree, run a command."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from velocity.core.workdir import private_dir
from velocity.quantum.codec import Job
from velocity.quantum.gitsim import Conflict
from velocity.quantum.gitsim import GitError
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Event

__all__ = ["LocalExecutor", "default_logdir"]


@dataclass
class _Running:
    proc: subprocess.Popen[bytes]
    worktree: Path
    commit: str
    log: IO[bytes]


class LocalExecutor:
    """Runs *command* in a ``git worktree`` of each speculative commit of *repo*.

    :param repo: the repository holding the base and the PR heads.
    :param command: argv (or a shell-like string, split with :func:`shlex.split`),
        e.g. ``pytest --affected-only``; exit 0 passes.
    :param workdir: where worktrees go (default: a temporary directory).
    :param logdir: where each build's output goes, as ``<build>.log`` (default:
        ``REPO/.velocity/quantum/logs``).

    A git failure while preparing a build (an unknown SHA, a broken repository)
    or a command that cannot start is reported as a build ``error``, with the
    reason in its log, rather than raised.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       Build output is kept in *logdir*; setup failures become ``error`` results.
    """

    def __init__(
        self,
        repo: Path | str,
        command: Sequence[str] | str,
        workdir: Path | None = None,
        *,
        logdir: Path | None = None,
    ) -> None:
        self.merger = GitMerger(repo)
        self.command = shlex.split(command) if isinstance(command, str) else list(command)
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="velocity-quantum-"))
        self.logdir = Path(logdir) if logdir else default_logdir(repo)
        self.commits: dict[str, str] = {}
        self._running: dict[str, _Running] = {}
        self._ready: list[Event] = []

    def log_path(self, build_id: str) -> Path:
        """Where the output of *build_id* is (or will be) kept.

        .. versionadded:: 0.1
        """
        return self.logdir / f"{build_id}.log"

    def start(self, job: Job, now: float) -> None:
        self.logdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path(job.build_id).open("wb")
        try:
            self._start(job, log)
        except (GitError, OSError) as exc:
            log.write(f"velocity quantum: build {job.build_id} could not start: {exc}\n".encode())
            log.close()
            self._ready.append(BuildFinished(job.build_id, "error"))

    def _start(self, job: Job, log: IO[bytes]) -> None:
        chain = self.merger.build(job.base_sha, job.prs)
        if isinstance(chain, Conflict):
            log.write(f"velocity quantum: {chain.reason}\n".encode())
            log.close()
            self._ready.append(Conflicted(chain.pr, chain.files))
            return
        worktree = self.workdir / job.build_id
        if worktree.exists():  # left by a worker that crashed on this job
            self.merger.git("worktree", "remove", "--force", "--force", str(worktree))
        self.merger.git("worktree", "prune")
        self.merger.git("worktree", "add", "--detach", str(worktree), chain.tip)
        self.commits[job.build_id] = chain.tip
        log.write(f"velocity quantum: {job.build_id} at {chain.tip}: {self.command}\n".encode())
        log.flush()
        proc = subprocess.Popen(self.command, cwd=worktree, stdout=log, stderr=subprocess.STDOUT)
        self._running[job.build_id] = _Running(proc, worktree, chain.tip, log)

    def cancel(self, build_id: str) -> None:
        running = self._running.pop(build_id, None)
        if running is not None:
            running.proc.kill()
            running.proc.wait()
            self._remove(running)

    def poll(self, now: float) -> list[Event]:
        out, self._ready = self._ready, []
        for build_id, running in list(self._running.items()):
            code = running.proc.poll()
            if code is None:
                continue
            del self._running[build_id]
            self._remove(running)
            out.append(BuildFinished(build_id, "pass" if code == 0 else "fail"))
        return out

    def wait(self, timeout: float | None = None) -> list[Event]:
        """Block until every running build is done; their results.

        .. versionadded:: 0.1
        """
        for running in self._running.values():
            running.proc.wait(timeout)
        return self.poll(0.0)

    def _remove(self, running: _Running) -> None:
        running.log.close()
        self.merger.git("worktree", "remove", "--force", str(running.worktree))


def default_logdir(repo: Path | str) -> Path:
    """``REPO/.velocity/quantum/logs``, where builds of *repo* keep their output.

    .. versionadded:: 0.1
    """
    return private_dir(Path(repo) / ".velocity") / "quantum" / "logs"
