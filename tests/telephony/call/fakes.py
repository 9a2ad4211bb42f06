"""In-memory SIP calls and media plane for call-flow tests: the engine runs its real call logic on them.

`FakeInboundCall` and `FakeOutboundCall` have exactly the surface the engine uses of
`hotline.telephony.sip.calls.InboundCall` / `OutboundCall` (state, ring, answer, reject, hangup, cancel,
wait_answer, the on_* hooks, media), with the same order of effects: a final status settles before the call
ends, `on_ended` runs synchronously with the reason the real call gives ("remote bye", "local bye",
"cancelled", "rejected 486", "timeout"). The test plays the far end: ring, answer, refuse, hang up, cancel.

`FakePhone` is a far end with a plan (answer, ring forever, busy, or driven by hand); `FakeSip` is the
engine's SIP side (`SipSide`): it delivers trunk calls through the engine's admission check and dials phones.

`FakeMediaPlane` implements `MediaPlane` on plain data: which legs are bridged, what each leg hears (a
prompt, hold music, its peer, monitors), recordings (written as real WAVs of the right length), DTMF and RTP
timeouts the test triggers. Prompts end by themselves after their WAV's length, on the loop's clock.
"""

from __future__ import annotations

import asyncio
import enum
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import Endpoint, LegKey, MediaPlaneError, MonitorMode, RecordingMode, Remote
from hotline.telephony.sip import sdp
from hotline.telephony.sip.calls import CallState
from hotline.telephony.sip.trunks import Trunk

TRANSACTION_TIMEOUT = 32.0  # RFC 3261 Timer B: an INVITE nobody answers at all ends "timeout" (408)
PCMA = sdp.Codec("PCMA", Codec.PCMA.payload_type)
CARRIER = Trunk.of("fake carrier", ["203.0.113.0/24"])  # where every fake trunk call comes from


def negotiated(address: str, port: int) -> sdp.Negotiated:
    """What offer/answer gives for a phone at `address`:`port` (PCMA with telephone-event 101)."""
    return sdp.Negotiated(address, port, PCMA, 101, "sendrecv")


@dataclass(frozen=True)
class FakeInvite:
    """The INVITE of a fake call: only its Call-ID is read."""

    call_id: str


# -- SIP ------------------------------------------------------------------------------------------------------


class FakeInboundCall:
    """A trunk call offered to the engine (`InboundCall`'s surface). `responses` lists the statuses the
    engine sent (180, 200, 404, 480, 503 …); the test side calls `cancel()` and `hang_up()`."""

    def __init__(self, sip: FakeSip, call_id: str, caller: str, called: str, address: tuple[str, int],
                 trunk: Trunk) -> None:
        self._sip = sip
        self.invite = FakeInvite(call_id)
        self.trunk = trunk  # the carrier the call came from
        self.caller = caller
        self.called = called
        self.address = address  # where this caller's phone receives RTP
        self.state = CallState.OFFERED
        self.responses: list[int] = []
        self.local_media: tuple[str, int] | None = None  # the engine's RTP endpoint, once answered
        self.media: sdp.Negotiated | None = None
        self.end_reason = ""
        self.on_media: Callable[[sdp.Negotiated], None] | None = None
        self.on_ended: Callable[[str], None] | None = None

    # engine side ---------------------------------------------------------------------------------------

    def ring(self) -> None:
        if self.state is CallState.OFFERED:
            self.responses.append(180)

    def answer(self, address: str, port: int) -> sdp.Negotiated:
        if self.state is not CallState.OFFERED:
            raise RuntimeError(f"cannot answer a call that is {self.state.value}")
        self.local_media = (address, port)
        self.state = CallState.ANSWERED
        self.responses.append(200)
        self._sip.offered.pop(self.invite.call_id, None)
        self.media = negotiated(*self.address)
        return self.media

    def progress(self, address: str, port: int) -> sdp.Negotiated:
        """183 Session Progress with SDP: early media; the call stays offered."""
        if self.state is not CallState.OFFERED:
            raise RuntimeError(f"cannot send early media on a call that is {self.state.value}")
        self.local_media = (address, port)
        self.responses.append(183)
        self.media = negotiated(*self.address)
        return self.media

    def reject(self, status: int = 486, reason: str = "Busy Here") -> None:
        if self.state is CallState.OFFERED:
            self.responses.append(status)
            self._end("rejected")

    def hangup(self) -> None:
        if self.state is CallState.OFFERED:
            self.reject(480, "Temporarily Unavailable")
        elif self.state is CallState.ANSWERED:
            self._end("local bye")

    # far end (the test) --------------------------------------------------------------------------------

    def cancel(self) -> None:
        """The caller gives up before the answer (CANCEL: 487)."""
        if self.state is CallState.OFFERED:
            self.responses.append(487)
            self._end("cancelled")

    def hang_up(self) -> None:
        """The caller hangs up (BYE) an answered call."""
        if self.state is CallState.ANSWERED:
            self._end("remote bye")

    def reinvite(self, address: tuple[str, int]) -> None:
        """The caller moves its media (a re-INVITE)."""
        self.address = address
        self.media = negotiated(*address)
        if self.on_media is not None:
            self.on_media(self.media)

    def _end(self, reason: str) -> None:
        if self.state is CallState.ENDED:
            return
        self.state, self.end_reason = CallState.ENDED, reason
        self._sip.offered.pop(self.invite.call_id, None)
        if self.on_ended is not None:
            self.on_ended(reason)


