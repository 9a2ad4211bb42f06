"""Who may call in: trunks allowed by source address (optional digest), and the overload guard.

A call center's worst night is toll fraud, so an INVITE from an address that is not a trunk is refused 403.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hotline.telephony.sip.message import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Admission = Callable[[Request], bool]


@dataclass(frozen=True)
class Trunk:
    """A peer allowed to send calls: its name, source networks, and an optional digest username.

    `early_media_capture`: a caller the automatic seat captures in a surge hears the confirmation as early
    media (183 Session Progress) and the call ends with a final response, never answered, so the caller is
    not charged. Off by default: some carriers drop early media, and then the caller hears nothing.
    `rtp_behind_nat`: the carrier's media may come from another address than its SDP names, so the
    engine may latch to it (after a short wait). Off by default: a carrier sends from its SDP address, and
    then no stale sender (a cut call still streaming after an engine restart) can take a new caller's port.
    """

    name: str
    networks: tuple[Network, ...]
    username: str | None = None
    early_media_capture: bool = False
    rtp_behind_nat: bool = False

    @classmethod
    def of(cls, name: str, addresses: Iterable[str], username: str | None = None, *,
           early_media_capture: bool = False, rtp_behind_nat: bool = False) -> Trunk:
        """A trunk from addresses or CIDR networks such as `127.0.0.1` or `10.0.0.0/24`."""
        return cls(name, tuple(ipaddress.ip_network(address, strict=False) for address in addresses), username,
                   early_media_capture, rtp_behind_nat)

    def allows(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


class TrunkList:
    """The allow-list: the first trunk whose networks hold a source address."""

    def __init__(self, trunks: Iterable[Trunk] = ()) -> None:
        self.trunks = list(trunks)

    def match(self, address: str) -> Trunk | None:
        return next((trunk for trunk in self.trunks if trunk.allows(address)), None)


def always_admit(request: Request) -> bool:
    """The default overload guard: accept every call."""
    return True


class CallLimit:
    """An overload guard admitting at most `limit` concurrent calls, as counted by `active()`."""

    def __init__(self, limit: int, active: Callable[[], int]) -> None:
        self.limit = limit
        self._active = active

    def __call__(self, request: Request) -> bool:
        return self._active() < self.limit
