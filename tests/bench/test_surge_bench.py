"""`hotline bench surge`: SIPp's message log is read call by call, the reconciler gives every call exactly one
outcome, the confirmation detector knows the engine's frames of `callback_confirmed`, and a small real run
(real `hotline engine` process, SIPp, SQLite) loses no caller."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hotline.bench.report import markers
from hotline.bench.surge import failures, render_section
from hotline.bench.surge.confirm import ConfirmationDetector, confirmation_frames
from hotline.bench.surge.reconcile import Evidence, Record, classify, count, reconcile
from hotline.bench.surge.sipp import Ramp, mobile_numbers, parse_calls, sipp_command, write_audio_pcap
from hotline.telephony.engine import PROMPTS
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.prompts import read_wav
from hotline.telephony.media.rtp import FRAME_SAMPLES
from hotline.telephony.media.tones import tone_frames

RULE = "-" * 47
MACHINE = {"cpu": "Test CPU", "cores": "2", "ram": "1.0 GiB", "os": "Debian", "python": "3.11.7",
           "django": "5.2", "sqlite": "3.40.1", "date": "2026-11-25", "load": ""}


def message(at: str, direction: str, start_line: str, call_id: str, cseq: str, sender: str = "") -> str:
    """One entry of SIPp's -trace_msg log, as SIPp 3.6 writes it."""
    verb = "UDP message sent (300 bytes):" if direction == "sent" else "UDP message received [300] bytes :"
    source = sender or "<sip:4008005000@127.0.0.1:5060>;tag=e1"
    return (f"{RULE} 2026-11-25 {at}\n{verb}\n\n{start_line}\nVia: SIP/2.0/UDP 127.0.0.1:5061\n"
            f"From: {source}\nCall-ID: {call_id}\nCSeq: {cseq}\nContent-Length: 0\n\n")


CALLER_A = "<sip:13900000001@127.0.0.1:5061>;tag=1SIPpTag001"
CALLER_B = "<sip:13900000002@127.0.0.1:5061>;tag=1SIPpTag002"
CALLER_C = "<sip:13900000003@127.0.0.1:5061>;tag=1SIPpTag003"


def test_the_message_log_gives_each_call_its_number_first_final_answer_and_who_hung_up() -> None:
    # given call 1 answered after a retransmission and hung up by the engine, call 2 refused with 503,
    # and call 3 answered then hung up by the caller
    log = "".join([
        message("10:00:00.100000", "sent", "INVITE sip:4008005000@127.0.0.1 SIP/2.0", "1-9@h", "1 INVITE", CALLER_A),
        message("10:00:00.101000", "received", "SIP/2.0 100 Trying", "1-9@h", "1 INVITE"),
        message("10:00:00.200000", "sent", "INVITE sip:4008005000@127.0.0.1 SIP/2.0", "2-9@h", "1 INVITE", CALLER_B),
        message("10:00:00.203500", "received", "SIP/2.0 503 Service Unavailable", "2-9@h", "1 INVITE"),
        message("10:00:00.204000", "sent", "ACK sip:4008005000@127.0.0.1 SIP/2.0", "2-9@h", "1 ACK", CALLER_B),
        message("10:00:00.600000", "sent", "INVITE sip:4008005000@127.0.0.1 SIP/2.0", "1-9@h", "1 INVITE", CALLER_A),
        message("10:00:00.612250", "received", "SIP/2.0 200 OK", "1-9@h", "1 INVITE"),
        message("10:00:00.700000", "received", "SIP/2.0 200 OK", "1-9@h", "1 INVITE"),
        message("10:00:01.000000", "sent", "INVITE sip:4008005000@127.0.0.1 SIP/2.0", "3-9@h", "1 INVITE", CALLER_C),
        message("10:00:01.010000", "received", "SIP/2.0 200 OK", "3-9@h", "1 INVITE"),
        message("10:00:05.000000", "received", "BYE sip:13900000001@127.0.0.1:5061 SIP/2.0", "1-9@h", "1 BYE"),
        message("10:00:05.000300", "sent", "SIP/2.0 200 OK", "1-9@h", "1 BYE"),
        message("10:00:09.000000", "sent", "BYE sip:4008005000@127.0.0.1 SIP/2.0", "3-9@h", "2 BYE", CALLER_C),
        message("10:00:09.001000", "received", "SIP/2.0 200 OK", "3-9@h", "2 BYE"),
    ])
    # when it is parsed
    calls = parse_calls(log)
    # then
    assert list(calls) == ["1-9@h", "2-9@h", "3-9@h"]
    first, refused, third = calls["1-9@h"], calls["2-9@h"], calls["3-9@h"]
    assert (first.number, first.final_status, first.bye_by) == ("13900000001", 200, "engine")
    assert round((first.setup_seconds or 0) * 1e6) == 512250  # from the first INVITE, not the retransmission
    assert first.invited_at == datetime.datetime(2026, 11, 25, 10, 0, 0, 100000)
    assert (refused.number, refused.final_status, refused.bye_by) == ("13900000002", 503, "")
    assert round((refused.setup_seconds or 0) * 1e6) == 3500
    assert (third.number, third.final_status, third.bye_by) == ("13900000003", 200, "caller")
    assert round((third.setup_seconds or 0) * 1e6) == 10000
    # a line is held from the first INVITE to the BYE, whoever sent it, or to the refusal
    assert [round((call.line_seconds or 0) * 1e6) for call in (first, refused, third)] == [4_900_000, 3500, 8_000_000]


