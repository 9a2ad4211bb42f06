"""Calls on top of the SIP core: inbound trunk calls (UAS) and calls the engine dials (UAC).

`CallManager` installs the INVITE, BYE and CANCEL handlers and the ACK hook on a `SipCore`. An inbound
INVITE passes the trunk allow-list (403), optional trunk digest (401), the overload guard (503 with
Retry-After) and the SDP offer (400/488) before the application's `on_call` gets an `InboundCall`. No media
runs here: a call exposes the negotiated remote RTP address, port and codec, and takes our RTP address.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from hotline.telephony.sip import sdp
from hotline.telephony.sip.call import SDP, Call, CallState, InboundCall, OutboundCall
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.dialog import AnswerRetransmitter, Dialog, DialogId, contact_uri, dialog_id_of, uri_address
from hotline.telephony.sip.message import Headers, NameAddr, Request, Response, request_headers, response_to
from hotline.telephony.sip.registrar import Registrar
from hotline.telephony.sip.transaction import Channel, ServerTransaction, new_branch
from hotline.telephony.sip.transport import Address
from hotline.telephony.sip.trunks import Admission, Trunk, TrunkList, always_admit

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], object]
__all__ = ["CallApplication", "CallManager", "CallState", "InboundCall", "OutboundCall"]


class CallApplication(Protocol):
    """What the engine does with an admitted inbound call: ring, answer, reject or hang up."""

    def on_call(self, call: InboundCall) -> Awaitable[None]: ...


def spawn_task(coroutine: Coroutine[Any, Any, None]) -> object:
    """The default way to run the application's `on_call`: a task on the running loop."""
    return asyncio.ensure_future(coroutine)


