"""Hand-built calls for the calls tests: events at exact offsets (seconds) from a fixed start."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync

from hotline.calls.actions import event_detail
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.timeline import Step
from hotline.telephony import events as ev

T0 = datetime.datetime(2026, 11, 24, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MONO0 = 5000.0


def at(offset: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=offset)


class Call:
    """One call's script: `call.step(ev.Answer, 10, agent="a1")` makes the event `offset` seconds after
    the call's start; `queue` defaults to the call's queue."""

    def __init__(self, call_id: str, start: float = 0, queue: str = "sales", caller: str = "13800138000",
                 dnis: str = "4008001000") -> None:
        self.call_id, self.start, self.queue = call_id, start, queue
        self.events: list[ev.CallEvent] = []
        self.step(ev.Arrive, 0, queue="", caller=caller, dnis=dnis)

    def step(self, cls: type[ev.CallEvent], offset: float, **fields: Any) -> Call:
        fields.setdefault("queue", self.queue)
        self.events.append(cls(call_id=self.call_id, at=at(self.start + offset),
                               mono=MONO0 + self.start + offset, **fields))
        return self

    def queued(self, offset: float = 3) -> Call:
        return self.step(ev.IvrNode, 1, flow="main", node="menu", digits="1").step(ev.Enqueue, offset, position=1)


def steps(*calls: Call, airing_id: int | None = None) -> dict[str, list[Step]]:
    """The calls as the KPI code reads them from the log, without a database."""
    result: dict[str, list[Step]] = defaultdict(list)
    for call in calls:
        for seq, event in enumerate(call.events, start=1):
            result[event.call_id].append(Step(event.call_id, seq, event.kind, event.at, event.mono, event.queue,
                                              event.agent, event_detail(event), airing_id))
    return dict(result)


def log(*calls: Call, close: bool = True) -> None:
    """Send the calls through the engine bridge (the real `CallLog` port), then close them."""
    bridge = OrmCallLog()
    for call in calls:
        for event in call.events:
            async_to_sync(bridge.append)(event)
        if close:
            async_to_sync(bridge.close_call)(call.call_id)


def log_recording(call_id: str, path: str, duration: float, channels: int = 1) -> None:
    """Link a recording through the engine bridge."""
    async_to_sync(OrmCallLog().link_recording)(call_id, path, duration, channels)
