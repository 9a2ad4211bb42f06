"""A virtual-time event loop: `loop.time()` jumps to the next timer whenever nothing else can run.

Call-flow tests open no socket, so the only things that make the engine move are callbacks ready now and
timers (ring timeouts, wrap-up, IVR timeouts, announcements, prompts ending on the fake media plane). When
no callback is ready, the loop's selector is asked to wait until the next timer; `VirtualSelector` does not
wait, it moves the clock there. A 20 s ring timeout therefore takes microseconds, and every event of a run
has the same timestamps on every run.
"""

from __future__ import annotations

import asyncio
import datetime
import selectors
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

START = 1000.0  # the loop's clock at the start of a test (an arbitrary, non-zero monotonic time)
EPOCH = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)  # the wall clock at START (09:00 in Shanghai)
REAL_WAIT = 5.0  # real seconds to wait for another thread when no timer is left (there should be none)


class Deadlock(RuntimeError):
    """The loop has nothing ready, no timer and no I/O: the test waits for something that cannot happen."""


class VirtualClock:
    """The loop's monotonic time, moved only by the selector (never by the real clock)."""

    def __init__(self, start: float = START) -> None:
        self.now = start


class VirtualSelector(selectors.BaseSelector):
    """A selector that polls the real one (the loop's self-pipe) without waiting, and instead of sleeping
    `timeout` seconds advances the virtual clock by exactly that much."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._real = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only another thread could wake us
            ready = self._real.select(REAL_WAIT)
            if not ready:
                raise Deadlock("nothing is ready and no timer is left")
            return ready
        self._clock.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time (see the module docstring)."""

    def __init__(self, start: float = START) -> None:
        self.clock = VirtualClock(start)
        super().__init__(VirtualSelector(self.clock))

    def time(self) -> float:
        return self.clock.now

    def busy(self) -> bool:
        """Whether a callback other than the running one is ready to run at this instant."""
        return bool(self._ready)  # type: ignore[attr-defined]

    def wall(self) -> datetime.datetime:
        """The wall clock, derived from the loop's time: timestamps are exact and the same on every run."""
        return EPOCH + datetime.timedelta(seconds=self.time() - START)


def virtual_loop() -> VirtualTimeLoop:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop), "call-flow tests run on the virtual-time loop (vtime.run)"
    return loop


async def settle() -> None:
    """Run everything that is ready now, without letting time pass."""
    loop = virtual_loop()
    while loop.busy():
        await asyncio.sleep(0)


async def until(condition: Callable[[], bool], within: float = 120.0, what: str = "the condition") -> None:
    """Run the engine until `condition()` holds: first what is ready now, then timer after timer, for at
    most `within` virtual seconds (a test never waits in real time)."""
    loop = virtual_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not reached within {within} virtual seconds")
        if loop.busy():
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(_next_timer(loop, deadline) - loop.time())


def _next_timer(loop: VirtualTimeLoop, deadline: float) -> float:
    """When the next live timer is due (past the deadline when none is), so that sleeping there lets it
    fire first: due timers all move to the ready queue in one loop iteration."""
    due = [handle.when() for handle in loop._scheduled if not handle.cancelled()]  # type: ignore[attr-defined]
    return max(loop.time(), min(due, default=deadline + 1.0))


async def advance(seconds: float) -> None:
    """Let `seconds` of virtual time pass (every timer due meanwhile fires, in order), then settle."""
    await asyncio.sleep(seconds)
    await settle()


def run(test: Callable[[], Coroutine[Any, Any, None]], within: float = 3600.0) -> None:
    """Run an async test on a fresh virtual-time loop, bounded by `within` virtual seconds."""
    loop = VirtualTimeLoop()
    try:
        loop.run_until_complete(asyncio.wait_for(test(), within))
    finally:  # as asyncio.run: what a failed test left running is cancelled, not destroyed pending
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.wait(left))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
