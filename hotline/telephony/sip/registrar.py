"""A registrar (RFC 3261 §10.3) with digest authentication (RFC 2617 / RFC 8760, MD5, qop=auth).

Credentials come from the host through `CredentialLookup` as HA1 digests, so that the host can
store HA1 instead of passwords (as Kamailio does); `password_lookup` adapts plaintext passwords.
Nonces are issued statelessly (a timestamp plus its HMAC, under a per-process secret, of the timestamp and
the source address that was challenged), so a flood of unauthenticated requests grows no table, and a nonce
used from another address is not ours: a sniffed Authorization replayed from elsewhere is refused and
challenged anew. Only nonces that authenticated someone are remembered, with the highest nonce-count seen,
until they expire: a repeated or lower nc is a replay, answered `stale=true` (RFC 7616 §3.4.5; the phone
retries with a fresh nonce). An expired nonce with a correct response is also answered `stale=true`.

Password guessing (guard.py): failed attempts are counted per source and per user; a banned source is
ignored (`ignores`, checked by the SIP core before anything else), a locked user's right password gets 403,
and so does a user's right password from outside its allowed networks (`allowed_networks`).

Device state: `on_change(username)` is called whenever a user's bindings may have changed (a REGISTER
added, refreshed or removed one, or one expired: each binding has a timer at its expiry), so the host can
tell whether that seat's phone can be rung without polling.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from hotline.telephony.sip.clock import Scheduler, Timer
from hotline.telephony.sip.guard import AuthGuard, GuardSettings
from hotline.telephony.sip.message import NameAddr, Request, Response, response_to, split_commas
from hotline.telephony.sip.trunks import Network

log = logging.getLogger(__name__)

DEFAULT_EXPIRES = 3600
MIN_EXPIRES = 60
MAX_EXPIRES = 7200
NONCE_LIFETIME = 300.0
MAX_USED_NONCES = 100_000  # nonces remembered for their nonce-count; only successful logins add one
AUTH_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)\s*')


class CredentialLookup(Protocol):
    """Returns HA1 = md5(username:realm:password) of `username` in `realm`, or None for no such user."""

    def __call__(self, username: str, realm: str) -> str | None: ...


def digest_ha1(username: str, realm: str, password: str) -> str:
    """The HA1 of RFC 2617 digest authentication with MD5."""
    return md5(f"{username}:{realm}:{password}")


def password_lookup(passwords: Mapping[str, str], our_realm: str) -> CredentialLookup:
    """A lookup over plaintext passwords (configuration files, tests), hashed once up front."""
    ha1s = {user: digest_ha1(user, our_realm, password) for user, password in passwords.items()}

    def lookup(username: str, realm: str) -> str | None:
        return ha1s.get(username) if realm == our_realm else None

    return lookup


@dataclass
class Binding:
    """One registered contact of an address of record."""

    contact: str
    expires_at: float
    call_id: str
    cseq: int


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def aor_of(uri: str) -> str:
    """Normalised address of record: `sip:user@host`, scheme and host lowercased, no port or parameters."""
    scheme, _, rest = uri.partition(":")
    rest = rest.split(";")[0].split("?")[0]
    user, at, host = rest.rpartition("@")
    host = host.split(":")[0].lower()
    return f"{scheme.lower()}:{user}@{host}" if at else f"{scheme.lower()}:{host}"


def _user_of(aor: str) -> str:
    return aor.partition(":")[2].partition("@")[0]


def parse_authorization(value: str) -> dict[str, str]:
    """`Digest username="a", nc=00000001, …` → lowercased names mapped to unquoted values."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    params: dict[str, str] = {}
    for piece in split_commas(rest):
        match = AUTH_PARAM.fullmatch(piece)
        if match:
            params[match.group(1).lower()] = match.group(2).strip('"')
    return params


def source_of(request: Request) -> str:
    """The address a request came from, as the SIP core stamped it on the top Via (RFC 3261 §18.2.1)."""
    via = request.top_via
    return via.params.get("received") or via.host


