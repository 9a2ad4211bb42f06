"""SIPp phones against the engine: a registering agent phone that answers and echoes RTP; a trunk caller."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

from hotline.telephony.engine import Engine, SeatConfig
from hotline.telephony.events import Answer, CallStep
from hotline.telephony.ports import Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, events_of, run, running
from .phones import Phone, until

SCENARIOS = Path(__file__).parent / "scenarios"
AOR = "sip:8001@127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def sipp(engine: Engine, scenario: str, tmp_path: Path, *options: str) -> asyncio.subprocess.Process:
    host, port = engine.sip_address
    return await asyncio.create_subprocess_exec(
        shutil.which("sipp") or "/usr/bin/sipp", f"{host}:{port}", "-sf", str(SCENARIOS / scenario), "-m", "1",
        "-i", "127.0.0.1", "-t", "u1", "-nostdin", "-timeout", "30s", "-timeout_error", *options,
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def succeeded(process: asyncio.subprocess.Process) -> None:
    stdout, stderr = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, (stdout[-2000:] + stderr[-2000:]).decode(errors="replace")


def test_a_registered_sipp_agent_phone_is_rung_answers_and_rtp_flows_both_ways(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await Phone("13800138000", CALLER_MARK).start()
        seats = (SeatConfig("agent-1", "seat-1", username="8001", password="s3cret", aor=AOR, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
                agent_port, media_port = free_port(), free_port()
                phone = await sipp(engine, "agent_answer.xml", tmp_path, "-p", str(agent_port), "-mp", str(media_port),
                                   "-rtp_echo")
                credentials = ("-s", "8001", "-au", "8001", "-ap", "s3cret", "-key", "agent_port", str(agent_port))
                await succeeded(await sipp(engine, "agent_register.xml", tmp_path, *credentials))
                assert engine.registrar.contact_for(AOR) == f"sip:8001@127.0.0.1:{agent_port}"
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Answer)), what="the SIPp agent's answer")
                before = caller.rtp.by_mark[CALLER_MARK]
                await until(lambda: caller.rtp.by_mark[CALLER_MARK] - before >= 100, what="2 s of echoed frames")
                echoed = caller.rtp.by_mark[CALLER_MARK] - before  # caller → engine → SIPp → engine → caller
                call.hangup()
                await succeeded(phone)
                await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up end")
        finally:
            await caller.close()
        assert echoed >= 100
        assert call_log.kinds(call.invite.call_id) == [
            CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP,
            CallStep.WRAPUP_END]
        assert len(call_log.recordings) == 1

    run(scenario)


def test_a_sipp_trunk_caller_streams_rtp_reaches_an_agent_and_hangs_up(tmp_path: Path) -> None:
    (tmp_path / "caller.alaw").write_bytes(bytes((CALLER_MARK,)) * 8000)  # 1 s, looped by SIPp

    async def scenario() -> None:
        agent = await Phone("8001", AGENT_MARK).start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
                caller = await sipp(engine, "caller_rtp.xml", tmp_path, "-s", DNIS, "-mp", str(free_port()))
                await succeeded(caller)
                await until(lambda: CallStep.WRAPUP_END in [e.kind for e in call_log.events], what="wrap-up end")
        finally:
            await agent.close()
        call_id = call_log.events[0].call_id
        assert call_log.kinds(call_id) == [
            CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP,
            CallStep.WRAPUP_END]
        assert agent.rtp.by_mark[CALLER_MARK] >= 50  # about 150 frames in 3 s; SIPp's stream reached the agent
        assert agent.rtp.sent >= 50 and agent.incoming[0].end_reason == "remote bye"

    run(scenario)
