"""The shared store: Redis, for several app replicas and workers.

The state is split over small keys (a hash of scalars, a hash of queued PRs,
a hash of builds, the list of final states and a hash of their reasons), so a
transition sends and writes only what it changed. It is one Lua compare-and-set: the changes are
applied, the build jobs added to the Stream and the cancellations recorded only
if the state's version is still the one the transition was computed from;
otherwise the current state is read and the (pure) transition recomputed on
it. A writer that is alone therefore needs one round trip per transition.
Build jobs are read through one consumer group, so a crashed worker's jobs are
taken over with XAUTOCLAIM.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import redis

from velocity.quantum.codec import Job
from velocity.quantum.codec import job_from_json
from velocity.quantum.codec import job_to_json
from velocity.quantum.model import Action
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.store import _layout
from velocity.quantum.store.protocol import Claim
from velocity.quantum.store.protocol import FinalRecord
from velocity.quantum.store.protocol import StoreError
from velocity.quantum.store.protocol import Transition

__all__ = ["GROUP", "RedisStore"]

GROUP = "workers"
"""The consumer group every worker reads the job stream through."""

_NAMES = (
    "version",
    "meta",
    "entries",
    "builds",
    "jobs",
    "cancelled",
    "finished",
    "state",
    "reasons",
)

# Applies a _layout.Delta; a final's reason goes under its position in the list.
# KEYS: _NAMES. ARGV: expected version (or "" to create), delta, job count, jobs...,
# cancelled build ids...
_CAS = """
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if current or redis.call('EXISTS', KEYS[8]) == 1 then return {2, current} end
elseif current ~= ARGV[1] then
  return {0, current}
end
local d = cjson.decode(ARGV[2])
local function each(verb, key, items)
  for i = 1, #items, 500 do
    redis.call(verb, key, unpack(items, i, math.min(i + 499, #items)))
  end
end
each('HSET', KEYS[2], d[1])
each('HSET', KEYS[3], d[2])
each('HDEL', KEYS[3], d[3])
each('HSET', KEYS[4], d[4])
each('HDEL', KEYS[4], d[5])
local first = redis.call('LLEN', KEYS[7])
each('RPUSH', KEYS[7], d[6])
local reasons = {}
for i = 1, #d[7] do
  reasons[2 * i - 1] = tostring(first + i - 1)
  reasons[2 * i] = d[7][i]
end
each('HSET', KEYS[9], reasons)
local version = redis.call('INCR', KEYS[1])
local jobs = tonumber(ARGV[3])
for i = 1, jobs do
  redis.call('XADD', KEYS[5], '*', 'job', ARGV[3 + i])
end
for i = 4 + jobs, #ARGV do
  redis.call('SADD', KEYS[6], ARGV[i])
end
return {1, tostring(version)}
"""

# One consistent read of the whole state. KEYS: _NAMES.
_LOAD = """
local version = redis.call('GET', KEYS[1])
if not version then return {redis.call('EXISTS', KEYS[8])} end
local kept = cjson.decode(redis.call('HGET', KEYS[2], 'finished'))[1]
local finals = {}
if kept > 0 then finals = redis.call('LRANGE', KEYS[7], -kept, -1) end
return {version, redis.call('HGETALL', KEYS[2]), redis.call('HVALS', KEYS[3]),
        redis.call('HVALS', KEYS[4]), finals}
"""


class RedisStore:
    """A :class:`~velocity.quantum.store.Store` in the Redis at *url*, keys under *prefix*.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       The state is split over several keys; a transition writes only what changed.
       A store written by 0.1 (one ``state`` key) is refused. Each final state's
       reason, time and head go in a ``reasons`` hash, written by the same script.
    """

    def __init__(self, url: str, *, prefix: str = "velocity:quantum:") -> None:
        self._r: redis.Redis = redis.Redis.from_url(url, decode_responses=True)
        self._keys = [prefix + name for name in _NAMES]
        self._jobs, self._cancelled, self._finished = self._keys[4:7]
        self._reasons = self._keys[8]
        self._cas = self._r.register_script(_CAS)
        self._load = self._r.register_script(_LOAD)
        self.url = url
        # The last (version, state, meta) seen: a lone writer never reads before writing.
        self._last: tuple[str, QueueState, dict[str, str]] | None = None

    def _ensure_group(self) -> None:
        try:
            self._r.xgroup_create(self._jobs, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def init(self, base_sha: str) -> None:
        state = QueueState(base_sha)
        change, _ = _layout.delta(QueueState(""), {}, state, [])
        reply: Any = self._cas(keys=self._keys, args=["", change.to_json(), 0])
        if reply[0] == 2 and reply[1] is None:
            raise StoreError(f"{self.url} holds a queue of an older Velocity (one state key)")
        self._ensure_group()

    def load(self) -> QueueState:
        reply: Any = self._load(keys=self._keys)
        if len(reply) == 1:
            old = " of an older Velocity (one state key)" if reply[0] else " yet"
            raise StoreError(f"no merge queue in {self.url}{old} (enqueue a PR first)")
        version, flat, entries, builds, finals = reply
        if self._last is None or self._last[0] != version:
            meta = dict(zip(flat[::2], flat[1::2], strict=True))
            self._last = (str(version), _layout.decode(meta, entries, builds, finals), meta)
        return self._last[1]

    def transition(self, fn: Transition) -> tuple[QueueState, list[Action]]:
        if self._last is None:
            self.load()
        while True:
            assert self._last is not None
            version, state, meta = self._last
            new, actions = fn(state)
            change, new_meta = _layout.delta(state, meta, new, actions)
            jobs = [job_to_json(Job.of(a)) for a in actions if isinstance(a, StartBuild)]
            cancelled = [a.build_id for a in actions if isinstance(a, CancelBuild)]
            args: list[str | int] = [version, change.to_json(), len(jobs), *jobs, *cancelled]
            reply: Any = self._cas(keys=self._keys, args=args)
            if reply[0] == 1:
                self._last = (str(reply[1]), new, new_meta)
                return new, actions
            self.load()  # lost the race: recompute on what won

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
                    claims.append(Claim(entry_id, job_from_json(fields["job"]), 1))
            if cursor == "0-0":
                return [replace(c, attempts=self._deliveries(c.claim_id)) for c in claims]

    def _deliveries(self, entry_id: str) -> int:
        pending: Any = self._r.xpending_range(self._jobs, GROUP, entry_id, entry_id, 1)
        return int(pending[0]["times_delivered"]) if pending else 1

    def history(self, pr: int | None = None) -> list[FinalRecord]:
        items: list[str] = list(self._r.lrange(self._finished, 0, -1))  # type: ignore[arg-type]
        wanted = [i for i, item in enumerate(items) if pr is None or _layout.final(item)[0] == pr]
        if not wanted:
            return []
        # The list only grows and a reason is written with its item: every one read has its own.
        reasons: list[str | None] = self._r.hmget(self._reasons, wanted)  # type: ignore[assignment]
        return [_layout.record(items[i], why) for i, why in zip(wanted, reasons, strict=True)]

    def is_cancelled(self, build_id: str) -> bool:
        return bool(self._r.sismember(self._cancelled, build_id))

    def close(self) -> None:
        self._r.close()
