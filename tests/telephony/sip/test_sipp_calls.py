"""Real SIP calls over 127.0.0.1 with SIPp: trunk calls in (answer, 403, 503, hold, CANCEL) and dialled calls out.

Never skipped: a missing `sipp` fails. SIPp's own `-timeout` bounds each run; nothing measures wall-clock time.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.telephony.sip.calls import CallManager, InboundCall, OutboundCall
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.transport import Listeners
from hotline.telephony.sip.trunks import Admission, Trunk, TrunkList, always_admit

from .conftest import Engine
from .test_sipp import SCENARIOS, free_port, sipp


class AnsweringApp:
    """Rings and answers every call (or only rings, for the CANCEL test); remembers how calls ended."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.ended: list[str] = []
        self.directions: list[str] = []
        self.offered = 0

    async def on_call(self, call: InboundCall) -> None:
        self.offered += 1
        call.on_ended = self.ended.append
        call.on_media = lambda media: self.directions.append(media.direction)
        call.ring()
        if self.answer:
            call.answer("127.0.0.1", 30000)


class CallEngine(Engine):
    """The engine of conftest with a `CallManager` on top: trunk 127.0.0.1, a test application."""

    def __init__(self, app: AnsweringApp, admit: Admission = always_admit) -> None:
        self.app = app
        self.admit = admit
        super().__init__()

    async def _start(self) -> tuple[SipCore, Listeners]:
        core, listeners = await super()._start()
        trunks = TrunkList([Trunk.of("test carrier", ["127.0.0.1"])])
        self.manager = CallManager(
            core, self.app, listeners.udp_address, listeners.udp_channel, trunks=trunks, admit=self.admit
        )
        return core, listeners


def started(app: AnsweringApp, admit: Admission = always_admit) -> Iterator[CallEngine]:
    engine = CallEngine(app, admit)
    yield engine
    engine.close()


@pytest.fixture
def answering() -> Iterator[CallEngine]:
    yield from started(AnsweringApp())


def ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_sipp_call_is_answered_with_sdp_and_ended_by_bye(answering: CallEngine, tmp_path: Path, transport: str) -> None:
    ok(sipp(answering, "uac_call.xml", tmp_path, "-s", "4008001000", transport=transport))
    assert answering.call(lambda: (answering.app.ended, answering.manager.active)) == (["remote bye"], 0)


def test_sipp_from_an_address_off_the_allow_list_gets_403(answering: CallEngine, tmp_path: Path) -> None:
    result = sipp_from(answering, "uac_forbidden.xml", tmp_path, "127.0.0.2")
    ok(result)
    assert answering.call(lambda: (answering.app.offered, answering.manager.active)) == (0, 0)


def sipp_from(engine: Engine, scenario: str, tmp_path: Path, address: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("sipp") or "/usr/bin/sipp"
    host, port = engine.listeners.udp_address
    command = [
        binary, f"{host}:{port}", "-sf", str(SCENARIOS / scenario), "-m", "1", "-i", address, "-p", str(free_port()),
        "-s", "4008001000", "-t", "u1", "-nostdin", "-timeout", "15s", "-timeout_error",
    ]  # fmt: skip
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def overloaded() -> Iterator[CallEngine]:
    yield from started(AnsweringApp(), admit=lambda request: False)


@pytest.fixture
def ringing_only() -> Iterator[CallEngine]:
    yield from started(AnsweringApp(answer=False))


def test_sipp_call_refused_by_the_overload_guard_gets_503_with_retry_after(
    overloaded: CallEngine, tmp_path: Path
) -> None:
    ok(sipp(overloaded, "uac_overload.xml", tmp_path, "-s", "4008001000"))
    assert overloaded.call(lambda: (overloaded.app.offered, overloaded.manager.active)) == (0, 0)


def test_sipp_hold_and_resume_by_reinvite(answering: CallEngine, tmp_path: Path) -> None:
    ok(sipp(answering, "uac_hold.xml", tmp_path, "-s", "4008001000"))
    app = answering.app
    assert answering.call(lambda: (app.directions, app.ended)) == (["sendrecv", "recvonly", "sendrecv"], ["remote bye"])


def test_sipp_cancel_before_answer_gets_487(ringing_only: CallEngine, tmp_path: Path) -> None:
    ok(sipp(ringing_only, "uac_cancel.xml", tmp_path, "-s", "4008001000"))
    assert ringing_only.call(lambda: (ringing_only.app.ended, ringing_only.manager.active)) == (["cancelled"], 0)


# --- the engine dials -------------------------------------------------------------------------------------


def sipp_uas(scenario: str, tmp_path: Path, port: int) -> subprocess.Popen[str]:
    binary = shutil.which("sipp") or "/usr/bin/sipp"
    command = [
        binary, "-sf", str(SCENARIOS / scenario), "-m", "1", "-i", "127.0.0.1", "-p", str(port), "-t", "u1",
        "-nostdin", "-timeout", "15s", "-timeout_error",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def dial(engine: CallEngine, port: int) -> OutboundCall:
    return engine.call(lambda: engine.manager.dial(f"sip:agent@127.0.0.1:{port}", ("127.0.0.1", 31000)))


def wait_answer(engine: CallEngine, call: OutboundCall) -> int:
    return asyncio.run_coroutine_threadsafe(call.wait_answer(), engine.loop).result(20)


def finished(process: subprocess.Popen[str]) -> None:
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]


def test_engine_dials_a_sipp_phone_that_answers_acks_and_hangs_up(answering: CallEngine, tmp_path: Path) -> None:
    port = free_port()
    phone = sipp_uas("uas_answer.xml", tmp_path, port)  # INVITE retransmissions cover SIPp's start-up
    call = dial(answering, port)
    assert wait_answer(answering, call) == 200
    media = answering.call(lambda: call.media)
    assert media is not None and (media.codec.name, media.telephone_event) == ("PCMU", 101)
    answering.call(call.hangup)
    finished(phone)
    assert answering.call(lambda: (call.end_reason, answering.manager.active)) == ("local bye", 0)


def test_engine_dials_a_busy_sipp_phone_and_acks_the_486(answering: CallEngine, tmp_path: Path) -> None:
    port = free_port()
    phone = sipp_uas("uas_busy.xml", tmp_path, port)
    call = dial(answering, port)
    assert wait_answer(answering, call) == 486
    finished(phone)  # SIPp exits 0 only after receiving the ACK
