"""Live events to browsers: the engine's events and the desk's messages, forwarded to Channels groups.

Every event goes to the `floor` group (the wallboard); an event about an agent also goes to that agent's
group (their desk). With Redis as the channel layer the engine process sends straight to Redis. With the
in-memory layer (`hotline demo`) the engine runs on its own thread and loop, while the layer's queues
belong to the web server's loop: the send is handed to that loop, which the first websocket registers.
Nobody connected means nobody to tell, so events are dropped until then.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
from collections.abc import Coroutine
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

FLOOR = "floor"
SUPERVISORS = "supervisors"
EVENT = "live.event"  # the consumers' handler for every forwarded event: `live_event`
_SAFE = re.compile(r"[^a-zA-Z0-9_.-]")

SEND_TIMEOUT = 1.0  # seconds an event may take to reach the channel layer before it is given up
_web_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def agent_group(agent: str) -> str:
    """The Channels group of one agent's desk; user names may hold characters group names may not."""
    digest = hashlib.sha1(agent.encode()).hexdigest()[:12]
    return f"agent.{_SAFE.sub('_', agent)[:40]}.{digest}"


def register_web_loop() -> None:
    """Called by a consumer on connect: the loop the in-memory layer's queues live on."""
    global _web_loop
    with _lock:
        _web_loop = asyncio.get_running_loop()


def groups_for(topic: str, payload: dict[str, Any]) -> list[str]:
    """Which groups hear an event: the floor always, the agent it names, and a message's recipients."""
    groups = [FLOOR]
    for key in ("agent", "to_agent", "recipient", "sender"):
        name = payload.get(key)
        if name:
            groups.append(agent_group(str(name)))
    if payload.get("to_supervisors"):
        groups.append(SUPERVISORS)
    return list(dict.fromkeys(groups))


def _sends(topic: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    message = {"type": EVENT, "topic": topic, "event": payload}
    return [(group, message) for group in groups_for(topic, payload)]


async def _send_all(sends: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group, message in sends:
        await layer.group_send(group, message)


def _in_memory() -> bool:
    return isinstance(get_channel_layer(), InMemoryChannelLayer)


def _hand_to_web_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    loop = _web_loop
    if loop is None or loop.is_closed():
        coroutine.close()
        return
    asyncio.run_coroutine_threadsafe(coroutine, loop)


async def forward(topic: str, payload: dict[str, Any]) -> None:
    """Send an event to its groups from async code (the engine's loop); never raises into the caller."""
    sends = _sends(topic, payload)
    try:
        if _in_memory():
            try:
                on_web_loop = asyncio.get_running_loop() is _web_loop
            except RuntimeError:
                on_web_loop = False
            if on_web_loop:
                await _send_all(sends)
            else:
                _hand_to_web_loop(_send_all(sends))
        else:
            await asyncio.wait_for(_send_all(sends), SEND_TIMEOUT)  # a hung Redis must not stall the lane
    except Exception:  # a live screen missing an event must not break a call
        log.exception("could not forward %s to the live screens", topic)


def forward_from_sync(topic: str, payload: dict[str, Any]) -> None:
    """Send an event from sync code (a bus listener after a commit)."""
    if _in_memory():
        _hand_to_web_loop(_send_all(_sends(topic, payload)))
        return
    from asgiref.sync import async_to_sync

    try:
        async_to_sync(_send_all)(_sends(topic, payload))
    except Exception:
        log.exception("could not forward %s to the live screens", topic)


LIVE_TOPICS = ("service.message", "order.created")


def watch_web_events() -> None:
    """Forward the web side's own live events (messages, new orders) to the screens after commit."""
    from hotline.lib import bus

    for topic in LIVE_TOPICS:
        bus.subscribe(topic, forward_from_sync)