def in_networks(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking a request's credentials: the verified `user` (None otherwise), `stale` when
    only the nonce was at fault (expired or replayed), and `forbidden` when the right password is refused
    (the user is locked, or the source is outside the user's allowed networks)."""

    user: str | None
    stale: bool = False
    forbidden: bool = False


Lockout = Callable[[str, str, float], None]  # (user, the source that tipped it, seconds locked)


class Registrar:
    """Authenticates REGISTER requests and keeps the bindings of each address of record.

    `min_expires` is the shortest registration granted (shorter ones get 423); `on_change` hears the user
    name of every address of record whose bindings changed or expired; `on_lock` hears every user locked
    for password guessing. `allowed_networks` maps a user to the networks its phone may register from
    (absent or empty: anywhere); `trusted` tells addresses that are never banned.
    """

    def __init__(self, realm: str, credentials: CredentialLookup, scheduler: Scheduler,
                 min_expires: int = MIN_EXPIRES, guard: GuardSettings | None = None) -> None:
        self.realm = realm
        self.min_expires = min_expires
        self.on_change: Callable[[str], None] | None = None
        self.on_lock: Lockout | None = None
        self.allowed_networks: dict[str, tuple[Network, ...]] = {}
        # Addresses never banned (the engine passes its trunks: banning the carrier would drop every call);
        # their failures still count against the seat they guess.
        self.trusted: Callable[[str], bool] = lambda source: False
        self.guard = AuthGuard(scheduler, guard)
        self._credentials = credentials
        self._scheduler = scheduler
        self._secret = secrets.token_bytes(32)
        self._counts: dict[str, int] = {}  # nonce → the highest nonce-count accepted with it
        self._bindings: dict[str, dict[str, Binding]] = {}
        self._aors_of_user: dict[str, set[str]] = {}  # a seat's phone may register under any host part
        self._expiry: dict[tuple[str, str], Timer] = {}  # (aor, contact) → the timer at its binding's expiry

    def ignores(self, source: str) -> bool:
        """True while `source` is banned for password guessing: its requests get no answer at all."""
        return self.guard.ignores(source)

    # --- nonces -------------------------------------------------------------------------------------------
    def _mac(self, stamp: str, source: str) -> str:
        return hmac.new(self._secret, f"{stamp}|{source}".encode(), "sha256").hexdigest()[:32]

    def _nonce(self, source: str) -> str:
        """`<time>-<salt>.<mac>`: the salt makes two nonces issued in the same millisecond differ, so that
        each has its own nonce-count."""
        stamp = f"{self._scheduler.now():.3f}-{secrets.token_hex(4)}"
        return f"{stamp}.{self._mac(stamp, source)}"

    def _nonce_state(self, nonce: str, source: str) -> str:
        """ "fresh", "stale" (ours but too old) or "bad" (not ours, or issued to another address)."""
        stamp, _, mac = nonce.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(stamp, source)):
            return "bad"
        stamp = stamp.partition("-")[0]
        try:
            age = self._scheduler.now() - float(stamp)
        except ValueError:
            return "bad"
        return "fresh" if 0 <= age <= NONCE_LIFETIME else "stale"

    def _count_is_new(self, nonce: str, nc: str) -> bool:
        """Record the nonce-count of an authenticated request; False when it is not above the last one."""
        try:
            count = int(nc, 16)
        except ValueError:
            return False
        if count <= self._counts.get(nonce, 0):
            return False
        self._forget_expired_nonces()
        self._counts[nonce] = count
        return True

    def _forget_expired_nonces(self) -> None:
        """Drop the oldest remembered nonces while they are expired (or too many): an expired nonce is
        refused by its timestamp anyway, so its count is no longer needed."""
        now = self._scheduler.now()
        while self._counts:
            oldest = next(iter(self._counts))
            stamp = oldest.rpartition(".")[0].partition("-")[0]
            if len(self._counts) < MAX_USED_NONCES and now - float(stamp) <= NONCE_LIFETIME:
                return
            del self._counts[oldest]

    def challenge(self, request: Request, stale: bool = False) -> Response:
        response = response_to(request, 401, "Unauthorized", to_tag=secrets.token_hex(4))
        value = f'Digest realm="{self.realm}", nonce="{self._nonce(source_of(request))}", algorithm=MD5, qop="auth"'
        response.headers.add("WWW-Authenticate", value + (", stale=true" if stale else ""))
        return response

    # --- authentication -----------------------------------------------------------------------------------
    def authenticate(self, request: Request) -> Verdict:
        """Check the request's credentials for our realm, counting a failed attempt against its source and
        user (REGISTER and trunk INVITEs alike). No credentials is no failure: it is how every login starts."""
        for header in request.headers.get_all("Authorization"):
            params = parse_authorization(header)
            if params.get("realm") != self.realm:
                continue
            source = source_of(request)
            verdict = self._verify(request, params, source)
            if verdict is None:
                self._failed(source, params.get("username", ""))
                return Verdict(None)
            return self._admit(verdict, source)
        return Verdict(None)

    def _verify(self, request: Request, params: dict[str, str], source: str) -> Verdict | None:
        """The verdict on well-formed credentials with the right response; None for a failed attempt."""
        if params.get("algorithm", "MD5").upper() != "MD5" or params.get("qop") != "auth":
            return None
        username, nonce = params.get("username", ""), params.get("nonce", "")
        ha1 = self._credentials(username, self.realm) if username else None
        if ha1 is None or not all(params.get(name) for name in ("uri", "response", "nc", "cnonce")):
            return None
        ha2 = md5(f"{request.method}:{params['uri']}")
        expected = md5(f"{ha1}:{nonce}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
        if not hmac.compare_digest(expected, params["response"].lower()):
            return None
        state = self._nonce_state(nonce, source)
        if state == "fresh":
            if not self._count_is_new(nonce, params["nc"]):
                return Verdict(None, stale=True)  # a replay, or a phone reusing its count: a fresh nonce ends it
            return Verdict(username)
        return Verdict(None, stale=state == "stale")  # "bad": issued to another address, or forged

    def _admit(self, verdict: Verdict, source: str) -> Verdict:
        """A right password still gets 403 while its user is locked, or from outside its allowed networks."""
        user = verdict.user
        if user is None:
            return verdict
        if self.guard.locked(user):
            return Verdict(None, forbidden=True)
        networks = self.allowed_networks.get(user, ())
        if networks and not in_networks(source, networks):
            log.warning("%s's right password came from %s, outside its allowed networks: refused", user, source)
            return Verdict(None, forbidden=True)
        return verdict

    def _failed(self, source: str, username: str) -> None:
        known = bool(username) and self._credentials(username, self.realm) is not None
        failure = self.guard.failed(None if self.trusted(source) else source, username if known else None)
        if failure.source_banned:
            log.warning("%s banned for %.0f s: %d failed digest attempts", source,
                        self.guard.settings.source_ban, self.guard.settings.source_limit)
        if failure.seat_locked:
            log.warning("SIP user %s locked for %.0f s: %d failed digest attempts (the last from %s)", username,
                        self.guard.settings.seat_lock, self.guard.settings.seat_limit, source)
            if self.on_lock is not None:
                self.on_lock(username, source, self.guard.settings.seat_lock)

    # --- REGISTER -----------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """The full answer to a REGISTER: 401 challenge, 403, 400, 423 or 200 with the current contacts."""
        verdict = self.authenticate(request)
        if verdict.forbidden:
            return response_to(request, 403, "Forbidden", to_tag=secrets.token_hex(4))
        username = verdict.user
        if username is None:
            return self.challenge(request, verdict.stale)
        aor = aor_of(NameAddr.parse(request.headers.get("To") or "").uri)
        if _user_of(aor) != username:  # a seat may register only its own AOR
            return response_to(request, 403, "Forbidden", to_tag=secrets.token_hex(4))
        problem = self._update(aor, request)
        if problem is not None:
            return problem
        self._changed(aor)
        return self._ok(request, aor)

    def _update(self, aor: str, request: Request) -> Response | None:
        contacts = request.headers.values("Contact")
        default = request.headers.get("Expires")
        expires_default = int(default) if default is not None else DEFAULT_EXPIRES
        call_id, cseq = request.call_id, request.cseq[0]
        if "*" in contacts:
            if len(contacts) != 1 or expires_default != 0:
                return response_to(request, 400, "Invalid Wildcard", to_tag=secrets.token_hex(4))
            for uri in tuple(self._bindings.get(aor, {})):
                self._unbind(aor, uri)
            return None
        try:
            updates = [self._contact_expiry(value, expires_default) for value in contacts]
        except ValueError:
            return response_to(request, 400, "Bad Contact", to_tag=secrets.token_hex(4))
        if any(0 < expires < self.min_expires for _, expires in updates):
            response = response_to(request, 423, "Interval Too Brief", to_tag=secrets.token_hex(4))
            response.headers.add("Min-Expires", str(self.min_expires))
            return response
        self._aors_of_user.setdefault(_user_of(aor), set()).add(aor)
        for uri, expires in updates:
            old = self._bindings.get(aor, {}).get(uri)
            if old is not None and old.call_id == call_id and old.cseq >= cseq:
                return response_to(request, 500, "Out Of Order", to_tag=secrets.token_hex(4))
            if expires == 0:
                self._unbind(aor, uri)
            else:
                self._bind(aor, Binding(uri, self._scheduler.now() + min(expires, MAX_EXPIRES), call_id, cseq))
        return None

    def _bind(self, aor: str, binding: Binding) -> None:
        """Add or refresh a binding, with a timer at its expiry (a refresh replaces the old timer)."""
        self._bindings.setdefault(aor, {})[binding.contact] = binding
        key = (aor, binding.contact)
        old = self._expiry.pop(key, None)
        if old is not None:
            old.cancel()
        delay = binding.expires_at - self._scheduler.now()
        self._expiry[key] = self._scheduler.call_later(delay, lambda: self._expire(aor, binding))

    def _unbind(self, aor: str, uri: str) -> None:
        bindings = self._bindings.get(aor, {})
        bindings.pop(uri, None)
        if not bindings:
            self._bindings.pop(aor, None)
        timer = self._expiry.pop((aor, uri), None)
        if timer is not None:
            timer.cancel()

    def _expire(self, aor: str, binding: Binding) -> None:
        """A binding's timer: it lapsed, unless refreshed meanwhile (then another Binding object is there; a
        look-up may have pruned it already, which the host has not heard of)."""
        current = self._bindings.get(aor, {}).get(binding.contact)
        if current is not None and current is not binding:
            return
        self._unbind(aor, binding.contact)
        self._changed(aor)

    def _changed(self, aor: str) -> None:
        if self.on_change is not None:
            self.on_change(_user_of(aor))

    @staticmethod
    def _contact_expiry(value: str, default: int) -> tuple[str, int]:
        contact = NameAddr.parse(value)
        raw = contact.params.get("expires")
        if raw is not None and not raw.isdigit():
            raise ValueError("bad expires")
        return contact.uri, int(raw) if raw is not None else default

    def _ok(self, request: Request, aor: str) -> Response:
        response = response_to(request, 200, "OK", to_tag=secrets.token_hex(4))
        now = self._scheduler.now()
        for binding in self.lookup(aor):
            response.headers.add("Contact", f"<{binding.contact}>;expires={max(0, round(binding.expires_at - now))}")
        return response

    # --- location -----------------------------------------------------------------------------------------
    def lookup(self, aor: str) -> list[Binding]:
        """The live bindings of an address of record, newest expiry first; expired ones are pruned here."""
        bindings = self._bindings.get(aor_of(aor))
        if not bindings:
            return []
        now = self._scheduler.now()
        for uri in [uri for uri, binding in bindings.items() if binding.expires_at <= now]:
            del bindings[uri]
        if not bindings:
            del self._bindings[aor_of(aor)]
        return sorted(bindings.values(), key=lambda binding: binding.expires_at, reverse=True)

    def contact_for(self, aor: str) -> str | None:
        """The contact to ring for an address of record, or None when it is not registered."""
        live = self.lookup(aor)
        return live[0].contact if live else None

    def contact_for_user(self, username: str) -> str | None:
        """The contact to ring for a seat's SIP user, whatever host its phone registered the AOR under
        (`sip:8001@hotline`, `sip:8001@10.0.0.2`, …): the user name alone identifies a seat here."""
        aors = self._aors_of_user.get(username, set())
        live = [binding for aor in tuple(aors) for binding in self.lookup(aor)]
        for aor in [aor for aor in aors if aor not in self._bindings]:
            aors.discard(aor)
        return max(live, key=lambda binding: binding.expires_at).contact if live else None
