"""The desk's websocket (`ws/desk/`): who may connect, the hello with the agent's state, screen pops from
offers (once per call, only the agent's own), state changes, call ends, and a reconnect during a call."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from hotline.calls import live
from hotline.calls.host.events import event_payload
from hotline.calls.models import AgentStateEvent, CallEvent, CallRecord, Kind, Seat
from hotline.desk.consumers import DeskConsumer
from hotline.floor.live import close_connections
from hotline.telephony import events as ev
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

SINCE = datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC)
WAIT = 5.0  # seconds a message may take (a pop is read on a thread)


class Socket(ApplicationCommunicator):  # type: ignore[misc]
    """A websocket client for a consumer (channels.testing needs daphne, which the project does not use)."""

    def __init__(self, application: Any, path: str) -> None:
        url, _, query = path.partition("?")
        super().__init__(application, {"type": "websocket", "path": url, "query_string": query.encode(),
                                        "headers": [], "subprotocols": []})

    async def connect(self, timeout: float = 1) -> tuple[bool, Any]:
        """(True, None) once accepted, or (False, close code) when refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, None

    async def receive_json_from(self, timeout: float = 1) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = WAIT) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def as_user(user: Any, consumer: Any) -> Callable[..., Awaitable[None]]:
    """The consumer with `scope["user"]` set, as the auth middleware would after reading the session."""
    app = consumer.as_asgi()

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app({**scope, "user": user}, receive, send)

    return application


@pytest.fixture(autouse=True)
def live_reset(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An empty in-memory layer and no registered loop; the pop threads' connections closed afterwards."""
    monkeypatch.setattr(live, "_web_loop", None)
    async_to_sync(get_channel_layer().flush)()
    yield
    async_to_sync(get_channel_layer().flush)()
    close_connections()  # PostgreSQL cannot drop a test database still in use


async def open_desk(user: Any, path: str = "/ws/desk/?lang=en") -> tuple[Socket, bool, Any]:
    communicator = Socket(as_user(user, DeskConsumer), path)
    connected, code = await communicator.connect(timeout=WAIT)
    return communicator, connected, code


async def to_agent(name: str, event: dict[str, Any], topic: str = "calls") -> None:
    await get_channel_layer().group_send(live.agent_group(name), {"type": "live.event", "topic": topic,
                                                                  "event": event})


async def receive(communicator: Socket) -> dict[str, Any]:
    message: dict[str, Any] = await communicator.receive_json_from(timeout=WAIT)
    return message


def offer(call_id: str = "c-1", agent: str = "t_agent", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"caller": "13800138000", "dnis": "4008001000", "queue": "sales"}
    values.update(fields)
    return event_payload(ev.Offer(call_id=call_id, at=SINCE, mono=1.0, agent=agent, **values))


def state_changed(agent: str = "t_agent", state: ev.AgentState = ev.AgentState.NOT_READY) -> dict[str, Any]:
    return event_payload(ev.AgentStateChanged(agent=agent, at=SINCE, mono=2.0, state=state, seat="A-01",
                                              reason="lunch"))


def seated(user: Any, state: str = "ready", reason: str = "") -> None:
    Seat.objects.create(name="A-01", sip_username="a01", agent=user)
    AgentStateEvent.objects.create(agent_key=user.username, agent=user, state="ready", at=SINCE
                                   - datetime.timedelta(minutes=5), mono=0.5)
    AgentStateEvent.objects.create(agent_key=user.username, agent=user, state=state, seat="A-01", reason=reason,
                                   at=SINCE, mono=1.0)


def strip_ids(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in message.items() if key != "id"} for message in messages]


# ---------------------------------------------------------------- access


def test_an_anonymous_user_is_refused_with_4403() -> None:
    async def scenario() -> tuple[bool, Any]:
        _, connected, code = await open_desk(AnonymousUser())
        return connected, code

    assert asyncio.run(scenario()) == (False, 4403)


