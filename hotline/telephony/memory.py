"""In-memory implementations of the engine's ports, for tests, the simulator and running the engine alone.

They keep everything in lists and dicts of this process; the web side's ORM implementations
(`hotline.calls.host`) replace them in production.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from hotline.telephony.callback.model import LIVE
from hotline.telephony.events import AgentStateChanged, CallEvent, CallStep, EngineEvent
from hotline.telephony.ports import (
    Attribution,
    CallbackCapture,
    CallbackChange,
    CallerProfile,
    CampaignChange,
    CampaignContactDue,
    Route,
    RunningCampaign,
    SeatCredentials,
    StoredCallback,
    SurveyAnswer,
    VoiceNotice,
    VoiceNoticeResult,
)

LIVE_STATUSES = frozenset(status.value for status in LIVE)  # the callback policy's live statuses, as stored


@dataclass(frozen=True, slots=True)
class RecordingLink:
    """A finished recording attached to its call."""

    call_id: str
    path: str
    duration_seconds: float
    channels: int


@dataclass
class MemoryCallLog:
    """`CallLog` in memory: the events in append order, agent state changes, closed calls and recordings."""

    events: list[CallEvent] = field(default_factory=list)
    agent_states: list[AgentStateChanged] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    recordings: list[RecordingLink] = field(default_factory=list)
    voicemails: list[RecordingLink] = field(default_factory=list)

    async def append(self, event: CallEvent) -> None:
        self.events.append(event)

    async def append_agent_state(self, event: AgentStateChanged) -> None:
        self.agent_states.append(event)

    async def close_call(self, call_id: str) -> None:
        self.closed.append(call_id)

    async def link_recording(self, call_id: str, path: str, duration_seconds: float, channels: int) -> None:
        self.recordings.append(RecordingLink(call_id, path, duration_seconds, channels))

    async def file_voicemail(self, call_id: str, path: str, duration_seconds: float) -> None:
        self.voicemails.append(RecordingLink(call_id, path, duration_seconds, 1))

    def of_call(self, call_id: str) -> list[CallEvent]:
        """The events of one call, in order."""
        return [event for event in self.events if event.call_id == call_id]

    def kinds(self, call_id: str) -> list[CallStep]:
        """The kinds of one call's events, in order (what tests usually compare)."""
        return [event.kind for event in self.of_call(call_id)]


@dataclass
class MemoryDirectory:
    """`Directory` from dicts: routes by dialled number, seat credentials by SIP user, agents at seats."""

    routes: Mapping[str, Route] = field(default_factory=dict)
    seats: Mapping[str, SeatCredentials] = field(default_factory=dict)
    agents_at_seats: Mapping[str, str] = field(default_factory=dict)
    airings: Mapping[str, Attribution] = field(default_factory=dict)  # by dialled number: the airing on now
    callers: Mapping[str, CallerProfile] = field(default_factory=dict)  # by caller number

    async def route(self, dnis: str) -> Route | None:
        return self.routes.get(dnis)

    async def attribute(self, dnis: str, at: datetime.datetime) -> Attribution:
        return self.airings.get(dnis, Attribution(None))

    async def caller_profile(self, caller: str) -> CallerProfile:
        return self.callers.get(caller, CallerProfile())

    async def seat_credentials(self, username: str) -> SeatCredentials | None:
        return self.seats.get(username)

    async def seat_of_agent(self, agent: str) -> str | None:
        return next((seat for seat, who in self.agents_at_seats.items() if who == agent), None)

    async def agent_at_seat(self, seat: str) -> str | None:
        return self.agents_at_seats.get(seat)


@dataclass
class MemoryEventBus:
    """`EventBus` that keeps what was published, as (topic, event) pairs."""

    published: list[tuple[str, EngineEvent]] = field(default_factory=list)

    async def publish(self, topic: str, event: EngineEvent) -> None:
        self.published.append((topic, event))


