"""The engine's `CallLog` port implemented with the ORM: each method runs one action in Django's
sync thread, so the engine's loop never blocks on the database."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any

from asgiref.sync import sync_to_async

from hotline.calls import actions, callback_actions, live
from hotline.lib import bus
from hotline.telephony.events import AgentStateChanged, CallEvent, EngineEvent


class OrmCallLog:
    """`hotline.telephony.ports.CallLog` on the `calls` app; writes as the system (actor None)."""

    async def append(self, event: CallEvent) -> None:
        await sync_to_async(actions.do_append_call_event, thread_sensitive=True)(event, actor=None)

    async def append_agent_state(self, event: AgentStateChanged) -> None:
        await sync_to_async(actions.do_append_agent_state, thread_sensitive=True)(event, actor=None)

    async def close_call(self, call_id: str) -> None:
        await sync_to_async(actions.do_close_call_record, thread_sensitive=True)(call_id, actor=None)

    async def link_recording(self, call_id: str, path: str, duration_seconds: float, channels: int) -> None:
        await sync_to_async(actions.do_link_recording, thread_sensitive=True)(
            call_id, path, duration_seconds, channels, actor=None)

    async def file_voicemail(self, call_id: str, path: str, duration_seconds: float) -> None:
        await sync_to_async(callback_actions.do_file_voicemail, thread_sensitive=True)(
            call_id, path, duration_seconds, actor=None)


def event_payload(event: EngineEvent) -> dict[str, Any]:
    """An engine event as a JSON-friendly dict: its fields, enums as values, times as ISO text, plus `type`."""
    payload: dict[str, Any] = {"type": type(event).__name__}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, datetime.datetime | datetime.date):
            value = value.isoformat()
        payload[field.name] = value
    return payload


class BusEventBus:
    """`hotline.telephony.ports.EventBus`: engine events to the live screens (`hotline.calls.live`), and to
    `hotline.lib.bus` listeners on the web side when there are any.

    The engine's events are already facts (no transaction to wait for), so they are published at once. The
    live screens come first and straight from the engine's loop: a screen pop must not wait for the sync
    thread, which the call log keeps busy in a surge.
    """

    async def publish(self, topic: str, event: EngineEvent) -> None:
        payload = event_payload(event)
        await live.forward(topic, payload)
        if bus.has_listeners(topic):
            await sync_to_async(bus.publish, thread_sensitive=True)(topic, payload)
