"""An in-memory media plane for call-flow tests.

`FakeMediaPlane` implements `MediaPlane` on plain data: which legs are bridged, what each leg hears (a
prompt, hold music, its peer, monitors), recordings (written as real WAVs of the right length), DTMF and RTP
timeouts the test triggers, and gates that hold a command open so that a test can land an event inside the
engine's await. Prompts end by themselves after their WAV's length, on the loop's clock.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotline.telephony.media.plane import Endpoint, LegKey, MediaPlaneError, MonitorMode, RecordingMode, Remote


def wav_length(path: Path) -> float:
    """A WAV's length in seconds (the nominal length of a prompt)."""
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


def write_silence(path: Path, seconds: float, channels: int) -> None:
    """A valid 8 kHz 16-bit WAV of `seconds` (what the engine measures from the file's size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\0\0" * channels * max(0, round(seconds * 8000)))


@dataclass
class Player:
    """What the media plane plays to a leg: a prompt (by name, with its `on_done`) or the hold music."""

    name: str
    on_done: Callable[[], None] | None = None
    handle: asyncio.TimerHandle | None = None


@dataclass
class FakeLeg:
    """One leg's state. Kept after release (`released`), so a test can look at what it went through."""

    key: LegKey
    port: int
    remote: Remote | None = None
    peer: LegKey | None = None
    player: Player | None = None
    played: list[str] = field(default_factory=list)  # every prompt name and "hold", in the order started
    dtmf: list[Callable[[str], None]] = field(default_factory=list)
    timeout: tuple[float, Callable[[], None]] | None = None
    recording: str | None = None
    released: bool = False


@dataclass
class FakeRecording:
    """A recording in progress or finished: its legs, file, mode and loop times."""

    recording_id: str
    legs: tuple[LegKey, ...]
    path: Path
    mode: RecordingMode
    started: float
    stopped: float | None = None


@dataclass
class Monitoring:
    """A supervisor leg joined to a bridged call."""

    supervisor: LegKey
    caller: LegKey
    agent: LegKey
    mode: MonitorMode


class Gate:
    """Pauses one media command until the test releases it, to land an event inside the engine's await."""

    def __init__(self, command: str, match: Callable[[LegKey], bool]) -> None:
        self.command = command
        self.match = match
        self.reached = asyncio.Event()
        self.leg: LegKey | None = None
        self._open = asyncio.Event()

    def release(self) -> None:
        self._open.set()

    async def pass_through(self, leg: LegKey) -> None:
        self.leg = leg
        self.reached.set()
        await self._open.wait()


