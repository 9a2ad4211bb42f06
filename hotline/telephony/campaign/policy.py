"""The campaign dialer's rules, without I/O (`CampaignBook`): whom to dial next, through which ready agent,
and what an attempt's result does to the contact (reached, retry later, give up).

The same rules as the callback dialer's (callback/policy.py), kept apart because a campaign is not a
caller waiting for us: live callers always come first, nothing is dialled in the quiet minutes before an
airing (the agents will be needed for the spot's callers), nor outside the campaign's calling window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from hotline.telephony.acd.clock import Clock
from hotline.telephony.campaign.model import (
    LIVE,
    CampaignSettings,
    Change,
    ChangeKind,
    Contact,
    Decision,
    DialResult,
    Hold,
    Status,
)

ABORT_PAUSE_SECONDS = 60.0  # the agent hung up while the customer's phone rang: not again at once


class IllegalContactMove(Exception):
    """A move the contact's state does not allow (a result out of order, an unknown contact)."""


class CampaignBook:
    """The contacts of the running progressive campaigns and the rules for when to call whom."""

    def __init__(self, clock: Clock, local_now: Callable[[], datetime], quiet_before_airing_seconds: float) -> None:
        self._clock = clock
        self._local_now = local_now
        self.quiet_before_airing_seconds = quiet_before_airing_seconds
        self.campaigns: dict[int, CampaignSettings] = {}
        self._contacts: dict[int, Contact] = {}
        self._changes: list[Change] = []

    # --- what the store says is running ---------------------------------------------------------------

    def load(self, running: dict[int, tuple[CampaignSettings, Iterable[Contact]]]) -> None:
        """Take the store's view: the running campaigns and their live contacts. A contact the book already
        holds keeps the book's state (the store may not have saved the latest change yet); a pending one the
        store no longer lists (its campaign paused, the customer opted out) leaves the book."""
        self.campaigns = {campaign_id: settings for campaign_id, (settings, _c) in running.items()}
        listed: set[int] = set()
        for _settings, contacts in running.values():
            for contact in contacts:
                listed.add(contact.contact_id)
                self._contacts.setdefault(contact.contact_id, contact)
        for contact in tuple(self._contacts.values()):
            if contact.status is Status.PENDING and contact.contact_id not in listed:
                del self._contacts[contact.contact_id]

    def get(self, contact_id: int) -> Contact:
        try:
            return self._contacts[contact_id]
        except KeyError:
            raise IllegalContactMove(f"no contact {contact_id}") from None

    def live(self) -> list[Contact]:
        """Contacts still to be dialled or being dialled, in dialling order."""
        return sorted((c for c in self._contacts.values() if c.status in LIVE), key=_order)

    # --- the decision ---------------------------------------------------------------------------------

    def next_due(self, *, ready: Callable[[str], list[str]], live_callers_waiting: int,
                 upcoming_airings: Iterable[float] = ()) -> Decision:
        """The contact to dial now and the first ready agent of its campaign's queue, or the holds.

        `ready(queue)` lists the ready agents (not reserved, with a phone) of a queue, first the one its
        strategy would pick; `upcoming_airings` are airing starts in monotonic seconds.
        """
        now = self._clock.now()
        due = [c for c in self.live() if c.status is Status.PENDING and c.not_before <= now
               and c.campaign_id in self.campaigns]
        if not due:
            return Decision(holds=(Hold.NOTHING_DUE,))
        if live_callers_waiting > 0:
            return Decision(holds=(Hold.LIVE_CALLERS_WAITING,))
        quiet = self.quiet_before_airing_seconds
        if any(start - quiet <= now < start for start in upcoming_airings):
            return Decision(holds=(Hold.QUIET_BEFORE_AIRING,))
        holds: list[Hold] = []
        local = self._local_now().time()
        for contact in due:
            settings = self.campaigns[contact.campaign_id]
            if not settings.window_start <= local < settings.window_end:
                holds.append(Hold.OUTSIDE_CALLING_WINDOW)
                continue
            agents = ready(settings.queue)
            if not agents:
                holds.append(Hold.NO_READY_AGENT)
                continue
            return Decision(contact=contact, agent=agents[0])
        return Decision(holds=tuple(dict.fromkeys(holds)))

    # --- attempts -------------------------------------------------------------------------------------

    def reserve(self, contact_id: int, agent: str) -> Change:
        """The host rings `agent` for this contact (agent first): taken, no attempt counted yet."""
        contact = self._in(contact_id, Status.PENDING)
        contact.status, contact.agent = Status.RESERVED, agent
        return self._record(ChangeKind.RESERVED, contact, agent)

    def release(self, contact_id: int, why: str) -> Change:
        """The agent did not take it: pending again at once, no attempt counted (not the customer's fault)."""
        contact = self._in(contact_id, Status.RESERVED)
        contact.status, contact.agent = Status.PENDING, ""
        return self._record(ChangeKind.RELEASED, contact, why)

    def dialled(self, contact_id: int) -> Change:
        """The agent answered and the customer is being dialled: one attempt more."""
        contact = self._in(contact_id, Status.RESERVED)
        contact.status = Status.DIALLING
        contact.attempts += 1
        return self._record(ChangeKind.DIALLED, contact, f"attempt {contact.attempts}")

    def abort(self, contact_id: int, why: str) -> Change:
        """The agent hung up while the customer's phone rang: the attempt does not count."""
        contact = self._in(contact_id, Status.DIALLING)
        contact.status, contact.agent = Status.PENDING, ""
        contact.attempts -= 1
        contact.not_before = self._clock.now() + ABORT_PAUSE_SECONDS
        return self._record(ChangeKind.RELEASED, contact, why)

    def outcome(self, contact_id: int, result: DialResult) -> Change:
        """Answered: reached. Failed: given up. Busy or no answer: again after the retry interval, until the
        campaign's attempts are used up."""
        contact = self._in(contact_id, Status.DIALLING)
        contact.last_result = result
        settings = self.campaigns.get(contact.campaign_id)
        if result is DialResult.ANSWERED:
            contact.status = Status.REACHED
            return self._record(ChangeKind.REACHED, contact, contact.agent)
        if result is DialResult.FAILED:
            contact.status = Status.FAILED
            return self._record(ChangeKind.FAILED, contact, "dial failed")
        if settings is None or contact.attempts >= settings.max_attempts:
            contact.status = Status.GAVE_UP
            return self._record(ChangeKind.GAVE_UP, contact, f"{result.value} after {contact.attempts} attempts")
        contact.status, contact.agent = Status.PENDING, ""
        contact.not_before = self._clock.now() + settings.retry_interval_seconds
        return self._record(ChangeKind.RETRY_SCHEDULED, contact, result.value)

    def refuse(self, contact_id: int, refusal: str) -> Change:
        """The dial policy refused the number: never dialled by the engine, for a person to look at."""
        contact = self.get(contact_id)
        if contact.status not in (Status.PENDING, Status.RESERVED):
            raise IllegalContactMove(f"contact {contact_id} is {contact.status.value}, not pending")
        contact.status = Status.NOT_DIALLED
        return self._record(ChangeKind.NOT_DIALLED, contact, refusal)

    def take_changes(self) -> list[Change]:
        """Changes since the last call, oldest first (the host stores them)."""
        changes, self._changes = self._changes, []
        return changes

    def _in(self, contact_id: int, status: Status) -> Contact:
        contact = self.get(contact_id)
        if contact.status is not status:
            raise IllegalContactMove(f"contact {contact_id} is {contact.status.value}, not {status.value}")
        return contact

    def _record(self, kind: ChangeKind, contact: Contact, detail: str) -> Change:
        change = Change(kind=kind, contact_id=contact.contact_id, at=self._clock.now(), detail=detail)
        self._changes.append(change)
        return change


def _order(contact: Contact) -> tuple[int, float, int]:
    """Campaign by campaign; fresh contacts before retries (their `not_before` is later), then list order."""
    return (contact.campaign_id, contact.not_before, contact.contact_id)
