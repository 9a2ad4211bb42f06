"""`hotline demo` runs the telephony engine beside the web app, and still serves the web app without it."""

from __future__ import annotations

import socket
from io import StringIO
from typing import Any

import pytest

from hotline.calls import embedded
from hotline.core.management.commands.demo import Command

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
        assert f"SIP on udp {host}:{port}" in out and f"sipp -sn uac {host}:{port} -s 4008001000" in out
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
