"""The client side of REGISTER (RFC 3261 §10.2): a phone binding its contact, with digest authentication.

`RegisterClient` sends REGISTER through the `SipCore`'s transaction layer, answers a 401/407 challenge once
per nonce with an RFC 2617 digest (MD5, qop=auth when offered, else the RFC 2069 form), retries a 423 with
the registrar's Min-Expires, and refreshes the binding before it expires. The registrar side is
`registrar.py`; the simulator's agent phones and tests use this.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from hotline.telephony.sip.clock import Timer
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.message import Request, Response, request_headers
from hotline.telephony.sip.registrar import digest_ha1, md5, parse_authorization
from hotline.telephony.sip.transaction import Channel, new_branch
from hotline.telephony.sip.transport import Address

log = logging.getLogger(__name__)

TIMEOUT = 408  # the status `register()` returns when the registrar never answered (Timer F)
MAX_ATTEMPTS = 4  # challenge, stale nonce, 423 … then give up rather than loop with a hostile registrar


@dataclass(frozen=True)
class Account:
    """What a phone registers: its SIP user and password, the AOR's domain, and where it is reachable."""

    username: str
    password: str
    domain: str
    contact: str  # e.g. sip:8001@127.0.0.1:5070

    @property
    def aor(self) -> str:
        return f"sip:{self.username}@{self.domain}"


def digest_authorization(challenge: str, account: Account, method: str, uri: str, header: str = "Authorization",
                         cnonce: str | None = None) -> str:
    """The Authorization value answering a `WWW-Authenticate` challenge for `method` on `uri` (RFC 2617)."""
    params = parse_authorization(challenge)
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    ha1 = digest_ha1(account.username, realm, account.password)
    ha2 = md5(f"{method}:{uri}")
    fields = [f'username="{account.username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"',
              "algorithm=MD5"]
    qops = [qop.strip() for qop in params.get("qop", "").split(",")]
    if "auth" in qops:
        cnonce = cnonce or secrets.token_hex(8)
        response = md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        fields += ['qop=auth', "nc=00000001", f'cnonce="{cnonce}"']
    else:
        response = md5(f"{ha1}:{nonce}:{ha2}")  # RFC 2069: no qop offered
    fields.append(f'response="{response}"')
    if "opaque" in params:
        fields.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(fields)


class RegisterClient:
    """Keeps one account registered with a registrar reached through `channel`; refreshes at half the expiry."""

    def __init__(self, core: SipCore, channel: Channel, local: Address, account: Account, expires: int = 600) -> None:
        self.core = core
        self.channel = channel
        self.local = local
        self.account = account
        self.expires = expires
        self.status: int | None = None  # the last final answer
        self.granted = 0  # seconds the registrar granted in its last 200
        self._call_id = f"{secrets.token_hex(12)}@{local[0]}"
        self._from_tag = secrets.token_hex(4)
        self._cseq = 0
        self._refresh: Timer | None = None
        self._refreshing: asyncio.Future[int] | None = None  # kept referenced so the task is not collected
        self.last_response: Response | None = None

    async def register(self, expires: int | None = None) -> int:
        """REGISTER (`expires` 0 removes the binding); returns the final status (200, 403, 408 …)."""
        self.cancel_refresh()
        wanted = self.expires if expires is None else expires
        authorization = ""
        for _ in range(MAX_ATTEMPTS):
            response = await self._send(wanted, authorization)
            if response is None:
                self.status = TIMEOUT
                return TIMEOUT
            self.status = response.status
            retry = self._next_attempt(response, wanted, authorization)
            if retry is None:
                break
            wanted, authorization = retry
        if self.status == 200 and wanted > 0:
            self.granted = self._granted(self.last_response) or wanted
            self._refresh = self.core.scheduler.call_later(max(1.0, self.granted / 2), self._refresh_now)
        return self.status or TIMEOUT

    async def unregister(self) -> int:
        """Remove our contact (Expires 0) and stop refreshing."""
        return await self.register(0)

    def cancel_refresh(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None

    def _next_attempt(self, response: Response, wanted: int, authorization: str) -> tuple[int, str] | None:
        """(expires, authorization) for another REGISTER after a challenge or a 423; None when done."""
        if response.status in (401, 407):
            name = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
            challenge = response.headers.get(name) or ""
            header = "Authorization" if response.status == 401 else "Proxy-Authorization"
            return wanted, f"{header}: {digest_authorization(challenge, self.account, 'REGISTER', self.uri)}"
        if response.status == 423:
            minimum = response.headers.get("Min-Expires") or ""
            if minimum.isdigit() and int(minimum) > wanted:
                return int(minimum), authorization  # the nonce is still good: no new challenge round
        return None

    @property
    def uri(self) -> str:
        """The Request-URI: the registrar's domain (RFC 3261 §10.2)."""
        return f"sip:{self.account.domain}"

    async def _send(self, expires: int, authorization: str) -> Response | None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Response | None] = loop.create_future()

        def on_response(response: Response) -> None:
            if response.status >= 200 and not answer.done():
                answer.set_result(response)

        def on_timeout() -> None:
            if not answer.done():
                answer.set_result(None)

        self.core.transactions.send_request(self._request(expires, authorization), self.channel, on_response,
                                            on_timeout)
        self.last_response = await answer
        return self.last_response

    def _request(self, expires: int, authorization: str) -> Request:
        self._cseq += 1
        via = f"SIP/2.0/UDP {self.local[0]}:{self.local[1]};branch={new_branch()};rport"
        headers = request_headers(via, f"<{self.account.aor}>;tag={self._from_tag}", f"<{self.account.aor}>",
                                  self._call_id, f"{self._cseq} REGISTER")
        headers.add("Contact", f"<{self.account.contact}>")
        headers.add("Expires", str(expires))
        if authorization:
            name, _, value = authorization.partition(": ")
            headers.add(name, value)
        headers.add("User-Agent", self.core.user_agent)
        return Request(headers, b"", "REGISTER", self.uri)

    def _granted(self, response: Response | None) -> int:
        """The expiry the registrar granted our contact, from its Contact list (0 when not listed)."""
        if response is None:
            return 0
        for value in response.headers.values("Contact"):
            if self.account.contact in value and "expires=" in value:
                raw = value.rsplit("expires=", 1)[1].split(";")[0].strip()
                if raw.isdigit():
                    return int(raw)
        return 0

    def _refresh_now(self) -> None:
        self._refresh = None
        self._refreshing = asyncio.ensure_future(self.register())
        self._refreshing.add_done_callback(self._refreshed)

    def _refreshed(self, task: asyncio.Future[int]) -> None:
        self._refreshing = None
        if task.cancelled():
            return
        error = task.exception()
        if error is not None or task.result() != 200:
            log.warning("re-REGISTER of %s failed: %s", self.account.aor, error or task.result())
