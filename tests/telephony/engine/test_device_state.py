"""Device state over real SIP: calls ring only agents whose seat phone is registered. An agent logged in
and ready without a phone is never offered a call; the moment its phone registers it takes the caller
waiting; a registration that lapses (short Expires, not refreshed) or is removed takes it out again."""

from __future__ import annotations

from pathlib import Path

from hotline.simulate.phones import AgentPhone, SipEndpoint
from hotline.telephony.engine import Engine, SeatConfig
from hotline.telephony.events import AgentState, Answer, Offer
from hotline.telephony.memory import MemoryCallLog
from hotline.telephony.ports import Route
from hotline.telephony.sip.calls import OutboundCall

from .helpers import CALLER_MARK, DNIS, call_in, events_of, run, running
from .phones import Phone, until

# agent-1 sorts first, so without device state the ACD would offer it every tie: the test would see it.
SEATS = (
    SeatConfig("agent-1", "seat-1", username="8001", password="pass-8001", queues=("orders",)),
    SeatConfig("agent-2", "seat-2", username="8002", password="pass-8002", queues=("orders",)),
)


def offered_to(call_log: MemoryCallLog) -> list[str]:
    return [offer.agent for offer in events_of(call_log, Offer)]


def phone_states(call_log: MemoryCallLog, agent: str) -> list[tuple[AgentState, bool]]:
    return [(e.state, e.phone_online) for e in call_log.agent_states if e.agent == agent]


async def answered_by(engine: Engine, call_log: MemoryCallLog, caller: Phone) -> tuple[OutboundCall, str]:
    """Dial in and wait until an agent answers; the call and that agent."""
    call = await call_in(engine, caller)
    call_id = call.invite.call_id
    await until(lambda: any(a.call_id == call_id for a in events_of(call_log, Answer)), what="the answer")
    return call, next(a.agent for a in events_of(call_log, Answer) if a.call_id == call_id)


async def hung_up(engine: Engine, call: OutboundCall, agent: str) -> None:
    call.hangup()
    await until(lambda: engine.dispatcher.agent(agent).state is AgentState.READY, what=f"{agent} ready again")


def test_only_agents_whose_phone_is_registered_are_offered_calls(tmp_path: Path) -> None:
    async def scenario() -> None:
        endpoint = await SipEndpoint().start()
        caller = await Phone("13800138000", CALLER_MARK).start()
        phone_1 = AgentPhone(endpoint, "8001", "pass-8001", ring=(0.1, 0.1), talk=(60.0, 60.0))
        phone_2 = AgentPhone(endpoint, "8002", "pass-8002", ring=(0.1, 0.1), talk=(60.0, 60.0))
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), SEATS, min_register_expires=1) as (
                    engine, call_log):
                # given both agents logged in ready, and only agent-2's phone registered
                assert await phone_2.register(engine.sip_address) == 200
                await until(lambda: engine.dispatcher.agent("agent-2").phone_online, what="agent-2's phone")
                assert engine.dispatcher.agent("agent-1").state is AgentState.READY
                assert engine.dispatcher.queue_stats("orders").ready == 1
                # when three calls come one after the other, then every one rings agent-2's phone
                for _ in range(3):
                    call, agent = await answered_by(engine, call_log, caller)
                    assert agent == "agent-2"
                    await hung_up(engine, call, agent)
                assert offered_to(call_log) == ["agent-2"] * 3
                assert (len(phone_1.incoming), len(phone_2.incoming)) == (0, 3)

                # when agent-2 talks and a caller waits, then agent-1's phone registering brings it that caller
                talking, _ = await answered_by(engine, call_log, caller)
                waiting = await call_in(engine, caller)
                await until(lambda: engine.dispatcher.waiting("orders") == [waiting.invite.call_id],
                            what="the second caller in line")
                assert await phone_1.register(engine.sip_address, expires=2) == 200
                assert phone_1.registration is not None
                phone_1.registration.cancel_refresh()  # let it lapse
                await until(lambda: len(phone_1.incoming) == 1, what="agent-1's phone ringing")
                assert offered_to(call_log)[-1] == "agent-1"
                await until(lambda: engine.dispatcher.agent("agent-1").state is AgentState.ON_CALL,
                            what="agent-1 talking")
                await hung_up(engine, waiting, "agent-1")
                await hung_up(engine, talking, "agent-2")

                # when agent-1's two-second registration lapses, then agent-1 (idle longer) is passed over
                await until(lambda: not engine.dispatcher.agent("agent-1").phone_online, what="the lapse")
                call, agent = await answered_by(engine, call_log, caller)
                assert agent == "agent-2"
                await hung_up(engine, call, agent)

                # when agent-2's phone unregisters (Expires: 0), then a caller waits for a phone
                assert await phone_2.unregister() == 200
                await until(lambda: not engine.dispatcher.agent("agent-2").phone_online, what="the unregister")
                assert engine.dispatcher.queue_stats("orders").staffed == 0
                lonely = await call_in(engine, caller)
                await until(lambda: engine.dispatcher.waiting("orders") == [lonely.invite.call_id],
                            what="the caller in line")
                lonely.hangup()
                await engine.flush_log()
                assert offered_to(call_log) == ["agent-2"] * 4 + ["agent-1", "agent-2"]
                assert (len(phone_1.incoming), len(phone_2.incoming)) == (1, 5)
                # and each phone change was logged with the agent's state at that moment
                s = AgentState
                assert phone_states(call_log, "agent-1") == [
                    (s.READY, False), (s.READY, True), (s.RINGING, True), (s.ON_CALL, True), (s.READY, True),
                    (s.READY, False)]
                assert phone_states(call_log, "agent-2")[:2] == [(s.READY, False), (s.READY, True)]
                assert phone_states(call_log, "agent-2")[-1] == (s.READY, False)
        finally:
            await caller.close()
            await endpoint.close()

    run(scenario)