class FakeOutboundCall:
    """A call the engine dialled (`OutboundCall`'s surface). The phone (test side) rings, answers,
    refuses or hangs up; `cancel()`/`hangup()` from the engine end it as the real call would."""

    def __init__(self, call_id: str, uri: str, caller: str, local_media: tuple[str, int], phone: FakePhone) -> None:
        self.invite = FakeInvite(call_id)
        self.uri = uri
        self.caller = caller  # the From the phone shows
        self.local_media = local_media
        self.phone = phone
        self.state = CallState.CALLING
        self.media: sdp.Negotiated | None = None
        self.final_status: int | None = None
        self.end_reason = ""
        self.on_ringing: Callable[[int], None] | None = None
        self.on_ended: Callable[[str], None] | None = None
        self.on_media: Callable[[sdp.Negotiated], None] | None = None
        self._settled = asyncio.Event()
        self._cancel_wanted = False

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    # engine side ---------------------------------------------------------------------------------------

    async def wait_answer(self) -> int:
        await self._settled.wait()
        return self.final_status or 0

    def cancel(self) -> None:
        """CANCEL while ringing (the phone's 487 comes back a moment later); before any provisional, as soon
        as one comes."""
        if self.state is CallState.RINGING and not self._cancel_wanted:
            self._cancel_wanted = True
            asyncio.get_running_loop().call_soon(self._end, "cancelled")
        elif self.state is CallState.CALLING:
            self._cancel_wanted = True

    def hangup(self) -> None:
        if self.state is CallState.ANSWERED:
            self._end("local bye")
        else:
            self.cancel()

    # far end (the phone) -------------------------------------------------------------------------------

    def ring(self) -> None:
        """180 Ringing."""
        if self.state is not CallState.CALLING:
            return
        self.state = CallState.RINGING
        if self.on_ringing is not None:
            self.on_ringing(180)
        if self._cancel_wanted:
            self._end("cancelled")

    def answer(self) -> None:
        """200 OK (a 200 to an INVITE we wanted cancelled is acknowledged and hung up: it ends cancelled)."""
        if self.state not in (CallState.CALLING, CallState.RINGING):
            return
        if self._cancel_wanted:
            self._end("cancelled")
            return
        self.state = CallState.ANSWERED
        self._settle(200)
        self.media = negotiated(self.phone.host, self.phone.rtp_port)
        if self.on_media is not None:
            self.on_media(self.media)

    def refuse(self, status: int = 486) -> None:
        """A final error response (486 busy, 480, 603 …)."""
        if self.state in (CallState.CALLING, CallState.RINGING):
            self._settle(status)
            self._end("cancelled" if self._cancel_wanted or status == 487 else f"rejected {status}")

    def hang_up(self) -> None:
        """The phone hangs up an answered call (BYE)."""
        if self.state is CallState.ANSWERED:
            self._end("remote bye")

    def time_out(self) -> None:
        """No final response at all before Timer B."""
        if self.state in (CallState.CALLING, CallState.RINGING):
            self._end("timeout")

    def _settle(self, status: int) -> None:
        if self.final_status is None:
            self.final_status = status
            self._settled.set()

    def _end(self, reason: str) -> None:
        self._settle({"cancelled": 487, "timeout": 408}.get(reason, 500))
        if self.state is CallState.ENDED:
            return
        self.state, self.end_reason = CallState.ENDED, reason
        if self.on_ended is not None:
            self.on_ended(reason)


