"""`hotline demo` runs the telephony engine beside the web app, and still serves the web app without it."""

from __future__ import annotations

import socket
from io import StringIO
from typing import Any

import pytest
from django.test import Client

from hotline.accounts.models import User
from hotline.calls.host import embedded
from hotline.core.management.commands.demo import Command, seat_lines

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_starts_the_engine_in_process_and_says_where_it_listens(settings: Any) -> None:
    settings.HOTLINE_SIP_PORT = 0
    command = Command(stdout=StringIO(), stderr=StringIO())
    engine = command.start_engine()
    assert engine is not None
    try:
        assert embedded.current() is engine and engine.engine is not None
        host, port = engine.engine.sip_address
        out = command.stdout.getvalue()  # type: ignore[attr-defined]
        assert out.splitlines()[1].startswith(f"  SIP on udp {host}:{port} and tcp {host}:")
    finally:
        engine.stop()
    assert embedded.current() is None


def test_when_the_sip_port_is_taken_the_demo_says_so_and_goes_on_without_the_engine(settings: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        settings.HOTLINE_SIP_PORT = taken.getsockname()[1]
        command = Command(stdout=StringIO(), stderr=StringIO())
        assert command.start_engine() is None
    assert "The telephony engine did not start" in command.stderr.getvalue()  # type: ignore[attr-defined]
    assert embedded.current() is None


def test_the_seats_are_printed_with_their_usual_agent_sip_user_and_the_registrar(demo: Any) -> None:
    lines = seat_lines("127.0.0.1:15060", "http://127.0.0.1:8000/desk/")
    assert lines[0] == ("Seats (agents start signed out: register the seat's phone, sign in at "
                        "http://127.0.0.1:8000/desk/ and confirm the seat):")
    assert lines[1] == "  agent1   → A-01 → SIP user 8001  王丽"
    assert lines[11] == "  super1   → S-01 → SIP user 8091  刘芳 (supervisor: listen / whisper / barge ring this phone)"
    assert lines[12] == ("Softphone: user = the seat's SIP user (8001 for agent1), password hotline-demo, domain and "
                         "registrar 127.0.0.1:15060, transport UDP.")
    assert len(lines) == 13


def test_the_desk_offers_an_agent_their_usual_seat_first(demo: Any, client: Client) -> None:
    agent5 = User.objects.get(username="agent5")
    client.force_login(agent5)
    page = client.get("/desk/").content.decode()
    assert '<option value="A-05" selected>A-05</option>' in page
    assert page.count('" selected>A-') == 1  # the usual seat only
    assert '<option value="A-01">A-01</option>' in page
