"""The engine on the ORM's campaign store over real SIP: a progressive campaign from the database is dialled
and its contacts' attempts stored; a caller's survey answer is stored against the call and the agent."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from hotline.calls.host.campaigns import OrmCampaignStore
from hotline.calls.models import Queue
from hotline.campaigns import actions
from hotline.campaigns.models import Attempt, Campaign, CampaignStatus, Contact, SurveyResult, VoiceCall
from hotline.notify.actions import deliver, queue_notification
from hotline.notify.models import NotificationStatus
from hotline.orders.models import Status
from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.call.phase import CallPhase
from hotline.telephony.config import CampaignConfig
from hotline.telephony.engine import Engine, EngineConfig, SeatConfig
from hotline.telephony.events import AgentState
from hotline.telephony.memory import MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Route
from hotline.telephony.sip.trunks import Trunk
from tests import factories
from tests.campaigns.test_actions import delivered
from tests.logistics.factories import make_order
from tests.telephony.campaign.test_real_sip import Customers
from tests.telephony.engine.helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in
from tests.telephony.engine.phones import Phone, until

pytestmark = pytest.mark.django_db(transaction=True)
FAST = CampaignConfig(tick_seconds=0.1, refresh_seconds=0.3, ring_seconds=1.0, survey_answer_seconds=10)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), 60)
    async_to_sync(bounded)()


async def engine_on_orm(tmp_path: Path, agent: Phone, customers: Phone | None = None) -> Engine:
    gateway = f"sip:{{number}}@127.0.0.1:{customers.listeners.udp_address[1]}" if customers else ""
    config = EngineConfig(sip_port=0, trunks=(Trunk.of("test carrier", ["127.0.0.1"]),),
                          queues=(QueueConfig("orders"),), recordings=tmp_path, outbound_gateway=gateway,
                          seats=(SeatConfig("t_agent", "seat-1", fixed_uri=agent.uri, queues=("orders",)),),
                          campaigns=FAST)
    engine = Engine(config, MemoryCallLog(), MemoryDirectory({DNIS: Route(DNIS, queue="orders")}), MemoryEventBus(),
                    campaign_store=OrmCampaignStore())
    await engine.start()
    return engine


def test_a_progressive_campaign_from_the_database_is_dialled_and_stored(users: dict[str, Any],
                                                                        tmp_path: Path) -> None:
    Queue.objects.create(name="orders")
    for n in (1, 2, 3):
        delivered(factories.make_customer(f"客{n}", f"1390000000{n}"), 7)
    campaign = actions.do_create_campaign(name="回访", source="delivered", mode="progressive", queue="orders",
                                          window_start=datetime.time(0), window_end=datetime.time.max,
                                          max_attempts=1, actor=users["supervisor"])
    actions.do_load_list(campaign, actor=users["supervisor"])
    actions.do_set_campaign_status(campaign, CampaignStatus.RUNNING, actor=users["supervisor"])

    async def scenario() -> None:
        agent = await Phone("8001", AGENT_MARK).start()
        customers = Customers({"13900000002": ["busy"]})
        await customers.start()
        engine = await engine_on_orm(tmp_path, agent, customers)
        try:
            await until(lambda: len(customers.dialled) == 3, what="three customers dialled")
            await until(lambda: engine.dispatcher.agent("t_agent").state is AgentState.READY, what="the agent free")
            await engine.flush_log()
        finally:
            await engine.stop()
            await agent.close()
            await customers.close()

    run(scenario)
    rows = {c.number: (c.status, c.attempts, c.last_result, c.agent.username if c.agent else "")
            for c in Contact.objects.select_related("agent")}
    assert rows == {"13900000001": ("reached", 1, "answered", "t_agent"),
                    "13900000002": ("gave_up", 1, "busy", "t_agent"),
                    "13900000003": ("reached", 1, "answered", "t_agent")}
    assert Attempt.objects.filter(kind="dialled").count() == 3
    assert Campaign.objects.get().contacts.exclude(last_call_id="").count() == 3


def test_the_caller_presses_4_and_the_answer_is_stored_against_the_call_and_the_agent(
        users: dict[str, Any], tmp_path: Path) -> None:
    calls: list[str] = []

    async def scenario() -> None:
        agent, caller = await Phone("8001", AGENT_MARK).start(), await Phone("13800138000", CALLER_MARK).start()
        engine = await engine_on_orm(tmp_path, agent)
        try:
            call = await call_in(engine, caller)
            call_id = call.invite.call_id
            calls.append(call_id)
            await until(lambda: engine.dispatcher.agent("t_agent").state is AgentState.ON_CALL, what="talking")
            await sync_to_async(actions.do_set_survey_consent)(call_id, actor=users["agent"])
            agent.incoming[0].hangup()
            await until(lambda: call_id in engine.sessions and engine.sessions[call_id].phase is CallPhase.SURVEY,
                        what="the survey")
            caller.rtp.dtmf("4")
            await until(lambda: call_id not in engine.sessions, what="the end")
            await engine.flush_log()
        finally:
            await engine.stop()
            await agent.close()
            await caller.close()

    run(scenario)
    (result,) = SurveyResult.objects.select_related("agent")
    assert (result.agent, result.queue, result.score) == (users["agent"], "orders", 4)
    assert result.call_id == calls[0]


def test_a_voice_notification_through_the_notify_backend_is_played_and_stored(users: dict[str, Any],
                                                                               tmp_path: Path,
                                                                               settings: Any) -> None:
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "voice": "hotline.campaigns.voice.EngineVoiceBackend"}
    customer = factories.make_customer("甲", "13900000009", notify_channel="voice")
    order = make_order(customer, number="20260302007", status=Status.SHIPPED)
    notification = queue_notification(customer, "", "您的订单已发货", order=order)
    assert notification is not None
    deliver(notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    call = VoiceCall.objects.get()
    assert call.prompts == ["notice_intro", "num_2", "num_0", "num_2", "num_6", "num_0", "num_3", "num_0", "num_2",
                            "num_0", "num_0", "num_7", "order_status_intro", "status_shipped", "goodbye"]
    VoiceCall.objects.filter(pk=call.pk).update(prompts=["notice_intro", "num_7", "status_shipped"])

    async def scenario() -> None:
        agent = await Phone("8001", AGENT_MARK).start()
        customers = Customers({"13900000009": ["busy", "answer"]})
        customers.hang_up_after = 60.0
        await customers.start()
        engine = await engine_on_orm(tmp_path, agent, customers)
        try:
            await until(lambda: engine.campaigns.voice.played == [call.pk], timeout=45, what="the message played")
            await engine.flush_log()
        finally:
            await engine.stop()
            await agent.close()
            await customers.close()

    VoiceCall.objects.filter(pk=call.pk).update(retry_minutes=0)
    run(scenario)
    call.refresh_from_db()
    assert (call.status, call.attempts, call.last_result) == ("played", 2, "answered") and call.last_call_id
