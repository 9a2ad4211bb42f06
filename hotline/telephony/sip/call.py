"""One call as the application sees it: its state, dialog, SDP and media, and its end.

`InboundCall` (a trunk call: ring, early media, answer, reject, hang up) and `OutboundCall` (a call the
engine dials: wait for the answer, cancel, hang up); `CallManager` (calls.py) does their SIP.
"""

from __future__ import annotations

import asyncio
import enum
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from hotline.telephony.sip import sdp
from hotline.telephony.sip.dialog import AnswerRetransmitter, Dialog
from hotline.telephony.sip.message import NameAddr, Request, Response, response_to
from hotline.telephony.sip.transaction import Channel, ServerTransaction
from hotline.telephony.sip.transport import Address
from hotline.telephony.sip.trunks import Trunk

if TYPE_CHECKING:
    from hotline.telephony.sip.calls import CallManager

SDP = "application/sdp"


class CallState(enum.Enum):
    """Where a call is in its life."""

    OFFERED = "offered"  # inbound, not answered yet
    CALLING = "calling"  # outbound, no provisional yet
    RINGING = "ringing"
    ANSWERED = "answered"  # 2xx sent or received, dialog exists
    ENDED = "ended"


class Call:
    """What inbound and outbound calls share: state, dialog, SDP session, media and the end of the call."""

    def __init__(self, manager: CallManager, local_media: Address) -> None:
        self._manager = manager
        self.state = CallState.OFFERED
        self.dialog: Dialog | None = None
        self.local_sdp = sdp.LocalSdp(local_media[0], local_media[1], session_id=str(secrets.randbelow(10**9)))
        self.media: sdp.Negotiated | None = None
        self.end_reason = ""
        self.on_media: Callable[[sdp.Negotiated], None] | None = None
        self.on_ended: Callable[[str], None] | None = None
        self._ended = asyncio.Event()
        self.channel: Channel | None = None  # set for calls over TCP: in-dialog requests reuse the connection
        self.retransmitter: AnswerRetransmitter | None = None  # our unacknowledged 2xx to an (re-)INVITE
        self.local_hold = False  # answer re-INVITEs sendonly/inactive: we hold the peer
        self._bye_after_ack = False
        self._pending_offer: bytes | None = None  # our offer in a 2xx, answered in the ACK

    @property
    def local_media(self) -> Address:
        return self.local_sdp.address, self.local_sdp.port

    def set_local_media(self, address: str, port: int) -> None:
        """Our RTP address and port, from the media plane; used in the next SDP we send."""
        self.local_sdp.address, self.local_sdp.port = address, port

    async def wait_ended(self) -> str:
        """Wait for the end of the call; returns the reason (remote bye, local bye, cancelled, …)."""
        await self._ended.wait()
        return self.end_reason

    def _hangup_answered(self) -> None:
        """BYE, but not before the ACK of our 2xx (§15): then it goes when the ACK comes or we give up."""
        if self.retransmitter is not None and self.retransmitter.active:
            self._bye_after_ack = True
        else:
            self._manager._bye(self, "local bye")

    def _acked(self) -> None:
        if self.retransmitter is not None:
            self.retransmitter.stop()
        if self._bye_after_ack:
            self._bye_after_ack = False
            self._manager._bye(self, "local bye")

    def _media_changed(self, media: sdp.Negotiated) -> None:
        self.media = media
        if self.on_media is not None:
            self.on_media(media)

    def _end(self, reason: str) -> None:
        if self.state is CallState.ENDED:
            return
        self.state, self.end_reason = CallState.ENDED, reason
        self._manager._forget(self)
        self._ended.set()
        if self.on_ended is not None:
            self.on_ended(reason)


