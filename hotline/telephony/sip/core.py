"""The UAS core the engine builds on: validation, transactions, OPTIONS, REGISTER, 405/501, CANCEL.

Malformed input never raises out of `receive`: an answerable request gets its 400 (or 483, 505, 416, 513),
anything else is dropped, and each source is logged at most once per interval.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.telephony.sip.clock import Scheduler
from hotline.telephony.sip.message import ParseError, Request, Response, Via, parse, response_to
from hotline.telephony.sip.registrar import Registrar
from hotline.telephony.sip.transaction import ServerTransaction, Timers, TransactionLayer
from hotline.telephony.sip.transport import Address, Channel, UdpChannel, response_address, stamp_via

log = logging.getLogger(__name__)

KNOWN_METHODS = frozenset(
    {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH",
     "INFO", "REFER", "MESSAGE", "UPDATE"}
)  # fmt: skip
RequestHandler = Callable[[ServerTransaction], None]
ResponseHandler = Callable[[Response, Address], None]


class LogLimiter:
    """Allows one log line per key per interval, remembering a bounded number of keys."""

    def __init__(self, scheduler: Scheduler, interval: float = 60.0, max_keys: int = 10_000) -> None:
        self._scheduler = scheduler
        self._interval = interval
        self._max_keys = max_keys
        self._last: dict[str, float] = {}
        self.suppressed = 0

    def allow(self, key: str) -> bool:
        now = self._scheduler.now()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self.suppressed += 1
            return False
        if len(self._last) >= self._max_keys:
            self._last.clear()  # a spoofed-source flood must not grow memory; forgetting only allows a log line
        self._last[key] = now
        return True


@dataclass
class SipCore:
    """Receives every SIP message, runs the transaction layer and dispatches requests to method handlers."""

    scheduler: Scheduler
    registrar: Registrar | None = None
    timers: Timers = field(default_factory=Timers)
    user_agent: str = "Hotline"
    handlers: dict[str, RequestHandler] = field(default_factory=dict)
    on_ack: Callable[[Request, Address], None] | None = None
    on_stray_response: ResponseHandler | None = None

    def __post_init__(self) -> None:
        self.transactions = TransactionLayer(self.scheduler, self.timers)
        self.limiter = LogLimiter(self.scheduler)
        self.handlers.setdefault("OPTIONS", self._options)
        if self.registrar is not None:
            self.handlers.setdefault("REGISTER", self._register)

    @property
    def allowed(self) -> str:
        return ", ".join(sorted({*self.handlers, "ACK", "CANCEL"}))

    # --- input --------------------------------------------------------------------------------------------
    def receive(self, data: bytes, channel: Channel, source: Address, transport: str) -> None:
        """Entry point for the transports; never raises."""
        try:
            self._receive(data, channel, source, transport)
        except Exception:  # a bug triggered by one message must not stop the engine; log it, rate-limited
            if self.limiter.allow(f"crash:{source[0]}"):
                log.exception("SIP message from %s:%s could not be handled", *source)

    def _receive(self, data: bytes, channel: Channel, source: Address, transport: str) -> None:
        if self._banned(source, data):
            return
        try:
            message = parse(data)
        except ParseError as error:
            self._malformed(error, channel, source)
            return
        if isinstance(message, Response):
            self._response(message, source)
            return
        via = stamp_via(message.top_via, source)
        message.headers.replace_first("Via", str(via))
        self._request(message, self._reply_channel(channel, via), source)

    def _banned(self, source: Address, data: bytes) -> bool:
        """A request, well-formed or not, from a source banned for password guessing: it gets no answer at
        all, and makes no transaction (responses still pass: they answer requests we sent)."""
        return (self.registrar is not None and not data.startswith(b"SIP/2.0 ")
                and self.registrar.ignores(source[0]))

    def _malformed(self, error: ParseError, channel: Channel, source: Address) -> None:
        if self.limiter.allow(f"malformed:{source[0]}"):
            log.warning("malformed SIP from %s:%s: %s (%s)", *source, error.reason, error.status)
        if error.request is None:
            return
        via = stamp_via(error.request.top_via, source)
        error.request.headers.replace_first("Via", str(via))
        reply = self._reply_channel(channel, via)
        reply.send(self._finish(response_to(error.request, error.status, error.reason, secrets.token_hex(4))))

    @staticmethod
    def _reply_channel(channel: Channel, via: Via) -> Channel:
        if isinstance(channel, UdpChannel):
            return channel.to(response_address(via))
        return channel  # TCP: answer over the connection the request came on (RFC 3261 §18.2.2)

    def _response(self, response: Response, source: Address) -> None:
        if not self.transactions.receive_response(response) and self.on_stray_response is not None:
            self.on_stray_response(response, source)

    def _request(self, request: Request, channel: Channel, source: Address) -> None:
        if request.method == "ACK":
            if not self.transactions.receive_ack(request) and self.on_ack is not None:
                self.on_ack(request, source)
            return
        transaction = self.transactions.receive_request(request, channel)
        if transaction is None:
            return  # a retransmission, answered by its transaction
        if request.method == "INVITE":
            self.respond(transaction, 100, "Trying")  # at once, so the caller stops retransmitting (§17.2.1)
        self._dispatch(transaction)

    def _dispatch(self, transaction: ServerTransaction) -> None:
        method = transaction.request.method
        if method == "CANCEL":
            self._cancel(transaction)
        elif method in self.handlers:
            self._run(self.handlers[method], transaction)
        elif method in KNOWN_METHODS:
            self.respond(transaction, 405, "Method Not Allowed", allow=True)
        else:
            self.respond(transaction, 501, "Not Implemented", allow=True)

    def _run(self, handler: RequestHandler, transaction: ServerTransaction) -> None:
        try:
            handler(transaction)
        except Exception:  # a failing handler still owes the peer an answer: never leave it retransmitting
            log.exception("%s handler failed", transaction.request.method)
            self.respond(transaction, 500, "Server Internal Error")

    # --- output -------------------------------------------------------------------------------------------
    def respond(self, transaction: ServerTransaction, status: int, reason: str, allow: bool = False) -> Response:
        response = response_to(transaction.request, status, reason, transaction.to_tag)
        if allow:
            response.headers.add("Allow", self.allowed)
        self.send_response(transaction, response)
        return response

    def send_response(self, transaction: ServerTransaction, response: Response) -> None:
        self._finish(response)
        transaction.respond(response)

    def _finish(self, response: Response) -> bytes:
        if response.headers.get("Server") is None:
            response.headers.add("Server", self.user_agent)
        return response.serialise()

    # --- built-in methods ---------------------------------------------------------------------------------
    def _options(self, transaction: ServerTransaction) -> None:
        response = response_to(transaction.request, 200, "OK", transaction.to_tag)
        response.headers.add("Allow", self.allowed)
        response.headers.add("Accept", "application/sdp")
        self.send_response(transaction, response)

    def _register(self, transaction: ServerTransaction) -> None:
        assert self.registrar is not None  # only installed when there is one
        self.send_response(transaction, self.registrar.handle(transaction.request))

    def _cancel(self, transaction: ServerTransaction) -> None:
        invite = self.transactions.find_invite(transaction.request)
        if invite is None:
            self.respond(transaction, 481, "Call/Transaction Does Not Exist")
            return
        self.respond(transaction, 200, "OK")
        on_cancel = self.handlers.get("CANCEL")
        if on_cancel is not None:
            on_cancel(invite)  # the engine tears the call down and answers the INVITE itself
        else:
            self.respond(invite, 487, "Request Terminated")