def test_a_call_without_a_final_answer_has_no_setup_time() -> None:
    log = message("10:00:00.100000", "sent", "INVITE sip:4008005000@127.0.0.1 SIP/2.0", "7-1@h", "1 INVITE",
                  CALLER_A)
    call = parse_calls(log)["7-1@h"]
    assert (call.final_status, call.setup_seconds, call.bye_by, call.line_seconds) == (None, None, "", None)


def test_the_ramp_steps_one_call_per_second_up_to_the_peak_then_holds_it() -> None:
    ramp = Ramp(peak=50, ramp=60.0, hold_peak=5.0)
    assert ramp.step_seconds == pytest.approx(60 / 49)
    # 1 + 2 + … + 49 calls/s, each for 60/49 s, then 50 calls/s for 5 s
    assert ramp.calls() == round(sum(range(1, 50)) * 60 / 49 + 250) == 1750
    assert [ramp.rate_at(t) for t in (0.0, 1.2, 1.23, 59.9, 61.0)] == [1.0, 1.0, 2.0, 49.0, 50.0]
    small = Ramp(peak=3, ramp=5.0, hold_peak=5.0)
    assert small.calls() == 22  # 1 × 2.5 s + 2 × 2.5 s + 3 × 5 s = 22.5, rounded to even
    arrivals = small.arrivals()
    assert len(arrivals) == 22
    assert arrivals[:4] == [0.0, 1.0, 2.0, 3.0]  # 1 call/s for the first 2.5 s, then 2 calls/s
    assert arrivals[4] == pytest.approx(3.5)


def test_sipp_is_told_the_ramp_the_numbers_and_the_call_count(tmp_path: Path) -> None:
    command = sipp_command(tmp_path / "s.xml", tmp_path / "callers.csv", ("127.0.0.1", 5080), "4008005000",
                           Ramp(50, 60.0, 5.0), 60.0, (7001, 7002))
    joined = " ".join(command[1:])
    assert "127.0.0.1:5080 -sf" in joined
    assert f"-inf {tmp_path / 'callers.csv'}" in joined
    assert "-r 1 -rate_increase 1 -rate_interval 1224ms -rate_max 50 -no_rate_quit -m 1750" in joined
    assert "-trace_msg" in command


def test_callers_have_distinct_mobile_numbers() -> None:
    numbers = mobile_numbers(2000, seed=3)
    assert len(set(numbers)) == 2000
    assert all(len(number) == 11 and number.startswith("139") for number in numbers)
    assert numbers == mobile_numbers(2000, seed=3)


def test_the_audio_pcap_holds_one_rtp_frame_per_20_ms_of_the_prompt(tmp_path: Path) -> None:
    path = write_audio_pcap(tmp_path / "a.pcap")
    data = path.read_bytes()
    frames = read_wav(PROMPTS / "welcome.wav").frames(Codec.PCMA)
    record = 16 + 14 + 20 + 8 + 12 + FRAME_SAMPLES  # pcap record header, Ethernet, IPv4, UDP, RTP, payload
    assert len(data) == 24 + len(frames) * record
    first_payload = data[24 + 16 + 14 + 20 + 8 + 12: 24 + record]
    assert first_payload == frames[0]


EVIDENCE = Evidence(
    records={"agent-1": Record("answered", True), "cb-1": Record("callback"), "vm-1": Record("voicemail"),
             "bl-1": Record("rejected"), "ab-1": Record("abandoned_in_queue"), "ab-2": Record("abandoned_in_queue"),
             "fail-1": Record("failed"), "open-1": Record(""), "req-1": Record("")},
    callbacks={"ab-2", "cbrow-1"}, callback_requests={"req-1"}, voicemails={"vm-2"})


