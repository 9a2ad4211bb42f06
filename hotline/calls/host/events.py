"""The engine's `EventBus` port: engine events to the live screens and to the web side's bus listeners."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any

from asgiref.sync import sync_to_async

from hotline.calls import live
from hotline.lib import bus
from hotline.telephony.events import EngineEvent


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
