"""The wallboard's websocket (`ws/wallboard/`): who may watch, the snapshot on connect, queue/line/agent
changes forwarded as they come, and one fresh snapshot (not one per event) after calls moved."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from hotline.calls import live
from hotline.calls.host.events import event_payload
from hotline.calls.models import Callback, CallbackReason, CallRecord, Queue
from hotline.telephony import events as ev
from hotline.wallboard import consumers
from hotline.wallboard.calls import live_calls
from hotline.wallboard.consumers import REFRESH_SECONDS, WallboardConsumer
from hotline.wallboard.stats import floor_snapshot
from tests.desk.test_consumers import Socket, as_user, live_reset  # noqa: F401  (live_reset: autouse fixture)

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 5.0
AT = datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def no_steady_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The periodic re-read an hour away: every snapshot after the first is one an event brought, and a quiet
    spell stays quiet however slow the machine (the test of the periodic read sets its own period)."""
    monkeypatch.setattr(consumers, "STEADY_SECONDS", 3600.0)


async def open_wallboard(user: Any) -> tuple[Socket, bool, Any]:
    socket = Socket(as_user(user, WallboardConsumer), "/ws/wallboard/")
    connected, code = await socket.connect(timeout=WAIT)
    return socket, connected, code


def waiting_call(call_id: str, minutes_ago: int = 1) -> CallRecord:
    arrived = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return CallRecord.objects.create(call_id=call_id, caller="13800138000", dnis="4008001000", queue="sales",
                                     arrived_at=arrived, enqueued_at=arrived + datetime.timedelta(seconds=5))


def in_a_thread(work: Callable[[], Any]) -> None:
    """Database work off the event loop, on a thread that then closes its connection."""
    try:
        work()
    finally:
        connection.close()


def enqueue(call_id: str) -> dict[str, Any]:
    return event_payload(ev.Enqueue(call_id=call_id, at=AT, mono=1.0, queue="sales", position=1))


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("role", ["agent", "logistics"])
def test_users_who_may_not_watch_the_floor_are_refused_with_4403(users: dict[str, Any], role: str) -> None:
    async def scenario() -> tuple[bool, Any]:
        _, connected, code = await open_wallboard(users[role])
        return connected, code

    assert asyncio.run(scenario()) == (False, 4403)


def test_an_anonymous_user_is_refused_with_4403() -> None:
    async def scenario() -> tuple[bool, Any]:
        _, connected, code = await open_wallboard(AnonymousUser())
        return connected, code

    assert asyncio.run(scenario()) == (False, 4403)


# ---------------------------------------------------------------- snapshot


def test_a_supervisor_first_gets_the_floor_and_the_calls_in_progress(users: dict[str, Any]) -> None:
    Queue.objects.create(name="sales")
    enqueued = waiting_call("c-1").enqueued_at
    assert enqueued is not None
    now = timezone.now()
    Callback.objects.create(number="13912345678", reason=CallbackReason.SURGE, arrived_at=now, captured_at=now,
                            updated_at=now)

    async def scenario() -> dict[str, Any]:
        socket, connected, _ = await open_wallboard(users["supervisor"])
        assert connected
        first: dict[str, Any] = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return first

    first = asyncio.run(scenario())
    expected = floor_snapshot()
    assert (first["id"], first["type"]) == (1, "snapshot")
    assert set(first["floor"]) == set(expected)
    assert first["floor"]["queues"] == expected["queues"]
    assert first["floor"]["queues"][0]["waiting"] == 1
    assert first["floor"]["callbacks"] == expected["callbacks"]
    assert first["floor"]["lines"]["in_use"] == 1
    assert first["calls"] == live_calls() == [
        {"call_id": "c-1", "caller": "13800138000", "queue": "sales", "agent": "", "direction": "inbound",
         "phase": "waiting", "since": enqueued.isoformat()}]


def test_a_manager_may_watch_too(users: dict[str, Any]) -> None:
    async def scenario() -> str:
        socket, _, _ = await open_wallboard(users["manager"])
        first = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return str(first["type"])

    assert asyncio.run(scenario()) == "snapshot"


# ---------------------------------------------------------------- live changes


def test_queue_line_and_agent_changes_are_forwarded_as_they_come(users: dict[str, Any]) -> None:
    queue = event_payload(ev.QueueStatsChanged(queue="sales", at=AT, mono=1.0, waiting=3, longest_wait_seconds=12.5,
                                               agents_ready=1, agents_busy=4))
    lines = event_payload(ev.LinesChanged(at=AT, mono=1.0, in_use=7, lines=30, refused=2))
    agent = event_payload(ev.AgentStateChanged(agent="t_agent", at=AT, mono=1.0, state=ev.AgentState.READY,
                                               seat="A-01"))

    async def scenario() -> list[dict[str, Any]]:
        socket, _, _ = await open_wallboard(users["supervisor"])
        await socket.receive_json_from(timeout=WAIT)
        for event in (queue, lines, agent):
            await live.forward("calls", event)
        received = [await socket.receive_json_from(timeout=WAIT) for _ in range(3)]
        assert await socket.receive_nothing(timeout=REFRESH_SECONDS + 0.3)  # no snapshot for these
        await socket.disconnect()
        return received

    assert asyncio.run(scenario()) == [{"id": 2, "type": "queue_live", "event": queue},
                                       {"id": 3, "type": "lines", "event": lines},
                                       {"id": 4, "type": "agent", "event": agent}]