@pytest.mark.parametrize("role", ["logistics", "finance", "manager"])
def test_a_user_who_does_not_take_calls_is_refused_with_4403(users: dict[str, Any], role: str) -> None:
    async def scenario() -> tuple[bool, Any]:
        _, connected, code = await open_desk(users[role])
        return connected, code

    assert asyncio.run(scenario()) == (False, 4403)


# ---------------------------------------------------------------- hello


def test_an_agent_gets_hello_with_the_last_recorded_state(agent: Any) -> None:
    seated(agent, state="not_ready", reason="lunch")

    async def scenario() -> list[dict[str, Any]]:
        communicator, connected, _ = await open_desk(agent)
        assert connected
        hello = await receive(communicator)
        assert await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()
        return [hello]

    assert strip_ids(asyncio.run(scenario())) == [{"type": "hello", "state": "not_ready", "reason": "lunch",
                                                   "seat": "A-01", "since": "2026-11-25T03:00:00+00:00",
                                                   "phone_online": True, "wrapup_until": None, "queues": {}}]


def test_an_agent_never_seen_is_logged_out_without_a_seat(agent: Any) -> None:
    async def scenario() -> dict[str, Any]:
        communicator, _, _ = await open_desk(agent)
        hello = await receive(communicator)
        await communicator.disconnect()
        return hello

    assert strip_ids([asyncio.run(scenario())]) == [{"type": "hello", "state": "logged_out", "reason": "",
                                                     "seat": "", "since": None, "phone_online": False,
                                                     "wrapup_until": None, "queues": {}}]


# ---------------------------------------------------------------- pops


def test_an_offer_pops_the_caller_with_the_order_prefilled(agent: Any, world: Any) -> None:
    seated(agent)
    airing = factories.make_airing(world.station, product=world.product)
    address = world.customer.addresses.get()

    async def scenario() -> dict[str, Any]:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        await live.forward("calls", offer("c-1", airing_id=airing.pk))
        pop = await receive(communicator)
        await communicator.disconnect()
        return pop

    pop = asyncio.run(scenario())
    assert (pop["type"], pop["call_id"]) == ("pop", "c-1")
    assert "王小明" in pop["html"] and "13800138000" in pop["html"]
    assert 'data-call-id="c-1"' in pop["html"]
    assert pop["order"] == {
        "call_id": "c-1", "queue": "sales", "hotline_number": "4008001000", "customer_id": world.customer.pk,
        "customer_name": "王小明", "phone": "13800138000", "region": "北京",
        "addresses": [{"id": address.pk, "text": str(address)}], "address_id": address.pk,
        "product": {"id": world.product.pk, "code": world.product.short_code, "name": "颈椎按摩仪",
                    "price": "398.00"},
    }


def test_the_same_offer_twice_pops_once(agent: Any, world: Any) -> None:
    async def scenario() -> list[dict[str, Any]]:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        await to_agent("t_agent", offer("c-1"))
        await to_agent("t_agent", offer("c-1"))
        await to_agent("t_agent", event_payload(ev.Hangup(call_id="c-1", at=SINCE, mono=3.0, agent="t_agent")))
        received = [await receive(communicator), await receive(communicator)]
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return received

    pop, ended = asyncio.run(scenario())
    assert (pop["type"], pop["call_id"]) == ("pop", "c-1")
    assert ended["type"] == "ended"


def test_an_offer_for_another_agent_shows_nothing(agent: Any, world: Any) -> None:
    async def scenario() -> dict[str, Any]:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        await live.forward("calls", offer("c-2", agent="t_supervisor"))  # that agent's group, not this one
        await to_agent("t_agent", offer("c-3", agent="someone_else"))  # in this group, but not about this agent
        assert await communicator.receive_nothing(timeout=0.3)
        await to_agent("t_agent", state_changed())
        following = await receive(communicator)
        await communicator.disconnect()
        return following

    assert asyncio.run(scenario())["type"] == "state"


