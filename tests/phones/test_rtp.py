"""RTP ports over the loopback: marked frames tell who sent them, key presses go as RFC 4733 events, stamped
frames are counted per phase, and a shared port tells its streams apart by the far end's address."""

from __future__ import annotations

import asyncio
import collections
import socket

import pytest

from hotline.phones import AGENT_MARK, CALLER_MARK, HOST, RtpPort, Stamps, free_port, marked, until
from hotline.phones.rtp import RtpLine
from hotline.telephony.sip.sdp import Codec, Negotiated


def towards(port: int, payload_type: int = 8) -> Negotiated:
    """What an answer to an offer at `port` on the loopback negotiates."""
    return Negotiated(HOST, port, Codec("PCMA", payload_type), 101, "sendrecv")


def test_two_lines_hear_each_others_marked_frames_until_a_count_is_reached() -> None:
    async def scenario() -> None:
        caller = await RtpLine(HOST, marked(CALLER_MARK), mark=CALLER_MARK).open()
        agent = await RtpLine(HOST, marked(AGENT_MARK), mark=AGENT_MARK).open()
        try:
            caller.start(towards(agent.port))
            agent.start(towards(caller.port))
            await caller.hearing(AGENT_MARK, 10)
            await agent.line.hearing(CALLER_MARK, 10)
        finally:
            caller.stop()
            agent.stop()
        assert set(caller.by_mark) == {AGENT_MARK} and set(agent.by_mark) == {CALLER_MARK}

    asyncio.run(scenario())


def test_a_key_press_is_a_start_packet_then_three_end_packets_of_the_event_type() -> None:
    async def scenario() -> list[bytes]:
        caller = await RtpLine(HOST, marked(CALLER_MARK)).open()
        heard: list[bytes] = []
        listener = await RtpLine(HOST, marked(0), hear=heard.append).open()
        try:
            caller.line.aim(towards(listener.port))
            caller.dtmf("5")
            await until(lambda: len(heard) == 4, 5, "four event packets")
        finally:
            caller.stop()
            listener.stop()
        return heard

    packets = asyncio.run(scenario())
    # payload type 101 (with the marker bit on the first), one time stamp, digit 5, durations 160 then 800 (end)
    assert [data[1] for data in packets] == [0x80 | 101, 101, 101, 101]
    assert len({data[4:8] for data in packets}) == 1
    assert [data[12:] for data in packets] == [bytes((5, 10, 0, 160))] + [bytes((5, 0x80 | 10, 3, 32))] * 3


def test_stamped_frames_are_counted_per_phase_when_they_come_back() -> None:
    async def scenario() -> Stamps:
        meter = Stamps()
        sender = await RtpLine(HOST, meter.payload, hear=meter.received).open()
        echo = await RtpLine(HOST, meter.payload, hear=meter.received).open()
        try:
            sender.line.aim(towards(echo.port))
            for phase, frames in ((0, 3), (1, 5)):
                meter.phase = phase
                for _ in range(frames):
                    sender.line.tick()
            await until(lambda: meter.count(1).received == 5, 5, "the measured frames")
        finally:
            sender.stop()
            echo.stop()
        return meter

    meter = asyncio.run(scenario())
    assert [(meter.count(phase).sent, meter.count(phase).received) for phase in (0, 1)] == [(3, 3), (5, 5)]
    assert len(meter.count(1).delays) == 5 and min(meter.count(1).delays) > 0 and meter.other == 0


def test_a_shared_port_counts_each_far_end_apart_and_strangers_as_strays() -> None:
    async def scenario() -> tuple[collections.Counter[int], collections.Counter[int], int]:
        shared = await RtpPort(HOST).open()
        first = await RtpLine(HOST, marked(0x31)).open()
        second = await RtpLine(HOST, marked(0x32)).open()
        stranger = await RtpLine(HOST, marked(0x33)).open()
        try:
            streams = [shared.stream(towards(line.port), CALLER_MARK, talking=True) for line in (first, second)]
            for line in (first, second, stranger):
                line.start(towards(shared.port))
            await until(lambda: min(stream.heard(mark) for stream, mark in zip(streams, (0x31, 0x32), strict=True)) >= 5
                        and shared.strays >= 5, 10, "both streams and the stranger")
            await first.line.hearing(CALLER_MARK, 5)
        finally:
            for line in (first, second, stranger):
                line.stop()
            shared.close()
        return streams[0].by_mark, streams[1].by_mark, shared.strays

    first, second, strays = asyncio.run(scenario())
    assert set(first) == {0x31} and set(second) == {0x32} and strays >= 5


def test_free_port_is_free_for_udp_and_tcp() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.bind((HOST, port))
        tcp.bind((HOST, port))


def test_until_fails_with_the_failure_asked_for_and_says_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match="timed out waiting for nothing"):
        asyncio.run(until(lambda: False, 0.05, "nothing", failure=AssertionError))
