"""The wallboard and the desk learn whether an agent's seat phone can ring (`phone_online`): in the snapshot
and the hello read from the agent log, and in the live agent events; labels and names instead of codes."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from hotline.calls import live
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.host.events import event_payload
from hotline.calls.models import AgentStateEvent, Queue, Seat
from hotline.desk.consumers import DeskConsumer
from hotline.telephony import events as ev
from hotline.wallboard.consumers import WallboardConsumer
from tests.desk.test_consumers import Socket, as_user, live_reset  # noqa: F401  (live_reset: autouse fixture)

from .test_views import client_for, page_config

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 5.0
AT = datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC)
WRAP_END = AT + datetime.timedelta(seconds=60)


def offline_ready(agent: str = "t_agent", at: datetime.datetime = AT) -> ev.AgentStateChanged:
    return ev.AgentStateChanged(agent=agent, at=at, mono=1.0, state=ev.AgentState.READY, seat="A-01",
                                phone_online=False)


async def first_messages(socket: Socket, count: int) -> list[dict[str, Any]]:
    connected, _ = await socket.connect(timeout=WAIT)
    assert connected
    return [await socket.receive_json_from(timeout=WAIT) for _ in range(count)]


def test_the_engine_bridge_keeps_the_phone_state_and_the_wrap_up_end(users: dict[str, Any]) -> None:
    async_to_sync(OrmCallLog().append_agent_state)(offline_ready())
    async_to_sync(OrmCallLog().append_agent_state)(ev.AgentStateChanged(
        agent="t_agent", at=AT, mono=2.0, state=ev.AgentState.WRAP_UP, seat="A-01", wrapup_until=WRAP_END))
    rows = AgentStateEvent.objects.filter(agent_key="t_agent").order_by("id")
    assert list(rows.values_list("state", "phone_online", "wrapup_until")) == [
        ("ready", False, None), ("wrap_up", True, WRAP_END)]


def test_the_wallboard_snapshot_and_live_events_say_the_phone_is_offline(users: dict[str, Any]) -> None:
    users["agent"].first_name = "李娜"
    users["agent"].save()
    async_to_sync(OrmCallLog().append_agent_state)(offline_ready(at=timezone.now()))  # the board shows today's
    online = event_payload(ev.AgentStateChanged(agent="t_agent", at=AT, mono=3.0, state=ev.AgentState.READY,
                                                seat="A-01", phone_online=True))

    async def scenario() -> list[dict[str, Any]]:
        socket = Socket(as_user(users["supervisor"], WallboardConsumer), "/ws/wallboard/")
        snapshot = (await first_messages(socket, 1))[0]
        await live.forward("agents", online)
        received = [snapshot, await socket.receive_json_from(timeout=WAIT)]
        await socket.disconnect()
        return received

    snapshot, event = asyncio.run(scenario())
    assert [(a["agent"], a["name"], a["state"], a["phone_online"]) for a in snapshot["floor"]["agents"]] == [
        ("t_agent", "李娜", "ready", False)]
    assert (event["type"], event["event"]["phone_online"], event["event"]["state"]) == ("agent", True, "ready")


def test_the_desk_hello_and_state_say_the_phone_is_offline_and_when_wrap_up_ends(agent: Any) -> None:
    Queue.objects.create(name="orders", label="订购")
    Queue.objects.create(name="after_sales")
    Seat.objects.create(name="A-01", sip_username="8001", agent=agent)
    async_to_sync(OrmCallLog().append_agent_state)(offline_ready())
    wrapping = event_payload(ev.AgentStateChanged(agent="t_agent", at=AT, mono=2.0, state=ev.AgentState.WRAP_UP,
                                                  seat="A-01", wrapup_until=WRAP_END))

    async def scenario() -> list[dict[str, Any]]:
        socket = Socket(as_user(agent, DeskConsumer), "/ws/desk/")
        hello = (await first_messages(socket, 1))[0]
        await live.forward("agents", wrapping)
        received = [hello, await socket.receive_json_from(timeout=WAIT)]
        await socket.disconnect()
        return received

    hello, state = asyncio.run(scenario())
    assert {key: hello[key] for key in ("type", "state", "seat", "phone_online", "wrapup_until", "queues")} == {
        "type": "hello", "state": "ready", "seat": "A-01", "phone_online": False, "wrapup_until": None,
        "queues": {"orders": "订购", "after_sales": "after_sales"}}
    assert {key: state[key] for key in ("type", "state", "phone_online", "wrapup_until")} == {
        "type": "state", "state": "wrap_up", "phone_online": True, "wrapup_until": "2026-11-25T03:01:00+00:00"}


def test_a_reloaded_desk_in_an_extended_wrap_up_gets_its_end(agent: Any) -> None:
    async_to_sync(OrmCallLog().append_agent_state)(ev.AgentStateChanged(
        agent="t_agent", at=AT, mono=2.0, state=ev.AgentState.WRAP_UP, seat="A-01", wrapup_until=WRAP_END))

    async def scenario() -> dict[str, Any]:
        socket = Socket(as_user(agent, DeskConsumer), "/ws/desk/")
        hello = (await first_messages(socket, 1))[0]
        await socket.disconnect()
        return hello

    hello = asyncio.run(scenario())
    assert (hello["state"], hello["phone_online"], hello["wrapup_until"]) == (
        "wrap_up", True, "2026-11-25T03:01:00+00:00")


def test_the_wallboard_page_offers_set_ready_and_shows_labels_and_names(users: dict[str, Any],
                                                                      english: None) -> None:
    Queue.objects.create(name="orders", label="订购")
    Queue.objects.create(name="after_sales", label="售后")
    users["agent"].first_name = "李娜"
    users["agent"].save()

    response = client_for(users["supervisor"]).get("/wallboard/")

    config = page_config(response.content)
    assert (config["texts"]["ready"], config["texts"]["phone_offline"]) == ("Set ready", "Phone offline")
    assert config["states"]["ready_offline"] == "Ready · phone offline"
    assert config["queues"] == {"orders": "订购", "after_sales": "售后"}
    assert config["names"] == {"t_agent": "李娜", "t_supervisor": "t_supervisor"}
    assert 'value="queue:orders">Queue 订购</option>' in response.content.decode()
