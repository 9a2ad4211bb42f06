"""Password guessing and digest replay against a running engine, over real SIP on loopback addresses.

sipvicious' `svcrack` (Debian package `sipvicious`) guesses a seat's password from 127.0.0.1: after the
source limit its address is banned and gets no answer at all, even for the right password, until the ban
ends; then the right password registers. A sniffed Authorization replayed from another address is refused
and binds nothing. A seat guessed from several addresses is locked and the supervisors are told.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import socket
from pathlib import Path

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.engine import Engine, EngineConfig, SeatConfig
from hotline.telephony.events import SeatLocked
from hotline.telephony.ivr.loader import load_demo_flow
from hotline.telephony.memory import MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.sip.guard import GuardSettings
from hotline.telephony.sip.registrar import md5

from .helpers import run
from .phones import until

REALM = "hotline"
PASSWORD = "right-horse-battery"
GUESSER, PHONE, SNIFFER = "127.0.0.1", "127.0.0.4", "127.0.0.5"  # svcrack sends from 127.0.0.1 whatever -b says
WRONG = [f"guess{n:02d}" for n in range(12)]
# Never skipped, like SIPp: quickstart.sh's test step installs Debian's sipvicious, and a missing one fails.
SVCRACK = shutil.which("svcrack") or "/usr/bin/svcrack"


async def started(tmp_path: Path, guard: GuardSettings) -> tuple[Engine, MemoryEventBus]:
    bus = MemoryEventBus()
    config = EngineConfig(sip_port=0, queues=(QueueConfig("orders"),), flows={"demo": load_demo_flow()},
                          seats=(SeatConfig(agent="", seat="desk-1", username="8001", password=PASSWORD,
                                            queues=("orders",)),),
                          recordings=tmp_path, auth_guard=guard)
    engine = Engine(config, MemoryCallLog(), MemoryDirectory(), bus)
    await engine.start()
    return engine, bus


class WirePhone:
    """REGISTER by hand from one loopback address, so a test can capture and replay what goes on the wire."""

    def __init__(self, engine: Engine, address: str) -> None:
        self.engine_address = engine.sip_address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.address, self.port = self.sock.getsockname()
        self.cseq = 0

    def register_text(self, authorization: str = "") -> str:
        self.cseq += 1
        host, port = self.engine_address
        return (f"REGISTER sip:{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {self.address}:{self.port};branch=z9hG4bK{secrets.token_hex(6)};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:8001@{host}>;tag={secrets.token_hex(4)}\r\nTo: <sip:8001@{host}>\r\n"
                f"Call-ID: {secrets.token_hex(8)}@{self.address}\r\nCSeq: {self.cseq} REGISTER\r\n"
                f"Contact: <sip:8001@{self.address}:{self.port}>\r\nExpires: 600\r\n{authorization}"
                "Content-Length: 0\r\n\r\n")

    async def send(self, text: str, wait: float = 5.0) -> str | None:
        """Send a request and return the answer's text, or None when nothing came within `wait` seconds."""
        def exchange() -> str | None:
            self.sock.settimeout(wait)
            self.sock.sendto(text.encode(), self.engine_address)
            try:
                return self.sock.recv(65536).decode()
            except TimeoutError:
                return None
        return await asyncio.to_thread(exchange)

    async def challenge(self) -> str:
        answer = await self.send(self.register_text())
        assert answer is not None and answer.startswith("SIP/2.0 401"), answer
        found = re.search(r'nonce="([^"]+)"', answer)
        assert found
        return found.group(1)

    def authorization(self, nonce: str, password: str = PASSWORD, nc: int = 1) -> str:
        host, port = self.engine_address
        uri = f"sip:{host}:{port}"
        ha1 = md5(f"8001:{REALM}:{password}")
        response = md5(f"{ha1}:{nonce}:{nc:08x}:cafe:auth:{md5(f'REGISTER:{uri}')}")
        return (f'Authorization: Digest username="8001", realm="{REALM}", nonce="{nonce}", uri="{uri}", '
                f'response="{response}", algorithm=MD5, qop=auth, nc={nc:08x}, cnonce="cafe"\r\n')

    def close(self) -> None:
        self.sock.close()


def status(answer: str | None) -> int | None:
    return int(answer.split(" ", 2)[1]) if answer else None