class InboundCall(Call):
    """A call from a trunk; the application rings, answers, rejects or hangs it up."""

    def __init__(self, manager: CallManager, transaction: ServerTransaction, trunk: Trunk, offer: sdp.Session) -> None:
        super().__init__(manager, ("0.0.0.0", 0))
        self.transaction = transaction
        self.trunk = trunk
        self.offer = offer
        self.remote_media = sdp.check_offer(offer)  # what answering will give; the offer was checked before
        self.channel = transaction.channel if transaction.channel.reliable else None

    @property
    def invite(self) -> Request:
        return self.transaction.request

    @property
    def caller(self) -> str:
        return NameAddr.parse(self.invite.headers.get("From") or "").uri

    @property
    def called(self) -> str:
        return NameAddr.parse(self.invite.headers.get("To") or "").uri

    def ring(self) -> None:
        """Send 180 Ringing (once the call is offered)."""
        if self.state is CallState.OFFERED:
            self._manager.core.respond(self.transaction, 180, "Ringing")

    def answer(self, address: str, port: int) -> sdp.Negotiated:
        """Answer 200 with SDP for our RTP `address`:`port`; returns the negotiated stream."""
        if self.state is not CallState.OFFERED:
            raise RuntimeError(f"cannot answer a call that is {self.state.value}")
        self.set_local_media(address, port)
        body, negotiated = sdp.answer(self.offer, self.local_sdp)
        self.dialog = Dialog.as_uas(self.invite, self.transaction.to_tag)
        self.state = CallState.ANSWERED
        self._manager._answered(self, self.transaction, body)
        self._media_changed(negotiated)
        return negotiated

    def progress(self, address: str, port: int) -> sdp.Negotiated:
        """183 Session Progress with SDP for our RTP `address`:`port`: early media, heard before (or instead
        of) an answer, which the caller is not charged for. The call stays offered: answer or reject it."""
        if self.state is not CallState.OFFERED:
            raise RuntimeError(f"cannot send early media on a call that is {self.state.value}")
        self.set_local_media(address, port)
        body, negotiated = sdp.answer(self.offer, self.local_sdp)
        response = response_to(self.invite, 183, "Session Progress", self.transaction.to_tag)
        response.headers.add("Contact", self._manager.contact)
        response.headers.add("Content-Type", SDP)
        response.body = body
        self._manager.core.send_response(self.transaction, response)
        self.media = negotiated
        return negotiated

    def reject(self, status: int = 486, reason: str = "Busy Here") -> None:
        """Refuse the call before answering (3xx–6xx)."""
        if self.state is CallState.OFFERED:
            self._manager.core.respond(self.transaction, status, reason)
            self._end("rejected")

    def hangup(self) -> None:
        """End the call from our side: BYE once answered (after the ACK, §15), else 480."""
        if self.state is CallState.OFFERED:
            self.reject(480, "Temporarily Unavailable")
        elif self.state is CallState.ANSWERED:
            self._hangup_answered()


class OutboundCall(Call):
    """A call the engine dials (an agent's phone): follows 1xx/2xx/3xx–6xx, ACKs 2xx, cancels, hangs up."""

    def __init__(self, manager: CallManager, invite: Request, local_media: Address, offer: bytes) -> None:
        super().__init__(manager, local_media)
        self.state = CallState.CALLING
        self.invite = invite
        self.offer = offer
        self.final_status: int | None = None
        self.rejection: Response | None = None  # the final response when it was not a 2xx (Retry-After, …)
        self.on_ringing: Callable[[int], None] | None = None
        self._settled = asyncio.Event()
        self._cancel_wanted = False
        self._ack: Request | None = None
        self._channel_out: Channel | None = None

    async def wait_answer(self) -> int:
        """Wait for the final answer; returns its status (200 answered, 486 busy, 408 no answer, …)."""
        await self._settled.wait()
        return self.final_status or 0

    def cancel(self) -> None:
        """Stop ringing: CANCEL now if a provisional came, else as soon as one does (§9.1)."""
        if self.state is CallState.RINGING:
            self._manager._send_cancel(self)
        elif self.state is CallState.CALLING:
            self._cancel_wanted = True

    def hangup(self) -> None:
        """BYE when answered, CANCEL while ringing."""
        if self.state is CallState.ANSWERED:
            self._hangup_answered()
        else:
            self.cancel()

    def _settle(self, status: int) -> None:
        if self.final_status is None:
            self.final_status = status
            self._settled.set()

    def _end(self, reason: str) -> None:
        self._settle({"cancelled": 487, "timeout": 408}.get(reason, 500))
        super()._end(reason)