class Plan(enum.Enum):
    """How a phone takes a call: ring and answer at once, ring until the test answers (or the engine cancels),
    answer busy, or send nothing at all (the test drives every response)."""

    ANSWER = "answer"
    RING = "ring"
    BUSY = "busy"
    MANUAL = "manual"


@dataclass
class FakePhone:
    """A far end the engine dials: an agent's or supervisor's phone, or the outbound gateway. `calls` are
    the calls it received, in order; `plan` says what it does with the next ones."""

    name: str
    host: str
    rtp_port: int
    plan: Plan = Plan.ANSWER
    answer_after: float = 0.0  # seconds between ringing and answering, with `Plan.ANSWER`
    calls: list[FakeOutboundCall] = field(default_factory=list)

    @property
    def last(self) -> FakeOutboundCall:
        return self.calls[-1]

    def receive(self, call: FakeOutboundCall) -> None:
        """The INVITE arrives; the plan answers it a moment later (after `dial` returned, as on a network)."""
        self.calls.append(call)
        loop = asyncio.get_running_loop()
        if self.plan is Plan.BUSY:
            loop.call_soon(call.refuse, 486)
        elif self.plan in (Plan.ANSWER, Plan.RING):
            loop.call_soon(call.ring)
        if self.plan is Plan.ANSWER:
            loop.call_later(self.answer_after, call.answer)


class FakeSip:
    """The engine's SIP side in memory (`hotline.telephony.engine.SipSide`), built by the engine's
    `start(sip=...)` with its `on_call` and its admission check.

    `offered` holds the trunk calls not answered yet (they take a line, as the engine counts them).
    `phones` are found by the dialled URI, else by its host (a gateway phone takes every number).
    """

    def __init__(self, engine: Any, admit: Callable[[object], bool], phones: Mapping[str, FakePhone],
                 trunk: Trunk = CARRIER) -> None:
        self.engine = engine
        self.admit = admit
        self.phones = phones
        self.trunk = trunk
        self.offered: dict[str, FakeInboundCall] = {}
        self.inbound: list[FakeInboundCall] = []
        self.dialled: list[FakeOutboundCall] = []
        self.failures: list[Exception] = []  # errors `on_call` raised (a test fails on them)
        self._count = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.nowhere = FakePhone("nowhere", "192.0.2.99", 9000, Plan.MANUAL)

    def _next_id(self, kind: str) -> str:
        self._count += 1
        return f"{kind}-{self._count}@fake"

    def call_in(self, caller: str, dnis: str) -> FakeInboundCall:
        """A trunk INVITE from `caller` to `dnis`: refused 503 when the lines are full, else offered to the
        engine (`on_call` runs as a task, as `CallManager` runs it)."""
        port = 20000 + 2 * len(self.inbound)
        call = FakeInboundCall(self, self._next_id("in"), f"sip:{caller}@203.0.113.1",
                               f"sip:{dnis}@127.0.0.1", ("203.0.113.1", port), self.trunk)
        self.inbound.append(call)
        if not self.admit(call.invite):
            call.responses.append(503)
            call.state, call.end_reason = CallState.ENDED, "refused"
            return call
        self.offered[call.invite.call_id] = call
        task = asyncio.get_running_loop().create_task(self._run(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return call

    async def _run(self, call: FakeInboundCall) -> None:
        try:
            await self.engine.on_call(call)
        except Exception as error:  # as CallManager: the caller must still get an answer
            self.failures.append(error)
            if call.state is CallState.OFFERED:
                call.reject(500, "Server Internal Error")

    def dial(self, uri: str, local_media: tuple[str, int], caller: str = "",
             destination: tuple[str, int] | None = None, ring_timeout: float | None = None) -> FakeOutboundCall:
        phone = self.phones.get(uri) or self.phones.get(uri.partition("@")[2]) or self.nowhere
        call = FakeOutboundCall(self._next_id("out"), uri, caller, local_media, phone)
        self.dialled.append(call)
        loop = asyncio.get_running_loop()
        if ring_timeout is not None:
            loop.call_later(ring_timeout, call.cancel)  # a no-op once answered or ended
        loop.call_later(TRANSACTION_TIMEOUT, call.time_out)
        phone.receive(call)
        return call


# -- media ----------------------------------------------------------------------------------------------------


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
