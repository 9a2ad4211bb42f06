"""UDP and TCP transports (RFC 3261 §18, RFC 3581 rport): bytes in, bytes out, framing for TCP.

Works under uvloop: its datagram transport is not a subclass of `asyncio.DatagramTransport`, so nothing
here checks transport classes (the measured aiosipua pitfall); we rely on `sendto`/`write` only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from hotline.telephony.sip.message import MAX_MESSAGE_BYTES, Via

log = logging.getLogger(__name__)

Address = tuple[str, int]
Receiver = Callable[[bytes, "Channel", Address, str], None]
UDP_RECEIVE_BUFFER = 1 << 20
CONTENT_LENGTH = re.compile(rb"^(?:content-length|l)[ \t]*:[ \t]*(\d{1,9})[ \t]*$", re.IGNORECASE | re.MULTILINE)


class Channel:
    """A way back to a peer, as the transaction layer needs it."""

    reliable = False
    name = "UDP"

    def send(self, data: bytes) -> None:
        raise NotImplementedError


class UdpChannel(Channel):
    """A UDP peer reached through our listening socket."""

    def __init__(self, transport: asyncio.DatagramTransport, address: Address) -> None:
        self._transport = transport
        self.address = address

    def to(self, address: Address) -> UdpChannel:
        """The same socket, aimed at another peer address."""
        return UdpChannel(self._transport, address)

    def send(self, data: bytes) -> None:
        if not self._transport.is_closing():
            self._transport.sendto(data, self.address)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, receive: Receiver) -> None:
        self._receive = receive
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is not a subclass: don't assert

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if self.transport is None:
            return
        if data.strip(b"\r\n") == b"":
            return  # RFC 5626 keep-alive
        self._receive(data, UdpChannel(self.transport, (addr[0], addr[1])), (addr[0], addr[1]), "UDP")

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)  # ICMP unreachable from a vanished peer: nothing to do


class TcpConnection(asyncio.Protocol, Channel):
    """One TCP connection: frames messages by Content-Length and is itself the channel back to the peer."""

    reliable = True
    name = "TCP"

    def __init__(self, receive: Receiver) -> None:
        self._receive = receive
        self._buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.address: Address = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.address = (peer[0], peer[1])

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self.transport is not None and self._next_message():
            pass

    def _next_message(self) -> bool:
        while self._buffer[:2] == b"\r\n":
            del self._buffer[:2]  # keep-alives and stray CRLFs between messages (RFC 3261 §7.5)
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_MESSAGE_BYTES:
                self._abort("headers too large")
            return False
        match = CONTENT_LENGTH.search(bytes(self._buffer[:end]))
        if match is None:
            self._abort("no Content-Length on a stream")  # the stream cannot be resynchronised
            return False
        total = end + 4 + int(match.group(1))
        if total > MAX_MESSAGE_BYTES:
            self._abort("message too large")
            return False
        if len(self._buffer) < total:
            return False
        message = bytes(self._buffer[:total])
        del self._buffer[:total]
        self._receive(message, self, self.address, "TCP")
        return True

    def _abort(self, reason: str) -> None:
        log.debug("closing TCP connection from %s: %s", self.address, reason)
        self._buffer.clear()
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def stamp_via(via: Via, source: Address) -> Via:
    """Add received (and the rport value) to the top Via of a request from `source` (RFC 3261 §18.2.1, 3581)."""
    via.params.pop("received", None)  # only our own observation counts: a forged one would aim replies elsewhere
    if via.host != source[0] or "rport" in via.params:
        via.params["received"] = source[0]
    if "rport" in via.params:
        via.params["rport"] = str(source[1])
    return via


def response_address(via: Via) -> Address:
    """Where a UDP response goes, from the request's stamped top Via (RFC 3261 §18.2.2, RFC 3581 §4)."""
    host = via.params.get("received") or via.host
    rport = via.params.get("rport", "")
    port = int(rport) if rport.isdigit() else (via.port or 5060)
    return host, port


@dataclass
class Listeners:
    """The sockets a SIP endpoint listens on; `udp_address`/`tcp_address` tell the bound ports."""

    udp: asyncio.DatagramTransport
    tcp: asyncio.Server
    receive: Receiver

    @property
    def udp_address(self) -> Address:
        sockname = self.udp.get_extra_info("sockname")
        return sockname[0], sockname[1]

    @property
    def tcp_address(self) -> Address:
        sockname = self.tcp.sockets[0].getsockname()
        return sockname[0], sockname[1]

    def udp_channel(self, address: Address) -> UdpChannel:
        return UdpChannel(self.udp, address)

    async def tcp_channel(self, address: Address) -> TcpConnection:
        """A new outgoing TCP connection whose incoming messages reach the same receiver."""
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(lambda: TcpConnection(self.receive), address[0], address[1])
        return protocol

    async def close(self) -> None:
        self.udp.close()
        self.tcp.close()
        await self.tcp.wait_closed()


def _udp_socket(host: str, port: int) -> socket.socket:
    """A bound UDP socket with a large receive buffer: a burst of REGISTERs or a flood must not drop calls."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        sock.setblocking(False)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def listen(host: str, udp_port: int, tcp_port: int, receive: Receiver) -> Listeners:
    """Bind UDP and TCP (port 0 = ephemeral) and deliver every datagram or framed TCP message to `receive`."""
    loop = asyncio.get_running_loop()
    udp, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(receive), sock=_udp_socket(host, udp_port))
    tcp = await loop.create_server(lambda: TcpConnection(receive), host, tcp_port)
    return Listeners(cast(asyncio.DatagramTransport, udp), tcp, receive)
