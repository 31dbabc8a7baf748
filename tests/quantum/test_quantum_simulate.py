from __future__ import annotations

import json

import pytest

from velocity.quantum.cli import main
from velocity.quantum.simulator import SimConfig
from velocity.quantum.simulator import format_time
from velocity.quantum.simulator import simulate
from velocity.quantum.strategies import STRATEGIES

CI = 1200.0


def test_speculative_depth_3_merges_three_prs_in_about_one_ci_duration():
    result = simulate(SimConfig(prs=3, strategy="speculative", depth=3, ci_duration=CI))
    assert sorted(result.merged) == [1, 2, 3]
    assert result.end <= 1.1 * CI
    assert result.builds == 3


def test_serial_takes_about_three_ci_durations():
    result = simulate(SimConfig(prs=3, strategy="serial", ci_duration=CI))
    assert sorted(result.merged) == [1, 2, 3]
    assert 2.9 * CI <= result.end <= 3.1 * CI


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_lands_every_good_pr_and_never_breaks_main(strategy):
    config = SimConfig(
        prs=40,
        seed=7,
        strategy=strategy,
        depth=4,
        sigma=0.3,
        fail_rate=0.1,
        flake_rate=0.05,
        conflict_rate=0.03,
        arrivals_per_hour=12,
    )
    result = simulate(config)
    assert len(result.merged) + len(result.ejected) == 40
    assert set(result.merged).isdisjoint(result.broken)
    assert result.broken.issubset(result.ejected)
    assert result.broken_main == 0
    assert result.wasted_ci_seconds >= 0
    assert all(t >= 0 for t in result.time_to_merge())
    assert simulate(config) == result  # seeded: the same run twice


def test_format_time():
    assert format_time(0) == "0:00:00"
    assert format_time(3725.4) == "1:02:05"


def test_cli_prints_a_timeline_and_summary(capsys):
    assert main(["simulate", "--prs", "3", "--depth", "3", "--ci-duration", "600"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "b3 started: main + #1 + #2 + #3" in out[5]
    assert out[-1] == "speculative: 3/3 merged, 0 ejected in 0:10:00 (1.00 CI durations), 3 builds"


def test_cli_json_and_serial_comparison(capsys):
    assert main(["simulate", "--strategy", "serial", "--json"]) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main(["simulate", "--strategy", "speculative", "--depth", "3", "--json"]) == 0
    spec = json.loads(capsys.readouterr().out)
    assert serial["ci_durations"] == pytest.approx(3.0)
    assert spec["ci_durations"] == pytest.approx(1.0)
    assert sorted(spec["merged"]) == ["1", "2", "3"]
    assert spec["timeline"][0] == {"time": 0.0, "kind": "enqueue", "text": "#1 enqueued"}


def test_cli_failures_eject_and_usage_errors_exit_2(capsys):
    args = ["simulate", "--prs", "20", "--fail-rate", "0.3", "--seed", "1", "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ejected"]
    assert all("failed" in why for why in data["ejected"].values())
    assert main(["simulate", "--depth", "0"]) == 2
    assert "--depth" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("quantum ")
