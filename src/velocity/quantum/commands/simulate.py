"""``quantum simulate``: the real scheduler against a simulated CI on a virtual clock."""

from __future__ import annotations

from typing import Any

import click

from velocity.core.cli import emit_json
from velocity.core.cli import json_option
from velocity.quantum.simulator import SimConfig
from velocity.quantum.simulator import SimResult
from velocity.quantum.simulator import format_time
from velocity.quantum.simulator import simulate as run_simulation
from velocity.quantum.strategies import STRATEGIES

__all__ = ["simulate"]

_RATE = click.FloatRange(0.0, 1.0)


@click.command()
@click.option("--prs", default=3, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--strategy", default="speculative", show_default=True, type=click.Choice(sorted(STRATEGIES))
)
@click.option("--depth", default=3, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--ci-duration",
    default=1200.0,
    show_default=True,
    type=click.FloatRange(min=1.0),
    help="Median CI time per build, in seconds.",
)
@click.option(
    "--fail-rate", default=0.0, show_default=True, type=_RATE, help="Share of broken PRs."
)
@click.option(
    "--flake-rate", default=0.0, show_default=True, type=_RATE, help="Share of flaky builds."
)
@click.option(
    "--arrivals",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="PRs arriving per hour (Poisson); 0 queues them all at once.",
)
@json_option
def simulate(
    prs: int,
    seed: int,
    strategy: str,
    depth: int,
    ci_duration: float,
    fail_rate: float,
    flake_rate: float,
    arrivals: float,
    as_json: bool,
) -> int:
    """Simulate the merge queue on a virtual clock and print its timeline."""
    config = SimConfig(
        prs=prs,
        seed=seed,
        strategy=strategy,
        depth=depth,
        ci_duration=ci_duration,
        fail_rate=fail_rate,
        flake_rate=flake_rate,
        arrivals_per_hour=arrivals,
    )
    result = run_simulation(config)
    if as_json:
        emit_json(_as_data(config, result))
        return 0
    for entry in result.timeline:
        click.echo(f"{format_time(entry.time):>9}  {entry.text}")
    click.echo(_summary(config, result))
    return 0


def _summary(config: SimConfig, result: SimResult) -> str:
    durations = result.end / config.ci_duration
    return (
        f"{config.strategy}: {len(result.merged)}/{config.prs} merged, "
        f"{len(result.ejected)} ejected in {format_time(result.end)} "
        f"({durations:.2f} CI durations), {result.builds} builds"
    )


def _as_data(config: SimConfig, result: SimResult) -> dict[str, Any]:
    return {
        "strategy": config.strategy,
        "seed": config.seed,
        "ci_duration": config.ci_duration,
        "end": result.end,
        "ci_durations": result.end / config.ci_duration,
        "merged": {str(pr): t for pr, t in sorted(result.merged.items())},
        "ejected": {str(pr): why for pr, why in sorted(result.ejected.items())},
        "builds": result.builds,
        "wasted_ci_seconds": result.wasted_ci_seconds,
        "broken_main": result.broken_main,
        "timeline": [{"time": e.time, "kind": e.kind, "text": e.text} for e in result.timeline],
    }
