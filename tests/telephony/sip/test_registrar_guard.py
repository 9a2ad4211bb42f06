"""Password guessing and digest replay at the registrar, on a fake clock: per-source bans (no answer at all),
per-seat locks (the right password refused, supervisors told), allowed networks, nonce-counts, and nonces
bound to the address that was challenged."""

from __future__ import annotations

import ipaddress
import re

from hotline.telephony.sip.clock import ManualScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.guard import FailureCounter, GuardSettings
from hotline.telephony.sip.message import Request, Response, parse
from hotline.telephony.sip.registrar import Registrar, md5, password_lookup

from .helpers import FakeChannel, request_text

REALM = "hotline.test"
PASSWORDS = {"8001": "s3cret", "8002": "other"}
SETTINGS = GuardSettings(source_limit=3, seat_limit=5, window=60.0, source_ban=30.0, seat_lock=120.0)


def registrar(settings: GuardSettings = SETTINGS) -> tuple[Registrar, ManualScheduler]:
    clock = ManualScheduler()
    clock.advance(1000)
    return Registrar(REALM, password_lookup(PASSWORDS, REALM), clock, guard=settings), clock


def text(source: str, user: str = "8001", auth: str = "", method: str = "REGISTER", cseq: int = 1) -> str:
    """A request as the SIP core hands it on: its top Via stamped with the address it came from."""
    raw = request_text(method, cseq=cseq, branch=f"z9hG4bK{cseq}{source}",
                       extra=f"Contact: <sip:{user}@{source}:5072>\r\n{auth}")
    raw = raw.replace("4008001000@", f"{user}@").replace(";rport", f";rport=5070;received={source}")
    return raw


def request(source: str, **kwargs: str | int) -> Request:
    message = parse(text(source, **kwargs).encode())  # type: ignore[arg-type]
    assert isinstance(message, Request)
    return message


def nonce_of(challenge: Response) -> str:
    match = re.search(r'nonce="([^"]+)"', challenge.headers.get("WWW-Authenticate") or "")
    assert match, challenge.status
    return match.group(1)


def authorization(nonce: str, user: str = "8001", password: str = "s3cret", nc: int = 1,
                  method: str = "REGISTER") -> str:
    uri = f"sip:{user}@127.0.0.1"
    ha1 = md5(f"{user}:{REALM}:{password}")
    digest = md5(f"{ha1}:{nonce}:{nc:08x}:c0ffee:auth:{md5(f'{method}:{uri}')}")
    return (f'Authorization: Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="{uri}", '
            f'response="{digest}", algorithm=MD5, qop=auth, nc={nc:08x}, cnonce="c0ffee"\r\n')


def attempt(reg: Registrar, source: str, user: str = "8001", password: str = "s3cret") -> Response:
    """One login as a phone (or a cracker) does it: REGISTER, 401, REGISTER with a digest."""
    nonce = nonce_of(reg.handle(request(source, user=user)))
    return reg.handle(request(source, user=user, cseq=2, auth=authorization(nonce, user, password)))


def test_a_source_over_the_limit_is_ignored_until_its_ban_ends() -> None:
    reg, clock = registrar()
    for _ in range(2):
        assert attempt(reg, "10.0.0.9", password="guess").status == 401
    assert not reg.ignores("10.0.0.9")
    assert attempt(reg, "10.0.0.9", password="guess").status == 401  # the third: answered, then banned
    assert (reg.ignores("10.0.0.9"), reg.ignores("10.0.0.8")) == (True, False)
    assert not reg.guard.locked("8001")  # one guesser bans itself long before it could lock the seat out
    assert attempt(reg, "10.0.0.8").status == 200  # the seat's own phone, elsewhere, is not affected
    clock.advance(29.9)
    assert reg.ignores("10.0.0.9")
    clock.advance(0.2)
    assert not reg.ignores("10.0.0.9")
    assert attempt(reg, "10.0.0.9").status == 200


def test_the_sip_core_sends_nothing_at_all_to_a_banned_source_even_for_the_right_password() -> None:
    reg, clock = registrar()
    core = SipCore(clock, registrar=reg)
    for _ in range(3):
        attempt(reg, "10.0.0.9", password="guess")
    channel = FakeChannel()
    core.receive(text("10.0.0.9", cseq=7).encode(), channel, ("10.0.0.9", 5070), "UDP")
    core.receive(b"OPTIONS garbage\r\n\r\n", channel, ("10.0.0.9", 5070), "UDP")
    assert channel.sent == []
    core.receive(text("10.0.0.8", cseq=8).encode(), channel, ("10.0.0.8", 5070), "UDP")
    assert [message.status for message in channel.messages() if isinstance(message, Response)] == [401]
    clock.advance(31)
    nonce = nonce_of(reg.handle(request("10.0.0.9")))
    channel = FakeChannel()
    core.receive(text("10.0.0.9", cseq=9, auth=authorization(nonce)).encode(), channel, ("10.0.0.9", 5070), "UDP")
    assert [message.status for message in channel.messages() if isinstance(message, Response)] == [200]


