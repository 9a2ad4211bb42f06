"""Transactions (RFC 3261 §17, with the Accepted states of RFC 6026): client and server, INVITE and not.

Every timer (A, B, D, E, F, G, H, I, J, K, and L/M from RFC 6026) runs on an injected `Scheduler`.
The transaction user (TU) sees a request once, however often the peer retransmits it, and sees each
response class it should; retransmission and absorption happen here.
"""

from __future__ import annotations

import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hotline.telephony.sip.clock import Scheduler, Timer
from hotline.telephony.sip.message import BRANCH_COOKIE, Headers, NameAddr, Request, Response

log = logging.getLogger(__name__)


class Channel(Protocol):
    """Where a transaction's messages go: a UDP peer or a TCP connection."""

    @property
    def reliable(self) -> bool: ...

    def send(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class Timers:
    """RFC 3261 Table 4 base values, in seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0


class State(enum.Enum):
    """Transaction states of RFC 3261 §17 (and Accepted from RFC 6026)."""

    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class _Base:
    def __init__(self, layer: TransactionLayer, key: tuple[str, ...], channel: Channel) -> None:
        self.layer = layer
        self.key = key
        self.channel = channel
        self.state = State.TRYING
        self._timers: dict[str, Timer] = {}

    @property
    def _unreliable(self) -> bool:
        return not self.channel.reliable

    def _start(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self._stop(name)
        self._timers[name] = self.layer.scheduler.call_later(delay, callback)

    def _stop(self, *names: str) -> None:
        for name in names:
            timer = self._timers.pop(name, None)
            if timer is not None:
                timer.cancel()

    def _send(self, data: bytes) -> None:
        try:
            self.channel.send(data)
        except OSError as exc:  # a dead peer must not take the engine down; the timers will give up
            log.debug("send failed: %s", exc)

    def _terminate(self) -> None:
        self.state = State.TERMINATED
        self._stop(*list(self._timers))
        self.layer._forget(self)


class ServerTransaction(_Base):
    """A server transaction: absorbs request retransmissions and retransmits its responses (G, H, I, J, L)."""

    def __init__(self, layer: TransactionLayer, key: tuple[str, ...], request: Request, channel: Channel) -> None:
        super().__init__(layer, key, channel)
        self.request = request
        self.is_invite = request.method == "INVITE"
        self.state = State.PROCEEDING if self.is_invite else State.TRYING
        self.last_response: Response | None = None
        self.to_tag = secrets.token_hex(4)  # one tag for all responses of this transaction
        self._wire: bytes = b""
        self.on_ack_timeout: Callable[[], None] = lambda: None

    def respond(self, response: Response) -> None:
        """Send a response from the TU; ignored once a final response has been sent."""
        if self.state not in (State.TRYING, State.PROCEEDING):
            return
        self.last_response = response
        self._wire = response.serialise()
        self._send(self._wire)
        if response.status < 200:
            self.state = State.PROCEEDING
        elif self.is_invite:
            self._invite_final(response.status)
        else:
            self.state = State.COMPLETED
            self._start("J", 64 * self.layer.timers.t1 if self._unreliable else 0.0, self._terminate)

    def _invite_final(self, status: int) -> None:
        t1 = self.layer.timers.t1
        if status < 300:
            self.state = State.ACCEPTED  # RFC 6026 §8.7: absorb INVITE retransmissions for 64*T1 (Timer L)
            self._start("L", 64 * t1, self._terminate)
            return
        self.state = State.COMPLETED
        if self._unreliable:
            self._start("G", t1, lambda: self._timer_g(t1))
        self._start("H", 64 * t1, self._timer_h)

    def _timer_g(self, interval: float) -> None:
        self._send(self._wire)
        following = min(2 * interval, self.layer.timers.t2)
        self._start("G", following, lambda: self._timer_g(following))

    def _timer_h(self) -> None:
        self._terminate()
        self.on_ack_timeout()

    def retransmitted(self) -> None:
        """The peer sent the request again: answer with the latest response, if there is one."""
        if self.state in (State.PROCEEDING, State.ACCEPTED, State.COMPLETED) and self._wire:
            self._send(self._wire)

    def ack(self) -> None:
        """ACK for our non-2xx final: stop retransmitting, absorb further ACKs for T4 (Timer I)."""
        if self.state is State.COMPLETED:
            self.state = State.CONFIRMED
            self._stop("G", "H")
            self._start("I", self.layer.timers.t4 if self._unreliable else 0.0, self._terminate)


class ClientTransaction(_Base):
    """A client transaction: retransmits its request (A, E), times out (B, F), ACKs non-2xx (D, K, M)."""

    def __init__(
        self,
        layer: TransactionLayer,
        request: Request,
        channel: Channel,
        on_response: Callable[[Response], None],
        on_timeout: Callable[[], None],
    ) -> None:
        super().__init__(layer, (request.top_via.branch, request.method), channel)
        self.request = request
        self.is_invite = request.method == "INVITE"
        self.on_response = on_response
        self.on_timeout = on_timeout
        self._wire = request.serialise()
        self._ack: bytes = b""

    def start(self) -> None:
        t1 = self.layer.timers.t1
        self.state = State.CALLING if self.is_invite else State.TRYING
        self._send(self._wire)
        if self._unreliable:
            self._start("A" if self.is_invite else "E", t1, lambda: self._retransmit(t1))
        self._start("B" if self.is_invite else "F", 64 * t1, self._timed_out)

    def _retransmit(self, interval: float) -> None:
        self._send(self._wire)
        if self.is_invite:
            following = 2 * interval  # Timer A doubles without a cap (RFC 3261 §17.1.1.2)
            self._start("A", following, lambda: self._retransmit(following))
            return
        t2 = self.layer.timers.t2
        following = t2 if self.state is State.PROCEEDING else min(2 * interval, t2)
        self._start("E", following, lambda: self._retransmit(following))

    def _timed_out(self) -> None:
        self._terminate()
        self.on_timeout()

    def receive(self, response: Response) -> None:
        if self.is_invite:
            self._invite_response(response)
        else:
            self._non_invite_response(response)

    def _invite_response(self, response: Response) -> None:
        status = response.status
        if self.state in (State.CALLING, State.PROCEEDING):
            self._stop("A")
            if status < 200:
                self._stop("B")  # the peer is alive; how long to ring is the TU's decision
                self.state = State.PROCEEDING
            elif status < 300:
                self._stop("B")
                self.state = State.ACCEPTED
                self._start("M", 64 * self.layer.timers.t1, self._terminate)
            else:
                self._stop("B")
                self._ack = build_ack(self.request, response).serialise()
                self._send(self._ack)
                self.state = State.COMPLETED
                self._start("D", 32.0 if self._unreliable else 0.0, self._terminate)
            self.on_response(response)
        elif self.state is State.ACCEPTED and 200 <= status < 300:
            self.on_response(response)  # 2xx retransmissions go to the TU, which ACKs them (RFC 6026)
        elif self.state is State.COMPLETED and status >= 300:
            self._send(self._ack)

    def _non_invite_response(self, response: Response) -> None:
        if self.state not in (State.TRYING, State.PROCEEDING):
            return
        if response.status < 200:
            self.state = State.PROCEEDING
        else:
            self._stop("E", "F")
            self.state = State.COMPLETED
            self._start("K", self.layer.timers.t4 if self._unreliable else 0.0, self._terminate)
        self.on_response(response)


def new_branch() -> str:
    """A Via branch unique in space and time, with the RFC 3261 magic cookie."""
    return BRANCH_COOKIE + secrets.token_hex(10)


def build_ack(request: Request, response: Response) -> Request:
    """The ACK a client transaction sends for a 3xx–6xx answer to `request` (RFC 3261 §17.1.1.3)."""
    headers = Headers()
    headers.add("Via", request.headers.values("Via")[0])
    for name in ("Route",):
        for value in request.headers.get_all(name):
            headers.add(name, value)
    headers.add("Max-Forwards", "70")
    headers.add("From", request.headers.get("From") or "")
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq[0]} ACK")
    return Request(headers, b"", "ACK", request.uri)


def server_key(request: Request, method: str | None = None) -> tuple[str, ...]:
    """The matching key of RFC 3261 §17.2.3; ACK matches the INVITE, CANCEL looks up with method INVITE."""
    via = request.top_via
    matched = method or ("INVITE" if request.method == "ACK" else request.method)
    if via.branch.startswith(BRANCH_COOKIE):
        return (via.branch, via.host.lower(), str(via.port or ""), matched)
    # RFC 2543 peers: no unique branch, so match on the dialog-identifying fields instead
    from_tag = NameAddr.parse(request.headers.get("From") or "").tag
    return ("2543", request.uri, from_tag, request.call_id, str(request.cseq[0]), str(via), matched)


class TransactionLayer:
    """Owns every live transaction and matches incoming messages to them."""

    def __init__(self, scheduler: Scheduler, timers: Timers | None = None) -> None:
        self.scheduler = scheduler
        self.timers = timers or Timers()
        self.servers: dict[tuple[str, ...], ServerTransaction] = {}
        self.clients: dict[tuple[str, ...], ClientTransaction] = {}

    def receive_request(self, request: Request, channel: Channel) -> ServerTransaction | None:
        """A new server transaction for the TU, or None when the request was a retransmission (absorbed)."""
        key = server_key(request)
        existing = self.servers.get(key)
        if existing is not None:
            existing.retransmitted()
            return None
        transaction = ServerTransaction(self, key, request, channel)
        self.servers[key] = transaction
        return transaction

    def receive_ack(self, ack: Request) -> bool:
        """True when the ACK belonged to an INVITE server transaction (non-2xx final); else it is the TU's."""
        transaction = self.servers.get(server_key(ack))
        if transaction is None or transaction.state is State.ACCEPTED:
            return False
        transaction.ack()
        return True

    def find_invite(self, cancel: Request) -> ServerTransaction | None:
        """The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2)."""
        return self.servers.get(server_key(cancel, "INVITE"))

    def send_request(
        self,
        request: Request,
        channel: Channel,
        on_response: Callable[[Response], None],
        on_timeout: Callable[[], None],
    ) -> ClientTransaction:
        """Start a client transaction; the request's top Via must carry a fresh z9hG4bK branch."""
        transaction = ClientTransaction(self, request, channel, on_response, on_timeout)
        self.clients[transaction.key] = transaction
        transaction.start()
        return transaction

    def receive_response(self, response: Response) -> bool:
        """Hand a response to its client transaction; False when none matches (a stray for the TU)."""
        transaction = self.clients.get((response.top_via.branch, response.cseq[1]))
        if transaction is None:
            return False
        transaction.receive(response)
        return True

    def _forget(self, transaction: _Base) -> None:
        table: dict[tuple[str, ...], ServerTransaction] | dict[tuple[str, ...], ClientTransaction]
        table = self.servers if isinstance(transaction, ServerTransaction) else self.clients
        if table.get(transaction.key) is transaction:
            del table[transaction.key]
