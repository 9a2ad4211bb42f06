"""Campaign data the engine keeps: a campaign's dialling settings, one contact's state, the dialer's holds."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import time

from hotline.telephony.callback.model import DialResult

__all__ = ["CampaignSettings", "Change", "ChangeKind", "Contact", "Decision", "DialResult", "Hold", "Status"]


@dataclass(frozen=True)
class CampaignSettings:
    """How one progressive campaign is dialled: whose agents call (`queue`), the local calling window
    [window_start, window_end), and the retries after no answer or busy."""

    queue: str
    window_start: time = time(9)
    window_end: time = time(21)
    retry_interval_seconds: float = 1800.0
    max_attempts: int = 3

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.retry_interval_seconds < 0:
            raise ValueError("retry_interval_seconds must not be negative")


class Status(enum.Enum):
    """Where a contact stands in the engine: PENDING, RESERVED (its agent rings) and DIALLING are live."""

    PENDING = "pending"
    RESERVED = "reserved"
    DIALLING = "dialling"
    REACHED = "reached"
    GAVE_UP = "gave_up"
    FAILED = "failed"
    NOT_DIALLED = "not_dialled"


LIVE = frozenset({Status.PENDING, Status.RESERVED, Status.DIALLING})


@dataclass
class Contact:
    """One customer to call for one campaign; `not_before` is monotonic seconds."""

    contact_id: int
    campaign_id: int
    number: str
    attempts: int = 0
    not_before: float = 0.0
    status: Status = Status.PENDING
    last_result: DialResult | None = None
    agent: str = ""


class ChangeKind(enum.Enum):
    """A contact's change the host stores (attempts and results are counted from these)."""

    RESERVED = "reserved"
    RELEASED = "released"
    DIALLED = "dialled"
    REACHED = "reached"
    RETRY_SCHEDULED = "retry_scheduled"
    GAVE_UP = "gave_up"
    FAILED = "failed"
    NOT_DIALLED = "not_dialled"


@dataclass(frozen=True)
class Change:
    """What happened to a contact, at a monotonic instant."""

    kind: ChangeKind
    contact_id: int
    at: float
    detail: str = ""


class Hold(enum.Enum):
    """Why the dialer does not dial now."""

    NOTHING_DUE = "nothing_due"
    LIVE_CALLERS_WAITING = "live_callers_waiting"
    QUIET_BEFORE_AIRING = "quiet_before_airing"
    NO_READY_AGENT = "no_ready_agent"
    OUTSIDE_CALLING_WINDOW = "outside_calling_window"


@dataclass(frozen=True)
class Decision:
    """The contact to dial now and the agent to ring first, or why not (`holds`: one per due campaign)."""

    contact: Contact | None = None
    agent: str = ""
    holds: tuple[Hold, ...] = field(default=())
