"""The wallboard's websocket: the floor's figures on connect, then live changes.

Queue, line and agent changes are forwarded as they come. Figures computed from the call log (service
level, answered, callbacks, calls per minute, calls in progress) are read again at most once a second,
and only after calls moved, so a surge of events costs one read a second, not one per event.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError
from django.utils.translation import gettext

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.calls import live
from hotline.floor.live import CLOSE_FORBIDDEN, in_floor_thread
from hotline.wallboard.calls import live_calls
from hotline.wallboard.stats import floor_snapshot

log = logging.getLogger(__name__)
REFRESH_SECONDS = 0.5
# The call log is written a moment after its live event (its own lane), and in a surge it can lag more: a
# slow periodic read catches up whatever the quick one after an event read too early.
STEADY_SECONDS = 3.0
LIVE_KINDS = {"QueueStatsChanged": "queue_live", "LinesChanged": "lines", "AgentStateChanged": "agent"}


def seat_locked_text(event: dict[str, Any]) -> str:
    """The banner for a seat locked by the registrar for password guessing (the engine's `SeatLocked`)."""
    return gettext("Seat %(seat)s (SIP user %(user)s) is locked for %(minutes)d minutes: too many wrong "
                   "passwords, the last from %(source)s. Check the phone, or who is guessing.") % {
        "seat": event.get("seat") or "-", "user": event.get("username", ""),
        "minutes": round(float(event.get("seconds", 0)) / 60), "source": event.get("source", "")}


def may_watch_floor(user: User) -> bool:
    return bool(user.is_authenticated and (user.has_perm(Perm.SUPERVISE_CALLS) or user.has_perm(Perm.VIEW_REPORTS)))


def floor_message() -> dict[str, Any]:
    return {"type": "snapshot", "floor": floor_snapshot(), "calls": live_calls()}


class WallboardConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One open wallboard, in the `floor` group."""

    async def connect(self) -> None:
        if not may_watch_floor(self.scope["user"]):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        live.register_web_loop()
        self.supervises = self.scope["user"].has_perm(Perm.SUPERVISE_CALLS)
        self.refresh: asyncio.Task[None] | None = None
        self.seq = 0
        await self.channel_layer.group_add(live.FLOOR, self.channel_name)
        await self.accept()
        await self._send(await in_floor_thread(floor_message))
        self.steady = asyncio.ensure_future(self._steady())

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(live.FLOOR, self.channel_name)
        for task in (getattr(self, "refresh", None), getattr(self, "steady", None)):
            if task is not None:
                task.cancel()

    async def _send(self, message: dict[str, Any]) -> None:
        self.seq += 1
        await self.send_json({"id": self.seq, **message})

    async def live_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        kind = LIVE_KINDS.get(str(event.get("type")))
        if kind is not None:
            await self._send({"type": kind, "event": event})
        elif event.get("type") == "SeatLocked":
            await self._send({"type": "alert", "text": seat_locked_text(event)})
        elif message["topic"] == "service.message":
            # Only that a question or message for the supervisors came: the board re-reads its list, and
            # nobody else's private messages pass through a screen on the wall.
            if (event.get("to_supervisors") or event.get("reply_to")) and self.supervises:  # asked, or answered
                await self._send({"type": "message"})
        elif message["topic"] in ("calls", "order.created") and self.refresh is None:
            self.refresh = asyncio.ensure_future(self._refresh_soon())

    async def _steady(self) -> None:
        while True:
            await asyncio.sleep(STEADY_SECONDS)
            if self.refresh is None:
                try:
                    await self._send(await in_floor_thread(floor_message))
                except DatabaseError:  # the next round reads again; the board keeps what it shows
                    log.exception("wallboard refresh failed")

    async def _refresh_soon(self) -> None:
        await asyncio.sleep(REFRESH_SECONDS)
        self.refresh = None
        await self._send(await in_floor_thread(floor_message))
