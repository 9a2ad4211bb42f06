"""The registrar tells its host when a user's bindings change: on REGISTER, on un-REGISTER (Expires: 0 and
the wildcard) and when a binding lapses (a timer at its expiry), so a seat's phone state needs no polling."""

from __future__ import annotations

from hotline.telephony.sip.registrar import MIN_EXPIRES, Registrar, password_lookup

from .test_registrar import PASSWORDS, REALM, authorised_register, register, registrar

AOR = "sip:8001@127.0.0.1"


def heard(reg: Registrar) -> list[str]:
    changes: list[str] = []
    reg.on_change = changes.append
    return changes


def test_a_register_and_an_unregister_are_heard_with_the_user_name() -> None:
    reg, _clock = registrar()
    changes = heard(reg)
    assert authorised_register(reg, expires="120").status == 200
    assert (changes, reg.contact_for(AOR)) == (["8001"], "sip:8001@127.0.0.1:5072")
    assert authorised_register(reg, expires="0", cseq=2).status == 200
    assert (changes, reg.contact_for(AOR)) == (["8001", "8001"], None)


def test_the_wildcard_removal_is_heard() -> None:
    reg, _clock = registrar()
    changes = heard(reg)
    authorised_register(reg, expires="120")
    assert authorised_register(reg, contact="*", expires="0", cseq=2).status == 200
    assert (changes, reg.contact_for(AOR)) == (["8001", "8001"], None)


def test_a_binding_that_lapses_is_removed_and_heard_at_its_expiry() -> None:
    reg, clock = registrar()
    authorised_register(reg, expires="120")
    changes = heard(reg)
    clock.advance(119.9)
    assert (changes, reg.contact_for(AOR)) == ([], "sip:8001@127.0.0.1:5072")
    clock.advance(0.1)
    assert (changes, reg.contact_for(AOR)) == (["8001"], None)


def test_a_refreshed_binding_does_not_lapse_at_its_first_expiry() -> None:
    reg, clock = registrar()
    authorised_register(reg, expires="120")
    clock.advance(60)
    authorised_register(reg, expires="120", cseq=2)
    changes = heard(reg)
    clock.advance(100)  # past the first registration's expiry
    assert (changes, reg.contact_for(AOR)) == ([], "sip:8001@127.0.0.1:5072")
    clock.advance(20)
    assert (changes, reg.contact_for(AOR)) == (["8001"], None)


def test_a_refused_register_is_not_heard() -> None:
    reg, _clock = registrar()
    changes = heard(reg)
    assert reg.handle(register()).status == 401
    assert authorised_register(reg, expires="10").status == 423
    assert changes == []


def test_the_shortest_registration_is_a_setting() -> None:
    assert MIN_EXPIRES == 60
    reg, clock = registrar()
    short = Registrar(REALM, password_lookup(PASSWORDS, REALM), clock, min_expires=2)
    changes = heard(short)
    response = authorised_register(short, expires="2")
    assert response.status == 200
    clock.advance(2)
    assert (changes, short.contact_for(AOR)) == (["8001", "8001"], None)
    assert authorised_register(reg, expires="2").headers.get("Min-Expires") == "60"
