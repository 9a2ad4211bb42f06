"""Time for the ACD: a monotonic clock protocol and a hand-driven clock for tests and benchmarks."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """A source of monotonic seconds; the engine passes `time.monotonic`'s wrapper, tests a ManualClock."""

    def now(self) -> float: ...


class ManualClock:
    """A clock that only moves when told to, so routing decisions are reproducible to the second."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        self._now += seconds
        return self._now

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError("a monotonic clock cannot go back")
        self._now = when
