"""Click-to-dial through the API against a live engine: the outbound dial policy refuses international,
premium and service numbers with a field error (nothing reaches the engine, nothing is audited), and a class
the configuration allows goes on to the engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hotline.accounts.models import AuditEntry
from hotline.calls.host.embedded import EmbeddedEngine
from hotline.calls.models import Queue
from hotline.calls.seats import do_create_seat

pytestmark = pytest.mark.django_db(transaction=True)  # the engine's thread reads and writes the database


@pytest.fixture
def engine(users: Any) -> Iterator[EmbeddedEngine]:
    Queue.objects.create(name="orders")
    do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    running = EmbeddedEngine(sip_port=0)
    running.start()
    yield running
    running.stop()


def test_click_to_dial_refuses_foreign_premium_and_service_numbers_by_default(engine, as_role) -> None:
    agent = as_role("agent", "zh-hans")
    assert agent.post("/api/engine/agent/login", {"seat": "A-01"}).status_code == 200
    answers = {number: agent.post("/api/engine/agent/dial", {"number": number})
               for number in ("00882130000001", "9001234567", "95588")}
    assert {number: (answer.status_code, answer.json()["errors"]) for number, answer in answers.items()} == {
        "00882130000001": (422, {"number": ["未拨打：国际号码。"]}),
        "9001234567": (422, {"number": ["未拨打：付费号码。"]}),
        "95588": (422, {"number": ["未拨打：服务号码。"]}),
    }
    assert AuditEntry.objects.filter(action="click_to_dial").count() == 0


def test_an_allowed_class_goes_on_to_the_engine(engine, as_role, settings) -> None:
    settings.HOTLINE_DIAL_ALLOW = ("international",)
    agent = as_role("agent")
    assert agent.post("/api/engine/agent/login", {"seat": "A-01"}).status_code == 200
    passed = agent.post("/api/engine/agent/dial", {"number": "+44 20 7946 0000"})
    # The web side let it through: the engine (no gateway in this test) is the one that refuses.
    assert (passed.status_code, passed.json()["code"]) == (409, "no_gateway")
