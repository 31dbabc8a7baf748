"""Queue strategies: which speculative builds to run, and what a failed build means.

Each strategy implements :class:`Strategy` and is registered by name in
:data:`STRATEGIES`; the scheduler core owns merging, pruning and bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable

from velocity.quantum.strategies.batch import BatchStrategy
from velocity.quantum.strategies.flaky import FlakeAwareStrategy
from velocity.quantum.strategies.flaky import QuantumStrategy
from velocity.quantum.strategies.protocol import TIERS
from velocity.quantum.strategies.protocol import Eager
from velocity.quantum.strategies.protocol import Strategy
from velocity.quantum.strategies.protocol import StrategyOptions
from velocity.quantum.strategies.speculative import SerialStrategy
from velocity.quantum.strategies.speculative import SpeculativeStrategy

__all__ = [
    "STRATEGIES",
    "TIERS",
    "BatchStrategy",
    "Eager",
    "FlakeAwareStrategy",
    "QuantumStrategy",
    "SerialStrategy",
    "SpeculativeStrategy",
    "Strategy",
    "StrategyOptions",
    "make_strategy",
]


def _depth(o: StrategyOptions, default: int) -> tuple[int, int]:
    depth = o.depth or default
    return depth, o.concurrency or depth


STRATEGIES: dict[str, Callable[[StrategyOptions], Strategy]] = {
    "serial": lambda o: SerialStrategy(),
    "speculative": lambda o: SpeculativeStrategy(*_depth(o, TIERS["free"])),
    "batch": lambda o: BatchStrategy(batch_size=o.batch_size or o.depth or 4),
    "flake-aware": lambda o: FlakeAwareStrategy(*_depth(o, TIERS["team"])),
    "quantum": lambda o: QuantumStrategy(*_depth(o, TIERS["enterprise"])),
}
"""Strategy factories by name (the CLI's ``--strategy`` choices)."""


def make_strategy(name: str, options: StrategyOptions | None = None) -> Strategy:
    """Build the strategy registered as *name*.

    :raises KeyError: no strategy has that name.

    .. versionadded:: 0.1
    """
    return STRATEGIES[name](options or StrategyOptions())
