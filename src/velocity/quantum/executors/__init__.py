"""Who runs the builds: one :class:`Executor` protocol, implementations registered by name."""

from __future__ import annotations

from velocity.quantum.executors.local import LocalExecutor
from velocity.quantum.executors.protocol import EXECUTORS
from velocity.quantum.executors.protocol import Executor
from velocity.quantum.executors.simulated import SimulatedExecutor
from velocity.quantum.executors.simulated import SimulatedOutcomes

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "SimulatedExecutor", "SimulatedOutcomes"]
