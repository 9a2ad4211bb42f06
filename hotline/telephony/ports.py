"""What the engine needs from its host, as Protocols (ARCHITECTURE rule 3: side effects go through ports).

The web side implements them with the ORM (`hotline.calls.engine_bridge`), tests with fakes. Every
method is a coroutine so that an implementation may do I/O without blocking the engine's loop.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from hotline.telephony.events import AgentStateChanged, CallEvent, EngineEvent


@dataclass(frozen=True, slots=True)
class Route:
    """Where a dialled hotline number goes: an IVR flow, or straight to a queue."""

    hotline_number: str
    flow: str = ""
    queue: str = ""


@dataclass(frozen=True, slots=True)
class Attribution:
    """The airing a call is attributed to (empty when none)."""

    airing_id: int | None
    station: str = ""


@dataclass(frozen=True, slots=True)
class CallerProfile:
    """What routing needs to know about a caller: VIP (priority in queues that give it) and the agent who
    last talked to them (last-agent affinity, 智能号码匹配)."""

    vip: bool = False
    last_agent: str = ""


@dataclass(frozen=True, slots=True)
class SeatCredentials:
    """What a seat's phone uses for digest authentication; `ha1` = MD5(user:realm:password)."""

    seat: str
    username: str
    realm: str
    ha1: str
    fixed_uri: str = ""


class CallLog(Protocol):
    """The persisted event log and call records."""

    async def append(self, event: CallEvent) -> None:
        """Append one call step. An `Arrive` opens the call record."""

    async def append_agent_state(self, event: AgentStateChanged) -> None:
        """Append one agent state change (occupancy is computed from these)."""

    async def close_call(self, call_id: str) -> None:
        """Close the call record once the call and its wrap-up are over; the outcome follows from the log."""

    async def link_recording(self, call_id: str, path: str, duration_seconds: float, channels: int) -> None:
        """Attach a finished recording file to its call."""


class Directory(Protocol):
    """Configuration the engine reads: routing, attribution, seats and agents."""

    async def route(self, dnis: str) -> Route | None:
        """The flow or queue for a dialled number; None for a number we do not serve."""

    async def attribute(self, dnis: str, at: datetime.datetime) -> Attribution:
        """The airing that caused a call to `dnis` arriving at `at`."""

    async def caller_profile(self, caller: str) -> CallerProfile:
        """The caller's VIP status and last agent, by their number (an unknown caller: the defaults)."""

    async def seat_credentials(self, username: str) -> SeatCredentials | None:
        """Digest credentials of a seat's phone, by SIP user name."""

    async def seat_of_agent(self, agent: str) -> str | None:
        """The seat an agent is logged in to."""

    async def agent_at_seat(self, seat: str) -> str | None:
        """The agent logged in at a seat."""


class EventBus(Protocol):
    """Where the engine publishes what happens (offered, answered, ended, agent and queue changes)."""

    async def publish(self, topic: str, event: EngineEvent) -> None:
        """Deliver `event` to subscribers of `topic`; never blocks on slow subscribers."""


class SipControl(Protocol):
    """Commands the web side sends to the engine on behalf of agents and supervisors."""

    async def login(self, agent: str, seat: str) -> None: ...

    async def logout(self, agent: str) -> None: ...

    async def ready(self, agent: str) -> None: ...

    async def not_ready(self, agent: str, reason: str = "") -> None: ...

    async def click_to_dial(self, agent: str, number: str) -> str:
        """Ring the agent's phone first, then the customer; returns the new call id."""

    async def hang_up(self, call_id: str) -> None: ...

    async def hold(self, call_id: str) -> None: ...

    async def resume(self, call_id: str) -> None: ...

    async def transfer(self, call_id: str, *, queue: str = "", agent: str = "") -> None:
        """Send the call to a queue or to an agent (exactly one of them)."""
