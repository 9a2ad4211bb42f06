"""RTP ports come in even/odd pairs: the odd port above each leg's RTP port is ours and drains RTCP, so a
phone's RTCP can never land on (and be latched by) another call's RTP socket."""

from __future__ import annotations

import asyncio
import socket

import pytest

from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import LegKey, MediaPlaneError

from .helpers import run


def free_even_base(width: int) -> int:
    """An even port with `width` free UDP ports from it (probed, then released)."""
    for base in range(31000, 39000, 64):
        probes = []
        try:
            for port in range(base, base + width):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in probes:
                sock.close()
    raise AssertionError("no free port range")


def bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_each_leg_gets_an_even_port_and_holds_the_odd_one_above_it() -> None:
    async def scenario() -> None:
        base = free_even_base(8)
        plane = LocalMediaPlane(ports=range(base, base + 8), first_port=0)
        blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        blocker.bind(("127.0.0.1", base + 3))  # another process holds the odd port of the second pair
        try:
            ports = [(await plane.allocate(LegKey(f"c{i}", "caller"))).port for i in range(3)]
            assert ports == [base, base + 4, base + 6]  # the pair base+2/base+3 is skipped, not half-used
            assert [bindable(port + 1) for port in ports] == [False, False, False]
            with pytest.raises(MediaPlaneError):
                await plane.allocate(LegKey("c4", "caller"))
            await plane.release(LegKey("c0", "caller"))
            await asyncio.sleep(0.01)  # transports close their sockets on the loop's next turn
            assert bindable(base) and bindable(base + 1)  # both halves of the pair are given back
        finally:
            blocker.close()
            await plane.close()

    run(scenario)


def test_rtcp_sent_to_port_plus_one_reaches_no_other_leg() -> None:
    async def scenario() -> None:
        base = free_even_base(4)
        plane = LocalMediaPlane(ports=range(base, base + 4), first_port=0)
        try:
            first = await plane.allocate(LegKey("c1", "caller"))
            second = await plane.allocate(LegKey("c2", "caller"))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
                phone.sendto(b"\x81\xc8" + bytes(50), ("127.0.0.1", first.port + 1))  # an RTCP sender report
            assert second.port == first.port + 2
            assert plane._leg(LegKey("c2", "caller")).rx_packets == 0
        finally:
            await plane.close()

    run(scenario)
