"""The telephony endpoints against a live engine in this process: seat log-in, state, refusals (translated),
a supervisor acting for an agent, and what is audited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls.host.embedded import EmbeddedEngine
from hotline.calls.models import AgentStateEvent, CallRecord, Queue, Seat
from hotline.calls.seats import do_create_seat
from hotline.telephony.engine import Engine
from hotline.telephony.events import AgentState

pytestmark = pytest.mark.django_db(transaction=True)  # the engine's thread reads and writes the database
T = TypeVar("T")


@pytest.fixture
def engine(users: Any) -> Iterator[EmbeddedEngine]:
    Queue.objects.create(name="orders", wrapup_seconds=600)
    for name, user in (("A-01", "8001"), ("A-02", "8002")):
        do_create_seat(name, user, "s3cret-pass", actor=users["admin"])
    running = EmbeddedEngine(sip_port=0)
    running.start()
    yield running
    running.stop()


def agent_state(engine: EmbeddedEngine, agent: str) -> AgentState:
    assert engine.engine is not None
    return engine.engine.dispatcher.agent(agent).state


def test_an_agent_logs_in_at_a_seat_goes_ready_and_a_supervisor_pauses_them(engine, as_role, users) -> None:
    agent, supervisor = as_role("agent"), as_role("supervisor")
    assert agent.post("/api/engine/agent/login", {"seat": "A-01"}).status_code == 200
    assert Seat.objects.get(name="A-01").agent == users["agent"]
    assert agent_state(engine, "t_agent") is AgentState.NOT_READY
    assert agent.post("/api/engine/agent/state", {"state": "ready"}).status_code == 200
    assert agent_state(engine, "t_agent") is AgentState.READY
    paused = supervisor.post("/api/engine/agent/state", {"state": "not_ready", "reason": "coaching",
                                                          "agent": "t_agent"})
    assert paused.status_code == 200 and agent_state(engine, "t_agent") is AgentState.NOT_READY
    audited = AuditEntry.objects.filter(action="set_agent_state").order_by("id")
    assert list(audited.values_list("actor_name", "after")) == [
        ("t_agent", {"ready": True, "reason": ""}), ("t_supervisor", {"ready": False, "reason": "coaching"})]
    assert agent.post("/api/engine/agent/logout", {}).status_code == 200
    assert Seat.objects.get(name="A-01").agent is None and agent_state(engine, "t_agent") is AgentState.LOGGED_OUT


def test_refusals_are_409_with_a_code_in_the_caller_s_language_and_change_nothing(engine, as_role, users) -> None:
    agent = as_role("agent", "zh-hans")
    assert agent.post("/api/engine/agent/login", {"seat": "A-01"}).status_code == 200
    again = agent.post("/api/engine/agent/login", {"seat": "A-02"})
    assert (again.status_code, again.json()) == (
        409, {"detail": "该坐席已登录某个座席位。", "code": "already_logged_in"})
    assert Seat.objects.get(name="A-02").agent is None
    missing = agent.post("/api/engine/agent/login", {"seat": "Z-99"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "座席位“Z-99”不存在。"})
    other = agent.post("/api/engine/agent/state", {"state": "ready", "agent": "t_supervisor"})
    assert other.status_code == 403 and agent_state(engine, "t_agent") is AgentState.NOT_READY
    bad = agent.post("/api/engine/agent/state", {"state": "asleep"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["state"]
    assert AuditEntry.objects.filter(action="set_agent_state").count() == 0


def test_click_to_dial_checks_the_number_and_says_when_no_gateway_is_set_up(engine, as_role) -> None:
    agent = as_role("agent", "zh-hans")
    assert agent.post("/api/engine/agent/login", {"seat": "A-01"}).status_code == 200
    bad = agent.post("/api/engine/agent/dial", {"number": "12"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["number"]
    refused = agent.post("/api/engine/agent/dial", {"number": "139 0013 9000"})
    assert (refused.status_code, refused.json()["code"]) == (409, "no_gateway")
    assert AuditEntry.objects.filter(action="click_to_dial").count() == 0


def test_only_supervisors_monitor_or_pick_up_and_the_engine_s_refusals_are_409s(engine, as_role) -> None:
    CallRecord.objects.create(call_id="gone-1", arrived_at=timezone.now())
    agent, supervisor = as_role("agent"), as_role("supervisor", "zh-hans")
    assert agent.post("/api/engine/calls/gone-1/monitor", {"mode": "listen"}).status_code == 403
    assert agent.post("/api/engine/calls/gone-1/pickup", {}).status_code == 403
    bad = supervisor.post("/api/engine/calls/gone-1/monitor", {"mode": "shout"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["mode"]
    ended = supervisor.post("/api/engine/calls/gone-1/monitor", {"mode": "whisper", "seat": "A-02"})
    assert (ended.status_code, ended.json()) == (409, {"detail": "该通话不在进行中。", "code": "unknown_call"})
    picked = supervisor.post("/api/engine/calls/gone-1/pickup", {})  # a pick-up rings the supervisor's seat
    assert (picked.status_code, picked.json()["code"]) == (409, "not_logged_in")
    unknown = supervisor.post("/api/engine/calls/nothing/monitor", {"mode": "listen"})
    assert (unknown.status_code, unknown.json()["code"]) == (409, "unknown_call")
    idle = supervisor.post("/api/engine/monitor/stop", {})
    assert (idle.status_code, idle.json()["code"]) == (409, "not_connected")
    assert AuditEntry.objects.filter(action__in=["call_whisper", "call_pick_up", "call_stop_monitor"]).count() == 0



def test_an_attended_transfer_is_refused_for_a_call_that_is_not_in_progress(engine, as_role) -> None:
    CallRecord.objects.create(call_id="gone-2", arrived_at=timezone.now(), agent_key="t_agent")
    agent = as_role("agent", "zh-hans")
    missing = agent.post("/api/engine/calls/gone-2/consult", {})
    assert missing.status_code == 422 and list(missing.json()["errors"]) == ["agent"]
    refused = agent.post("/api/engine/calls/gone-2/consult", {"agent": "t_supervisor"})
    assert (refused.status_code, refused.json()["code"]) == (409, "unknown_call")
    for step in ("complete", "cancel"):
        answer = agent.post(f"/api/engine/calls/gone-2/consult/{step}", {})
        assert (answer.status_code, answer.json()["code"]) == (409, "unknown_call")
    assert AuditEntry.objects.filter(action__startswith="call_").count() == 0


# ---------------------------------------------------------------- set ready from the wallboard, wrap-up extension


def on_engine(engine: EmbeddedEngine, work: Callable[[Engine], T]) -> T:
    """Run `work` on the engine's own loop (its state is only touched there) and return its result."""
    async def run() -> T:
        assert engine.engine is not None
        return work(engine.engine)

    assert engine._loop is not None
    return asyncio.run_coroutine_threadsafe(run(), engine._loop).result(10)