class FakeMediaPlane:
    """`MediaPlane` in memory; see the module docstring. `prompt_seconds` gives a prompt's length (default:
    its WAV's); `auto_finish=False` leaves prompts playing until `finish_prompt`."""

    def __init__(self, *, hold_music: bool = True, auto_finish: bool = True,
                 prompt_seconds: Callable[[Path], float] = wav_length) -> None:
        self.hold_music = hold_music
        self.auto_finish = auto_finish
        self.prompt_seconds = prompt_seconds
        self.legs: dict[LegKey, FakeLeg] = {}  # live legs
        self.every_leg: list[FakeLeg] = []  # live and released, in the order allocated
        self.recordings: dict[str, FakeRecording] = {}  # in progress
        self.finished: list[FakeRecording] = []
        self.monitors: dict[LegKey, Monitoring] = {}  # by supervisor leg
        self.gates: list[Gate] = []
        self.name: Callable[[FakeLeg], str] = lambda leg: leg.key.tag  # how `hears` names a connected leg
        self._port = 40000

    # -- test side ---------------------------------------------------------------------------------------

    def gate(self, command: str, match: Callable[[LegKey], bool] = lambda leg: True) -> Gate:
        """Pause the next `command` on a matching leg until `Gate.release`: "allocate", "set_remote", "bridge",
        "unbridge", "hold", "stop_playing", "stop_recording" (matched on its first leg) or "monitor" (on the
        supervisor's leg). The command does its work after the gate, as a remote media plane answers later."""
        gate = Gate(command, match)
        self.gates.append(gate)
        return gate

    async def _gated(self, command: str, leg: LegKey) -> None:
        gate = next((g for g in self.gates if g.command == command and g.match(leg)), None)
        if gate is not None:
            self.gates.remove(gate)
            await gate.pass_through(leg)

    def leg_at(self, port: int) -> FakeLeg:
        """The leg (live or released, the latest) whose endpoint is `port`."""
        return next(leg for leg in reversed(self.every_leg) if leg.port == port)

    def press(self, leg: LegKey, digit: str) -> None:
        """The leg's phone sends a DTMF digit (RFC 4733)."""
        for listener in tuple(self._leg(leg).dtmf):
            listener(digit)

    def finish_prompt(self, leg: LegKey) -> None:
        """The prompt playing to the leg has been sent in full."""
        found = self._leg(leg)
        player = found.player
        assert player is not None and player.name != "hold", f"no prompt playing to {leg}"
        self._done(found, player)

    def rtp_stops(self, leg: LegKey) -> None:
        """The leg's phone stops sending RTP: its timeout fires after the watched number of seconds."""
        found = self._leg(leg)
        assert found.timeout is not None, f"nobody watches {leg}"
        seconds, callback = found.timeout

        def fire() -> None:
            if found.timeout is not None and not found.released:
                found.timeout = None
                callback()

        asyncio.get_running_loop().call_later(seconds, fire)

    def hears(self, leg: LegKey) -> frozenset[str]:
        """What the leg's phone hears: {"prompt:<name>"}, {"hold"}, the tags of the legs it is connected to,
        or nothing. A player silences the relayed audio, as the real plane does."""
        found = self._leg(leg)
        if found.player is not None:
            return frozenset({"hold" if found.player.name == "hold" else f"prompt:{found.player.name}"})
        for monitoring in self.monitors.values():
            heard = _monitor_hearing(monitoring).get(leg)
            if heard is not None:
                return frozenset(self.name(self._leg(other)) for other in heard)
        return frozenset({self.name(self._leg(found.peer))}) if found.peer is not None else frozenset()

    # -- MediaPlane --------------------------------------------------------------------------------------

    async def allocate(self, leg: LegKey) -> Endpoint:
        if leg in self.legs:
            raise MediaPlaneError(f"leg {leg} already allocated")
        self._port += 2
        created = FakeLeg(leg, self._port)
        await self._gated("allocate", leg)
        self.legs[leg] = created
        self.every_leg.append(created)
        return Endpoint(leg, "127.0.0.1", created.port)

    async def set_remote(self, leg: LegKey, remote: Remote) -> None:
        await self._gated("set_remote", leg)
        self._leg(leg).remote = remote

    async def bridge(self, first: LegKey, second: LegKey) -> None:
        await self._gated("bridge", first)
        one, two = self._leg(first), self._leg(second)
        if one is two:
            raise MediaPlaneError(f"cannot bridge leg {first} to itself")
        self._unbridge(one)
        self._unbridge(two)
        one.peer, two.peer = second, first

    async def unbridge(self, leg: LegKey) -> None:
        await self._gated("unbridge", leg)
        self._unbridge(self._leg(leg))

    async def play(self, leg: LegKey, prompt: Path, on_done: Callable[[], None] | None = None) -> None:
        found = self._leg(leg)
        if not prompt.is_file():
            raise MediaPlaneError(f"no prompt {prompt}")
        player = Player(prompt.stem, on_done)
        self._start(found, player)
        if self.auto_finish:
            player.handle = asyncio.get_running_loop().call_later(self.prompt_seconds(prompt), self._done, found,
                                                                  player)

    async def hold(self, leg: LegKey) -> None:
        if not self.hold_music:
            raise MediaPlaneError("no hold music configured")
        found = self._leg(leg)
        await self._gated("hold", leg)
        self._start(found, Player("hold"))

    async def stop_playing(self, leg: LegKey) -> None:
        await self._gated("stop_playing", leg)
        self._stop(self._leg(leg))

    async def start_recording(self, recording_id: str, caller: LegKey, agent: LegKey, path: Path,
                              mode: RecordingMode) -> None:
        self._start_recording(recording_id, (caller, agent), path, mode)

    async def record_leg(self, recording_id: str, leg: LegKey, path: Path) -> None:
        self._start_recording(recording_id, (leg,), path, RecordingMode.MONO)

    async def stop_recording(self, recording_id: str) -> Path:
        recording = self._finish(recording_id)
        await self._gated("stop_recording", recording.legs[0])
        return recording.path

    async def monitor(self, supervisor: LegKey, caller: LegKey, agent: LegKey, mode: MonitorMode) -> None:
        await asyncio.sleep(0)  # the real plane builds its mixing tables off the loop first
        await self._gated("monitor", supervisor)
        watcher, one, two = self._leg(supervisor), self._leg(caller), self._leg(agent)
        if len({supervisor, caller, agent}) != 3:
            raise MediaPlaneError("supervisor, caller and agent must be three different legs")
        if one.peer != two.key:
            raise MediaPlaneError(f"legs {caller} and {agent} are not bridged together")
        current = self.monitors.get(supervisor)
        if current is not None and (current.caller, current.agent) == (caller, agent):
            current.mode = mode
            return
        self._unbridge(watcher)
        self.monitors[supervisor] = Monitoring(supervisor, caller, agent, mode)

    async def stop_monitor(self, supervisor: LegKey) -> None:
        self.monitors.pop(supervisor, None)

    def on_dtmf(self, leg: LegKey, callback: Callable[[str], None]) -> None:
        self._leg(leg).dtmf.append(callback)

    def on_timeout(self, leg: LegKey, seconds: float, callback: Callable[[], None]) -> None:
        self._leg(leg).timeout = (seconds, callback)

    async def release(self, leg: LegKey) -> None:
        found = self.legs.pop(leg, None)
        if found is None:
            return
        self._unbridge(found)
        self._stop(found)
        found.timeout = None
        found.dtmf.clear()
        found.released = True
        if found.recording is not None:
            self._finish(found.recording)

    # -- inside ------------------------------------------------------------------------------------------

    def _leg(self, leg: LegKey) -> FakeLeg:
        found = self.legs.get(leg)
        if found is None:
            raise MediaPlaneError(f"unknown leg {leg}")
        return found

    def _unbridge(self, leg: FakeLeg) -> None:
        for supervisor, monitoring in tuple(self.monitors.items()):
            if leg.key in (monitoring.supervisor, monitoring.caller, monitoring.agent):
                del self.monitors[supervisor]
        if leg.peer is not None:
            peer = self.legs.get(leg.peer)
            if peer is not None:
                peer.peer = None
            leg.peer = None

    def _start(self, leg: FakeLeg, player: Player) -> None:
        self._stop(leg)
        leg.player = player
        leg.played.append(player.name)

    def _stop(self, leg: FakeLeg) -> None:
        if leg.player is not None and leg.player.handle is not None:
            leg.player.handle.cancel()
        leg.player = None

    def _done(self, leg: FakeLeg, player: Player) -> None:
        if leg.player is player:
            leg.player = None
            if player.on_done is not None:
                player.on_done()

    def _start_recording(self, recording_id: str, legs: tuple[LegKey, ...], path: Path,
                         mode: RecordingMode) -> None:
        found = [self._leg(leg) for leg in legs]
        if recording_id in self.recordings:
            raise MediaPlaneError(f"recording {recording_id} already started")
        for leg in found:
            if leg.recording is not None:
                raise MediaPlaneError(f"leg {leg.key} is already recorded by {leg.recording}")
        for leg in found:
            leg.recording = recording_id
        self.recordings[recording_id] = FakeRecording(recording_id, legs, path, mode,
                                                      asyncio.get_running_loop().time())

    def _finish(self, recording_id: str) -> FakeRecording:
        """Stop a recording at once and write its file (silence of the recorded length)."""
        recording = self.recordings.pop(recording_id, None)
        if recording is None:
            raise MediaPlaneError(f"no recording {recording_id}")
        for key in recording.legs:
            leg = next(leg for leg in reversed(self.every_leg) if leg.key == key)
            leg.recording = None
        recording.stopped = asyncio.get_running_loop().time()
        channels = 2 if recording.mode is RecordingMode.STEREO else 1
        write_silence(recording.path, recording.stopped - recording.started, channels)
        self.finished.append(recording)
        return recording


def _monitor_hearing(monitoring: Monitoring) -> dict[LegKey, tuple[LegKey, ...]]:
    """Who hears whom on a monitored call (`MonitorMode`'s table)."""
    supervisor, caller, agent = monitoring.supervisor, monitoring.caller, monitoring.agent
    hearing = {supervisor: (caller, agent), caller: (agent,), agent: (caller,)}
    if monitoring.mode is not MonitorMode.LISTEN:
        hearing[agent] = (caller, supervisor)
    if monitoring.mode is MonitorMode.BARGE:
        hearing[caller] = (agent, supervisor)
    return hearing
