"""Live events to the screens (`hotline.calls.live`): which groups hear an event, agents' group names, and
delivery through the in-memory channel layer from the web loop and from the engine's own thread and loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from hotline.calls import live

EVENT = {"type": "Offer", "call_id": "c1", "agent": "t_agent", "caller": "13800138000"}


@pytest.fixture(autouse=True)
def _fresh_layer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """No web loop registered, and an empty in-memory layer before and after each test."""
    monkeypatch.setattr(live, "_web_loop", None)
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield layer
    async_to_sync(layer.flush)()


# ---------------------------------------------------------------- groups


def test_an_event_without_names_goes_to_the_floor_only() -> None:
    assert live.groups_for("calls", {"type": "QueueStatsChanged", "queue": "sales"}) == ["floor"]


def test_an_event_about_an_agent_goes_to_the_floor_and_the_agent() -> None:
    assert live.groups_for("calls", {"type": "Offer", "agent": "t_agent"}) == ["floor", live.agent_group("t_agent")]


def test_a_transfer_reaches_both_agents() -> None:
    groups = live.groups_for("calls", {"type": "Transfer", "agent": "a1", "to_agent": "a2"})
    assert groups == ["floor", live.agent_group("a1"), live.agent_group("a2")]


def test_a_message_to_the_supervisors_reaches_its_sender_and_the_supervisors() -> None:
    payload = {"id": 1, "sender": "t_agent", "recipient": "", "to_supervisors": True}
    assert live.groups_for("service.message", payload) == ["floor", live.agent_group("t_agent"), "supervisors"]


def test_a_message_to_one_user_reaches_recipient_and_sender_once_each() -> None:
    payload = {"id": 2, "sender": "t_supervisor", "recipient": "t_agent", "to_supervisors": False}
    assert live.groups_for("service.message", payload) == [
        "floor", live.agent_group("t_agent"), live.agent_group("t_supervisor")]


def test_a_name_given_twice_is_one_group() -> None:
    payload = {"agent": "a1", "to_agent": "a1"}
    assert live.groups_for("calls", payload) == ["floor", live.agent_group("a1")]


# ---------------------------------------------------------------- agent group names

ODD_NAMES = ["wang.li@example+1", "王小明", "a b/c:d", "x" * 100, "-" * 100, "用户" * 50]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_an_agent_group_is_a_valid_channels_group_name(name: str) -> None:
    group = live.agent_group(name)
    assert get_channel_layer().require_valid_group_name(group) is True
    assert len(group) < 100


def test_agent_groups_are_stable_and_distinct() -> None:
    names = [*ODD_NAMES, "wang.li@example_1", "wang.li@example-1", "x" * 99 + "y", "x" * 40, "a1", "A1"]
    groups = [live.agent_group(name) for name in names]
    assert len(set(groups)) == len(names)
    assert groups == [live.agent_group(name) for name in names]


# ---------------------------------------------------------------- delivery


async def _receive(layer: Any, channel: str, timeout: float = 10.0) -> dict[str, Any]:  # generous: a loaded machine
    return await asyncio.wait_for(layer.receive(channel), timeout)


def test_forward_on_the_web_loop_delivers_to_the_groups(_fresh_layer: Any) -> None:
    layer = _fresh_layer

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        live.register_web_loop()
        floor, desk = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("floor", floor)
        await layer.group_add(live.agent_group("t_agent"), desk)
        await live.forward("calls", EVENT)
        return await _receive(layer, floor), await _receive(layer, desk)

    expected = {"type": "live.event", "topic": "calls", "event": EVENT}
    assert asyncio.run(scenario()) == (expected, expected)


def test_forward_from_another_loop_hands_over_to_the_web_loop(_fresh_layer: Any) -> None:
    layer = _fresh_layer
    engine_loops: list[asyncio.AbstractEventLoop] = []

    def engine_thread() -> None:
        async def publish() -> None:
            engine_loops.append(asyncio.get_running_loop())
            await live.forward("calls", EVENT)

        asyncio.run(publish())

    async def scenario() -> dict[str, Any]:
        live.register_web_loop()
        desk = await layer.new_channel()
        await layer.group_add(live.agent_group("t_agent"), desk)
        thread = threading.Thread(target=engine_thread)
        thread.start()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
        return await _receive(layer, desk)

    assert asyncio.run(scenario()) == {"type": "live.event", "topic": "calls", "event": EVENT}
    assert len(engine_loops) == 1


def test_forward_from_sync_hands_over_to_the_web_loop(_fresh_layer: Any) -> None:
    layer = _fresh_layer
    payload = {"id": 7, "sender": "t_agent", "recipient": "", "to_supervisors": True}

    async def scenario() -> dict[str, Any]:
        live.register_web_loop()
        supervisors = await layer.new_channel()
        await layer.group_add("supervisors", supervisors)
        thread = threading.Thread(target=live.forward_from_sync, args=("service.message", payload))
        thread.start()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
        return await _receive(layer, supervisors)

    assert asyncio.run(scenario()) == {"type": "live.event", "topic": "service.message", "event": payload}


def test_nothing_raises_and_nothing_is_kept_when_no_web_loop_is_registered(_fresh_layer: Any) -> None:
    asyncio.run(live.forward("calls", EVENT))
    live.forward_from_sync("calls", EVENT)
    assert _fresh_layer.groups == {}
    assert _fresh_layer.channels == {}


def test_nothing_raises_when_the_registered_loop_has_closed(_fresh_layer: Any) -> None:
    async def register() -> None:
        live.register_web_loop()

    asyncio.run(register())  # the loop is closed once run() returns
    asyncio.run(live.forward("calls", EVENT))
    live.forward_from_sync("calls", EVENT)
    assert _fresh_layer.channels == {}
