"""What the engine needs from its host, as Protocols (ARCHITECTURE rule 3: side effects go through ports).

The web side implements them with the ORM (`hotline.calls.host`), tests with fakes. Every method is a
coroutine so that an implementation may do I/O without blocking the engine's loop. The other direction,
the web side commanding the engine, is not a port: it is the typed commands of `hotline.telephony.commands`,
carried out by `hotline.telephony.control.EngineControl`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from hotline.telephony.events import AgentStateChanged, CallEvent, EngineEvent


@dataclass(frozen=True, slots=True)
class Route:
    """Where a dialled hotline number goes: an IVR flow, or straight to a queue.

    `greeting`: prompts a caller put straight into the queue hears first, while agents' phones already
    ring (a number that skips its menu during an airing plays a short welcome).
    """

    hotline_number: str
    flow: str = ""
    queue: str = ""
    greeting: tuple[str, ...] = ()


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
    # The blacklist's word on the number: "reject" (told we cannot serve them, then hung up), "warn" (put
    # through; the agent's screen warns), or "" for a number not on it.
    blacklist: str = ""
    # The number in the host's normal form (+86 138…, 138…, 0086… are one caller), as callbacks are kept;
    # "" when the host does not normalise (the number as dialled is used).
    number: str = ""


@dataclass(frozen=True, slots=True)
class SeatCredentials:
    """What a seat's phone uses for digest authentication; `ha1` = MD5(user:realm:password)."""

    seat: str
    username: str
    realm: str
    ha1: str
    fixed_uri: str = ""


@dataclass(frozen=True, slots=True)
class CallbackCapture:
    """A caller to call back, as the engine hands it to the host to store.

    `reason` is a `hotline.telephony.callback.model.Reason` value (surge, requested, abandoned, overflow);
    `arrived_at` is when the caller first reached us on this call (a callback keeps its place in line).
    `not_dialled` is a `hotline.telephony.dial_policy.Refusal` value when the dial policy refuses the number
    (international, premium, no caller ID…): the callback is stored held, for a person, never dialled.
    """

    number: str
    hotline_number: str
    airing_id: int | None
    call_id: str
    reason: str
    arrived_at: datetime.datetime
    not_dialled: str = ""


@dataclass(frozen=True, slots=True)
class StoredCallback:
    """A callback as the host keeps it. `status` and `last_result` are the values of the callback policy's
    `Status` and `DialResult` enums ("" for no result yet); `aired_at` is the start of its airing."""

    callback_id: int
    number: str
    hotline_number: str
    airing_id: int | None
    reason: str
    call_id: str
    arrived_at: datetime.datetime
    captured_at: datetime.datetime
    status: str = "pending"
    reach_attempts: int = 1
    dial_attempts: int = 0
    not_before: datetime.datetime | None = None
    last_result: str = ""
    aired_at: datetime.datetime | None = None
    not_dialled: str = ""  # why the dial policy refused it (status "held"), else ""


@dataclass(frozen=True, slots=True)
class CallbackChange:
    """One state change of a callback: its new state and the event to log (`kind` is an `EventKind`
    value; `call_id` is the dial's call, if the change belongs to one)."""

    callback_id: int
    kind: str
    at: datetime.datetime
    status: str
    dial_attempts: int
    not_before: datetime.datetime | None = None
    last_result: str = ""
    detail: str = ""
    call_id: str = ""
    not_dialled: str = ""  # a `Refusal` value when the change is the dial policy's refusal


