"""The demo's seats share one published SIP password: the demo says so, and outside the demo the engine
(`hotline engine`, and the embedded one) refuses to start while any seat still has it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hotline.calls.host import embedded
from hotline.calls.host.build import build_engine
from hotline.calls.host.directory import DemoPasswordError, seats_with_demo_password
from hotline.calls.seats import do_create_seat, do_set_seat_password
from hotline.simulate import DEMO_SIP_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
REFUSAL = ("Refusing to start: seats A-01, A-02 have the demo SIP password; give each its own "
           "(admin → Seats → SIP password).")


@pytest.fixture
def seats() -> None:
    do_create_seat("A-02", "8002", DEMO_SIP_PASSWORD, actor=None)
    do_create_seat("A-01", "8001", DEMO_SIP_PASSWORD, actor=None)
    do_create_seat("A-03", "8003", "a-strong-one", actor=None)


def production(settings: Any) -> None:
    settings.DEMO = False
    settings.TESTING = False
    settings.HOTLINE_SIP_PORT = 0


def test_the_seats_with_the_demo_password_are_found_by_their_ha1(seats: None) -> None:
    assert seats_with_demo_password() == ["A-01", "A-02"]


def test_hotline_engine_refuses_to_start_in_production_naming_the_seats(seats: None, settings: Any) -> None:
    production(settings)
    with pytest.raises(CommandError) as refused:
        call_command("engine", "--sip-port", "0", stdout=StringIO())
    assert str(refused.value) == REFUSAL


def test_the_embedded_engine_refuses_too_outside_the_demo(seats: None, settings: Any) -> None:
    production(settings)
    with pytest.raises(DemoPasswordError) as refused:
        embedded.EmbeddedEngine(sip_port=0).start()
    assert str(refused.value) == REFUSAL
    assert embedded.current() is None


def test_once_every_seat_has_its_own_password_the_engine_builds(seats: None, settings: Any) -> None:
    production(settings)
    from hotline.calls.models import Seat

    for seat in Seat.objects.filter(name__in=["A-01", "A-02"]):
        do_set_seat_password(seat, f"own-password-{seat.name}", actor=None)
    _engine, directory = build_engine(sip_port=0)
    directory.close()


def test_the_demo_itself_starts_with_the_demo_password(seats: None, settings: Any) -> None:
    settings.DEMO, settings.TESTING = True, False
    _engine, directory = build_engine(sip_port=0)
    directory.close()


def test_hotline_demo_says_the_seats_share_one_password(seats: None, django_user_model: Any) -> None:
    django_user_model.objects.create_user("agent1", password="x")  # a database with data: the demo keeps it
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    lines = out.getvalue().splitlines()
    softphone = next(n for n, line in enumerate(lines) if line.startswith("Softphone: "))
    assert lines[softphone + 1] == ("Every demo seat shares that one SIP password, which anyone can read here: "
                                    "outside the demo the engine refuses to start until each such seat has its own.")
