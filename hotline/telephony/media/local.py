"""The in-process media plane: one UDP socket per leg on the engine's loop (asyncio or uvloop)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from hotline.telephony.media.leg import LATCH_WAIT, Leg
from hotline.telephony.media.mixer import Monitor, build_tables, needed_tables
from hotline.telephony.media.plane import Endpoint, LegKey, MediaPlaneError, MonitorMode, RecordingMode, Remote
from hotline.telephony.media.players import Player, Ticker
from hotline.telephony.media.prompts import Prompt, PromptCache, read_wav
from hotline.telephony.media.recording import Recorder

log = logging.getLogger(__name__)
RECEIVE_BUFFER = 256 * 1024


class _Discard(asyncio.DatagramProtocol):
    """Reads and drops RTCP: we neither use the reports nor want the kernel queue to fill up."""

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        pass


@dataclass(slots=True)
class _Watch:
    seconds: float
    callback: Callable[[], None]
    count: int
    since: float


class LocalMediaPlane:
    """`MediaPlane` in this process: relay in the datagram callback, one ticker, recordings to WAV.

    The ticker also runs the mixers of monitored calls; unmonitored calls never decode a frame.

    `ports` is the RTP port pool (busy ports are skipped; None: ephemeral ports). `clock` places
    recordings in time and times the legs' latch wait and stream gaps (default `loop.time`; tests pass a
    fake one). `hold_music` is the shared hold source. `first_port` is where the pool's rotation starts
    (default: a random place). `latch_wait`: see `leg.LATCH_WAIT`; `spill_every`: seconds between writes
    of the recordings in progress to their files.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        ports: Iterable[int] | None = None,
        hold_music: Path | None = None,
        clock: Callable[[], float] | None = None,
        watch_interval: float = 0.5,
        first_port: int | None = None,
        latch_wait: float = LATCH_WAIT,
        spill_every: float = 1.0,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self.host = host
        self._ports = list(ports) if ports is not None else None
        self._pool = set(self._ports or ())
        self._rtcp: dict[LegKey, asyncio.BaseTransport] = {}
        # The rotation starts at a random place (tests pin it with `first_port`), so a restarted engine does not
        # hand out at once the ports that the calls it lost may still be streaming to.
        self._next_port = secrets.randbelow(1 << 16) if first_port is None else first_port
        self._hold_music = hold_music
        self._clock = clock or self._loop.time
        self._legs: dict[LegKey, Leg] = {}
        self._prompts = PromptCache()
        self.ticker = Ticker(self._loop, self._player_failed)
        self._recorder = Recorder(self._loop, self._clock, spill_every)
        self._recorded: dict[str, tuple[Leg, ...]] = {}
        self._monitors: dict[Leg, Monitor] = {}  # by each of its three legs
        self._watches: dict[Leg, _Watch] = {}
        self._watch_interval = watch_interval
        self._latch_wait = latch_wait
        self._watch_handle: asyncio.TimerHandle | None = None
        self._writing: set[asyncio.Future[Path]] = set()

    # -- endpoints -------------------------------------------------------------------------------------

    async def allocate(self, leg: LegKey) -> Endpoint:
        if leg in self._legs:
            raise MediaPlaneError(f"leg {leg} already allocated")
        sock, rtcp = self._bind_pair()
        created = Leg(leg, self._clock, self._latch_wait)
        await self._loop.create_datagram_endpoint(lambda: created, sock=sock)
        if rtcp is not None:
            self._rtcp[leg], _ = await self._loop.create_datagram_endpoint(_Discard, sock=rtcp)
        self._legs[leg] = created
        return Endpoint(leg, self.host, sock.getsockname()[1])

    def _bind_pair(self) -> tuple[socket.socket, socket.socket | None]:
        """An RTP socket on an even port and an RTCP sink on the odd port above it.

        Phones send RTCP to the RTP port + 1 (RFC 3550) and we offer no rtcp-mux; without the sink that
        port may be another call's RTP socket, whose first-packet latching would take the stray RTCP for
        its phone's media. With ephemeral ports (tests) the sink is taken when port + 1 happens to be free.
        """
        if self._ports is None:
            rtp = self._bind(0)
            assert rtp is not None
            return rtp, self._bind(rtp.getsockname()[1] + 1)
        for port in self._port_order():
            rtp = self._bind(port)
            if rtp is None:
                continue
            rtcp = self._bind(port + 1)
            if rtcp is not None:
                return rtp, rtcp
            rtp.close()  # another process holds the odd port: skip the pair, never fail the call for it
        raise MediaPlaneError("no free RTP port pair in the pool")

    def _bind(self, port: int) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            return None
        sock.setblocking(False)
        return sock

    def _port_order(self) -> list[int]:
        """The pool's even ports, starting after the last one handed out (so a freed port rests a while)."""
        assert self._ports is not None
        evens = [port for port in self._ports if port % 2 == 0 and port + 1 in self._pool]
        start = self._next_port % max(1, len(evens))
        self._next_port = start + 1
        return evens[start:] + evens[:start]

    async def set_remote(self, leg: LegKey, remote: Remote) -> None:
        found = self._leg(leg)
        found.set_remote(remote)
        self._update_passthrough(found)
        monitor = self._monitors.get(found)
        if monitor is not None:  # a re-INVITE changed a monitored leg's codec: the mixer needs new tables
            await self._loop.run_in_executor(None, build_tables, monitor.tables())

    async def release(self, leg: LegKey) -> None:
        found = self._legs.pop(leg, None)
        if found is None:
            return
        self._unbridge(found)  # ends its monitoring too
        self.ticker.stop(found)
        self._watches.pop(found, None)
        if found.recording_id is not None:
            self._finish_soon(found.recording_id)
        found.close()
        rtcp = self._rtcp.pop(leg, None)
        if rtcp is not None:
            rtcp.close()

    def _leg(self, leg: LegKey) -> Leg:
        found = self._legs.get(leg)
        if found is None:
            raise MediaPlaneError(f"unknown leg {leg}")
        return found

    # -- bridging --------------------------------------------------------------------------------------

    async def bridge(self, first: LegKey, second: LegKey) -> None:
        one, two = self._leg(first), self._leg(second)
        if one is two:
            raise MediaPlaneError(f"cannot bridge leg {first} to itself")
        self._unbridge(one)
        self._unbridge(two)
        one.attach(two)
        two.attach(one)
        self._update_passthrough(one)

    async def unbridge(self, leg: LegKey) -> None:
        self._unbridge(self._leg(leg))

    def _unbridge(self, leg: Leg) -> None:
        """Leave the bridge; a monitored call stops being monitored (its two parties no longer talk)."""
        self._end_monitor_of(leg)
        if leg.peer is not None:
            leg.peer.detach()
            leg.detach()

    @staticmethod
    def _update_passthrough(leg: Leg) -> None:
        peer = leg.peer
        same = peer is None or (peer.codec is leg.codec and peer.event_pt == leg.event_pt)
        leg.passthrough = same
        if peer is not None:
            peer.passthrough = same

    # -- prompts and hold music ------------------------------------------------------------------------

    async def play(self, leg: LegKey, prompt: Path, on_done: Callable[[], None] | None = None) -> None:
        found = self._leg(leg)
        loaded = await self._prompt(prompt)
        self.ticker.start(found, Player(loaded, loaded.frames(found.codec), on_done))

    async def hold(self, leg: LegKey) -> None:
        if self._hold_music is None:
            raise MediaPlaneError("no hold music configured")
        found = self._leg(leg)
        loaded = await self._prompt(self._hold_music)
        self.ticker.start(found, Player(loaded, loaded.frames(found.codec), None, looping=True))

    async def stop_playing(self, leg: LegKey) -> None:
        self.ticker.stop(self._leg(leg))

    async def preload(self, path: Path) -> None:
        """Load and encode a prompt before the first caller needs it."""
        await self._prompt(path)

    async def _prompt(self, path: Path) -> Prompt:
        cached = self._prompts.get(path)
        if cached is None:
            cached = self._prompts.put(path, await self._loop.run_in_executor(None, read_wav, path))
        return cached

    def _player_failed(self, leg: Leg, error: Exception) -> None:
        log.warning("media player for leg %s failed: %r", leg.key, error)

    # -- recording -------------------------------------------------------------------------------------

    async def start_recording(
        self, recording_id: str, caller: LegKey, agent: LegKey, path: Path, mode: RecordingMode
    ) -> None:
        self._start_recording(recording_id, (self._leg(caller), self._leg(agent)), path, mode)

    async def record_leg(self, recording_id: str, leg: LegKey, path: Path) -> None:
        self._start_recording(recording_id, (self._leg(leg),), path, RecordingMode.MONO)

    def _start_recording(self, recording_id: str, legs: tuple[Leg, ...], path: Path, mode: RecordingMode) -> None:
        if recording_id in self._recorder:
            raise MediaPlaneError(f"recording {recording_id} already started")
        for leg in legs:
            if leg.recording_id is not None:
                raise MediaPlaneError(f"leg {leg.key} is already recorded by {leg.recording_id}")
        tracks = self._recorder.start(recording_id, tuple(leg.codec for leg in legs), path, mode)
        for leg, track in zip(legs, tracks, strict=True):
            leg.track = track
            leg.recording_id = recording_id
        self._recorded[recording_id] = legs

    async def stop_recording(self, recording_id: str) -> Path:
        return await self._stop(recording_id)

    def _stop(self, recording_id: str) -> asyncio.Future[Path]:
        """Detach the tracks at once (synchronously), so that nothing more is copied and nothing twice."""
        legs = self._recorded.pop(recording_id, None)
        if legs is None:
            raise MediaPlaneError(f"no recording {recording_id}")
        for leg in legs:
            leg.track = None
            leg.recording_id = None
        return self._recorder.stop(recording_id)

    def _finish_soon(self, recording_id: str) -> None:
        """Hang-up: finish the recording's file in the writer thread, without making the caller wait."""
        task = self._stop(recording_id)
        self._writing.add(task)
        task.add_done_callback(self._recording_written)

    def _recording_written(self, task: asyncio.Future[Path]) -> None:
        self._writing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("recording failed: %r", task.exception())

    async def flush(self) -> None:
        """Wait until the recordings finished by hang-ups are written and closed."""
        while self._writing:
            await asyncio.gather(*tuple(self._writing), return_exceptions=True)

    # -- monitoring --------------------------------------------------------------------------------------

    async def monitor(self, supervisor: LegKey, caller: LegKey, agent: LegKey, mode: MonitorMode) -> None:
        watcher, one, two = self._leg(supervisor), self._leg(caller), self._leg(agent)
        current = self._monitors.get(watcher)
        if current is not None and current.parties == (watcher, one, two):
            current.set_mode(mode)
            return
        needed = needed_tables(watcher, one, two)
        await self._loop.run_in_executor(None, build_tables, needed)  # ~10 ms of table building, off the loop
        self._check_monitorable(watcher, one, two)  # after the await: a leg may have gone meanwhile
        self._unbridge(watcher)  # also ends the supervisor's monitoring of another call
        created = Monitor(watcher, one, two, mode)
        for leg in created.parties:
            self._monitors[leg] = created
        self.ticker.add_job(created, created.tick)

    def _check_monitorable(self, watcher: Leg, one: Leg, two: Leg) -> None:
        for leg in (watcher, one, two):
            if self._legs.get(leg.key) is not leg:
                raise MediaPlaneError(f"leg {leg.key} was released")
        if len({watcher, one, two}) != 3:
            raise MediaPlaneError("supervisor, caller and agent must be three different legs")
        if one.peer is not two:
            raise MediaPlaneError(f"legs {one.key} and {two.key} are not bridged together")
        for leg in (one, two):
            other = self._monitors.get(leg)
            if other is not None and other.supervisor is not watcher:
                raise MediaPlaneError(f"leg {leg.key} is already monitored by {other.supervisor.key}")

    async def stop_monitor(self, supervisor: LegKey) -> None:
        found = self._legs.get(supervisor)
        monitor = None if found is None else self._monitors.get(found)
        if monitor is not None and monitor.supervisor is found:
            self._end_monitor(monitor)

    def _end_monitor_of(self, leg: Leg) -> None:
        monitor = self._monitors.get(leg)
        if monitor is not None:
            self._end_monitor(monitor)

    def _end_monitor(self, monitor: Monitor) -> None:
        self.ticker.remove_job(monitor)
        for leg in monitor.parties:
            del self._monitors[leg]
        monitor.end()

    # -- DTMF and timeouts -----------------------------------------------------------------------------

    def on_dtmf(self, leg: LegKey, callback: Callable[[str], None]) -> None:
        self._leg(leg).dtmf_listeners.append(callback)

    def on_timeout(self, leg: LegKey, seconds: float, callback: Callable[[], None]) -> None:
        found = self._leg(leg)
        self._watches[found] = _Watch(seconds, callback, found.rx_packets, self._loop.time())
        if self._watch_handle is None:
            self._watch_handle = self._loop.call_later(self._watch_interval, self._watch)

    def _watch(self) -> None:
        """Compare packet counters (never a per-packet clock read) and fire the timeouts that are due."""
        now = self._loop.time()
        for leg, watch in tuple(self._watches.items()):
            if leg.rx_packets != watch.count:
                watch.count, watch.since = leg.rx_packets, now
            elif now - watch.since >= watch.seconds:
                del self._watches[leg]
                try:
                    watch.callback()
                except Exception as error:
                    log.warning("RTP timeout callback for leg %s failed: %r", leg.key, error)
        self._watch_handle = self._loop.call_later(self._watch_interval, self._watch) if self._watches else None

    async def close(self) -> None:
        """Release every leg (writing their recordings) and stop the timers."""
        for key in tuple(self._legs):
            await self.release(key)
        pending = [self.stop_recording(recording_id) for recording_id in tuple(self._recorded)]
        await asyncio.gather(*pending, return_exceptions=True)
        await self.flush()
        self._recorder.close()
        if self._watch_handle is not None:
            self._watch_handle.cancel()
            self._watch_handle = None