def test_requests_without_credentials_are_never_counted() -> None:
    reg, _ = registrar()
    for cseq in range(1, 50):
        assert reg.handle(request("10.0.0.9", cseq=cseq)).status == 401
    assert not reg.ignores("10.0.0.9")


def test_a_seat_guessed_from_many_sources_is_locked_its_right_password_refused_and_supervisors_told() -> None:
    reg, clock = registrar()
    locks: list[tuple[str, str, float]] = []
    reg.on_lock = lambda user, source, seconds: locks.append((user, source, seconds))
    for n in range(5):
        assert attempt(reg, f"10.0.1.{n}", password="guess").status == 401
    assert locks == [("8001", "10.0.1.4", 120.0)]
    assert attempt(reg, "10.0.2.1").status == 403  # the right password, from a clean address
    assert reg.contact_for_user("8001") is None
    assert attempt(reg, "10.0.2.1", user="8002", password="other").status == 200  # other seats unaffected
    attempt(reg, "10.0.1.9", password="guess")
    assert len(locks) == 1  # told once per lock
    clock.advance(120.1)
    assert attempt(reg, "10.0.2.1").status == 200


def test_unknown_users_count_against_the_source_only() -> None:
    reg, _ = registrar(GuardSettings(source_limit=100, seat_limit=2))
    for n in range(5):
        attempt(reg, f"10.0.1.{n}", user="9999", password="guess")
    assert len(reg.guard.seats) == 0
    assert len(reg.guard.sources) == 5


def test_a_seat_with_allowed_networks_registers_only_from_them() -> None:
    reg, _ = registrar()
    reg.allowed_networks = {"8001": (ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("::1/128"))}
    assert attempt(reg, "10.2.0.1").status == 403
    assert reg.contact_for_user("8001") is None
    assert attempt(reg, "10.1.2.3").status == 200
    assert reg.contact_for_user("8001") == "sip:8001@10.1.2.3:5072"
    assert attempt(reg, "10.2.0.1", user="8002", password="other").status == 200  # no list: anywhere


def test_a_replayed_nonce_count_is_refused_stale_and_a_higher_one_accepted() -> None:
    reg, _ = registrar()
    nonce = nonce_of(reg.handle(request("10.0.0.5")))
    assert reg.handle(request("10.0.0.5", cseq=2, auth=authorization(nonce, nc=1))).status == 200
    replay = reg.handle(request("10.0.0.5", cseq=3, auth=authorization(nonce, nc=1)))
    assert replay.status == 401
    assert (replay.headers.get("WWW-Authenticate") or "").endswith("stale=true")
    assert nonce_of(replay) != nonce
    assert reg.handle(request("10.0.0.5", cseq=4, auth=authorization(nonce, nc=3))).status == 200
    assert reg.handle(request("10.0.0.5", cseq=5, auth=authorization(nonce, nc=2))).status == 401  # lower
    assert not reg.ignores("10.0.0.5")  # the right password replayed is no guess: nothing counted


def test_a_nonce_is_bound_to_the_address_it_was_issued_to() -> None:
    reg, _ = registrar()
    nonce = nonce_of(reg.handle(request("10.0.0.5")))
    sniffed = authorization(nonce)
    answer = reg.handle(request("10.0.0.66", cseq=2, auth=sniffed))
    assert answer.status == 401
    assert "stale" not in (answer.headers.get("WWW-Authenticate") or "")
    assert nonce_of(answer) != nonce
    assert reg.contact_for_user("8001") is None
    assert reg.handle(request("10.0.0.5", cseq=3, auth=sniffed)).status == 200  # the phone it was issued to


def test_trunk_invite_digest_failures_are_counted_too() -> None:
    reg, _ = registrar()
    for cseq in range(1, 4):
        nonce = nonce_of(reg.challenge(request("10.9.0.1", method="INVITE", cseq=cseq)))
        invite = request("10.9.0.1", method="INVITE", cseq=cseq,
                         auth=authorization(nonce, password="guess", method="INVITE"))
        assert reg.authenticate(invite).user is None
    assert reg.ignores("10.9.0.1")


def test_the_failure_counter_forgets_old_windows_and_keeps_bounded_memory() -> None:
    clock = ManualScheduler()
    counter = FailureCounter(clock, limit=3, window=10.0, penalty=5.0, max_keys=100)
    counter.fail("a")
    counter.fail("a")
    clock.advance(10.5)
    assert counter.fail("a") is False  # a new window: one failure, not three
    for n in range(1000):
        counter.fail(f"spoofed-{n}")
    assert len(counter) == 100


def test_a_trusted_address_is_never_banned_but_its_guesses_still_lock_the_seat() -> None:
    reg, _ = registrar()
    reg.trusted = lambda source: source == "10.7.0.1"  # a trunk: banning it would drop every call
    for _ in range(5):
        assert attempt(reg, "10.7.0.1", password="guess").status == 401
    assert not reg.ignores("10.7.0.1")
    assert reg.guard.locked("8001")
