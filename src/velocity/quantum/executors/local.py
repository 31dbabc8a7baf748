"""Builds on this machine: merge with git, check the commit out in a worktree, run a command."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from velocity.quantum.codec import Job
from velocity.quantum.gitsim import Conflict
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Event

__all__ = ["LocalExecutor"]


@dataclass
class _Running:
    proc: subprocess.Popen[bytes]
    worktree: Path
    commit: str


class LocalExecutor:
    """Runs *command* in a ``git worktree`` of each speculative commit of *repo*.

    :param repo: the repository holding the base and the PR heads.
    :param command: argv (or a shell-like string, split with :func:`shlex.split`),
        e.g. ``pytest --affected-only``; exit 0 passes.
    :param workdir: where worktrees go (default: a temporary directory).

    .. versionadded:: 0.1
    """

    def __init__(
        self, repo: Path | str, command: Sequence[str] | str, workdir: Path | None = None
    ) -> None:
        self.merger = GitMerger(repo)
        self.command = shlex.split(command) if isinstance(command, str) else list(command)
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="velocity-quantum-"))
        self.commits: dict[str, str] = {}
        self._running: dict[str, _Running] = {}
        self._ready: list[Event] = []

    def start(self, job: Job, now: float) -> None:
        chain = self.merger.build(job.base_sha, job.prs)
        if isinstance(chain, Conflict):
            self._ready.append(Conflicted(chain.pr, chain.files))
            return
        worktree = self.workdir / job.build_id
        if worktree.exists():  # left by a worker that crashed on this job
            self.merger.git("worktree", "remove", "--force", "--force", str(worktree))
        self.merger.git("worktree", "prune")
        self.merger.git("worktree", "add", "--detach", str(worktree), chain.tip)
        self.commits[job.build_id] = chain.tip
        proc = subprocess.Popen(
            self.command, cwd=worktree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._running[job.build_id] = _Running(proc, worktree, chain.tip)

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
        self.merger.git("worktree", "remove", "--force", str(running.worktree))