@pytest.mark.parametrize(("call_id", "status", "expected"), [
    ("agent-1", 200, "agent"),
    ("cb-1", 200, "callback"),  # the record's outcome
    ("cbrow-1", 200, "callback"),  # a callback row captured during the call, record not written yet
    ("req-1", 200, "callback"),  # a CALLBACK_REQUEST step
    ("ab-2", 200, "callback"),  # abandoned in the queue, called back (HOTLINE_ABANDON_CALLBACK_SECONDS=0)
    ("vm-1", 200, "voicemail"),
    ("vm-2", 200, "voicemail"),
    ("bl-1", 403, "blacklist-rejected"),
    ("refused", 503, "refused-503"),
    ("ab-1", 200, "lost"),  # abandoned and nobody will call back
    ("fail-1", 200, "lost"),
    ("open-1", 200, "lost"),  # the engine never closed the call
    ("nothing", 200, "lost"),  # answered, yet no record at all
    ("nothing", None, "lost"),  # no final answer
    ("nothing", 486, "lost"),
])
def test_every_call_gets_one_outcome(call_id: str, status: int | None, expected: str) -> None:
    assert classify(call_id, status, EVIDENCE) == expected


def test_the_outcomes_add_up_to_the_calls() -> None:
    outcomes = reconcile([("agent-1", 200), ("cb-1", 200), ("cbrow-1", 200), ("refused", 503), ("ab-1", 200)],
                         EVIDENCE)
    assert count(outcomes) == {"agent": 1, "callback": 2, "voicemail": 0, "blacklist-rejected": 0,
                               "refused-503": 1, "lost": 1}


def test_the_detector_knows_the_confirmation_as_the_engine_encodes_it() -> None:
    for codec in (Codec.PCMA, Codec.PCMU):
        sent = read_wav(PROMPTS / "callback_confirmed.wav").frames(codec)  # the engine's bytes for the prompt
        detector = ConfirmationDetector(codec.payload_type)
        # hold music, the other prompts, silence and a tone are not the confirmation
        for other in ("please_hold", "welcome", "queue_wait", "voicemail_greeting"):
            assert sum(detector.feed(frame) for frame in read_wav(PROMPTS / f"{other}.wav").frames(codec)) == 0
        assert not detector.feed(bytes((codec.silence,)) * FRAME_SAMPLES)
        assert sum(detector.feed(frame) for frame in tone_frames(440, 1.0, codec)) == 0
        assert not detector.heard
        # every frame the detector looks for is one the engine sends for the confirmation
        assert detector.frames <= set(sent)
        assert len(detector.frames) >= len(sent) // 2
        # one frame heard is enough
        assert detector.feed(next(frame for frame in sent if frame in detector.frames))
        assert detector.heard and detector.matched == 1
    # the other law's frames are not taken for it
    pcma = confirmation_frames(Codec.PCMA.payload_type)
    assert not pcma & set(read_wav(PROMPTS / "callback_confirmed.wav").frames(Codec.PCMU))


def _result(mode: str, lost: int = 0, missing: list[str] | None = None) -> dict[str, object]:
    result: dict[str, object] = {
        "mode": mode, "calls": 10, "lost": lost,
        "outcomes": {"agent": 4, "callback": 6 - lost, "voicemail": 0, "blacklist-rejected": 0,
                     "refused-503": 0, "lost": lost},
        "setup_ms": {"p50": 1.5, "p99": 12.25, "max": 20.0}, "refused_503": 1, "no_final_response": 0,
        "captured_line_ms": {"p50": 2104.0, "p99": 2980.5, "max": 3012.0},
        "callbacks_stored": 6, "callbacks_by_reason": {"surge": 6}, "lost_examples": [],
        "database": "sqlite", "database_version": "3.40.1",
        "options": {"cps": 3, "ramp": 5.0, "hold_peak": 5.0, "agents": 2, "max_wait": 8, "lines": 300,
                    "hold": 10.0, "kill_at": 4.0 if mode == "kill" else None},
    }
    if mode == "kill":
        result["kill"] = {"killed_at": 4.0, "engine_starts": 2, "heard_confirmation": 5,
                          "heard_with_callback_row": 5 - len(missing or []), "missing_callback_row": missing or [],
                          "others": {"agent": 4, "lost": 1}}
    return result


