"""The engine's outbound campaigns and post-call survey store access (`CampaignDesk`).

Progressive dialing: every `tick_seconds` the desk asks the pure `CampaignBook` (policy.py) for the next
contact; when the book allows it (no live caller waiting anywhere, not in the quiet minutes before an
airing, inside the campaign's calling window, an agent of the campaign's queue ready) the desk reserves
that agent, rings their phone, and dials the customer once the agent answers (agent first, as the callback
dialer does, through the same `OutboundSession`). Every customer dial passes the engine's dial policy.
The running campaigns and their contacts are re-read from the `CampaignStore` every `refresh_seconds`;
every change of a contact is written back through the engine's ordered writer.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from functools import partial
from typing import TYPE_CHECKING

from hotline.telephony.campaign.model import CampaignSettings, Change, Contact, DialResult, Status
from hotline.telephony.campaign.policy import CampaignBook, IllegalContactMove
from hotline.telephony.campaign.voice import VoiceNotices
from hotline.telephony.config import CampaignConfig, EngineConfig
from hotline.telephony.dial_policy import Refusal, refusal_text
from hotline.telephony.outbound import OUTBOUND_REASON, OutboundSession
from hotline.telephony.ports import CampaignChange, CampaignStore, RunningCampaign, SurveyAnswer

if TYPE_CHECKING:
    from collections.abc import Callable

    from hotline.telephony.call.context import CallContext

log = logging.getLogger(__name__)

DIALS_PER_TICK = 20  # at most this many dials (or refusals) started by one tick


class CampaignDesk:
    """Progressive campaigns for one engine (the book, its store, the dialer) and the survey's store."""

    def __init__(self, store: CampaignStore | None) -> None:
        self.store = store
        self.config = CampaignConfig()
        self.gateway = ""
        self.timezone: datetime.tzinfo = datetime.UTC
        self.stopping = False
        self._tick_handle: asyncio.TimerHandle | None = None
        self._next_refresh = 0.0
        self.airings: list[float] = []
        self._contact_of: dict[OutboundSession, int] = {}
        self.voice = VoiceNotices(store, self.config.ring_seconds)  # automatic voice notifications

    async def start(self, ctx: CallContext, config: EngineConfig) -> None:
        """Read the running campaigns and start dialling through `ctx` (nothing without a store and a
        gateway: the survey still works with a store)."""
        self.ctx, self.config, self.gateway = ctx, config.campaigns, config.outbound_gateway
        self.timezone = config.campaigns.timezone or config.callbacks.timezone
        self.book = CampaignBook(ctx.clocks.clock, self._local_now, self.config.quiet_before_airing_seconds)
        self.voice.ring_seconds = self.config.ring_seconds
        if self.store is not None and self.gateway:
            await self.refresh()
            self._schedule()

    def stop(self) -> None:
        """Stop dialling; calls under way end with the engine's stop."""
        self.stopping = True
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None

    def _local_now(self) -> datetime.datetime:
        return self.ctx.clocks.wall().astimezone(self.timezone)

    def _mono_of(self, at: datetime.datetime) -> float:
        clocks = self.ctx.clocks
        return clocks.clock.now() - (clocks.wall() - at).total_seconds()

    # -- the store's view --------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Re-read the running campaigns, their contacts and the airings coming up."""
        store, clocks = self.store, self.ctx.clocks
        if store is None:
            return
        self._next_refresh = clocks.clock.now() + self.config.refresh_seconds
        within = self.config.quiet_before_airing_seconds + 2 * self.config.refresh_seconds
        try:
            running = await store.running(clocks.wall())
            starts = await store.upcoming_airings(clocks.wall(), within)
            notices = await store.voice_notices()
        except Exception:  # the store is down: keep what the book has, and try again at the next refresh
            log.exception("campaigns: the running campaigns could not be read")
            return
        self.airings = [self._mono_of(start) for start in starts]
        self.book.load({campaign.campaign_id: self._settings_of(campaign) for campaign in running})
        self.voice.load(self.ctx, notices)

    def _settings_of(self, campaign: RunningCampaign) -> tuple[CampaignSettings, list[Contact]]:
        settings = CampaignSettings(queue=campaign.queue, window_start=campaign.window_start,
                                    window_end=campaign.window_end,
                                    retry_interval_seconds=campaign.retry_interval_seconds,
                                    max_attempts=campaign.max_attempts)
        contacts = [Contact(contact_id=due.contact_id, campaign_id=campaign.campaign_id, number=due.number,
                            attempts=due.attempts, not_before=self._mono_of(due.not_before) if due.not_before else 0.0)
                    for due in campaign.contacts]
        return settings, contacts

    # -- the dialer --------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self.stopping:
            self._tick_handle = asyncio.get_running_loop().call_later(self.config.tick_seconds, self._tick)

    def _tick(self) -> None:
        self._tick_handle = None
        try:
            if self.ctx.clocks.clock.now() >= self._next_refresh:
                self._next_refresh = self.ctx.clocks.clock.now() + self.config.refresh_seconds
                self.ctx.tasks.spawn(self.refresh())
            for _dial in range(DIALS_PER_TICK):
                if not self.dial_next():
                    break
            self.voice.dial_due(self.ctx, self.gateway, quiet=self._quiet())
        finally:
            self._schedule()

    def _quiet(self) -> bool:
        """Live callers wait, or an airing starts soon: no call that is not for them."""
        now, quiet = self.ctx.clocks.clock.now(), self.config.quiet_before_airing_seconds
        waiting = self.ctx.acd.dispatcher.callers_waiting() > 0
        return waiting or any(start - quiet <= now < start for start in self.airings)

    def ready(self, queue: str) -> list[str]:
        """Ready agents of `queue` whose phone can be rung, first the one its strategy would pick."""
        ctx = self.ctx
        if ctx.acd.queue_config(queue) is None:
            return []
        return [agent for agent in ctx.acd.dispatcher.ready_agents(queue) if ctx.seats.contact_of(agent) is not None]

    def dial_next(self) -> bool:
        """Start the next dial the book allows (or refuse a number the dial policy refuses); False when
        nothing was started."""
        ctx = self.ctx
        decision = self.book.next_due(ready=self.ready, live_callers_waiting=ctx.acd.dispatcher.callers_waiting(),
                                      upcoming_airings=self.airings)
        contact = decision.contact
        if contact is None:
            return False
        refused = ctx.dial_policy.refusal(contact.number)
        if refused is not None:
            log.warning("campaign contact %s to %s %s", contact.contact_id, contact.number, refusal_text(refused))
            self.book.refuse(contact.contact_id, refused.value)
            self._write(self.book.take_changes())
            return True
        session = OutboundSession(ctx, decision.agent, contact.number, reason=OUTBOUND_REASON, listener=self,
                                  customer_ring_seconds=self.config.ring_seconds)
        session.reserve()  # paused now: the next decision (and any queue) sees this agent busy
        self.book.reserve(contact.contact_id, decision.agent)
        self._write(self.book.take_changes())
        self._contact_of[session] = contact.contact_id
        contact_uri = ctx.seats.contact_of(decision.agent)
        assert contact_uri is not None  # `ready` lists only agents with a phone
        ctx.tasks.spawn(self._dial(session, contact_uri))
        return True

    async def _dial(self, session: OutboundSession, contact_uri: str) -> None:
        try:
            await session.start(self.gateway, contact_uri)
        except Exception:
            log.exception("campaign: agent %s's phone could not be dialled", session.agent)
            self.agent_missed(session)

    # -- DialListener ------------------------------------------------------------------------------------

    def agent_missed(self, session: OutboundSession) -> None:
        self._settle(session, lambda contact_id: self.book.release(contact_id, "the agent did not answer"))

    def customer_dialling(self, session: OutboundSession) -> None:
        contact_id = self._contact_of.get(session)
        if contact_id is not None and not self.stopping:
            self._move(lambda: self.book.dialled(contact_id), session.call_id)

    def customer_result(self, session: OutboundSession, result: DialResult) -> None:
        self._settle(session, lambda contact_id: self.book.outcome(contact_id, result))

    def dial_aborted(self, session: OutboundSession) -> None:
        self._settle(session, lambda contact_id: self.book.abort(
            contact_id, "the agent hung up before the customer answered"))

    def customer_refused(self, session: OutboundSession, refusal: Refusal) -> None:
        self._settle(session, lambda contact_id: self.book.refuse(contact_id, refusal.value))

    def _settle(self, session: OutboundSession, move: Callable[[int], Change]) -> None:
        contact_id = self._contact_of.pop(session, None)
        if contact_id is None or self.stopping:
            return  # a shutdown is nobody's answer: the store still says the attempt was under way
        self._move(lambda: move(contact_id), session.call_id)

    def _move(self, move: Callable[[], Change], call_id: str) -> None:
        try:
            move()
        except IllegalContactMove:
            log.exception("campaign: a result out of order")
        self._write(self.book.take_changes(), call_id)

    # -- storage -----------------------------------------------------------------------------------------

    def _write(self, changes: list[Change], call_id: str = "") -> None:
        store = self.store
        if store is None:
            return
        clocks = self.ctx.clocks
        for change in changes:
            contact = self.book.get(change.contact_id)
            retry = contact.status is Status.PENDING and contact.not_before > change.at
            stored = CampaignChange(
                contact_id=contact.contact_id, kind=change.kind.value, at=clocks.wall_at(change.at),
                status=contact.status.value, attempts=contact.attempts, agent=contact.agent,
                result=contact.last_result.value if contact.last_result else "",
                not_before=clocks.wall_at(contact.not_before) if retry else None, call_id=call_id,
                detail=change.detail)
            self.ctx.lanes.write(partial(store.record, stored))

    # -- the post-call survey ----------------------------------------------------------------------------

    async def survey_wanted(self, call_id: str) -> bool:
        """Whether the caller agreed to the survey (False without a store, or when the store fails: the call
        then simply ends)."""
        if self.store is None:
            return False
        try:
            return await self.store.survey_wanted(call_id)
        except Exception:
            log.exception("call %s: could not tell whether the caller wants the survey", call_id)
            return False

    def record_survey(self, answer: SurveyAnswer) -> None:
        """Store the answer behind the writes queued before it."""
        if self.store is not None:
            self.ctx.lanes.write(partial(self.store.record_survey, answer))
