"""`SipEndpoint`: a SIP user agent on one UDP socket (its own `SipCore` and `CallManager`) and one RTP port,
shared by any number of phones, so a thousand callers cost two sockets.

An inbound INVITE reaches the line named by its Request-URI's user (the contact a phone registered), or the
catch-all line when one is set (a test phone that answers whatever number it is dialled on); nobody: 404.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from hotline.phones.rtp import RtpPort
from hotline.phones.wait import HOST
from hotline.telephony.sip.calls import CallManager, InboundCall
from hotline.telephony.sip.clock import LoopScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.message import NameAddr, Request, Response, request_headers
from hotline.telephony.sip.transaction import new_branch
from hotline.telephony.sip.transport import Address, Listeners, listen
from hotline.telephony.sip.trunks import Trunk, TrunkList

log = logging.getLogger(__name__)

Line = Callable[[InboundCall], Coroutine[Any, Any, None]]


def user_of(uri: str) -> str:
    """`sip:8001@host:port;params` → `8001`."""
    return uri.partition(":")[2].split("@")[0] if "@" in uri else ""


def caller_number_of(call: InboundCall) -> str:
    """The calling number the engine put in the From of an INVITE to us."""
    return user_of(NameAddr.parse(call.invite.headers.get("From") or "").uri)


class SipEndpoint:
    """One SIP socket and one RTP port on `host`, shared by many phones.

    `trusted` are the addresses allowed to send us new calls (the engine); INVITEs from elsewhere get 403,
    as on the engine's own trunks. `name` is our User-Agent.
    """

    def __init__(self, host: str = HOST, trusted: tuple[str, ...] = (HOST,), name: str = "Hotline simulator") -> None:
        self.host = host
        self.trusted = trusted
        self.name = name
        self.lines: dict[str, Line] = {}
        self.catch_all: Line | None = None
        self.media = RtpPort(host)
        self._tasks: set[asyncio.Future[None]] = set()

    async def start(self) -> SipEndpoint:
        loop = asyncio.get_running_loop()
        self.core = SipCore(LoopScheduler(loop), user_agent=self.name)
        self.listeners: Listeners = await listen(self.host, 0, 0, self.core.receive)
        trunks = TrunkList([Trunk.of("engine", self.trusted)]) if self.trusted else TrunkList()
        self.calls = CallManager(self.core, self, self.listeners.udp_address, self.listeners.udp_channel,
                                 trunks=trunks, spawn=self.spawn)
        await self.media.open()
        return self

    @property
    def address(self) -> Address:
        return self.listeners.udp_address

    def contact(self, user: str) -> str:
        """The URI a phone on this endpoint registers: INVITEs to it come back to that phone."""
        host, port = self.address
        return f"sip:{user}@{host}:{port}"

    def add_line(self, user: str, on_call: Line) -> None:
        self.lines[user] = on_call

    async def on_call(self, call: InboundCall) -> None:
        """`CallApplication`: hand the call to the line its Request-URI names; 404 for nobody."""
        line = self.lines.get(user_of(call.invite.uri), self.catch_all)
        if line is None:
            call.reject(404, "Not Found")
            return
        await line(call)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        """Run a phone's coroutine as a task kept until it ends (so it is neither collected nor lost)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("phone failed", exc_info=task.exception())

    async def options(self, target: Address, timeout: float) -> Response | None:
        """Send OPTIONS to `target`; its final answer, or None when nothing came within `timeout` seconds."""
        host, port = self.address
        headers = request_headers(f"SIP/2.0/UDP {host}:{port};branch={new_branch()};rport",
                                  f"<sip:simulator@{host}>;tag={secrets.token_hex(4)}",
                                  f"<sip:{target[0]}:{target[1]}>", f"{secrets.token_hex(12)}@{host}", "1 OPTIONS")
        answer: asyncio.Future[Response | None] = asyncio.get_running_loop().create_future()

        def settle(response: Response | None) -> None:
            if not answer.done() and (response is None or response.status >= 200):
                answer.set_result(response)

        request = Request(headers, b"", "OPTIONS", f"sip:{target[0]}:{target[1]}")
        self.core.transactions.send_request(request, self.listeners.udp_channel(target), settle, lambda: settle(None))
        try:
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            return None

    async def close(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
        self.media.close()
        await self.listeners.close()