def test_an_answer_without_an_offer_pops_from_the_call_record_then_says_answered(agent: Any, world: Any) -> None:
    CallRecord.objects.create(call_id="c-t", caller="13800138000", dnis="4008001000", queue="sales",
                              agent_key="t_agent", agent=agent, arrived_at=timezone.now())

    async def scenario() -> list[dict[str, Any]]:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        await to_agent("t_agent", event_payload(ev.Answer(call_id="c-t", at=SINCE, mono=3.0, agent="t_agent")))
        received = [await receive(communicator), await receive(communicator)]
        await communicator.disconnect()
        return received

    pop, answered = asyncio.run(scenario())
    assert (pop["type"], pop["call_id"], pop["order"]["customer_id"]) == ("pop", "c-t", world.customer.pk)
    assert strip_ids([answered]) == [{"type": "answered", "call_id": "c-t"}]


# ---------------------------------------------------------------- state, end, messages


def test_a_state_change_is_sent_exactly(agent: Any) -> None:
    async def scenario() -> dict[str, Any]:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        await live.forward("calls", state_changed())
        message = await receive(communicator)
        await communicator.disconnect()
        return message

    assert strip_ids([asyncio.run(scenario())]) == [{"type": "state", "state": "not_ready", "reason": "lunch",
                                                     "seat": "A-01", "since": "2026-11-25T03:00:00+00:00",
                                                     "phone_online": True, "wrapup_until": None}]


def test_a_hangup_ends_the_call(agent: Any) -> None:
    async def scenario() -> dict[str, Any]:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        await live.forward("calls", event_payload(ev.Hangup(call_id="c-9", at=SINCE, mono=3.0, agent="t_agent")))
        message = await receive(communicator)
        await communicator.disconnect()
        return message

    assert strip_ids([asyncio.run(scenario())]) == [{"type": "ended", "call_id": "c-9"}]


def test_a_message_to_the_agent_is_forwarded(agent: Any) -> None:
    payload = {"id": 4, "kind": "message", "sender": "t_supervisor", "recipient": "t_agent",
               "to_supervisors": False, "body": "请先推荐套餐", "call_id": "", "reply_to": None,
               "at": "2026-11-25T03:00:00+00:00"}

    async def scenario() -> dict[str, Any]:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        await live.forward("service.message", payload)
        message = await receive(communicator)
        await communicator.disconnect()
        return message

    assert strip_ids([asyncio.run(scenario())]) == [{"type": "message", "message": payload}]


def test_a_question_to_the_supervisors_reaches_supervisors_and_the_asker_only(users: dict[str, Any]) -> None:
    bystander = factories.make_user("agent", username="t_agent2")
    payload = {"id": 5, "kind": "question", "sender": "t_agent", "recipient": "", "to_supervisors": True,
               "body": "能否包邮?", "call_id": "c-1", "reply_to": None, "at": "2026-11-25T03:00:00+00:00"}

    async def scenario() -> list[Any]:
        desks = [(await open_desk(user))[0] for user in (users["supervisor"], users["agent"], bystander)]
        for desk in desks:
            await receive(desk)
        await live.forward("service.message", payload)
        received = [await receive(desks[0]), await receive(desks[1]), await desks[2].receive_nothing(timeout=0.3)]
        for desk in desks:
            await desk.disconnect()
        return received

    supervisor, asker, bystander_heard_nothing = asyncio.run(scenario())
    assert strip_ids([supervisor, asker]) == [{"type": "message", "message": payload}] * 2
    assert bystander_heard_nothing is True


