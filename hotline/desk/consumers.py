"""The desk's websocket: an agent's live state, screen pops and messages, pushed as they happen.

On connect the desk gets the agent's current state and, when a call is in progress, its pop again (a
reloaded page or a reconnect restores itself). Then it gets events with ids. Changes go over HTTP; this
socket only listens.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.calls import live
from hotline.desk.pop import Offered, render_pop
from hotline.desk.state import desk_state, offered_for_call
from hotline.floor.live import CLOSE_FORBIDDEN, in_pop_thread

log = logging.getLogger(__name__)


def _language(scope: dict[str, Any]) -> str:
    query = scope.get("query_string", b"").decode()
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "lang" and value in dict(settings.LANGUAGES):
            return value
    return str(settings.LANGUAGE_CODE)


class DeskConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One agent's desk. Joins the agent's group (and the supervisors' for supervisors)."""

    async def connect(self) -> None:
        user: User = self.scope["user"]
        if not user.is_authenticated or not user.has_perm(Perm.TAKE_CALLS):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        live.register_web_loop()
        self.user, self.language = user, _language(self.scope)
        self.popped: set[str] = set()
        self.messages_seen: set[int] = set()  # a supervisor hears a message in two groups: show it once
        self.ids = itertools.count(1)
        self.joined = [live.agent_group(user.username)]
        if user.has_perm(Perm.SUPERVISE_CALLS):
            self.joined.append(live.SUPERVISORS)
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        state = await in_pop_thread(lambda: desk_state(user))
        await self._send({"type": "hello", **state.pop("public")})
        if state["call"] is not None:
            await self._pop(state["call"])

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send_json({"id": next(self.ids), **message})

    async def _pop(self, offered: Offered) -> None:
        if offered.call_id in self.popped:
            return
        self.popped.add(offered.call_id)
        try:
            message = await in_pop_thread(lambda: render_pop(offered, self.user, self.language))
        except Exception:
            log.exception("screen pop failed for call %s", offered.call_id)
            message = {"type": "pop", "call_id": offered.call_id, "html": "", "order": {"call_id": offered.call_id,
                                                                                         "phone": offered.caller}}
        await self._send(message)

    async def live_event(self, message: dict[str, Any]) -> None:
        """A forwarded event: engine events about this agent, and messages to or from them."""
        event, topic = message["event"], message["topic"]
        if topic == "service.message":
            if event.get("id") not in self.messages_seen:
                self.messages_seen.add(event.get("id"))
                await self._send({"type": "message", "message": event})
            return
        if event.get("agent") != self.user.username:
            return
        kind = event.get("type")
        if kind == "Offer" or (kind == "Arrive" and event.get("direction") == "outbound"):
            await self._pop(Offered.from_event(event))
        elif kind == "Answer":
            if event["call_id"] not in self.popped:  # an attended transfer or a pick-up: no offer came first
                offered = await in_pop_thread(lambda: offered_for_call(event["call_id"]))
                if offered is not None:
                    await self._pop(offered)
            await self._send({"type": "answered", "call_id": event["call_id"]})
        elif kind in ("Hangup", "Abandon"):
            await self._send({"type": "ended", "call_id": event["call_id"]})
        elif kind == "AgentStateChanged":
            await self._send({"type": "state", "state": event["state"], "reason": event.get("reason", ""),
                              "seat": event.get("seat", ""), "since": event["at"],
                              "phone_online": bool(event.get("phone_online", True)),
                              "wrapup_until": event.get("wrapup_until")})
