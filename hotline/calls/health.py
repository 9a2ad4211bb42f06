"""The telephony engine's real state for `/healthz`, so that a monitor can alert when calls cannot come in.

Two questions, each with a short timeout so that a dead engine never makes the health check hang:
* does the engine's SIP port answer an OPTIONS request with 200 (what a carrier's or Kamailio's keepalive
  asks), and
* what does the engine itself count: seats, their phones registered now, calls in progress (the `health`
  control command, run on the engine's loop; through Redis for a separate `hotline engine`).
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from typing import Any

from django.conf import settings

from hotline.calls.host import embedded, link
from hotline.telephony.commands import Health

HEALTH_TIMEOUT = 1.0  # seconds for each question


def engine_status(timeout: float | None = None) -> dict[str, Any]:
    """`{"status": "ok" | "down" | "absent", ...}`: absent when no engine belongs to this web process (none
    embedded, no REDIS_URL); ok when its SIP port answers OPTIONS and it reported its figures; down else.
    Each question waits at most `timeout` seconds (`HEALTH_TIMEOUT`)."""
    timeout = HEALTH_TIMEOUT if timeout is None else timeout
    local = embedded.current()
    if local is not None and local.engine is not None:
        address = _probe_address(*local.engine.sip_address)
        return _report("embedded", address, lambda: local.run(Health()), timeout)
    if settings.REDIS_URL:
        address = _probe_address(settings.HOTLINE_SIP_HOST, settings.HOTLINE_SIP_PORT)
        return _report("separate", address, lambda: link.send_through_redis(Health(), timeout), timeout)
    return {"status": "absent"}


def _report(mode: str, address: tuple[str, int], ask: Any, timeout: float) -> dict[str, Any]:
    answered = options_answered(address, timeout)
    try:
        figures = json.loads(ask())
    except Exception:  # an engine that cannot say is reported as such, not raised
        figures = None
    status = "ok" if answered and figures is not None else "down"
    report: dict[str, Any] = {"status": status, "mode": mode, "sip": f"{address[0]}:{address[1]}",
                              "options": "ok" if answered else "no answer"}
    report.update(figures or {"figures": "no answer"})
    return report


def _probe_address(host: str, port: int) -> tuple[str, int]:
    """Where to send the OPTIONS: an engine bound to every address is asked on the loopback."""
    return ("127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host), port


def options_answered(address: tuple[str, int], timeout: float) -> bool:
    """Send one SIP OPTIONS over UDP to `address`; True if a 200 answers it within `timeout` seconds."""
    call_id = secrets.token_hex(12)
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.send(_options(address, sock.getsockname()[:2], call_id))
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                answer = sock.recv(65535).decode("utf-8", "replace")
                if f"Call-ID: {call_id}" in answer or f"i: {call_id}" in answer:
                    return answer.startswith("SIP/2.0 200")
    except OSError:  # refused (nothing listens), timed out, no route
        return False
    return False


def _options(address: tuple[str, int], local: tuple[str, int], call_id: str) -> bytes:
    target = f"sip:{_host(address[0])}:{address[1]}"
    here = f"{_host(local[0])}:{local[1]}"
    return (f"OPTIONS {target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {here};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:healthz@{here}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <{target}>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: 1 OPTIONS\r\n"
            f"User-Agent: hotline-healthz\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address
