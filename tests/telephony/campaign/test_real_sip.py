"""Campaigns and the survey over real SIP on 127.0.0.1: the engine's phones as agents and customers."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.call.phase import CallPhase
from hotline.telephony.config import CampaignConfig
from hotline.telephony.engine import Engine, EngineConfig, SeatConfig
from hotline.telephony.events import AgentState
from hotline.telephony.memory import MemoryCallLog, MemoryCampaignStore, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import CampaignContactDue, Route, RunningCampaign, VoiceNotice
from hotline.telephony.sip.calls import InboundCall
from hotline.telephony.sip.trunks import Trunk
from tests.telephony.engine.helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, run
from tests.telephony.engine.phones import HOST, Phone, until

ALL_DAY = (datetime.time(0), datetime.time(23, 59, 59))
FAST = CampaignConfig(tick_seconds=0.1, refresh_seconds=0.3, ring_seconds=1.0, survey_answer_seconds=10)


class Customers(Phone):
    """Every customer behind the outbound gateway: what each number does on each attempt ("answer",
    "busy", "ring"), answered calls hung up by the customer after a moment."""

    def __init__(self, plans: dict[str, list[str]]) -> None:
        super().__init__("customers", CALLER_MARK)
        self.plans = plans
        self.dialled: list[str] = []
        self.hang_up_after = 0.3  # seconds an answering customer stays on the line

    async def on_call(self, call: InboundCall) -> None:
        number = call.called.partition(":")[2].partition("@")[0]
        attempt = sum(1 for dialled in self.dialled if dialled == number)
        self.dialled.append(number)
        plan = self.plans.get(number, ["answer"])
        what = plan[min(attempt, len(plan) - 1)]
        self.incoming.append(call)
        if what == "busy":
            call.reject(486, "Busy Here")
            return
        call.ring()
        if what == "answer":
            self.rtp.start(call.answer(HOST, self.rtp.port))
            asyncio.get_running_loop().call_later(self.hang_up_after, call.hangup)


@asynccontextmanager
async def engine_with(tmp_path: Path, store: MemoryCampaignStore, agents: list[Phone],
                      customers: Phone | None = None) -> AsyncIterator[Engine]:
    seats = tuple(SeatConfig(f"agent-{n}", f"seat-{n}", fixed_uri=phone.uri, queues=("orders",))
                  for n, phone in enumerate(agents, 1))
    gateway = f"sip:{{number}}@127.0.0.1:{customers.listeners.udp_address[1]}" if customers else ""
    config = EngineConfig(sip_port=0, trunks=(Trunk.of("test carrier", ["127.0.0.1"]),),
                          queues=(QueueConfig("orders"),), seats=seats, recordings=tmp_path,
                          outbound_gateway=gateway, campaigns=FAST)
    engine = Engine(config, MemoryCallLog(), MemoryDirectory({DNIS: Route(DNIS, queue="orders")}), MemoryEventBus(),
                    campaign_store=store)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()


def campaign(numbers: list[str]) -> RunningCampaign:
    return RunningCampaign(campaign_id=1, queue="orders", window_start=ALL_DAY[0], window_end=ALL_DAY[1],
                           retry_interval_seconds=1.0, max_attempts=2,
                           contacts=tuple(CampaignContactDue(n, number) for n, number in enumerate(numbers, 1)))


def finals(store: MemoryCampaignStore) -> dict[int, tuple[str, int]]:
    """The last status and attempts of each contact."""
    return {change.contact_id: (change.status, change.attempts) for change in store.changes}


def test_a_progressive_campaign_dials_20_customers_through_3_agents(tmp_path: Path) -> None:
    numbers = [f"139000000{n:02d}" for n in range(1, 21)]
    plans = {numbers[2]: ["busy", "answer"], numbers[6]: ["busy", "answer"], numbers[4]: ["ring"],
             numbers[10]: ["ring"], numbers[12]: ["busy"]}

    async def scenario() -> None:
        agents = [await Phone(f"80{n:02d}", AGENT_MARK).start() for n in (1, 2, 3)]
        customers = Customers(plans)
        await customers.start()
        store = MemoryCampaignStore(campaigns={1: campaign(numbers)})
        try:
            async with engine_with(tmp_path, store, agents, customers) as engine:
                await until(lambda: len(finals(store)) == 20 and all(
                    status in ("reached", "gave_up") for status, _a in finals(store).values()),
                    timeout=60, what="every contact finished")
                await until(lambda: all(engine.dispatcher.agent(f"agent-{n}").state is AgentState.READY
                                        for n in (1, 2, 3)), what="the agents free")
                await engine.flush_log()
        finally:
            for phone in (*agents, customers):
                await phone.close()
        done = finals(store)
        expected = {n: ("reached", 1) for n in range(1, 21)}
        expected.update({3: ("reached", 2), 7: ("reached", 2), 5: ("gave_up", 2), 11: ("gave_up", 2),
                         13: ("gave_up", 2)})
        assert done == expected
        assert len(customers.dialled) == 25 and sum(len(agent.incoming) for agent in agents) == 25
        assert sorted(set(customers.dialled)) == numbers
        retries = [(c.contact_id, c.result) for c in store.changes if c.kind == "retry_scheduled"]
        assert sorted(retries) == [(3, "busy"), (5, "no_answer"), (7, "busy"), (11, "no_answer"), (13, "busy")]
        gave_up = sorted((c.contact_id, c.result) for c in store.changes if c.kind == "gave_up")
        assert gave_up == [(5, "no_answer"), (11, "no_answer"), (13, "busy")]
        in_flight, most = 0, 0
        for change in store.changes:  # never more dials under way than agents
            in_flight += {"reserved": 1, "reached": -1, "retry_scheduled": -1, "gave_up": -1}.get(change.kind, 0)
            most = max(most, in_flight)
        assert most == 3 and in_flight == 0
        assert {c.agent for c in store.changes if c.kind == "reached"} == {"agent-1", "agent-2", "agent-3"}

    run(scenario)


def test_the_campaign_yields_to_inbound_callers_when_an_airing_starts(tmp_path: Path) -> None:
    numbers = [f"138000000{n:02d}" for n in range(1, 41)]

    async def scenario() -> None:
        agents = [await Phone(f"80{n:02d}", AGENT_MARK).start() for n in (1, 2, 3)]
        customers = Customers({})
        await customers.start()
        callers = [await Phone(f"1370000000{n}", CALLER_MARK).start() for n in (1, 2, 3)]
        store = MemoryCampaignStore(campaigns={1: campaign(numbers)})
        try:
            async with engine_with(tmp_path, store, agents, customers) as engine:
                await until(lambda: len(customers.dialled) >= 3, what="the campaign under way")
                store.airings.append(engine.wall() + datetime.timedelta(seconds=120))  # a spot in two minutes
                await until(lambda: engine.campaigns.airings != [], what="the dialer knows the airing")
                await until(lambda: all(engine.dispatcher.agent(f"agent-{n}").state is AgentState.READY
                                        for n in (1, 2, 3)), what="the calls under way over")
                dialled = len(customers.dialled)
                calls = [await call_in(engine, caller) for caller in callers]
                await until(lambda: all(engine.dispatcher.agent(f"agent-{n}").state is AgentState.ON_CALL
                                        for n in (1, 2, 3)), what="every agent with a live caller")
                await asyncio.sleep(0.5)  # five dialer ticks while the airing comes
                assert len(customers.dialled) == dialled
                for call in calls:
                    call.hangup()
                await until(lambda: all(engine.dispatcher.agent(f"agent-{n}").state is AgentState.READY
                                        for n in (1, 2, 3)), what="the callers gone")
                await asyncio.sleep(0.5)  # still quiet before the airing, agents or not
                assert len(customers.dialled) == dialled
                store.airings.clear()  # the airing moved away: the campaign goes on
                await until(lambda: len(customers.dialled) > dialled, what="the campaign again")
        finally:
            for phone in (*agents, customers, *callers):
                await phone.close()

    run(scenario)


def test_the_caller_presses_4_after_the_agent_hangs_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent, caller = await Phone("8001", AGENT_MARK).start(), await Phone("13800138000", CALLER_MARK).start()
        store = MemoryCampaignStore()
        try:
            async with engine_with(tmp_path, store, [agent]) as engine:
                call = await call_in(engine, caller)
                call_id = call.invite.call_id
                await until(lambda: len(agent.incoming) == 1 and engine.dispatcher.agent("agent-1").state
                            is AgentState.ON_CALL, what="the agent talking")
                store.survey_calls.add(call_id)  # the agent ticked "survey" on the desk
                agent.incoming[0].hangup()
                await until(lambda: call_id in engine.sessions and engine.sessions[call_id].phase
                            is CallPhase.SURVEY, what="the survey")
                caller.rtp.dtmf("4")
                await until(lambda: len(store.answers) == 1, what="the answer")
                await until(lambda: call_id not in engine.sessions, what="the end after thanks")
        finally:
            await agent.close()
            await caller.close()
        (answer,) = store.answers
        assert (answer.call_id, answer.agent, answer.queue, answer.score) == (call_id, "agent-1", "orders", 4)

    run(scenario)


def test_a_voice_notification_plays_the_order_number_after_a_busy_first_attempt(tmp_path: Path) -> None:
    prompts = ("notice_intro", "num_2", "num_0", "num_7", "order_status_intro", "status_shipped", "goodbye")

    async def scenario() -> None:
        customers = Customers({"13900000009": ["busy", "answer"], "13900000008": ["ring"]})
        customers.hang_up_after = 60.0
        await customers.start()
        store = MemoryCampaignStore(notices=[
            VoiceNotice(1, "13900000009", prompts, max_attempts=3, retry_interval_seconds=0.5),
            VoiceNotice(2, "13900000008", ("notice_intro",), max_attempts=2, retry_interval_seconds=0.5)])
        try:
            async with engine_with(tmp_path, store, [], customers) as engine:
                await until(lambda: len(store.notice_results) == 4, timeout=60, what="both notices done")
                assert engine.campaigns.voice.played == [1]
        finally:
            await customers.close()
        results = sorted((r.notice_id, r.status, r.attempts, r.result) for r in store.notice_results)
        assert results == [(1, "played", 2, "answered"), (1, "retry", 1, "busy"), (2, "gave_up", 2, "no_answer"),
                           (2, "retry", 1, "no_answer")]
        assert sorted(customers.dialled) == ["13900000008", "13900000008", "13900000009", "13900000009"]

    run(scenario)