def test_a_supervisor_s_own_message_to_the_supervisors_reaches_their_desk_once(users: dict[str, Any]) -> None:
    payload = {"id": 6, "kind": "message", "sender": "t_supervisor", "recipient": "", "to_supervisors": True,
               "body": "十点开会", "call_id": "", "reply_to": None, "at": "2026-11-25T03:00:00+00:00"}

    async def scenario() -> tuple[dict[str, Any], bool]:
        desk, _, _ = await open_desk(users["supervisor"])
        await receive(desk)
        await live.forward("service.message", payload)
        message = await receive(desk)
        nothing_more: bool = await desk.receive_nothing(timeout=0.3)
        await desk.disconnect()
        return message, nothing_more

    message, nothing_more = asyncio.run(scenario())
    assert strip_ids([message]) == [{"type": "message", "message": payload}]
    assert nothing_more is True


def test_a_question_asked_over_http_reaches_the_supervisor_s_desk(users: dict[str, Any]) -> None:
    from hotline.service.actions import do_ask_supervisor

    def ask() -> None:
        try:
            do_ask_supervisor("能否包邮?", actor=users["agent"], call_id="c-1")
        finally:
            connection.close()

    async def scenario() -> dict[str, Any]:
        desk, _, _ = await open_desk(users["supervisor"])
        await receive(desk)
        await asyncio.to_thread(ask)
        message = await receive(desk)
        await desk.disconnect()
        return message

    message = asyncio.run(scenario())
    assert (message["type"], message["message"]["body"], message["message"]["kind"]) == (
        "message", "能否包邮?", "question")


# ---------------------------------------------------------------- reconnect, ids


def test_a_reconnect_during_a_call_says_hello_then_pops_the_call_again(agent: Any, world: Any) -> None:
    seated(agent, state="on_call")
    CallRecord.objects.create(call_id="c-live", caller="13800138000", dnis="4008001000", queue="sales",
                              agent_key="t_agent", agent=agent, arrived_at=timezone.now(),
                              answered_at=timezone.now())
    CallEvent.objects.create(call_id="c-live", seq=3, kind=Kind.ANSWER, at=timezone.now(), mono=3.0,
                             agent_key="t_agent")

    async def scenario() -> list[dict[str, Any]]:
        communicator, _, _ = await open_desk(agent)
        received = [await receive(communicator), await receive(communicator)]
        await communicator.disconnect()
        return received

    hello, pop = asyncio.run(scenario())
    assert strip_ids([hello]) == [{"type": "hello", "state": "on_call", "reason": "", "seat": "A-01",
                                   "since": "2026-11-25T03:00:00+00:00", "phone_online": True,
                                   "wrapup_until": None, "queues": {}}]
    assert (pop["type"], pop["call_id"]) == ("pop", "c-live")
    assert pop["order"]["customer_id"] == world.customer.pk
    assert pop["order"]["hotline_number"] == "4008001000"


def test_a_ready_agent_with_an_old_call_record_gets_no_pop(agent: Any, world: Any) -> None:
    seated(agent, state="ready")
    CallRecord.objects.create(call_id="c-old", caller="13800138000", agent_key="t_agent", agent=agent,
                              arrived_at=timezone.now())

    async def scenario() -> bool:
        communicator, _, _ = await open_desk(agent)
        await receive(communicator)
        nothing: bool = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return nothing

    assert asyncio.run(scenario()) is True


def test_message_ids_increase(agent: Any, world: Any) -> None:
    async def scenario() -> list[dict[str, Any]]:
        communicator, _, _ = await open_desk(agent)
        received = [await receive(communicator)]
        await to_agent("t_agent", offer("c-1"))
        await to_agent("t_agent", state_changed(state=ev.AgentState.ON_CALL))
        await to_agent("t_agent", event_payload(ev.Hangup(call_id="c-1", at=SINCE, mono=3.0, agent="t_agent")))
        received += [await receive(communicator) for _ in range(3)]
        await communicator.disconnect()
        return received

    received = asyncio.run(scenario())
    assert [message["type"] for message in received] == ["hello", "pop", "state", "ended"]
    ids = [message["id"] for message in received]
    assert ids == sorted(set(ids))
