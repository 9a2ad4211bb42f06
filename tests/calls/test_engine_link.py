"""Commands from the web side to an engine: in-process for `hotline demo`, through Redis to `hotline engine`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from hotline.calls.host import embedded
from hotline.calls.host import link as engine_link
from hotline.calls.host.embedded import EmbeddedEngine
from hotline.calls.host.link import EngineUnavailable, send_command, serve_commands
from hotline.calls.models import Queue
from hotline.calls.seats import do_create_seat
from hotline.telephony.commands import Hold, Login, Logout, Ready
from hotline.telephony.control import ControlError

REDIS_URL = "redis://127.0.0.1:6379/0"
RELOAD_WAIT = 30.0  # seconds for a change to reach the running engine: generous, for a loaded machine
pytestmark = pytest.mark.django_db(transaction=True)  # the engine's thread must see the test's rows


@pytest.fixture
def engine(users: Any) -> Iterator[EmbeddedEngine]:
    Queue.objects.create(name="orders")
    do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    running = EmbeddedEngine(sip_port=0)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_commands_run_in_process_and_refusals_come_back_as_control_errors(engine: EmbeddedEngine) -> None:
    assert embedded.current() is engine
    send_command(Login("t_agent", "A-01", ready=True))
    assert engine.engine is not None and engine.engine.seat_of("t_agent") == "A-01"
    for command, code in [(Login("t_agent", "A-01"), "already_logged_in"), (Hold("nope"), "unknown_call")]:
        with pytest.raises(ControlError) as error:
            send_command(command)
        assert error.value.code == code
    engine.stop()
    assert embedded.current() is None
    with pytest.raises(EngineUnavailable):
        send_command(Logout("t_agent"))


def test_commands_reach_a_separate_engine_through_redis(engine: EmbeddedEngine, settings: Any, users: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "_current", None)  # as in a web process: the engine runs elsewhere
    monkeypatch.setattr(engine_link, "COMMAND_LIST", f"hotline:test:{uuid.uuid4().hex}")
    settings.REDIS_URL = REDIS_URL
    client = redis.Redis.from_url(REDIS_URL)
    stale = {"id": "old", "name": "login", "args": {"agent": "t_agent", "seat": "A-01"}, "sent": time.time() - 60}
    client.rpush(engine_link.COMMAND_LIST, b"{not json", json.dumps(stale))
    stop = asyncio.Event()
    assert engine._loop is not None
    served = asyncio.run_coroutine_threadsafe(serve_commands(engine.control, REDIS_URL, stop), engine._loop)
    try:
        with pytest.raises(ControlError) as error:
            send_command(Logout("t_agent"))  # the stale login before it was dropped, not run
        assert error.value.code == "not_logged_in"
        send_command(Login("t_agent", "A-01"))
        assert engine.engine is not None and engine.engine.seat_of("t_agent") == "A-01"
        do_create_seat("A-02", "8002", "s3cret-pass", actor=users["admin"])  # → a reload through Redis
        deadline = time.monotonic() + RELOAD_WAIT
        while not engine.engine.has_seat("A-02") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert engine.engine.has_seat("A-02")
    finally:
        engine._loop.call_soon_threadsafe(stop.set)
        served.result(5)
    assert client.llen(engine_link.COMMAND_LIST) == 0 and client.exists(engine_link.REPLY_PREFIX + "old") == 0


def test_without_an_engine_or_redis_a_command_is_unavailable(settings: Any) -> None:
    settings.REDIS_URL = ""
    with pytest.raises(EngineUnavailable):
        send_command(Ready("t_agent"))
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with pytest.raises(EngineUnavailable):
        send_command(Ready("t_agent"))


def test_a_running_engine_takes_new_seats_and_ivr_flows_without_a_restart(engine: EmbeddedEngine, users: Any) -> None:
    from hotline.ivrdata.actions import do_import_flow_yaml
    from tests.ivrdata.helpers import SALES_YAML

    running = engine.engine
    assert running is not None and not running.has_seat("A-02")
    do_create_seat("A-02", "8002", "s3cret-pass", actor=users["admin"])
    do_import_flow_yaml("sales", SALES_YAML, actor=users["admin"])
    deadline = time.monotonic() + RELOAD_WAIT
    while not (running.has_seat("A-02") and "sales" in running.config.flows) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.has_seat("A-02") and running.config.flows["sales"].start == "hello"
    send_command(Login("t_agent", "A-02"))
    assert running.seat_of("t_agent") == "A-02"


def test_a_command_that_breaks_in_the_engine_gets_an_internal_error_reply_and_the_next_one_runs() -> None:
    """And a malformed one a `bad_request` reply, before anything runs."""
    import redis.asyncio as aioredis

    from hotline.calls.host.link import REPLY_PREFIX, _serve_one

    class Broken:
        async def hold(self, call_id: str) -> None:
            raise RuntimeError("media plane exploded")

        async def resume(self, call_id: str) -> None:
            return None

    async def scenario() -> list[dict[str, Any]]:
        client = aioredis.Redis.from_url(REDIS_URL)
        replies = []
        try:
            for name, args in (("hold", {"call_id": "c"}), ("resume", {"call_id": "c"}), ("teleport", {}),
                               ("resume", {}), ("resume", {"call_id": 7}), ("hold", {"call_id": "c", "x": "y"})):
                command_id = uuid.uuid4().hex
                raw = json.dumps({"id": command_id, "name": name, "args": args, "sent": time.time()})
                await _serve_one(Broken(), client, raw)  # type: ignore[arg-type]
                replies.append(json.loads((await client.lpop(REPLY_PREFIX + command_id)) or b"{}"))
        finally:
            await client.aclose()
        return replies

    broken, fine, *malformed = asyncio.run(scenario())
    assert (broken["ok"], broken["code"]) == (False, "internal") and "media plane exploded" in broken["message"]
    assert fine == {"ok": True, "result": None}
    assert [(reply["ok"], reply["code"]) for reply in malformed] == [(False, "bad_request")] * 4


def test_a_queue_membership_written_in_the_back_office_reaches_the_running_engine(engine: EmbeddedEngine,
                                                                                 users: Any) -> None:
    from hotline.accounts.actions import do_save_object
    from hotline.calls.models import QueueMember, Seat

    running = engine.engine
    assert running is not None
    Seat.objects.filter(name="A-01").update(agent=users["agent"])  # no event: the engine does not hear of it
    # when the agent is made a member of "orders" at level 3 through the audited save
    do_save_object(QueueMember(agent=users["agent"], queue=Queue.objects.get(name="orders"), level=3),
                   actor=users["admin"])

    def levels() -> tuple[tuple[str, int], ...]:
        return next(seat.levels for seat in running.config.seats if seat.seat == "A-01")

    # then the engine re-reads its seats: A-01 serves "orders" at level 3 for the next log-in
    deadline = time.monotonic() + RELOAD_WAIT
    while levels() != (("orders", 3),) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert levels() == (("orders", 3),)


def test_a_running_engine_takes_edited_queue_settings_without_a_restart(engine: EmbeddedEngine, users: Any) -> None:
    from hotline.accounts.actions import do_save_object

    running = engine.engine
    assert running is not None
    # given the back office's audited save (what the queue admin calls), when a queue is edited
    orders = Queue.objects.get(name="orders")
    orders.wrapup_seconds, orders.max_wait_seconds = 45, 90
    do_save_object(orders, actor=users["admin"])

    def settings_now() -> tuple[float, float | None] | None:
        found = running.queue_config("orders")
        return None if found is None else (found.wrap_up_seconds, found.max_wait_seconds)

    # then the engine routes with the new settings
    deadline = time.monotonic() + 30
    while settings_now() != (45.0, 90.0) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert settings_now() == (45.0, 90.0)


def test_a_running_engine_opens_a_queue_added_in_the_back_office(engine: EmbeddedEngine, users: Any) -> None:
    from hotline.accounts.actions import do_save_object

    running = engine.engine
    assert running is not None and running.queue_config("after_sales") is None
    # when a queue is added (seat A-01 has nobody at it, so it lists every queue, the new one too)
    do_save_object(Queue(name="after_sales"), actor=users["admin"])
    # then the engine knows the new queue, and the seat serves it
    deadline = time.monotonic() + 30
    while running.queue_config("after_sales") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.queue_config("after_sales") is not None
    assert next(seat.queues for seat in running.config.seats if seat.seat == "A-01") == ("after_sales", "orders")