class CallManager:
    """Inbound and outbound calls on a `SipCore`: installs the INVITE, BYE and CANCEL handlers and the ACK hook.

    `local` is our SIP address (for Via and Contact); `channel_for(address)` gives a UDP channel to a peer.
    """

    def __init__(
        self,
        core: SipCore,
        app: CallApplication,
        local: Address,
        channel_for: Callable[[Address], Channel],
        trunks: TrunkList | None = None,
        admit: Admission = always_admit,
        retry_after: int = 30,
        authenticator: Registrar | None = None,
        spawn: Spawn = spawn_task,
    ) -> None:
        self.core = core
        self.app = app
        self.local = local
        self.channel_for = channel_for
        self.trunks = trunks or TrunkList()
        self.admit = admit
        self.retry_after = retry_after
        self.authenticator = authenticator
        self.spawn = spawn
        self.dialogs: dict[DialogId, Call] = {}
        self.offered: dict[tuple[str, ...], InboundCall] = {}
        self.outbound: dict[str, OutboundCall] = {}  # by Call-ID, until settled
        core.handlers.update(INVITE=self._invite, BYE=self._bye_request, CANCEL=self._cancel_request)
        core.on_ack = self._ack_request
        core.on_stray_response = self._stray_response

    @property
    def active(self) -> int:
        """Calls in progress (offered, dialling or answered)."""
        return len(self.offered) + len(self.outbound) + len(self.dialogs)

    def via(self, reliable: bool = False) -> str:
        return f"SIP/2.0/{'TCP' if reliable else 'UDP'} {self.local[0]}:{self.local[1]}"

    @property
    def contact(self) -> str:
        return f"<sip:hotline@{self.local[0]}:{self.local[1]}>"

    # --- inbound INVITE -------------------------------------------------------------------------------------
    def _invite(self, transaction: ServerTransaction) -> None:
        if dialog_id_of(transaction.request) is not None:
            self._reinvite(transaction)
            return
        trunk = self._admitted_trunk(transaction)
        if trunk is None:
            return
        offer = self._offer_of(transaction)
        if offer is None:
            return
        call = InboundCall(self, transaction, trunk, offer)
        self.offered[transaction.key] = call
        transaction.on_ack_timeout = lambda: call._end("no ack")
        self.spawn(self._run_app(call))

    def _admitted_trunk(self, transaction: ServerTransaction) -> Trunk | None:
        request = transaction.request
        via = request.top_via
        source = via.params.get("received") or via.host  # stamped from the real source by the core
        trunk = self.trunks.match(source)
        if trunk is None:
            if self.core.limiter.allow(f"forbidden:{source}"):
                log.warning("INVITE from %s refused: not a trunk (From %s)", source, request.headers.get("From"))
            self.core.respond(transaction, 403, "Forbidden")
            return None
        if trunk.username and not self._authenticated(transaction, trunk.username):
            return None
        if not self.admit(request):
            response = response_to(request, 503, "Service Unavailable", transaction.to_tag)
            response.headers.add("Retry-After", str(self.retry_after))
            self.core.send_response(transaction, response)
            return None
        return trunk

    def _authenticated(self, transaction: ServerTransaction, username: str) -> bool:
        if self.authenticator is None:
            self.core.respond(transaction, 403, "Forbidden")
            return False
        verdict = self.authenticator.authenticate(transaction.request)  # counts failures: guessing gets banned
        if verdict.user == username:
            return True
        if verdict.forbidden:
            self.core.respond(transaction, 403, "Forbidden")
        else:
            self.core.send_response(transaction, self.authenticator.challenge(transaction.request, verdict.stale))
        return False

    def _offer_of(self, transaction: ServerTransaction) -> sdp.Session | None:
        """The checked SDP offer, or None after answering 400, 415 or 488."""
        request = transaction.request
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not request.body or content_type != SDP:
            self._refuse(transaction, 488, "Not Acceptable Here")  # offerless INVITE: not supported yet
            return None
        try:
            offer = sdp.parse(request.body)
            sdp.check_offer(offer)
        except sdp.NotAcceptable:
            self._refuse(transaction, 488, "Not Acceptable Here")
            return None
        except sdp.SdpError:
            self._refuse(transaction, 400, "Bad SDP")
            return None
        return offer

    def _refuse(self, transaction: ServerTransaction, status: int, reason: str) -> None:
        response = response_to(transaction.request, status, reason, transaction.to_tag)
        if status == 488:
            response.headers.add("Warning", '305 hotline "Incompatible media format"')
        self.core.send_response(transaction, response)

    async def _run_app(self, call: InboundCall) -> None:
        try:
            await self.app.on_call(call)
        except Exception:  # the caller must still get an answer
            log.exception("on_call failed for %s", call.invite.call_id)
            if call.state is CallState.OFFERED:
                call.reject(500, "Server Internal Error")

    def _answered(self, call: InboundCall, transaction: ServerTransaction, body: bytes) -> None:
        """Send the 2xx with SDP and keep it retransmitted until the ACK (§13.3.1.4)."""
        assert call.dialog is not None
        self.offered.pop(transaction.key, None)
        self.dialogs[call.dialog.id] = call
        self._send_2xx(call, transaction, body)

    def _no_ack(self, call: Call) -> None:
        log.info("no ACK for the 2xx of %s: hanging up", call.dialog.call_id if call.dialog else "?")
        self._bye(call, "no ack")

    # --- in-dialog requests ---------------------------------------------------------------------------------
    def _in_dialog(self, transaction: ServerTransaction) -> Call | None:
        """The call of an in-dialog request, after the CSeq check; None once answered 481 or 500."""
        dialog_id = dialog_id_of(transaction.request)
        call = self.dialogs.get(dialog_id) if dialog_id else None
        if call is None or call.dialog is None:
            self.core.respond(transaction, 481, "Call/Transaction Does Not Exist")
            return None
        if not call.dialog.accepts(transaction.request):
            self.core.respond(transaction, 500, "CSeq Out Of Order")
            return None
        return call

    def _bye_request(self, transaction: ServerTransaction) -> None:
        call = self._in_dialog(transaction)
        if call is None:
            return
        self.core.respond(transaction, 200, "OK")
        call._end("remote bye")

    def _reinvite(self, transaction: ServerTransaction) -> None:
        call = self._in_dialog(transaction)
        if call is None:
            return
        if call.retransmitter is not None and call.retransmitter.active:
            self.core.respond(transaction, 491, "Request Pending")
            return
        self._answer_reinvite(call, transaction)

    def _answer_reinvite(self, call: Call, transaction: ServerTransaction) -> None:
        request = transaction.request
        if not request.body:
            self._offer_in_2xx(call, transaction)
            return
        try:
            offer = sdp.parse(request.body)
            body, negotiated = sdp.answer(offer, call.local_sdp, hold=call.local_hold)
        except sdp.NotAcceptable:
            self._refuse(transaction, 488, "Not Acceptable Here")
            return
        except sdp.SdpError:
            self._refuse(transaction, 400, "Bad SDP")
            return
        self._refresh_target(call, request)
        self._send_2xx(call, transaction, body)
        call._media_changed(negotiated)

    def _offer_in_2xx(self, call: Call, transaction: ServerTransaction) -> None:
        """A re-INVITE without SDP (§14.2): our offer goes in the 2xx, the answer comes in the ACK."""
        self._refresh_target(call, transaction.request)
        call._pending_offer = sdp.offer(call.local_sdp, "sendonly" if call.local_hold else "sendrecv")
        self._send_2xx(call, transaction, call._pending_offer)

    @staticmethod
    def _refresh_target(call: Call, request: Request) -> None:
        target = contact_uri(request)
        if target is not None and call.dialog is not None:
            call.dialog.remote_target = target  # a target refresh (§12.2.2)

    def _send_2xx(self, call: Call, transaction: ServerTransaction, body: bytes) -> None:
        response = response_to(transaction.request, 200, "OK", transaction.to_tag)
        response.headers.add("Contact", self.contact)
        response.headers.add("Allow", self.core.allowed)
        response.headers.add("Content-Type", SDP)
        response.body = body
        self.core.send_response(transaction, response)
        call.retransmitter = AnswerRetransmitter(
            self.core.scheduler, self.core.timers, transaction.channel, response, lambda: self._no_ack(call)
        )

    def _ack_request(self, ack: Request, source: Address) -> None:
        dialog_id = dialog_id_of(ack)
        call = self.dialogs.get(dialog_id) if dialog_id else None
        if call is None or call.retransmitter is None or call.retransmitter.cseq != ack.cseq[0]:
            return
        offer, call._pending_offer = call._pending_offer, None
        if offer is not None and call.retransmitter.active:
            try:
                call._media_changed(sdp.accept_answer(offer, ack.body))
            except sdp.SdpError:
                log.warning("no usable SDP answer in the ACK of %s", ack.call_id)  # keep the old media
        call._acked()

    def _cancel_request(self, invite: ServerTransaction) -> None:
        call = self.offered.get(invite.key)
        if call is None or call.state is CallState.OFFERED:
            self.core.respond(invite, 487, "Request Terminated")
        if call is not None and call.state is CallState.OFFERED:
            call._end("cancelled")

    # --- requests we send -----------------------------------------------------------------------------------
    def _send(self, request: Request, call: Call, on_response: Callable[[Response], None] | None = None) -> None:
        channel = call.channel
        if channel is None:
            assert call.dialog is not None
            hop = call.dialog.next_hop()
            if hop is None:
                log.warning("no route for %s of %s", request.method, call.dialog.call_id)
                return
            channel = self.channel_for(hop)
        self.core.transactions.send_request(request, channel, on_response or (lambda response: None), lambda: None)

    def _bye(self, call: Call, reason: str) -> None:
        if call.dialog is not None and call.state is not CallState.ENDED:
            reliable = call.channel is not None
            self._send(call.dialog.request("BYE", self.via(reliable), self.contact), call)
        call._end(reason)

    # --- outbound calls -------------------------------------------------------------------------------------
    def dial(
        self,
        uri: str,
        local_media: Address,
        caller: str = "",
        destination: Address | None = None,
        ring_timeout: float | None = None,
    ) -> OutboundCall:
        """INVITE `uri` (sent to `destination`, else the URI's host) offering our RTP at `local_media`.

        With `ring_timeout`, a call not answered by then is cancelled (it ends "cancelled", status 487).
        """
        target = destination or uri_address(uri)
        if target is None:
            raise ValueError(f"cannot route {uri!r}")
        invite = self._new_invite(uri, caller or f"sip:hotline@{self.local[0]}")
        call = OutboundCall(self, invite, local_media, b"")
        call.offer = sdp.offer(call.local_sdp)
        invite.headers.add("Content-Type", SDP)
        invite.body = call.offer
        self.outbound[invite.call_id] = call
        call._channel_out = self.channel_for(target)
        self.core.transactions.send_request(
            invite,
            call._channel_out,
            lambda response: self._invite_response(call, response),
            lambda: call._end("timeout"),
        )
        if ring_timeout is not None:
            self.core.scheduler.call_later(ring_timeout, call.cancel)  # a no-op once answered or ended
        return call

    def _new_invite(self, uri: str, caller: str) -> Request:
        headers = request_headers(f"{self.via()};branch={new_branch()};rport", f"<{caller}>;tag={secrets.token_hex(4)}",
                                  f"<{uri}>", f"{secrets.token_hex(12)}@{self.local[0]}", "1 INVITE")
        headers.add("Contact", self.contact)
        headers.add("Allow", self.core.allowed)
        return Request(headers, b"", "INVITE", uri)

    def _invite_response(self, call: OutboundCall, response: Response) -> None:
        status = response.status
        if status < 200:
            self._provisional(call, status)
        elif status < 300:
            self._accepted(call, response)
        else:
            self.outbound.pop(call.invite.call_id, None)
            call.rejection = response
            call._settle(status)
            call._end("cancelled" if call._cancel_wanted or status == 487 else f"rejected {status}")

    def _provisional(self, call: OutboundCall, status: int) -> None:
        if status == 100 or call.state is not CallState.CALLING:
            return
        call.state = CallState.RINGING
        if call.on_ringing is not None:
            call.on_ringing(status)
        if call._cancel_wanted:
            self._send_cancel(call)

    def _accepted(self, call: OutboundCall, response: Response) -> None:
        """A 2xx: create the dialog and ACK it; ACK again for retransmissions; BYE extra forks and late 2xx."""
        remote_tag = NameAddr.parse(response.headers.get("To") or "").tag
        if call.dialog is not None and call._ack is not None and call.dialog.remote_tag == remote_tag:
            self._resend_ack(call)
            return
        dialog = Dialog.as_uac(call.invite, response)
        ack = dialog.ack(call.invite.cseq[0], self.via())
        hop = dialog.next_hop()
        channel = self.channel_for(hop) if hop else call._channel_out
        if channel is not None:
            channel.send(ack.serialise())
        if call.dialog is not None or call.state is CallState.ENDED or call._cancel_wanted:
            self._bye_fork(dialog, channel)  # a second fork, or an answer we no longer want
            if call.dialog is None:
                self.outbound.pop(call.invite.call_id, None)
                call._end("cancelled")
            return
        self._confirm(call, dialog, ack, response)

    def _confirm(self, call: OutboundCall, dialog: Dialog, ack: Request, response: Response) -> None:
        call.dialog, call._ack = dialog, ack
        self.outbound.pop(call.invite.call_id, None)
        self.dialogs[dialog.id] = call
        call.state = CallState.ANSWERED
        call._settle(response.status)
        try:
            call._media_changed(sdp.accept_answer(call.offer, response.body))
        except sdp.SdpError:
            log.warning("unusable SDP answer on %s: hanging up", dialog.call_id)
            self._bye(call, "bad answer")

    def _resend_ack(self, call: OutboundCall) -> None:
        assert call.dialog is not None and call._ack is not None
        hop = call.dialog.next_hop()
        channel = self.channel_for(hop) if hop else call._channel_out
        if channel is not None:
            channel.send(call._ack.serialise())

    def _bye_fork(self, dialog: Dialog, channel: Channel | None) -> None:
        if channel is not None:
            bye = dialog.request("BYE", self.via(), self.contact)
            self.core.transactions.send_request(bye, channel, lambda response: None, lambda: None)

    def _send_cancel(self, call: OutboundCall) -> None:
        """CANCEL the INVITE (§9.1): same branch, Request-URI, Call-ID, From, To and CSeq number."""
        invite = call.invite
        headers = Headers()
        headers.add("Via", invite.headers.values("Via")[0])
        headers.add("Max-Forwards", "70")
        for name in ("From", "To", "Call-ID"):
            headers.add(name, invite.headers.get(name) or "")
        headers.add("CSeq", f"{invite.cseq[0]} CANCEL")
        cancel = Request(headers, b"", "CANCEL", invite.uri)
        call._cancel_wanted = True
        if call._channel_out is not None:
            self.core.transactions.send_request(cancel, call._channel_out, lambda response: None, lambda: None)

    def _stray_response(self, response: Response, source: Address) -> None:
        """A 2xx retransmitted after the INVITE transaction ended: ACK it again from the dialog."""
        if response.status // 100 != 2 or response.cseq[1] != "INVITE":
            return
        tags = (response.headers.get("From") or "", response.headers.get("To") or "")
        try:
            dialog_id = (response.call_id, NameAddr.parse(tags[0]).tag, NameAddr.parse(tags[1]).tag)
        except ValueError:
            return
        call = self.dialogs.get(dialog_id)
        if isinstance(call, OutboundCall) and call._ack is not None:
            self._resend_ack(call)

    def _forget(self, call: Call) -> None:
        if call.dialog is not None and self.dialogs.get(call.dialog.id) is call:
            del self.dialogs[call.dialog.id]
        if call.retransmitter is not None:
            call.retransmitter.stop()
        if isinstance(call, InboundCall):
            self.offered.pop(call.transaction.key, None)
        elif isinstance(call, OutboundCall):
            self.outbound.pop(call.invite.call_id, None)