def test_the_section_shows_both_runs_and_keeps_their_figures() -> None:
    section = render_section({"surge-3": _result("surge"), "kill": _result("kill")}, MACHINE)
    assert "| lost | 0 |" in section
    assert "| 0 | 1.50 ms | 12.2 ms | 20.0 ms | 1 | 10.0% | 2.10 s | 2.98 s | 3.01 s | 0 | 6 (surge 6) |" in section
    assert "| 10 | 4.0 s | 5 | 5 | agent 4, lost 1 | 0 |" in section
    assert "**no caller lost.**" in section
    assert "**every caller who heard the confirmation has a callback row.**" in section
    assert "<!-- surge-results " in section


def test_a_lost_caller_or_a_missing_callback_row_fails_the_run() -> None:
    assert failures(_result("surge")) == []
    assert failures(_result("surge", lost=2)) == ["2 callers lost, e.g. []"]
    assert failures(_result("kill")) == []
    assert failures(_result("kill", missing=["c-1"])) == [
        "1 callers heard the confirmation but have no callback row: ['c-1']"]


def test_options_are_checked() -> None:
    with pytest.raises(CommandError, match="--kill-at must fall inside the ramp"):
        call_command("bench", "surge", "--database", "sqlite", "--kill-at", "100", "--no-write",
                     stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="--cps takes 1 to 500"):
        call_command("bench", "surge", "--database", "sqlite", "--cps", "0", "--no-write",
                     stdout=io.StringIO(), stderr=io.StringIO())


def test_a_small_real_surge_loses_no_caller(tmp_path: Path) -> None:
    # given the real engine process on SQLite, 2 agents, and SIPp ramping to 3 calls/s over 5 s (22 calls)
    out, output = io.StringIO(), tmp_path / "benchmarks.md"
    call_command("bench", "surge", "--database", "sqlite", "--sqlite-path", str(tmp_path / "surge.sqlite3"),
                 "--cps", "3", "--ramp", "5", "--agents", "2", "--hold", "10", "--output", str(output), "--json",
                 stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())["surge-3"]  # kept by its peak rate, beside the other rates' runs
    # then every call placed has exactly one outcome, and none is lost
    assert result["calls"] == 22
    assert result["lost"] == 0
    assert sum(result["outcomes"].values()) == 22
    assert result["outcomes"]["agent"] + result["outcomes"]["callback"] == 22  # no 503 (300 lines)
    assert result["sipp"]["created"] == 22 and result["sipp"]["failed"] == 0
    assert result["engine_exit"] == 0
    start, end = markers("surge")
    assert start in output.read_text() and end in output.read_text()


def test_a_caller_keeps_to_its_call_s_rtp_stream_and_counts_another_s_confirmation_apart() -> None:
    from hotline.bench.surge.run import CallerSocket
    from hotline.telephony.media.rtp import packet

    frames = confirmation_frames(Codec.PCMA.payload_type)
    confirmation = next(iter(frames))
    socket = CallerSocket("127.0.0.1", frames)
    own, other = 0x1111, 0x2222
    socket.datagram_received(packet(8, 1, 160, own, confirmation), ("127.0.0.1", 21100))
    socket.datagram_received(packet(8, 2, 320, other, confirmation), ("127.0.0.1", 21100))
    socket.datagram_received(packet(8, 3, 480, other, bytes(160)), ("127.0.0.1", 21100))
    socket.datagram_received(packet(8, 4, 640, own, confirmation), ("127.0.0.1", 21100))
    assert socket.foreign_confirmation == 1  # the other stream's confirmation frame, not its other frame
    assert socket.strays == 2  # both own packets went on to the streams (none open here)


def test_shared_engine_ports_are_found_among_calls_up_at_the_same_time() -> None:
    from hotline.bench.surge.run import PlacedCall, shared_ports

    calls = [PlacedCall("a", "1", 200, 0.1, placed_at=1.0, ended_at=9.0, engine_rtp_port=21100),
             PlacedCall("b", "2", 200, 0.1, placed_at=5.0, ended_at=12.0, engine_rtp_port=21100),
             PlacedCall("c", "3", 200, 0.1, placed_at=13.0, ended_at=20.0, engine_rtp_port=21100),
             PlacedCall("d", "4", 200, 0.1, placed_at=5.0, ended_at=30.0, engine_rtp_port=21102),
             PlacedCall("e", "5", 200, 0.1, placed_at=25.0, ended_at=40.0, engine_rtp_port=21102)]
    assert shared_ports(calls, killed_at=None) == 4  # a and b, d and e
    assert shared_ports(calls, killed_at=24.0) == 2  # d is up until the kill only; e came after it