class CallbackStore(Protocol):
    """Where callbacks live: the engine's callback book is rebuilt from here after a restart."""

    async def capture(self, capture: CallbackCapture) -> StoredCallback:
        """Store the callback and commit before returning: the caller hears the confirmation only after.

        One live (pending, reserved or dialling) callback per number: capturing a number that has one
        returns that one with `reach_attempts` + 1 and the earlier `arrived_at` kept, and logs the repeat.
        A capture with `not_dialled` is stored held (never live), a repeat of the number's held one if any.
        """

    async def live(self) -> list[StoredCallback]:
        """Every live callback, oldest capture first (read once when the engine starts)."""

    async def record(self, change: CallbackChange) -> None:
        """Save a state change and append its event."""

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        """Start times of airings scheduled in [now, now + within_seconds] (the dialer keeps quiet before
        them)."""

    async def close(self) -> None:
        """Release what the store holds (connections, threads); called once when the engine stops."""


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

    async def file_voicemail(self, call_id: str, path: str, duration_seconds: float) -> None:
        """A caller left a message (a mono WAV at `path`): put it on the voicemail worklist."""


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


@dataclass(frozen=True, slots=True)
class CampaignContactDue:
    """A customer a running progressive campaign still has to call (blacklist and opt-outs already left out
    by the host); `not_before` is set after a retry."""

    contact_id: int
    number: str
    attempts: int = 0
    not_before: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class RunningCampaign:
    """A progressive campaign the engine dials now: whose agents call, the local calling window, retries."""

    campaign_id: int
    queue: str
    window_start: datetime.time
    window_end: datetime.time
    retry_interval_seconds: float
    max_attempts: int
    contacts: tuple[CampaignContactDue, ...] = ()


@dataclass(frozen=True, slots=True)
class CampaignChange:
    """One change of a contact (`kind` is a `campaign.model.ChangeKind` value): its attempts and status."""

    contact_id: int
    kind: str
    at: datetime.datetime
    status: str
    attempts: int
    agent: str = ""
    result: str = ""
    not_before: datetime.datetime | None = None
    call_id: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """A caller's post-call survey answer (1–5), against the call, its agent and queue."""

    call_id: str
    agent: str
    queue: str
    score: int
    at: datetime.datetime


class CampaignStore(Protocol):
    """Where campaigns and surveys live for the engine (the host's campaigns app)."""

    async def running(self, now: datetime.datetime) -> list[RunningCampaign]:
        """The progressive campaigns running now, with their live contacts (read every few seconds)."""

    async def record(self, change: CampaignChange) -> None:
        """Save a contact's change (an attempt, its result)."""

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        """Start times of airings scheduled in [now, now + within_seconds] (the dialer keeps quiet before)."""

    async def survey_wanted(self, call_id: str) -> bool:
        """Whether the caller of `call_id` agreed to the post-call survey (the agent's flag, an IVR node)."""

    async def record_survey(self, answer: SurveyAnswer) -> None:
        """Store a survey answer."""

    async def voice_notices(self) -> list[VoiceNotice]:
        """Voice notifications still to play (read with the running campaigns)."""

    async def record_voice_notice(self, result: VoiceNoticeResult) -> None:
        """Save a voice notification attempt's result."""


@dataclass(frozen=True, slots=True)
class VoiceNotice:
    """An automatic voice notification (自动语音播放) to make: the engine calls `number` and plays `prompts` (by
    name: the order number digit by digit, its status); `attempts` made so far, `not_before` after a retry."""

    notice_id: int
    number: str
    prompts: tuple[str, ...]
    attempts: int = 0
    max_attempts: int = 3
    retry_interval_seconds: float = 600.0
    not_before: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class VoiceNoticeResult:
    """How one attempt of a voice notification went (`status`: played, retry, gave_up, failed, not_dialled)."""

    notice_id: int
    status: str
    attempts: int
    result: str
    at: datetime.datetime
    call_id: str = ""
    not_before: datetime.datetime | None = None


class VoiceNoticeStore(Protocol):
    """Where voice notifications wait for the engine (the campaigns app implements it with the campaign
    store)."""

    async def voice_notices(self) -> list[VoiceNotice]:
        """Voice notifications still to play (read with the running campaigns)."""

    async def record_voice_notice(self, result: VoiceNoticeResult) -> None:
        """Save an attempt's result."""
