"""The registrar: digest challenge and verification (qop=auth, stale nonces), bindings and their expiry."""

from __future__ import annotations

import re

from hotline.telephony.sip.clock import ManualScheduler
from hotline.telephony.sip.message import Request, Response, parse
from hotline.telephony.sip.registrar import NONCE_LIFETIME, Registrar, md5, password_lookup

from .helpers import request_text

REALM = "hotline.test"
PASSWORDS = {"8001": "s3cret"}


def registrar() -> tuple[Registrar, ManualScheduler]:
    clock = ManualScheduler()
    clock.advance(1000)
    return Registrar(REALM, password_lookup(PASSWORDS, REALM), clock), clock


def register(contact: str = "<sip:8001@127.0.0.1:5072>", expires: str = "", cseq: int = 1, auth: str = "") -> Request:
    extra = f"Contact: {contact}\r\n" + (f"Expires: {expires}\r\n" if expires else "") + auth
    text = request_text("REGISTER", cseq=cseq, extra=extra).replace("4008001000@", "8001@")
    message = parse(text.encode())
    assert isinstance(message, Request)
    return message


def nonce_of(challenge: Response) -> str:
    match = re.search(r'nonce="([^"]+)"', challenge.headers.get("WWW-Authenticate") or "")
    assert match
    return match.group(1)


def authorization(nonce: str, user: str = "8001", password: str = "s3cret", uri: str = "sip:8001@127.0.0.1") -> str:
    ha1 = md5(f"{user}:{REALM}:{password}")
    ha2 = md5(f"REGISTER:{uri}")
    digest = md5(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}")
    return (
        f'Authorization: Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="{uri}", '
        f'response="{digest}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"\r\n'
    )


def authorised_register(reg: Registrar, **kwargs: str | int) -> Response:
    nonce = nonce_of(reg.handle(register()))
    return reg.handle(register(auth=authorization(nonce), **kwargs))  # type: ignore[arg-type]


def test_an_unauthenticated_register_is_challenged_and_binds_nothing() -> None:
    reg, _ = registrar()
    challenge = reg.handle(register())
    assert challenge.status == 401
    header = challenge.headers.get("WWW-Authenticate") or ""
    assert header.startswith(f'Digest realm="{REALM}", nonce="') and header.endswith('algorithm=MD5, qop="auth"')
    assert reg.lookup("sip:8001@127.0.0.1") == []


def test_a_correct_digest_binds_the_contact_with_its_expiry() -> None:
    reg, _ = registrar()
    answer = authorised_register(reg, expires="600")
    assert (answer.status, answer.headers.get_all("Contact")) == (200, ["<sip:8001@127.0.0.1:5072>;expires=600"])
    assert reg.contact_for("sip:8001@127.0.0.1") == "sip:8001@127.0.0.1:5072"


def test_a_wrong_password_or_unknown_user_is_challenged_again() -> None:
    reg, _ = registrar()
    nonce = nonce_of(reg.handle(register()))
    assert reg.handle(register(auth=authorization(nonce, password="guess"))).status == 401
    assert reg.handle(register(auth=authorization(nonce, user="9999"))).status == 401
    assert reg.lookup("sip:8001@127.0.0.1") == []


def test_a_forged_nonce_is_refused_without_stale() -> None:
    reg, _ = registrar()
    answer = reg.handle(register(auth=authorization("1000.000.deadbeef")))
    assert answer.status == 401
    assert "stale" not in (answer.headers.get("WWW-Authenticate") or "")


def test_an_expired_nonce_with_a_correct_digest_is_answered_stale() -> None:
    reg, clock = registrar()
    nonce = nonce_of(reg.handle(register()))
    clock.advance(NONCE_LIFETIME + 1)
    answer = reg.handle(register(auth=authorization(nonce)))
    assert answer.status == 401
    assert (answer.headers.get("WWW-Authenticate") or "").endswith(", stale=true")
    assert reg.lookup("sip:8001@127.0.0.1") == []


def test_a_user_may_register_only_its_own_address_of_record() -> None:
    reg, _ = registrar()
    nonce = nonce_of(reg.handle(register()))
    text = request_text("REGISTER", extra="Contact: <sip:x@1.2.3.4>\r\n" + authorization(nonce))
    other = parse(text.encode())  # To is 4008001000, credentials are 8001's
    assert isinstance(other, Request)
    assert reg.handle(other).status == 403
    assert reg.lookup("sip:4008001000@127.0.0.1") == []


def test_bindings_expire() -> None:
    reg, clock = registrar()
    authorised_register(reg, expires="60")
    clock.advance(59)
    assert reg.contact_for("sip:8001@127.0.0.1") == "sip:8001@127.0.0.1:5072"
    clock.advance(2)
    assert reg.contact_for("sip:8001@127.0.0.1") is None
    assert reg.contact_for_user("8001") is None


def test_a_seat_is_found_by_its_user_whatever_host_its_phone_registered_under() -> None:
    # given a phone that registered sip:8001@127.0.0.1 (the server's address, not the realm)
    reg, _ = registrar()
    authorised_register(reg, expires="600")
    # then the seat's user name finds it, and another user does not
    assert reg.contact_for_user("8001") == "sip:8001@127.0.0.1:5072"
    assert reg.contact_for_user("8002") is None


def test_wildcard_with_expires_zero_removes_all_bindings() -> None:
    reg, _ = registrar()
    authorised_register(reg, cseq=1)
    answer = authorised_register(reg, contact="*", expires="0", cseq=2)
    assert (answer.status, answer.headers.get_all("Contact")) == (200, [])
    assert reg.lookup("sip:8001@127.0.0.1") == []


def test_wildcard_without_expires_zero_is_a_bad_request() -> None:
    reg, _ = registrar()
    authorised_register(reg, cseq=1)
    assert authorised_register(reg, contact="*", cseq=2).status == 400
    assert len(reg.lookup("sip:8001@127.0.0.1")) == 1


def test_too_brief_an_interval_is_refused_with_min_expires() -> None:
    reg, _ = registrar()
    answer = authorised_register(reg, expires="10")
    assert (answer.status, answer.headers.get("Min-Expires")) == (423, "60")
    assert reg.lookup("sip:8001@127.0.0.1") == []


def test_contact_expires_zero_removes_one_binding_and_long_expiry_is_capped() -> None:
    reg, _ = registrar()
    authorised_register(reg, contact="<sip:8001@10.0.0.9>;expires=99999", cseq=1)
    authorised_register(reg, contact="<sip:8001@10.0.0.8>", cseq=2)
    answer = authorised_register(reg, contact="<sip:8001@10.0.0.8>;expires=0", cseq=3)
    assert answer.headers.get_all("Contact") == ["<sip:8001@10.0.0.9>;expires=7200"]


def test_an_out_of_order_register_changes_nothing() -> None:
    reg, _ = registrar()
    authorised_register(reg, expires="600", cseq=5)
    assert authorised_register(reg, expires="0", cseq=4).status == 500
    assert reg.contact_for("sip:8001@127.0.0.1") == "sip:8001@127.0.0.1:5072"
