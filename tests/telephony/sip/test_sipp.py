"""SIPp against the engine over 127.0.0.1: OPTIONS and REGISTER with a digest challenge, UDP and TCP.

Never skipped: CI installs Debian's sip-tester, and a missing `sipp` must fail loudly.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from .conftest import Engine

SCENARIOS = Path(__file__).parent / "scenarios"


def free_port() -> int:
    """An ephemeral port free for both UDP and TCP: SIPp's own default would be the fixed 5060."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
            udp.bind(("127.0.0.1", 0))
            try:
                tcp.bind(("127.0.0.1", udp.getsockname()[1]))
            except OSError:
                continue
            return int(udp.getsockname()[1])


def sipp(
    engine: Engine, scenario: str, tmp_path: Path, *args: str, transport: str = "UDP"
) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("sipp") or "/usr/bin/sipp"
    host, port = engine.listeners.tcp_address if transport == "TCP" else engine.listeners.udp_address
    command = [
        binary, f"{host}:{port}", "-sf", str(SCENARIOS / scenario), "-m", "1", "-i", "127.0.0.1",
        "-p", str(free_port()), "-t", "t1" if transport == "TCP" else "u1", "-nostdin",
        "-timeout", "15s", "-timeout_error", "-max_recv_loops", "1000", *args,
    ]  # fmt: skip
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_sipp_options_gets_200_with_allow(engine: Engine, tmp_path: Path, transport: str) -> None:
    result = sipp(engine, "options.xml", tmp_path, "-s", "engine", transport=transport)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_sipp_registers_with_digest_then_unregisters_with_wildcard(
    engine: Engine, tmp_path: Path, transport: str
) -> None:
    registrar = engine.core.registrar
    assert registrar is not None
    credentials = ("-s", "8001", "-au", "8001", "-ap", "s3cret")
    registered = sipp(engine, "register.xml", tmp_path, *credentials, transport=transport)
    assert registered.returncode == 0, registered.stdout[-2000:] + registered.stderr[-2000:]
    contact = engine.call(lambda: registrar.contact_for("sip:8001@127.0.0.1"))
    assert contact is not None and contact.startswith("sip:8001@127.0.0.1:")

    removed = sipp(engine, "unregister.xml", tmp_path, *credentials, transport=transport)
    assert removed.returncode == 0, removed.stdout[-2000:] + removed.stderr[-2000:]
    assert engine.call(lambda: registrar.lookup("sip:8001@127.0.0.1")) == []


def test_sipp_with_a_wrong_password_is_refused_and_binds_nothing(engine: Engine, tmp_path: Path) -> None:
    registrar = engine.core.registrar
    assert registrar is not None
    result = sipp(engine, "register_wrong_password.xml", tmp_path, "-s", "8001", "-au", "8001", "-ap", "guess")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert engine.call(lambda: registrar.lookup("sip:8001@127.0.0.1")) == []