@dataclass
class MemoryCallbackStore:
    """`CallbackStore` in memory: callbacks by id (one live per number), their changes, and scheduled airings.

    `failing` makes `capture` raise, as a database that is down would.
    """

    callbacks: dict[int, StoredCallback] = field(default_factory=dict)
    changes: list[CallbackChange] = field(default_factory=list)
    captures: list[CallbackCapture] = field(default_factory=list)
    airings: list[datetime.datetime] = field(default_factory=list)
    failing: bool = False

    async def capture(self, capture: CallbackCapture) -> StoredCallback:
        if self.failing:
            raise ConnectionError("the callback store is down")
        self.captures.append(capture)
        statuses = {"held"} if capture.not_dialled else LIVE_STATUSES  # a held capture never joins a live one
        live = next((c for c in self.callbacks.values()
                     if c.number == capture.number and capture.number and c.status in statuses), None)
        if live is not None:
            stored = dataclasses.replace(live, reach_attempts=live.reach_attempts + 1,
                                         arrived_at=min(live.arrived_at, capture.arrived_at))
        else:
            stored = StoredCallback(
                callback_id=len(self.callbacks) + 1, number=capture.number, hotline_number=capture.hotline_number,
                airing_id=capture.airing_id, reason=capture.reason, call_id=capture.call_id,
                arrived_at=capture.arrived_at, captured_at=datetime.datetime.now(datetime.UTC),
                status="held" if capture.not_dialled else "pending", not_dialled=capture.not_dialled)
        self.callbacks[stored.callback_id] = stored
        return stored

    async def live(self) -> list[StoredCallback]:
        return [c for c in self.callbacks.values() if c.status in LIVE_STATUSES]

    async def record(self, change: CallbackChange) -> None:
        self.changes.append(change)
        stored = self.callbacks[change.callback_id]
        self.callbacks[change.callback_id] = dataclasses.replace(
            stored, status=change.status, dial_attempts=change.dial_attempts, not_before=change.not_before,
            last_result=change.last_result, not_dialled=change.not_dialled or stored.not_dialled)

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        end = now + datetime.timedelta(seconds=within_seconds)
        return [start for start in self.airings if now <= start <= end]

    async def close(self) -> None:
        pass


@dataclass
class MemoryCampaignStore:
    """`CampaignStore` in memory: running campaigns (their contacts kept up to date by the changes), the
    changes in order, the calls whose callers agreed to the survey, and the survey answers.

    `paused` campaigns are not listed as running; a contact leaves the listing once final.
    """

    campaigns: dict[int, RunningCampaign] = field(default_factory=dict)
    changes: list[CampaignChange] = field(default_factory=list)
    airings: list[datetime.datetime] = field(default_factory=list)
    paused: set[int] = field(default_factory=set)
    survey_calls: set[str] = field(default_factory=set)
    answers: list[SurveyAnswer] = field(default_factory=list)
    notices: list[VoiceNotice] = field(default_factory=list)
    notice_results: list[VoiceNoticeResult] = field(default_factory=list)

    async def running(self, now: datetime.datetime) -> list[RunningCampaign]:
        return [campaign for campaign_id, campaign in self.campaigns.items() if campaign_id not in self.paused]

    async def record(self, change: CampaignChange) -> None:
        self.changes.append(change)
        for campaign_id, campaign in self.campaigns.items():
            contacts: list[CampaignContactDue] = []
            for due in campaign.contacts:
                if due.contact_id != change.contact_id:
                    contacts.append(due)
                elif change.status in ("pending", "reserved", "dialling"):
                    contacts.append(dataclasses.replace(due, attempts=change.attempts, not_before=change.not_before))
            self.campaigns[campaign_id] = dataclasses.replace(campaign, contacts=tuple(contacts))

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        end = now + datetime.timedelta(seconds=within_seconds)
        return [start for start in self.airings if now <= start <= end]

    async def survey_wanted(self, call_id: str) -> bool:
        return call_id in self.survey_calls

    async def record_survey(self, answer: SurveyAnswer) -> None:
        self.answers.append(answer)

    async def voice_notices(self) -> list[VoiceNotice]:
        return list(self.notices)

    async def record_voice_notice(self, result: VoiceNoticeResult) -> None:
        self.notice_results.append(result)
