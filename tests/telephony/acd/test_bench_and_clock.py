"""The routing micro-benchmark runs (figures are not asserted) and the manual clock only goes forward."""

from __future__ import annotations

import pytest

from hotline.telephony.acd import ManualClock
from hotline.telephony.acd.bench import routing_benchmark


def test_the_routing_benchmark_returns_its_figures_on_a_small_world() -> None:
    figures = routing_benchmark(agents=24, queues=4, callers=40, rounds=50, seed=1)
    assert set(figures) == {"p50_us", "p99_us", "max_us", "rounds", "waiting_at_end"}
    assert figures["rounds"] == 50.0
    assert 0 < figures["p50_us"] <= figures["p99_us"] <= figures["max_us"]
    assert figures["waiting_at_end"] > 0


def test_the_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(10.0)
    assert clock.advance(2.5) == 12.5
    clock.set(20.0)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(19.0)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1.0)
    assert clock.now() == 20.0
