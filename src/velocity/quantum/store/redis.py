"""The shared store: Redis, for several app replicas and workers.

A transition is one Lua compare-and-set: the new state is written, its build
jobs added to the Stream and its cancellations recorded only if the state's
version is still the one the transition was computed from; otherwise the
script returns the current state and the (pure) transition is recomputed on
it. A writer that is alone therefore needs one round trip per transition.
Build jobs are read through one consumer group, so a crashed worker's jobs are
taken over with XAUTOCLAIM.
"""

from __future__ import annotations

from typing import Any

import redis

from velocity.quantum.codec import Job
from velocity.quantum.codec import job_from_json
from velocity.quantum.codec import job_to_json
from velocity.quantum.codec import state_from_json
from velocity.quantum.codec import state_to_json
from velocity.quantum.model import Action
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.store.protocol import Claim
from velocity.quantum.store.protocol import StoreError
from velocity.quantum.store.protocol import Transition

__all__ = ["GROUP", "RedisStore"]

GROUP = "workers"
"""The consumer group every worker reads the job stream through."""

# KEYS: state, version, jobs, cancelled. ARGV: expected version, new state, job count, jobs...,
# cancelled build ids...
_CAS = """
local current = redis.call('GET', KEYS[2])
if current ~= ARGV[1] then
  return {0, current, redis.call('GET', KEYS[1])}
end
redis.call('SET', KEYS[1], ARGV[2])
local version = redis.call('INCR', KEYS[2])
local jobs = tonumber(ARGV[3])
for i = 1, jobs do
  redis.call('XADD', KEYS[3], '*', 'job', ARGV[3 + i])
end
for i = 4 + jobs, #ARGV do
  redis.call('SADD', KEYS[4], ARGV[i])
end
return {1, tostring(version)}
"""


class RedisStore:
    """A :class:`~velocity.quantum.store.Store` in the Redis at *url*, keys under *prefix*.

    .. versionadded:: 0.1
    """

    def __init__(self, url: str, *, prefix: str = "velocity:quantum:") -> None:
        self._r: redis.Redis = redis.Redis.from_url(url, decode_responses=True)
        self._keys = [prefix + name for name in ("state", "version", "jobs", "cancelled")]
        self._state, self._version, self._jobs, self._cancelled = self._keys
        self._cas = self._r.register_script(_CAS)
        self.url = url
        # The last (version, state) seen: a lone writer never has to read before writing.
        self._last: tuple[str, QueueState] | None = None

    def _ensure_group(self) -> None:
        try:
            self._r.xgroup_create(self._jobs, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def init(self, base_sha: str) -> None:
        if self._r.set(self._state, state_to_json(QueueState(base_sha)), nx=True):
            self._r.set(self._version, "1")
        self._ensure_group()

    def load(self) -> QueueState:
        version, raw = self._r.mget([self._version, self._state])
        return self._seen(version, raw)

    def _seen(self, version: Any, raw: Any) -> QueueState:
        if raw is None or version is None:
            raise StoreError(f"no merge queue in {self.url} yet (enqueue a PR first)")
        if self._last is None or self._last[0] != version:
            self._last = (str(version), state_from_json(str(raw)))
        return self._last[1]

    def transition(self, fn: Transition) -> tuple[QueueState, list[Action]]:
        if self._last is None:
            self.load()
        while True:
            assert self._last is not None
            version, state = self._last
            new, actions = fn(state)
            jobs = [job_to_json(Job.of(a)) for a in actions if isinstance(a, StartBuild)]
            cancelled = [a.build_id for a in actions if isinstance(a, CancelBuild)]
            args: list[str | int] = [version, state_to_json(new), len(jobs), *jobs, *cancelled]
            reply: Any = self._cas(keys=self._keys, args=args)
            if reply[0] == 1:
                self._last = (str(reply[1]), new)
                return new, actions
            self._seen(reply[1], reply[2] if len(reply) > 2 else None)  # lost the race

    def claim(self, worker: str) -> Claim | None:
        self._ensure_group()
        while True:
            reply: Any = self._r.xreadgroup(GROUP, worker, {self._jobs: ">"}, count=1)
            if not reply:
                return None
            [(_, [(entry_id, fields)])] = reply
            claim = Claim(entry_id, job_from_json(fields["job"]))
            if not self.is_cancelled(claim.job.build_id):
                return claim
            self.ack(claim)  # voided before anyone started it

    def ack(self, claim: Claim) -> None:
        self._r.xack(self._jobs, GROUP, claim.claim_id)

    def reclaim(self, worker: str, min_idle_ms: int) -> list[Claim]:
        self._ensure_group()
        claims: list[Claim] = []
        cursor = "0-0"
        while True:
            reply: Any = self._r.xautoclaim(
                self._jobs, GROUP, worker, min_idle_ms, cursor, count=100
            )
            cursor, entries = reply[0], reply[1]
            for entry_id, fields in entries:
                if fields:  # a trimmed entry comes back empty
                    claims.append(Claim(entry_id, job_from_json(fields["job"])))
            if cursor == "0-0":
                return claims

    def is_cancelled(self, build_id: str) -> bool:
        return bool(self._r.sismember(self._cancelled, build_id))

    def close(self) -> None:
        self._r.close()
