"""The engine's two ordered lanes to its host, its clocks, and the tasks it keeps.

Every call step goes to the `CallLog` port in order through one writer task, so a slow log never stalls
the SIP or RTP path; live events (screen pop, wallboard) get a lane of their own, so a screen pop does not
wait behind a surge's call-log writes.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from hotline.telephony.acd.clock import Clock
from hotline.telephony.events import AgentStateChanged, CallEvent, CallStep, EngineEvent
from hotline.telephony.ports import CallLog, EventBus

log = logging.getLogger(__name__)

# Steps the web side shows live (screen pop, wallboard); the rest only go to the call log.
PUBLISHED = {CallStep.ARRIVE, CallStep.OFFER, CallStep.ANSWER, CallStep.ABANDON, CallStep.HANGUP}
Write = Callable[[], Awaitable[None]]
E = TypeVar("E", bound=CallEvent)


class LoopClock:
    """The loop's monotonic time, as the ACD and IVR `Clock` protocol wants it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def now(self) -> float:
        return self._loop.time()


def wall_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Clocks:
    """The engine's two times: monotonic (`clock`, for durations and timers) and wall (`wall`, for the log)."""

    clock: Clock
    wall: Callable[[], datetime.datetime]

    def wall_at(self, mono: float) -> datetime.datetime:
        """A monotonic instant as wall time."""
        return self.wall() - datetime.timedelta(seconds=self.clock.now() - mono)


class Tasks:
    """Background coroutines the engine keeps (so they are not collected) and whose errors are logged."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[None]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task failed", exc_info=task.exception())

    async def wait_all(self) -> None:
        """Until every task, including those the finishing ones spawn, is done."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)


class Lanes:
    """The write lane (call log, callbacks: in order, off the caller's path) and the live lane (the bus).

    `record` stamps a call step with the engine's wall and monotonic time itself, so no caller has to.
    """

    def __init__(self, call_log: CallLog, bus: EventBus, clocks: Clocks) -> None:
        self.call_log = call_log
        self.bus = bus
        self.clocks = clocks
        self._writes: asyncio.Queue[Write] = asyncio.Queue()
        self._live: asyncio.Queue[Write] = asyncio.Queue()
        self._drains: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._drains = [loop.create_task(self._drain(self._writes)), loop.create_task(self._drain(self._live))]

    def stop(self) -> None:
        for drain in self._drains:
            drain.cancel()

    def record(self, kind: type[E], **fields: Any) -> E:
        """Log a call step of `kind` stamped now (`at`, `mono`), and publish it if the screens show it."""
        event = kind(at=self.clocks.wall(), mono=self.clocks.clock.now(), **fields)
        self.emit(event)
        return event

    def emit(self, event: CallEvent) -> None:
        """Append a call step to the log (in order, off the caller's path) and publish the live ones."""
        self.write(lambda: self.call_log.append(event))
        if event.kind in PUBLISHED:
            self.publish("calls", event)

    def agent_state(self, event: AgentStateChanged) -> None:
        """Log an agent's state change and show it on the screens."""
        self.write(lambda: self.call_log.append_agent_state(event))
        self.publish("agents", event)

    def publish(self, topic: str, event: EngineEvent) -> None:
        """Publish in order, on the live lane (not behind the database writes)."""
        self._live.put_nowait(lambda: self.bus.publish(topic, event))

    def close_call(self, call_id: str) -> None:
        self.write(lambda: self.call_log.close_call(call_id))

    def write(self, write: Write) -> None:
        """Queue a write to the host (call log, callbacks) behind the ones before it."""
        self._writes.put_nowait(write)

    async def flush(self) -> None:
        """Wait until everything emitted so far is written and published."""
        await self._writes.join()
        await self._live.join()

    @staticmethod
    async def _drain(lane: asyncio.Queue[Write]) -> None:
        """Run a lane's writes one after the other, in the order they were queued."""
        while True:
            write = await lane.get()
            try:
                await write()
            except Exception:  # a failing log must not stop the calls; the error is in the log file
                log.exception("call log write failed")
            finally:
                lane.task_done()