def test_svcrack_is_banned_after_the_limit_and_the_right_password_from_its_address_waits_for_the_ban(
        tmp_path: Path) -> None:
    # svcrack waits 2 s (--maximumtime) and then its socket's fixed 10 s after its last answer: the ban outlasts it.
    guard = GuardSettings(source_limit=5, seat_limit=100, source_ban=25.0)
    wordlist = tmp_path / "words.txt"
    wordlist.write_text("\n".join([*WRONG, PASSWORD]) + "\n")

    async def scenario() -> None:
        engine, _ = await started(tmp_path, guard)
        phone = WirePhone(engine, GUESSER)
        try:
            early_nonce = await phone.challenge()  # a nonce the guesser's address got before the ban
            cracker = await asyncio.create_subprocess_exec(
                SVCRACK, "-u", "8001", "-d", str(wordlist), "-p", str(engine.sip_address[1]),
                "--maximumtime", "2", "-t", "0.05", engine.sip_address[0],
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            output, _ = await asyncio.wait_for(cracker.communicate(), 60)
            report = output.decode(errors="replace")
            assert PASSWORD not in report, report  # never found: the right word came after the ban
            assert engine.registrar.ignores(GUESSER)
            assert engine.registrar.guard.sources.until(GUESSER) > 0
            # The right password from the banned address: no answer at all, and nothing bound.
            assert await phone.send(phone.register_text(phone.authorization(early_nonce)), wait=1.0) is None
            assert engine.registrar.ignores(GUESSER)  # still banned after the silence, so the silence was the ban
            assert engine.contact_of_seat("desk-1") is None
            await until(lambda: not engine.registrar.ignores(GUESSER), timeout=60, what="the ban to end")
            nonce = await phone.challenge()
            answer = await phone.send(phone.register_text(phone.authorization(nonce)))
            assert status(answer) == 200, answer
            assert engine.contact_of_seat("desk-1") == f"sip:8001@{GUESSER}:{phone.port}"
        finally:
            phone.close()
            await engine.stop()

    run(scenario)


def test_a_sniffed_authorization_replayed_from_another_address_is_refused_and_binds_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        engine, _ = await started(tmp_path, GuardSettings())
        phone, sniffer = WirePhone(engine, PHONE), WirePhone(engine, SNIFFER)
        try:
            captured = phone.authorization(await phone.challenge())
            assert status(await phone.send(phone.register_text(captured))) == 200
            assert engine.contact_of_seat("desk-1") == f"sip:8001@{PHONE}:{phone.port}"
            replayed = await sniffer.send(sniffer.register_text(captured))
            assert status(replayed) == 401
            assert replayed is not None and "stale" not in replayed  # not ours for that address: a new challenge
            assert engine.contact_of_seat("desk-1") == f"sip:8001@{PHONE}:{phone.port}"
            again = await phone.send(phone.register_text(captured))  # even from its own address: nc was used
            assert status(again) == 401
            assert again is not None and "stale=true" in again
        finally:
            phone.close()
            sniffer.close()
            await engine.stop()

    run(scenario)


def test_a_seat_guessed_from_several_addresses_is_locked_and_the_supervisors_are_told(tmp_path: Path) -> None:
    guard = GuardSettings(source_limit=10, seat_limit=3, seat_lock=300.0)

    async def scenario() -> None:
        engine, bus = await started(tmp_path, guard)
        guessers = [WirePhone(engine, f"127.0.0.{20 + n}") for n in range(3)]
        phone = WirePhone(engine, PHONE)
        try:
            for guesser in guessers:
                answer = await guesser.send(guesser.register_text(guesser.authorization(await guesser.challenge(),
                                                                                        password="guess")))
                assert status(answer) == 401
            await until(lambda: any(topic == "security" for topic, _ in bus.published), what="the lock to be told")
            locks = [event for topic, event in bus.published if topic == "security"]
            assert len(locks) == 1 and isinstance(locks[0], SeatLocked)
            lock = locks[0]
            assert (lock.username, lock.seat, lock.source, lock.seconds) == ("8001", "desk-1", "127.0.0.22", 300.0)
            answer = await phone.send(phone.register_text(phone.authorization(await phone.challenge())))
            assert status(answer) == 403  # the right password, refused while the seat is locked
            assert engine.contact_of_seat("desk-1") is None
        finally:
            for wire in (*guessers, phone):
                wire.close()
            await engine.stop()

    run(scenario)
