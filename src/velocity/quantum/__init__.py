"""Product C, "Quantum Merge": a speculative merge queue.

The engine is a pure scheduler (:func:`step`) over frozen events, actions and
:class:`QueueState`; strategies decide which speculative builds run; stores keep
the state (SQLite embedded, Redis shared); executors run builds; git itself
makes and checks the speculative merges. Nothing here speaks HTTP.
"""

from __future__ import annotations

from velocity.quantum._queue import build_tail
from velocity.quantum.codec import Job
from velocity.quantum.executors import EXECUTORS
from velocity.quantum.executors import Executor
from velocity.quantum.executors import LocalExecutor
from velocity.quantum.executors import SimulatedExecutor
from velocity.quantum.executors import SimulatedOutcomes
from velocity.quantum.gitsim import Conflict
from velocity.quantum.gitsim import GitError
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.gitsim import SpecChain
from velocity.quantum.localqueue import LocalQueue
from velocity.quantum.model import HISTORY
from velocity.quantum.model import Action
from velocity.quantum.model import BaseAdvanced
from velocity.quantum.model import BaseMoved
from velocity.quantum.model import Build
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Eject
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Entry
from velocity.quantum.model import Event
from velocity.quantum.model import Merge
from velocity.quantum.model import PostStatus
from velocity.quantum.model import PRUpdated
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.model import Timeout
from velocity.quantum.scheduler import step
from velocity.quantum.simulator import SimConfig
from velocity.quantum.simulator import SimResult
from velocity.quantum.simulator import simulate
from velocity.quantum.store import BACKENDS
from velocity.quantum.store import Claim
from velocity.quantum.store import FinalRecord
from velocity.quantum.store import Store
from velocity.quantum.store import StoreError
from velocity.quantum.store import open_store
from velocity.quantum.strategies import STRATEGIES
from velocity.quantum.strategies import TIERS
from velocity.quantum.strategies import BatchStrategy
from velocity.quantum.strategies import FlakeAwareStrategy
from velocity.quantum.strategies import SerialStrategy
from velocity.quantum.strategies import SpeculativeStrategy
from velocity.quantum.strategies import Strategy
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import make_strategy
from velocity.quantum.worker import MAX_ATTEMPTS
from velocity.quantum.worker import Worker

__all__ = [
    "BACKENDS",
    "EXECUTORS",
    "HISTORY",
    "MAX_ATTEMPTS",
    "STRATEGIES",
    "TIERS",
    "Action",
    "BaseAdvanced",
    "BaseMoved",
    "BatchStrategy",
    "Build",
    "BuildFinished",
    "CancelBuild",
    "Claim",
    "Conflict",
    "Conflicted",
    "Dequeue",
    "Eject",
    "Enqueue",
    "Entry",
    "Event",
    "Executor",
    "FinalRecord",
    "FlakeAwareStrategy",
    "GitError",
    "GitMerger",
    "Job",
    "LocalExecutor",
    "LocalQueue",
    "Merge",
    "PRUpdated",
    "PostStatus",
    "QueueState",
    "SerialStrategy",
    "SimConfig",
    "SimResult",
    "SimulatedExecutor",
    "SimulatedOutcomes",
    "SpecChain",
    "SpeculativeStrategy",
    "StartBuild",
    "Store",
    "StoreError",
    "Strategy",
    "StrategyOptions",
    "Timeout",
    "Worker",
    "build_tail",
    "make_strategy",
    "open_store",
    "simulate",
    "step",
]
