"""GET /healthz: 200 with version, database and engine status, for anyone; 503 without database."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from hotline.calls import health
from hotline.calls.host import embedded
from hotline.calls.host import link as engine_link
from hotline.calls.host.embedded import EmbeddedEngine
from hotline.calls.host.link import serve_commands
from hotline.calls.models import NumberRoute, Queue
from hotline.calls.seats import do_create_seat
from tests import factories, livetest

REDIS_URL = "redis://127.0.0.1:6379/0"
SEAT_PASSWORD = "s3cret-pass"
DNIS = "4008001000"


def test_health_is_ok(db: Any, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "version": "0.1.0",
        "database": {"status": "ok", "vendor": connection.vendor},
        "engine": {"status": "absent"},
    }


def test_health_reports_a_database_that_cannot_be_reached(db: Any, client: Client,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("could not connect to server")

    with monkeypatch.context() as patch:  # undone before the test database is torn down
        patch.setattr(connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "version": "0.1.0",
        "database": {"status": "error", "error": "could not connect to server"},
        "engine": {"status": "absent"},
    }


def test_health_needs_no_login_and_only_reads(db: Any, client: Client) -> None:
    assert client.post("/healthz").status_code == 200


# ---------------------------------------------------------------- the engine's real state


@pytest.fixture
def long_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded test machine may take more than the production second to answer."""
    monkeypatch.setattr(health, "HEALTH_TIMEOUT", 10.0)


@pytest.fixture
def engine(transactional_db: None, users: Any, long_waits: None) -> Iterator[EmbeddedEngine]:
    """An engine in this process with two seats (8001 and 8002), no phone registered."""
    queue = Queue.objects.create(name="orders")
    NumberRoute.objects.create(hotline_number=factories.make_hotline(DNIS), queue=queue)
    do_create_seat("A-01", "8001", SEAT_PASSWORD, actor=users["admin"])
    do_create_seat("A-02", "8002", SEAT_PASSWORD, actor=users["admin"])
    with livetest.engine_running() as running:
        yield running


def test_an_embedded_engine_reports_its_sip_port_its_phones_and_its_calls(engine: EmbeddedEngine) -> None:
    assert engine.engine is not None
    host, port = engine.engine.sip_address
    before = Client().get("/healthz").json()["engine"]
    with livetest.SipLab(engine.engine.sip_address) as lab:
        lab.register_agent("8001", SEAT_PASSWORD)
        registered = Client().get("/healthz").json()["engine"]
        caller = lab.dial("13800138000", DNIS)  # nobody is ready: the caller waits in the queue
        lab.call_id(caller)
        during = wait_for_engine(lambda engine: engine["calls"] == 1)
        lab.hang_up(caller)
        after = wait_for_engine(lambda engine: engine["calls"] == 0)
    assert before == {"status": "ok", "mode": "embedded", "sip": f"{host}:{port}", "options": "ok",
                      "seats": 2, "phones": 2, "phones_registered": 0, "calls": 0}
    assert registered == {**before, "phones_registered": 1}
    assert (during, after) == ({**registered, "calls": 1}, registered)


def wait_for_engine(condition: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
    """/healthz's engine report once `condition` holds (the last one seen if it never does)."""
    deadline = time.monotonic() + timeout
    while True:
        engine = Client().get("/healthz").json()["engine"]
        if condition(engine) or time.monotonic() > deadline:
            return engine
        time.sleep(0.1)


def test_a_separate_engine_answers_through_redis(engine: EmbeddedEngine, settings: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine.engine is not None and engine._loop is not None
    host, port = engine.engine.sip_address
    monkeypatch.setattr(embedded, "_current", None)  # as in a web process: the engine runs elsewhere
    monkeypatch.setattr(engine_link, "COMMAND_LIST", f"hotline:test:{uuid.uuid4().hex}")
    settings.REDIS_URL, settings.HOTLINE_SIP_HOST, settings.HOTLINE_SIP_PORT = REDIS_URL, host, port
    stop = asyncio.Event()
    served = asyncio.run_coroutine_threadsafe(serve_commands(engine.control, REDIS_URL, stop), engine._loop)
    try:
        response = Client().get("/healthz", {"require": "engine"})
    finally:
        engine._loop.call_soon_threadsafe(stop.set)
        served.result(10)
    assert (response.status_code, response.json()["engine"]) == (200, {
        "status": "ok", "mode": "separate", "sip": f"{host}:{port}", "options": "ok",
        "seats": 2, "phones": 2, "phones_registered": 0, "calls": 0})


def test_a_separate_engine_that_is_down_is_reported_down(db: Any, settings: Any, long_waits: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:  # a port where nothing answers
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        settings.REDIS_URL, settings.HOTLINE_SIP_HOST, settings.HOTLINE_SIP_PORT = (
            "redis://127.0.0.1:1/0", "127.0.0.1", port)
        health.HEALTH_TIMEOUT = 0.5
        plain = Client().get("/healthz")
        required = Client().get("/healthz", {"require": "engine"})
    down = {"status": "down", "mode": "separate", "sip": f"127.0.0.1:{port}", "options": "no answer",
            "figures": "no answer"}
    assert (plain.status_code, plain.json()["engine"]) == (200, down)
    assert (required.status_code, required.json()["engine"]) == (503, down)


def test_without_an_engine_require_engine_is_503(db: Any, client: Client) -> None:
    response = client.get("/healthz", {"require": "engine"})
    assert (response.status_code, response.json()["engine"]) == (503, {"status": "absent"})