def talking(engine: Engine, agent: str, call_id: str = "c-1") -> None:
    """The ACD puts `agent` (not ready) on a call of `orders`, as an attended transfer hands one over."""
    engine.dispatcher.connect(agent, call_id, "orders")


def test_a_supervisor_sets_an_agent_ready_again_and_an_agent_may_not_nor_while_on_a_call(engine, as_role) -> None:
    agent, supervisor = as_role("agent"), as_role("supervisor", "zh-hans")
    assert agent.post("/api/engine/agent/login", {"seat": "A-01"}).status_code == 200
    assert supervisor.post("/api/engine/agent/login", {"seat": "A-02"}).status_code == 200
    # given the agent parked not ready (as after missed calls), when the supervisor sets them ready
    ready = supervisor.post("/api/engine/agent/state", {"state": "ready", "agent": "t_agent"})
    assert (ready.status_code, agent_state(engine, "t_agent")) == (200, AgentState.READY)
    # and the agent stays ready although no phone is registered at the seat: "ready, phone offline"
    assert on_engine(engine, lambda e: (e.dispatcher.agent("t_agent").phone_online, e.phone_online("t_agent"))) == (
        False, False)
    # when an agent tries it for someone else, then 403 and nothing changed
    denied = agent.post("/api/engine/agent/state", {"state": "ready", "agent": "t_supervisor"})
    assert denied.status_code == 403 and agent_state(engine, "t_supervisor") is AgentState.NOT_READY
    # when the agent is on a call, then the supervisor is refused politely and nothing changed
    assert agent.post("/api/engine/agent/state", {"state": "not_ready", "reason": "lunch"}).status_code == 200
    on_engine(engine, lambda e: talking(e, "t_agent"))
    busy = supervisor.post("/api/engine/agent/state", {"state": "ready", "agent": "t_agent"})
    assert (busy.status_code, busy.json()) == (
        409, {"detail": "坐席当前状态下不能执行此操作。", "code": "not_allowed_now"})
    assert agent_state(engine, "t_agent") is AgentState.ON_CALL
    audited = AuditEntry.objects.filter(action="set_agent_state").order_by("id")
    assert list(audited.values_list("actor_name", "after")) == [
        ("t_supervisor", {"ready": True, "reason": ""}), ("t_agent", {"ready": False, "reason": "lunch"})]


