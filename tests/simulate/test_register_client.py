"""The client side of REGISTER: RFC 2617 digest, and registering with the engine's registrar over UDP."""

from __future__ import annotations

from pathlib import Path

from hotline.simulate.phones import AgentPhone, SipEndpoint
from hotline.telephony.ports import Route
from hotline.telephony.sip.register_client import Account, digest_authorization

from .helpers import DNIS, PASSWORD, run, running, seats


def test_the_digest_is_rfc_2617_s_worked_example() -> None:
    challenge = ('Digest realm="testrealm@host.com", qop="auth,auth-int", '
                 'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    account = Account("Mufasa", "Circle Of Life", "host.com", "sip:mufasa@127.0.0.1")
    value = digest_authorization(challenge, account, "GET", "/dir/index.html", cnonce="0a4f113b")
    assert value == (
        'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
        'uri="/dir/index.html", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b", '
        'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"')


def test_without_qop_the_response_is_the_rfc_2069_form() -> None:
    account = Account("Mufasa", "CircleOfLife", "host.com", "sip:mufasa@127.0.0.1")  # RFC 2069's password
    value = digest_authorization('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"',
                                 account, "GET", "/dir/index.html")
    assert value.endswith('algorithm=MD5, response="1949323746fe6a43ef61f9606e7febea"')  # RFC 2069's inputs
    assert "qop" not in value and "cnonce" not in value


def test_a_phone_registers_with_digest_retries_a_too_brief_expiry_and_unregisters(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, Route(DNIS, queue="orders"), seats(["8001"])) as (engine, _):
            endpoint = await SipEndpoint().start()
            try:
                phone = AgentPhone(endpoint, "8001", PASSWORD)
                assert await phone.register(engine.sip_address, expires=30) == 200  # 401, then 423, then 200
                assert phone.registration is not None and phone.registration.granted == 60
                assert engine.registrar.contact_for("sip:8001@hotline") == phone.uri == endpoint.contact("8001")
                assert await phone.unregister() == 200
                assert engine.registrar.contact_for("sip:8001@hotline") is None
                stranger = AgentPhone(endpoint, "8009", PASSWORD)
                assert await stranger.register(engine.sip_address) == 401  # no such seat: challenged to the end
            finally:
                await endpoint.close()

    run(scenario, timeout=20)
