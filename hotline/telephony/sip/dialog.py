"""Dialogs (RFC 3261 §12): state from the INVITE and its 2xx, in-dialog requests, ACK for 2xx, 2xx retransmission.

A `Dialog` knows its id (Call-ID, local tag, remote tag), both CSeq counters, the route set and the remote
target, and builds the requests sent inside it (§12.2.1.1). `AnswerRetransmitter` is the UAS core's duty of
§13.3.1.4: the 2xx to an INVITE is re-sent at T1, 2T1… capped at T2 until the ACK arrives, and after 64·T1
the UAS gives up (and the caller of it sends BYE).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.telephony.sip.clock import Scheduler, Timer
from hotline.telephony.sip.message import Headers, NameAddr, Request, Response, split_hostport
from hotline.telephony.sip.transaction import Channel, Timers, new_branch
from hotline.telephony.sip.transport import Address

DialogId = tuple[str, str, str]


def uri_address(uri: str) -> Address | None:
    """The host and port a sip: URI points at (IP literals only, no DNS), or None when it has none."""
    scheme, _, rest = uri.partition(":")
    if scheme.lower() not in ("sip", "sips") or not rest:
        return None
    hostport = rest.split(";")[0].split("?")[0].rpartition("@")[2]
    try:
        host, port = split_hostport(hostport)
    except ValueError:
        return None
    return host, port or 5060


def contact_uri(message: Request | Response) -> str | None:
    """The URI of the (first) Contact, or None when it is missing or malformed."""
    values = message.headers.values("Contact")
    if not values:
        return None
    try:
        return NameAddr.parse(values[0]).uri
    except ValueError:
        return None


@dataclass
class Dialog:
    """One dialog, from either side; `local`/`remote` are full From/To values including their tags."""

    call_id: str
    local_tag: str
    remote_tag: str
    local: str
    remote: str
    local_seq: int
    remote_seq: int
    remote_target: str
    route_set: list[str] = field(default_factory=list)
    confirmed: bool = True

    @property
    def id(self) -> DialogId:
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def as_uas(cls, invite: Request, local_tag: str) -> Dialog:
        """The dialog our 2xx to `invite` creates (§12.1.1): route set from Record-Route in order."""
        to = invite.headers.get("To") or ""
        remote = invite.headers.get("From") or ""
        return cls(
            call_id=invite.call_id,
            local_tag=local_tag,
            remote_tag=NameAddr.parse(remote).tag,
            local=to if "tag=" in to.lower() else f"{to};tag={local_tag}",
            remote=remote,
            local_seq=secrets.randbelow(10_000) + 1,
            remote_seq=invite.cseq[0],
            remote_target=contact_uri(invite) or invite.uri,
            route_set=invite.headers.values("Record-Route"),
        )

    @classmethod
    def as_uac(cls, invite: Request, answer: Response) -> Dialog:
        """The dialog a 2xx to our `invite` creates (§12.1.2): route set from Record-Route reversed."""
        local = invite.headers.get("From") or ""
        remote = answer.headers.get("To") or ""
        return cls(
            call_id=invite.call_id,
            local_tag=NameAddr.parse(local).tag,
            remote_tag=NameAddr.parse(remote).tag,
            local=local,
            remote=remote,
            local_seq=invite.cseq[0],
            remote_seq=0,
            remote_target=contact_uri(answer) or invite.uri,
            route_set=list(reversed(answer.headers.values("Record-Route"))),
        )

    def next_hop(self) -> Address | None:
        """Where in-dialog requests go: the first route (loose routing), else the remote target."""
        if self.route_set:
            try:
                return uri_address(NameAddr.parse(self.route_set[0]).uri)
            except ValueError:
                return None
        return uri_address(self.remote_target)

    def accepts(self, request: Request) -> bool:
        """Check and record the remote CSeq of an in-dialog request (§12.2.2): lower ones are refused."""
        number = request.cseq[0]
        if request.method != "ACK" and number <= self.remote_seq and self.remote_seq:
            return False
        if request.method != "ACK":
            self.remote_seq = number
        return True

    def request(self, method: str, via: str, contact: str, body: bytes = b"", content_type: str = "") -> Request:
        """A new in-dialog request (§12.2.1.1) with the next local CSeq and a fresh branch."""
        self.local_seq += 1
        return self._build(method, self.local_seq, via, contact, body, content_type)

    def ack(self, invite_seq: int, via: str, body: bytes = b"", content_type: str = "") -> Request:
        """The ACK for a 2xx: same CSeq number as the INVITE, its own branch (§13.2.2.4)."""
        return self._build("ACK", invite_seq, via, "", body, content_type)

    def _build(self, method: str, seq: int, via: str, contact: str, body: bytes, content_type: str) -> Request:
        headers = Headers()
        headers.add("Via", f"{via};branch={new_branch()};rport")
        headers.add("Max-Forwards", "70")
        for route in self.route_set:
            headers.add("Route", route)
        headers.add("From", self.local)
        headers.add("To", self.remote)
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{seq} {method}")
        if contact:
            headers.add("Contact", contact)
        if body:
            headers.add("Content-Type", content_type or "application/sdp")
        return Request(headers, body, method, self.remote_target)


def dialog_id_of(request: Request) -> DialogId | None:
    """The id of the dialog an incoming in-dialog request belongs to, seen from our side (To tag is ours)."""
    try:
        local_tag = NameAddr.parse(request.headers.get("To") or "").tag
        remote_tag = NameAddr.parse(request.headers.get("From") or "").tag
    except ValueError:
        return None
    return (request.call_id, local_tag, remote_tag) if local_tag else None


class AnswerRetransmitter:
    """Re-sends a 2xx to an INVITE until its ACK (§13.3.1.4): T1, doubling to T2; `on_give_up` at 64·T1."""

    def __init__(
        self,
        scheduler: Scheduler,
        timers: Timers,
        channel: Channel,
        response: Response,
        on_give_up: Callable[[], None],
    ) -> None:
        self._scheduler = scheduler
        self._timers = timers
        self._channel = channel
        self._wire = response.serialise()
        self._on_give_up = on_give_up
        self.cseq = response.cseq[0]
        self.sent = 0
        self._retransmit: Timer | None = None
        self._deadline: Timer | None = scheduler.call_later(64 * timers.t1, self._give_up)
        self._schedule(timers.t1)

    def _schedule(self, interval: float) -> None:
        self._retransmit = self._scheduler.call_later(interval, lambda: self._fire(interval))

    def _fire(self, interval: float) -> None:
        self.sent += 1
        with contextlib.suppress(OSError):  # the deadline will give up
            self._channel.send(self._wire)
        self._schedule(min(2 * interval, self._timers.t2))

    def _give_up(self) -> None:
        self.stop()
        self._on_give_up()

    def stop(self) -> None:
        """The ACK came (or the dialog ended): stop both timers."""
        for timer in (self._retransmit, self._deadline):
            if timer is not None:
                timer.cancel()
        self._retransmit = self._deadline = None

    @property
    def active(self) -> bool:
        return self._deadline is not None
