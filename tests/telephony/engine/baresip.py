"""baresip 1.0.0 (Debian) as a real SIP user agent in tests: headless, on 127.0.0.1, driven over TCP.

Each instance gets its own config folder (`baresip -f DIR`): SIP, RTP and two control ports on 127.0.0.1,
no sound card. Audio comes from `aufile` (a WAV we write, one constant sample, so every frame it sends has
one known G.711 byte) and what it hears is dumped by `sndfile` to `dump-*-dec.wav` (16-bit PCM), which the
test reads sample by sample. The player is an `aubridge` device that no source reads, i.e. a sink.
`-s` traces every SIP message into `baresip.log`, which a failing wait shows.

Control: `ctrl_tcp` takes netstring JSON commands (`dial`, `hangup`, `quit`) and reports call events;
`cons` takes key presses, which is how 1.0.0 sends a DTMF digit during a call (there is no long command).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.phones import free_port

BARESIP = "/usr/bin/baresip"
HOST = "127.0.0.1"
MODULES = ("g711", "aufile", "aubridge", "sndfile", "cons")
APPS = ("account", "menu", "ctrl_tcp")
# Below the kernel's ephemeral range (32768+), so no port handed out by bind(0) (the engine's RTP, other
# tests) is taken from here; baresip tries random even ports in the range and skips busy ones.
RTP_PORTS = "20000-29999"
START_ATTEMPTS = 3
KEY_RELEASE = "\x04"  # baresip's KEYCODE_REL: ends the DTMF tone started by a digit key


def write_constant_wav(path: Path, sample: int, seconds: float) -> None:
    """An 8 kHz 16-bit mono WAV whose every sample is `sample`: what `aufile` plays into the call."""
    frames = int(8000 * seconds)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(sample.to_bytes(2, "little", signed=True) * frames)


def netstring(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload).encode()
    return str(len(data)).encode() + b":" + data + b","


@dataclass
class Ports:
    """The 127.0.0.1 ports one baresip instance binds."""

    sip: int = field(default_factory=free_port)
    ctrl: int = field(default_factory=free_port)
    cons: int = field(default_factory=free_port)


def config_text(folder: Path, ports: Ports, source: Path) -> str:
    """The whole `config` file: loopback only, G.711 at 8 kHz mono, file source, dump of decoded audio."""
    lines = [
        "poll_method epoll",
        f"sip_listen {HOST}:{ports.sip}",
        f"net_interface {HOST}",
        "call_local_timeout 120",
        "call_max_calls 4",
        f"audio_source aufile,{source}",
        "audio_player aubridge,sink",
        "audio_alert aubridge,sink",
        "ausrc_srate 8000",
        "auplay_srate 8000",
        "ausrc_channels 1",
        "auplay_channels 1",
        f"rtp_ports {RTP_PORTS}",
        "rtcp_mux no",
        "jitter_buffer_delay 1-10",
        "module_path /usr/lib/baresip/modules",
        *(f"module {name}.so" for name in MODULES),
        *(f"module_app {name}.so" for name in APPS),
        f"snd_path {folder}",
        f"ctrl_tcp_listen {HOST}:{ports.ctrl}",
        f"cons_listen {HOST}:{ports.cons}",
    ]
    return "\n".join(lines) + "\n"


class Baresip:
    """One headless baresip process with its own folder; `events` collects its ctrl_tcp events in order."""

    def __init__(self, folder: Path, account: str, source_sample: int) -> None:
        self.folder = folder
        self.account = account
        self.source_sample = source_sample
        self.ports = Ports()
        self.events: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None

    def write_config(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        source = self.folder / "source.wav"
        write_constant_wav(source, self.source_sample, 60.0)
        (self.folder / "config").write_text(config_text(self.folder, self.ports, source))
        (self.folder / "accounts").write_text(self.account + "\n")
        (self.folder / "contacts").write_text("")

    async def start(self) -> Baresip:
        """Write the folder, start baresip and connect to its control port.

        The ports were free when chosen, but another process may bind one before baresip does; then
        baresip starts again on new ports.
        """
        for attempt in range(1, START_ATTEMPTS + 1):
            await self._spawn()
            try:
                self._reader, self._writer = await self._connect(self.ports.ctrl)
            except AssertionError:
                if attempt == START_ATTEMPTS or not self._port_taken():
                    raise
            else:
                if await self._listening(self.ports.cons):  # `cons` loads before ctrl_tcp: it is up or failed
                    self._pump = asyncio.ensure_future(self._read_messages())
                    return self
                self._writer.close()
            await self._end_process(grace=0)
            self.ports = Ports()
        raise AssertionError(f"baresip found no free ports in {START_ATTEMPTS} attempts:\n{self.output()}")

    def _port_taken(self) -> bool:
        return "Address already in use" in self.output()

    @staticmethod
    async def _listening(port: int) -> bool:
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            return False
        writer.close()
        return True

    async def _spawn(self) -> None:
        self.write_config()
        self.log = (self.folder / "baresip.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            BARESIP, "-f", str(self.folder), "-4", "-s", stdin=asyncio.subprocess.DEVNULL, stdout=self.log,
            stderr=asyncio.subprocess.STDOUT)

    async def _connect(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:
            try:
                return await asyncio.open_connection(HOST, port)
            except OSError:
                if loop.time() > deadline or (self.process is not None and self.process.returncode is not None):
                    raise AssertionError(f"baresip did not open port {port}:\n{self.output()}") from None
                await asyncio.sleep(0.05)

    async def _read_messages(self) -> None:
        assert self._reader is not None
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                length = int((await self._reader.readuntil(b":"))[:-1])
                message = json.loads((await self._reader.readexactly(length + 1))[:-1])
                (self.events if message.get("event") else self.responses).append(message)

    def command(self, command: str, params: str = "") -> None:
        """Send one long command (as typed after '/' in baresip's menu) through ctrl_tcp."""
        assert self._writer is not None
        self._writer.write(netstring({"command": command, "params": params, "token": str(len(self.responses))}))

    async def keys(self, text: str) -> None:
        """Press keys on baresip's console (the `cons` module): during a call a digit sends DTMF."""
        _, writer = await self._connect(self.ports.cons)
        writer.write(text.encode())
        await writer.drain()
        writer.close()

    async def dtmf(self, digit: str) -> None:
        """Press and release a digit: baresip sends RFC 4733 updates, then the end packets on release."""
        await self.keys(digit)
        await asyncio.sleep(0.2)  # the tone's length; the engine decodes the digit from its end packets
        await self.keys(KEY_RELEASE)

    def call_events(self) -> list[dict[str, Any]]:
        """The `CALL_*` events (the others are registration events: REGISTER_OK, UNREGISTERING…)."""
        return [event for event in self.events if str(event.get("type")).startswith("CALL_")]

    def types(self) -> list[str]:
        return [str(event.get("type")) for event in self.events]

    def output(self) -> str:
        return (self.folder / "baresip.log").read_text(errors="replace")[-4000:]

    def decoded_samples(self) -> list[int]:
        """Every sample baresip decoded from the call's RTP (sndfile's `dump-*-dec.wav`), in order."""
        (dump,) = sorted(self.folder.glob("dump-*-dec.wav"))
        with wave.open(str(dump)) as recording:
            data = recording.readframes(recording.getnframes())
        return [int.from_bytes(data[i:i + 2], "little", signed=True) for i in range(0, len(data), 2)]

    async def stop(self) -> None:
        """Ask baresip to quit (so sndfile closes its WAVs), and kill it if it does not within 5 s."""
        if self.process is None:
            return
        if self.process.returncode is None and self._writer is not None:
            with contextlib.suppress(ConnectionError):
                self.command("quit")
        try:
            await self._end_process()
        finally:
            if self._pump is not None:
                self._pump.cancel()
            if self._writer is not None:
                self._writer.close()

    async def _end_process(self, grace: float = 5.0) -> None:
        """Wait up to `grace` seconds for baresip to exit, then kill it; close its log."""
        assert self.process is not None
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):  # it exited by itself meanwhile (a port was taken)
                self.process.kill()
            await self.process.wait()
        finally:
            self.log.close()


@contextlib.asynccontextmanager
async def baresip(folder: Path, account: str, source_sample: int) -> AsyncIterator[Baresip]:
    """A running baresip that is always stopped (killed if need be) when the block ends."""
    phone = Baresip(folder, account, source_sample)
    try:
        yield await phone.start()
    finally:
        await phone.stop()
