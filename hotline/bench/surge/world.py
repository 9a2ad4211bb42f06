"""The surge benchmark's world: a migrated database with one hotline number, queue `orders` and N staffed
seats, and the real `hotline engine` command running on it in its own process.

The engine process is started as an operator would start it (`python -m hotline.cli engine`), configured
only through the environment; the benchmark talks to it over SIP only. It can be stopped cleanly (SIGTERM:
the engine writes its call log) or killed (SIGKILL) and started again on the same ports.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DNIS = "4008005000"
QUEUE = "orders"
SIP_PASSWORD = "surge-bench"
REALM = "hotline"
FIRST_SIP_USER = 7001
RTP_PORTS = 4000  # two legs per call: room for 2,000 calls at once
STOP_SECONDS = 60.0


@dataclass(frozen=True)
class AgentSeat:
    """A benchmark agent: the user logged in at a seat, and the SIP user its phone registers as."""

    agent: str
    sip_username: str


def prepare_database(agents: int) -> list[AgentSeat]:
    """Migrate, empty, and create the hotline number → queue `orders` and `agents` staffed seats (sync ORM)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from hotline.calls.models import NumberRoute, OverflowKind, Queue, Seat
    from hotline.calls.seats import digest_ha1
    from hotline.media.models import HotlineNumber

    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)  # one run's rows only: Call-IDs and numbers repeat
    # Wrap-up 0, a line as long as the surge, overflow to callback: what is measured is the surge capture
    # and the callers' patience, not a queue limit the operator would set for quiet days.
    queue = Queue.objects.create(name=QUEUE, wrapup_seconds=0, max_wait_seconds=3600, max_length=100_000,
                                 overflow=OverflowKind.CALLBACK, announce_seconds=30)
    number = HotlineNumber.objects.create(number=DNIS, description="surge benchmark")
    NumberRoute.objects.create(hotline_number=number, queue=queue)
    user_model = get_user_model()
    seats = []
    for position in range(agents):
        username = f"surge-agent-{position + 1:03d}"
        user = user_model.objects.create(username=username, first_name=f"Agent {position + 1}")
        sip_username = str(FIRST_SIP_USER + position)
        Seat.objects.create(name=f"S-{position + 1:03d}", sip_username=sip_username, realm=REALM,
                            ha1=digest_ha1(sip_username, REALM, SIP_PASSWORD), agent=user)
        seats.append(AgentSeat(username, sip_username))
    return seats


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_range(size: int, rng: random.Random, attempts: int = 20) -> range:
    """`size` consecutive UDP ports on 127.0.0.1 that can all be bound now, below Linux's ephemeral range
    (32768 and up) so that the sockets the load opens never take one of them."""
    for _ in range(attempts):
        start = rng.randrange(20_000, 30_000 - size) if size < 10_000 else 20_000
        if all(_bindable(port) for port in range(start, start + size)):
            return range(start, start + size)
    raise RuntimeError(f"no {size} free consecutive UDP ports found")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class EngineEnvironment:
    """What the engine process is told: database, ports, lines, surge wait threshold, data folder."""

    database_url: str
    sip_port: int
    rtp_ports: range
    lines: int
    max_wait: int
    data_dir: Path

    def variables(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DJANGO_SETTINGS_MODULE": "hotline.settings",
            "HOTLINE_SIP_HOST": "127.0.0.1",
            "HOTLINE_SIP_PORT": str(self.sip_port),
            "HOTLINE_RTP_PORT_MIN": str(self.rtp_ports.start),
            "HOTLINE_RTP_PORT_MAX": str(self.rtp_ports.stop - 1),
            "HOTLINE_TRUNKS": "127.0.0.1",
            "HOTLINE_SURGE": "1",
            "HOTLINE_LINES": str(self.lines),
            "HOTLINE_SURGE_MAX_WAIT": str(self.max_wait),
            "HOTLINE_ABANDON_CALLBACK_SECONDS": "0",
            "HOTLINE_DATA_DIR": str(self.data_dir),
            "REDIS_URL": "",
        }


class EngineCommand:
    """`hotline engine` as a child process; its output goes to `engine-N.log` in the data folder."""

    def __init__(self, environment: EngineEnvironment) -> None:
        self.environment = environment
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.logs: list[Path] = []

    def start(self) -> None:
        self.starts += 1
        log = self.environment.data_dir / f"engine-{self.starts}.log"
        self.logs.append(log)
        with log.open("wb") as output:
            self.process = subprocess.Popen([sys.executable, "-m", "hotline.cli", "engine"],
                                            env=self.environment.variables(), cwd=settings.BASE_DIR,
                                            stdout=output, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a power cut or the OOM killer would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM and wait: the engine stops its calls and writes its call log. Its exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()
                raise RuntimeError(f"the engine did not stop within {STOP_SECONDS:g} s of SIGTERM") from None
        return int(self.process.returncode)

    def tail(self, characters: int = 1500) -> str:
        """The end of the latest log, for error messages."""
        if not self.logs or not self.logs[-1].exists():
            return ""
        return self.logs[-1].read_text(errors="replace")[-characters:]
