"""The figures the wallboard shows live: each queue's waiting callers and agents, and the lines in use."""

from __future__ import annotations

import asyncio

from hotline.telephony.acd_effects import AcdEffects
from hotline.telephony.events import LinesChanged, QueueStatsChanged
from hotline.telephony.lanes import Clocks, Lanes
from hotline.telephony.surge_gate import SurgeGate


class Figures:
    """Every `interval` seconds, the queues' figures and the lines, published when they changed since
    they last went out (O(queues), so a surge of calls does not become a surge of wallboard events)."""

    def __init__(self, acd: AcdEffects, surge: SurgeGate, lanes: Lanes, clocks: Clocks, interval: float) -> None:
        self._acd = acd
        self._surge = surge
        self._lanes = lanes
        self._clocks = clocks
        self._interval = interval
        self._last_stats: dict[str, tuple[int, int, int, int]] = {}  # queue → the figures last published
        self._last_lines = (0, 0)  # lines in use and calls refused, as last published
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._handle = asyncio.get_running_loop().call_later(self._interval, self._publish)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def _publish(self) -> None:
        now = self._clocks.clock.now()
        dispatcher = self._acd.dispatcher
        for queue_id in tuple(self._acd.queues):
            stats = dispatcher.queue_stats(queue_id)
            figures = (stats.present, round(stats.longest_wait), stats.ready, stats.staffed)
            if self._last_stats.get(queue_id, (0, 0, 0, 0)) != figures:
                self._last_stats[queue_id] = figures
                self._lanes.publish("queues", QueueStatsChanged(
                    queue=queue_id, at=self._clocks.wall(), mono=now, waiting=stats.present,
                    longest_wait_seconds=round(stats.longest_wait, 1), agents_ready=stats.ready,
                    agents_busy=stats.staffed - stats.ready))
        self._publish_lines(now)
        self.start()

    def _publish_lines(self, now: float) -> None:
        """Line occupancy and 503s on the "lines" topic, when they changed since the last second."""
        figures = (self._surge.lines_in_use(), self._surge.refused)
        if figures != self._last_lines:
            self._last_lines = figures
            self._lanes.publish("lines", LinesChanged(at=self._clocks.wall(), mono=now, in_use=figures[0],
                                                      lines=self._surge.lines, refused=figures[1]))
