"""Latency statistics: nearest-rank percentiles and the summary every benchmark prints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


def percentile(ordered: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of values sorted in ascending order: the smallest value that at
    least `percent` % of the values do not exceed. Always one of the measured values, never an
    interpolation between two."""
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[rank - 1]


@dataclass(frozen=True)
class LatencySummary:
    """Latencies in milliseconds and the throughput of one sequential client."""

    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    per_second: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def summarize(latencies_s: Sequence[float], elapsed_s: float) -> LatencySummary:
    """Summarise per-operation latencies (seconds) measured over `elapsed_s` seconds of wall time."""
    ordered = sorted(latencies_s)
    if not ordered:
        raise ValueError("no latencies to summarise")
    return LatencySummary(
        count=len(ordered),
        p50_ms=percentile(ordered, 50) * 1000,
        p90_ms=percentile(ordered, 90) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=ordered[-1] * 1000,
        mean_ms=sum(ordered) / len(ordered) * 1000,
        per_second=len(ordered) / elapsed_s if elapsed_s > 0 else 0.0,
    )
