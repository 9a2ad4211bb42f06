"""The engine's SIP sockets, and what comes through them before the engine is ready."""

from __future__ import annotations

import logging

from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.transport import Channel, Listeners, listen

log = logging.getLogger(__name__)

MAX_EARLY_MESSAGES = 1000  # TCP messages kept while the engine starts (a restart's worth of callers)
Message = tuple[bytes, Channel, tuple[str, int], str]


class FrontDoor:
    """UDP and TCP listeners feeding the SIP core once `open()`.

    Before that (the engine still starting; a restarted engine's callers retransmitting), a datagram is
    dropped, so UDP resends it, rather than refused with 405; a TCP message is kept and handled at `open()`,
    as TCP never resends.
    """

    def __init__(self, core: SipCore) -> None:
        self.core = core
        self.listeners: Listeners | None = None
        self._open = False
        self._early: list[Message] = []
        self.dropped = 0  # TCP messages past MAX_EARLY_MESSAGES while starting

    async def listen(self, host: str, port: int) -> Listeners:
        self.listeners = await listen(host, port, port, self._receive)
        return self.listeners

    def _receive(self, data: bytes, channel: Channel, source: tuple[str, int], transport: str) -> None:
        if self._open:
            self.core.receive(data, channel, source, transport)
        elif transport == "TCP" and len(self._early) < MAX_EARLY_MESSAGES:
            self._early.append((data, channel, source, transport))
        elif transport == "TCP":
            self.dropped += 1
            if self.dropped == 1:
                log.warning("over %d TCP messages came while the engine started: the rest are dropped",
                            MAX_EARLY_MESSAGES)

    def open(self) -> None:
        """Ready: handle the TCP messages that came while the engine started, in their order."""
        self._open = True
        early, self._early = self._early, []
        for message in early:
            self.core.receive(*message)

    async def close(self) -> None:
        if self.listeners is not None:
            await self.listeners.close()
