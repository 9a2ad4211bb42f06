"""baresip 1.0.0 (Debian), a standards SIP phone, against the engine over 127.0.0.1.

As an agent phone it registers with digest auth, is rung, auto-answers and exchanges audio with a Python
caller through the bridge. As a caller it dials the hotline from the trunk address, passes the demo IVR
with an RFC 4733 "1" and reaches a Python agent phone.

baresip plays a WAV of one constant sample, so each frame it sends carries one known G.711 byte; it dumps
what it decodes to a WAV, so the test counts the samples of the far phone's mark exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from hotline.telephony.engine import SeatConfig
from hotline.telephony.events import Answer, Arrive, CallStep, Hangup, HangupParty, IvrNode
from hotline.telephony.media.g711 import Codec, alaw_to_linear, linear_to_ulaw, transcode_table, ulaw_to_linear
from hotline.telephony.ports import Route

from .baresip import Baresip, baresip
from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, engine_uri, events_of, run, running
from .phones import Phone, until
from .test_call_e2e import assert_logged_and_recorded

AOR = "sip:8001@127.0.0.1"
BARESIP_MARK = 0x5A
SOURCE_SAMPLE = alaw_to_linear(BARESIP_MARK)  # encodes back to exactly BARESIP_MARK in A-law
FRAME = 160
CALLER_ACCOUNT = "<sip:13800138000@127.0.0.1>;regint=0"  # no registration: the trunk is allowed by address


def count(samples: list[int], value: int) -> int:
    return sum(1 for sample in samples if sample == value)


async def waited(phone: Baresip, condition: Callable[[], bool], what: str) -> None:
    """`until`, with baresip's own log (SIP trace included) in the failure message."""
    try:
        await until(condition, what=what)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- baresip.log ---\n{phone.output()}") from None


def test_baresip_registers_with_digest_is_rung_auto_answers_and_rtp_flows_both_ways(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await Phone("13800138000", CALLER_MARK).start()
        seats = (SeatConfig("agent-1", "seat-1", username="8001", password="s3cret", aor=AOR, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
                host, port = engine.sip_address
                account = f"<sip:8001@{host}:{port}>;auth_pass=s3cret;answermode=auto"
                async with baresip(tmp_path / "baresip", account, SOURCE_SAMPLE) as phone:
                    await waited(phone, lambda: engine.registrar.contact_for(AOR) is not None, "the REGISTER")
                    contact = engine.registrar.contact_for(AOR)
                    call = await call_in(engine, caller)
                    await waited(phone, lambda: bool(events_of(call_log, Answer)), "baresip's answer")
                    before = caller.rtp.by_mark[BARESIP_MARK]
                    # 2 s of frames from baresip, however long that takes; the caller sent as long the other way
                    await waited(phone, lambda: caller.rtp.by_mark[BARESIP_MARK] - before >= 100, "2 s of audio")
                    heard = caller.rtp.by_mark[BARESIP_MARK] - before  # baresip → engine → caller
                    call.hangup()
                    await waited(phone, lambda: "CALL_CLOSED" in phone.types(), "baresip to get the BYE")
                    await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up")
                # Leaving the block quits baresip, which unregisters (REGISTER with expires=0, re-authenticated).
                await until(lambda: engine.registrar.contact_for(AOR) is None, what="the unregistration")
        finally:
            await caller.close()
        assert contact is not None and re.fullmatch(rf"sip:8001-0x[0-9a-f]+@127\.0\.0\.1:{phone.ports.sip}", contact)
        assert heard >= 100
        # caller → engine → baresip: what baresip decoded holds the caller's frames (A-law both legs).
        assert count(phone.decoded_samples(), alaw_to_linear(CALLER_MARK)) >= 50 * FRAME
        assert_agent_leg_closed_by_bye(phone)
        assert call_log.kinds(call.invite.call_id) == [
            CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP,
            CallStep.WRAPUP_END]
        (answer,), (hangup,) = events_of(call_log, Answer), events_of(call_log, Hangup)
        assert (answer.agent, hangup.agent, hangup.by) == ("agent-1", "agent-1", HangupParty.CALLER)
        assert len(call_log.recordings) == 1 and call_log.closed == [call.invite.call_id]

    run(scenario)


def assert_agent_leg_closed_by_bye(phone: Baresip) -> None:
    """One incoming call, established then closed by the engine's BYE (baresip reports a BYE as ECONNRESET)."""
    events = phone.call_events()
    assert len({event["id"] for event in events}) == 1
    milestones = [event["type"] for event in events if event["type"] in ("CALL_ESTABLISHED", "CALL_CLOSED")]
    assert milestones == ["CALL_ESTABLISHED", "CALL_CLOSED"]
    assert "CALL_RTPESTAB" in phone.types()
    (closed,) = [event for event in events if event["type"] == "CALL_CLOSED"]
    assert (closed["direction"], closed["peeruri"], closed["param"]) == (
        "incoming", "sip:13800138000@127.0.0.1", "Connection reset by peer")


# baresip offers PCMU first, the engine keeps the offerer's order, and the Python agent answers the engine's
# PCMA offer: both directions go through the engine's transcoding.
AGENT_HEARS = transcode_table(Codec.PCMU, Codec.PCMA)[linear_to_ulaw(SOURCE_SAMPLE)]
BARESIP_HEARS = ulaw_to_linear(transcode_table(Codec.PCMA, Codec.PCMU)[AGENT_MARK])


def test_baresip_calls_in_passes_the_ivr_with_rfc4733_dtmf_and_reaches_the_agent(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent = await Phone("8001", AGENT_MARK).start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with (
                running(tmp_path, Route(DNIS, flow="demo"), seats) as (engine, call_log),
                baresip(tmp_path / "baresip", CALLER_ACCOUNT, SOURCE_SAMPLE) as phone,
            ):
                phone.command("dial", engine_uri(engine))
                await waited(phone, lambda: any(e.node == "main_menu" for e in events_of(call_log, IvrNode)),
                             "the main menu")
                await phone.dtmf("1")
                await waited(phone, lambda: bool(events_of(call_log, Answer)), "the agent's answer")
                before = agent.rtp.by_mark[AGENT_HEARS]
                await waited(phone, lambda: agent.rtp.by_mark[AGENT_HEARS] - before >= 100, "2 s of audio")
                heard = agent.rtp.by_mark[AGENT_HEARS] - before  # baresip → engine → agent
                phone.command("hangup")
                await waited(phone, lambda: "CALL_CLOSED" in phone.types(), "baresip's hang-up")
                await until(lambda: CallStep.WRAPUP_END in [e.kind for e in call_log.events], what="wrap-up")
                await until(lambda: bool(agent.incoming) and agent.incoming[0].end_reason == "remote bye",
                            what="the agent's leg to end")
        finally:
            await agent.close()
        (arrive,) = events_of(call_log, Arrive)
        assert (arrive.caller, arrive.dnis) == ("13800138000", DNIS)
        assert heard >= 100
        assert count(phone.decoded_samples(), BARESIP_HEARS) >= 50 * FRAME  # agent → engine → baresip
        # The exact steps; the nodes welcome → main_menu → orders ("1" was decoded); hang-up by the caller; the
        # recording's length against answer → hang-up; the closed call.
        assert_logged_and_recorded(call_log, arrive.call_id)

    run(scenario)