def test_a_call_event_brings_a_fresh_snapshot_after_a_short_debounce(users: dict[str, Any]) -> None:
    waiting_call("c-1", minutes_ago=2)

    async def scenario() -> tuple[dict[str, Any], float]:
        socket, _, _ = await open_wallboard(users["supervisor"])
        await socket.receive_json_from(timeout=WAIT)
        await asyncio.to_thread(in_a_thread, lambda: waiting_call("c-2"))  # the call log wrote the new call
        started = asyncio.get_running_loop().time()
        await live.forward("calls", enqueue("c-2"))
        snapshot: dict[str, Any] = await socket.receive_json_from(timeout=WAIT)
        elapsed = asyncio.get_running_loop().time() - started
        await socket.disconnect()
        return snapshot, elapsed

    snapshot, elapsed = asyncio.run(scenario())
    assert (snapshot["id"], snapshot["type"]) == (2, "snapshot")
    assert [call["call_id"] for call in snapshot["calls"]] == ["c-1", "c-2"]
    assert snapshot["floor"]["lines"]["in_use"] == 2
    assert elapsed >= REFRESH_SECONDS  # debounced, never sooner; the event brought it (no periodic read here)


def test_a_burst_of_thirty_call_events_brings_one_snapshot(users: dict[str, Any]) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], bool]:
        socket, _, _ = await open_wallboard(users["supervisor"])
        await socket.receive_json_from(timeout=WAIT)
        for n in range(30):
            await live.forward("calls", enqueue(f"c-{n}"))
        received = [await socket.receive_json_from(timeout=WAIT)]
        nothing_more = await socket.receive_nothing(timeout=REFRESH_SECONDS + 0.5)
        await socket.disconnect()
        return received, nothing_more

    received, nothing_more = asyncio.run(scenario())
    assert [(message["id"], message["type"]) for message in received] == [(2, "snapshot")]
    assert nothing_more is True


def test_a_quiet_floor_is_read_again_every_few_seconds(users: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumers, "STEADY_SECONDS", 0.2)

    async def scenario() -> list[tuple[int, str]]:
        socket, _, _ = await open_wallboard(users["supervisor"])
        received = [await socket.receive_json_from(timeout=WAIT) for _ in range(3)]
        await socket.disconnect()
        return [(message["id"], message["type"]) for message in received]

    assert asyncio.run(scenario()) == [(1, "snapshot"), (2, "snapshot"), (3, "snapshot")]


def test_a_new_order_also_refreshes_the_floor(users: dict[str, Any]) -> None:
    async def scenario() -> dict[str, Any]:
        socket, _, _ = await open_wallboard(users["supervisor"])
        await socket.receive_json_from(timeout=WAIT)
        await live.forward("order.created", {"id": 1, "number": "HL000001"})
        snapshot: dict[str, Any] = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return snapshot

    assert asyncio.run(scenario())["type"] == "snapshot"


def test_a_message_is_forwarded_without_a_snapshot(users: dict[str, Any]) -> None:
    payload = {"id": 1, "kind": "question", "sender": "t_agent", "recipient": "", "to_supervisors": True,
               "body": "能否包邮?", "call_id": "", "reply_to": None, "at": "2026-11-25T03:00:00+00:00"}

    async def scenario() -> tuple[dict[str, Any], bool]:
        socket, _, _ = await open_wallboard(users["supervisor"])
        await socket.receive_json_from(timeout=WAIT)
        await live.forward("service.message", payload)
        message: dict[str, Any] = await socket.receive_json_from(timeout=WAIT)
        nothing: bool = await socket.receive_nothing(timeout=REFRESH_SECONDS + 0.3)
        await socket.disconnect()
        return message, nothing

    assert asyncio.run(scenario()) == ({"id": 2, "type": "message"}, True)  # the board re-reads its questions


def test_a_private_message_does_not_reach_a_manager_s_wallboard(users: dict[str, Any]) -> None:
    payload = {"id": 2, "kind": "message", "sender": "t_supervisor", "recipient": "t_agent", "to_supervisors": False,
               "body": "你这个月的考核没过", "call_id": "", "reply_to": None, "at": "2026-11-25T03:00:00+00:00"}

    async def scenario() -> bool:
        socket, _, _ = await open_wallboard(users["manager"])
        await socket.receive_json_from(timeout=WAIT)
        await live.forward("service.message", payload)
        nothing: bool = await socket.receive_nothing(timeout=REFRESH_SECONDS + 0.3)
        await socket.disconnect()
        return nothing

    assert asyncio.run(scenario()) is True