def test_an_agent_extends_wrap_up_by_30_seconds_and_the_refusals_change_nothing(engine, as_role) -> None:
    agent = as_role("agent", "zh-hans")
    assert agent.post("/api/engine/agent/login", {"seat": "A-01"}).status_code == 200
    not_yet = agent.post("/api/engine/agent/wrapup/extend", {"seconds": 30})
    assert (not_yet.status_code, not_yet.json()) == (
        409, {"detail": "话后处理已结束，无需延长。", "code": "not_in_wrap_up"})
    on_engine(engine, lambda e: talking(e, "t_agent"))
    on_engine(engine, lambda e: e.apply(e.dispatcher.hang_up("t_agent")))  # the queue's 600 s wrap-up starts
    end = on_engine(engine, lambda e: e.dispatcher.wrap_up_end("t_agent"))
    assert end is not None
    # when the agent asks for 30 s more, then the same answer as the other agent endpoints
    extended = agent.post("/api/engine/agent/wrapup/extend", {"seconds": 30})
    assert (extended.status_code, extended.json()) == (200, {"ok": True})
    assert on_engine(engine, lambda e: e.dispatcher.wrap_up_end("t_agent")) == end + 30
    # and the new end is in the agent log the desk reads on (re)connect
    rows = AgentStateEvent.objects.filter(agent_key="t_agent", state=AgentState.WRAP_UP)
    wait_for(lambda: rows.count() == 2, "the extension in the agent log")
    first, second = (row.wrapup_until for row in rows.order_by("id"))
    assert first is not None and second is not None and round((second - first).total_seconds()) == 30
    # bad numbers are field errors; none reaches the engine
    for bad in (0, 301, "half a minute"):
        answer = agent.post("/api/engine/agent/wrapup/extend", {"seconds": bad})
        assert answer.status_code == 422 and list(answer.json()["errors"]) == ["seconds"]
    assert on_engine(engine, lambda e: e.dispatcher.wrap_up_end("t_agent")) == end + 30
    assert list(AuditEntry.objects.filter(action="extend_wrap_up").values_list("actor_name", "after")) == [
        ("t_agent", {"seconds": 30})]
    # after three extensions, the fourth is refused
    for _ in range(2):
        assert agent.post("/api/engine/agent/wrapup/extend", {"seconds": 10}).status_code == 200
    limit = agent.post("/api/engine/agent/wrapup/extend", {"seconds": 10})
    assert (limit.status_code, limit.json()["code"]) == (409, "wrap_up_limit")
    assert on_engine(engine, lambda e: e.dispatcher.wrap_up_end("t_agent")) == end + 50


def test_only_agents_extend_wrap_up(as_role, anonymous) -> None:
    assert anonymous.post("/api/engine/agent/wrapup/extend", {"seconds": 30}).status_code == 401
    assert as_role("logistics").post("/api/engine/agent/wrapup/extend", {"seconds": 30}).status_code == 403


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
