"""JSON for queue states and build jobs, shared by every store backend."""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

from velocity.quantum.model import Build
from velocity.quantum.model import Entry
from velocity.quantum.model import PRHead
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild

__all__ = ["Job", "job_from_json", "job_to_json", "state_from_json", "state_to_json"]


@dataclass(frozen=True)
class Job:
    """A build for a worker: merge *prs* onto *base_sha*, test it, report *build_id*.

    .. versionadded:: 0.1
    """

    build_id: str
    base_sha: str
    prs: tuple[PRHead, ...]

    @classmethod
    def of(cls, action: StartBuild) -> Job:
        """The job that performs *action*.

        .. versionadded:: 0.1
        """
        return cls(action.build_id, action.base_sha, action.prs)


def _heads(raw: Any) -> tuple[PRHead, ...]:
    return tuple((int(pr), str(sha)) for pr, sha in raw)


@functools.lru_cache(maxsize=1 << 16)
def _entry_json(e: Entry) -> str:
    # Entries are immutable and mostly the same objects from one transition to the next.
    return json.dumps((e.pr, e.head_sha, e.priority, e.seq, e.retries, e.errors, e.confirm))


# Positional rows, not asdict(): a transition encodes the whole queue, so this is hot.
def state_to_json(state: QueueState) -> str:
    """Serialise *state*; :func:`state_from_json` reverses it exactly.

    .. versionadded:: 0.1
    """
    data = {
        "base_sha": state.base_sha,
        "landed": state.landed,
        "builds": [
            (b.build_id, b.base_sha, b.prs, b.status, b.landed_at, b.epoch) for b in state.builds
        ],
        "finished": state.finished,
        "finished_total": state.finished_total,
        "counters": (state.next_seq, state.next_build, state.epoch),
        "bisect": state.bisect,
    }
    rest = json.dumps(data, separators=(",", ":"))
    return rest[:-1] + ',"queue":[' + ",".join(map(_entry_json, state.queue)) + "]}"


def state_from_json(text: str) -> QueueState:
    """Parse what :func:`state_to_json` wrote.

    .. versionadded:: 0.1
    """
    raw = json.loads(text)
    next_seq, next_build, epoch = raw["counters"]
    return QueueState(
        base_sha=raw["base_sha"],
        landed=_heads(raw["landed"]),
        queue=tuple(Entry(*row) for row in raw["queue"]),
        builds=tuple(
            Build(bid, base, _heads(prs), status, landed_at, ep)
            for bid, base, prs, status, landed_at, ep in raw["builds"]
        ),
        finished=tuple((pr, final) for pr, final in raw["finished"]),
        next_seq=next_seq,
        next_build=next_build,
        bisect=(raw["bisect"][0], raw["bisect"][1]),
        epoch=epoch,
        finished_total=raw.get("finished_total", len(raw["finished"])),
    )


def job_to_json(job: Job) -> str:
    """Serialise *job*.

    .. versionadded:: 0.1
    """
    return json.dumps(asdict(job), separators=(",", ":"))


def job_from_json(text: str) -> Job:
    """Parse what :func:`job_to_json` wrote.

    .. versionadded:: 0.1
    """
    raw = json.loads(text)
    return Job(raw["build_id"], raw["base_sha"], _heads(raw["prs"]))
