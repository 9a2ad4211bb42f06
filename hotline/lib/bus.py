"""The in-process event bus of the web side: actions publish after commit, listeners subscribe.

Embedded mode delivers synchronously in-process; production will forward the same events to Redis
(the channel layer) from a subscriber, so publishers never know which transport is in use.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)
Listener = Callable[[str, dict[str, Any]], None]
_listeners: dict[str, list[Listener]] = defaultdict(list)


def subscribe(topic: str, listener: Listener) -> None:
    """Call `listener(topic, payload)` for every event on `topic` ("*" for all topics)."""
    _listeners[topic].append(listener)


def unsubscribe(topic: str, listener: Listener) -> None:
    if listener in _listeners[topic]:
        _listeners[topic].remove(listener)


def has_listeners(topic: str) -> bool:
    """Whether anything listens to `topic` (directly or to every topic)."""
    return bool(_listeners.get(topic) or _listeners.get("*"))


def publish(topic: str, payload: dict[str, Any]) -> None:
    """Deliver now. A failing listener is logged and does not stop the others."""
    for listener in [*_listeners[topic], *_listeners["*"]]:
        try:
            listener(topic, payload)
        except Exception:
            log.exception("event listener failed for %s", topic)


def publish_on_commit(topic: str, payload: dict[str, Any]) -> None:
    """Deliver once the surrounding transaction commits (never for a rolled-back write)."""
    transaction.on_commit(lambda: publish(topic, payload))
