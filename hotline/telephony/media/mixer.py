"""Supervisor monitoring: the three-party routing (listen / whisper / barge) and the per-tick mixer.

Only a party that hears two others gets a mix; a party that hears one other keeps the zero-decode relay
of the hot path. Each tick (one job on the shared `Ticker`) takes the next 20 ms of audio each party sent
from a small queue, mixes the two sources of every mixed listener through a lookup table (decode both
codes, add, clip, encode in the listener's codec: all precomputed, 65536 entries), and sends the frame
with the listener leg's own SSRC, sequence number and timestamp.
"""

from __future__ import annotations

import sys
from collections import deque
from functools import cache

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.leg import Leg
from hotline.telephony.media.plane import MonitorMode
from hotline.telephony.media.rtp import FRAME_SAMPLES, header_length

# Received packets kept per party: enough to ride out 40 ms of jitter, little enough to add no echo-like
# delay. When a party sends faster than we mix, the oldest packet is dropped.
JITTER_PACKETS = 3

Mix = tuple[Leg, Leg, Leg]  # (listener, first source, second source)


@cache
def mix_table(first: Codec, second: Codec, out: Codec) -> bytes:
    """For each pair of code bytes read as one native 16-bit index: the clipped sum encoded in `out`.

    Indexing by the native read lets `mix_frame` build all 160 indexes with two strided slice assignments
    and one `memoryview.cast`, instead of a Python expression per sample.
    """
    encode = g711.encode_table(out)
    clipped = bytes(encode[max(-0x8000, min(0x7FFF, total)) & 0xFFFF] for total in range(-0x10000, 0x10000))
    high_codec, low_codec = (second, first) if sys.byteorder == "little" else (first, second)
    low_values = g711.decode_table(low_codec)
    table = bytearray(0x10000)
    for high, high_value in enumerate(g711.decode_table(high_codec)):
        base = high_value + 0x10000
        table[high << 8 : (high + 1) << 8] = bytes(clipped[base + low] for low in low_values)
    return bytes(table)


@cache
def silence_frame(codec: Codec) -> bytes:
    return bytes((codec.silence,)) * FRAME_SAMPLES


def mix_frame(first: bytes | None, first_codec: Codec, second: bytes | None, second_codec: Codec, out: Codec) -> bytes:
    """One 20 ms frame in `out` from two frames of 160 codes (None: that source sent nothing: silence)."""
    if first is None:
        return silence_frame(out) if second is None else second.translate(g711.transcode_table(second_codec, out))
    if second is None:
        return first.translate(g711.transcode_table(first_codec, out))
    pair = bytearray(2 * FRAME_SAMPLES)
    pair[0::2] = first
    pair[1::2] = second
    return bytes(map(mix_table(first_codec, second_codec, out).__getitem__, memoryview(pair).cast("H")))


def routes(mode: MonitorMode, supervisor: Leg, caller: Leg, agent: Leg) -> tuple[Mix, ...]:
    """Who hears a mix of whom; everyone not listed hears at most one party, through the relay."""
    mixes: list[Mix] = [(supervisor, caller, agent)]
    if mode is not MonitorMode.LISTEN:
        mixes.append((agent, caller, supervisor))
    if mode is MonitorMode.BARGE:
        mixes.append((caller, agent, supervisor))
    return tuple(mixes)


class Monitor:
    """A supervisor on a bridged call: sets which legs hear a mix, and mixes their frames once per tick.

    The caller↔agent bridge stays as it is. A mixed listener is `silenced` for the relay (its bridged peer's
    audio reaches it through the mix instead), except for DTMF events, which the relay still forwards.
    """

    def __init__(self, supervisor: Leg, caller: Leg, agent: Leg, mode: MonitorMode) -> None:
        self.supervisor = supervisor
        self.caller = caller
        self.agent = agent
        self.mode = mode
        self._mixes: tuple[Mix, ...] = ()
        self._pending = {leg: bytearray() for leg in self.parties}
        self._fresh: set[Leg] = set()  # listeners whose next mixed frame starts a new stream (marker bit)
        for leg in self.parties:
            leg.queue = deque(maxlen=JITTER_PACKETS)
        self.set_mode(mode)

    @property
    def parties(self) -> tuple[Leg, Leg, Leg]:
        return self.supervisor, self.caller, self.agent

    def tables(self) -> set[tuple[Codec, Codec, Codec]]:
        return needed_tables(*self.parties)

    def set_mode(self, mode: MonitorMode) -> None:
        """Switch live: the relay to a leg stops in the same instant as its mix starts (and vice versa)."""
        self.mode = mode
        self._mixes = routes(mode, *self.parties)
        listeners = {mix[0] for mix in self._mixes}
        for leg in self.parties:
            if leg in listeners and not leg.mixed:
                self._fresh.add(leg)
            leg.set_mixed(leg in listeners)

    def end(self) -> None:
        """Give every leg back to the plain relay."""
        for leg in self.parties:
            leg.set_mixed(False)
            leg.queue = None
        self._mixes = ()

    def tick(self) -> None:
        """Take each party's next 20 ms (every tick, so no queue goes stale) and send each listener its mix."""
        frames = {leg: self._next_frame(leg) for leg in self.parties}
        for listener, first, second in self._mixes:
            if listener.playing:  # a prompt to the supervisor (a beep, a notice) has the floor
                continue
            payload = mix_frame(frames[first], first.codec, frames[second], second.codec, listener.codec)
            listener.send_frame(payload, listener in self._fresh)
            self._fresh.discard(listener)

    def _next_frame(self, leg: Leg) -> bytes | None:
        """160 codes from the leg's queue, or None when it has not sent enough (lost, late or silent).

        Payloads go through a byte buffer so that a phone sending 30 ms packets is mixed correctly too.
        """
        queue, pending = leg.queue, self._pending[leg]
        while queue and len(pending) < FRAME_SAMPLES:
            data = queue.popleft()
            pending += memoryview(data)[header_length(data):]
        if len(pending) < FRAME_SAMPLES:
            return None
        frame = bytes(pending[:FRAME_SAMPLES])
        del pending[:FRAME_SAMPLES]
        return frame


def needed_tables(supervisor: Leg, caller: Leg, agent: Leg) -> set[tuple[Codec, Codec, Codec]]:
    """The mix tables that any mode can need with the legs' current codecs (to build them ahead of time)."""
    return {(first.codec, second.codec, listener.codec)
            for mode in MonitorMode
            for listener, first, second in routes(mode, supervisor, caller, agent)}


def build_tables(needed: set[tuple[Codec, Codec, Codec]]) -> None:
    """Build the mix tables ahead of the first tick (blocking: runs in an executor)."""
    for first, second, out in needed:
        mix_table(first, second, out)
