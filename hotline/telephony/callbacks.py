"""The engine's callbacks: capture (automatic seat, key press, abandon), storage, and the agent-first dialer.

`CallbackDesk` owns the pure `CallbackBook` (callback/policy.py) and carries out what it decides. A capture
is stored through the `CallbackStore` port and committed *before* the caller hears the confirmation, so a
crash can lose a callback only if the caller was never told it was saved. Every later change (reserved,
dialled, retry, answered, gave up, expired, cancelled) is written through the engine's ordered writer.

Every number goes through the outbound dial policy (dial_policy.py): a caller whose number it refuses
(international, premium, service, no or an unreadable caller ID) is still captured, but held for a person
and never put in the book; a callback the policy refuses when its turn comes (a daily limit) is held too.

The dialer wakes every `tick_seconds`. It dials only when the book allows it (no live caller waiting, an
agent ready, inside the calling window, not just before an airing, within pacing), reserves the first ready
agent of the callback queue, rings that agent's phone, and dials the customer once the agent answers.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from hotline.telephony.acd.pauses import EnginePause
from hotline.telephony.callback.model import Callback, DialResult, Event, EventKind, Reason
from hotline.telephony.callback.policy import CallbackBook, IllegalCallbackMove
from hotline.telephony.config import CallbackConfig
from hotline.telephony.dial_policy import Refusal, class_refusal, classify, refusal_text
from hotline.telephony.lanes import Clocks
from hotline.telephony.outbound import OutboundSession
from hotline.telephony.ports import CallbackCapture, CallbackChange, CallbackStore, StoredCallback

if TYPE_CHECKING:
    from hotline.telephony.call.context import CallContext

log = logging.getLogger(__name__)

CALLBACK_REASON = EnginePause.CALLBACK.value  # the pause reason of an agent reserved for a callback
__all__ = ["CALLBACK_REASON", "CallbackConfig", "CallbackDesk", "Caught"]
AIRINGS_REFRESH_SECONDS = 60.0
# Kinds the store logs itself when it stores a capture; the book's copies are not written again.
STORED_ON_CAPTURE = frozenset({EventKind.CAPTURED, EventKind.DEDUPLICATED})
# Refusals after which we cannot even say whose callback it is: the confirmation says so.
UNREADABLE = frozenset({Refusal.NO_CALLER_ID, Refusal.INVALID})
# The most callbacks one dialer tick may hold (refused by the dial policy) before it dials the next one.
HOLDS_PER_TICK = 20


@dataclass(frozen=True)
class Caught:
    """A capture as the caller's call sees it: the stored callback, whether it was a repeat, and whether
    we could not read the caller's number (the confirmation then says so: nobody will call them back)."""

    callback_id: int
    repeat: bool
    unreadable: bool = False

    @property
    def confirmation(self) -> str:
        """The prompt that tells the caller what happens next."""
        return "callback_no_number" if self.unreadable else "callback_confirmed"


class CallbackDesk:
    """Callbacks for one engine: the book, its store, and the dialer that works them through agents."""

    def __init__(self, store: CallbackStore | None, config: CallbackConfig, *, gateway: str, first_queue: str,
                 clocks: Clocks) -> None:
        self.store = store
        self.config = config
        self.gateway = gateway  # where customers are dialled ("": callbacks are captured, never dialled)
        self.clocks = clocks
        self.book = CallbackBook(clocks.clock, self._local_now, config.policy)
        self.queue = config.queue or first_queue
        self._airings: list[float] = []  # upcoming airing starts, monotonic
        self._tick_handle: asyncio.TimerHandle | None = None
        self._next_airings_refresh = 0.0
        self._dialling: dict[int, OutboundSession] = {}
        self._writes_for: dict[str, list[asyncio.Future[None]]] = {}  # queued store writes, by number
        self.stopping = False

    def _local_now(self) -> datetime.datetime:
        return self.clocks.wall().astimezone(self.config.timezone)

    # -- life cycle --------------------------------------------------------------------------------------

    async def start(self, ctx: CallContext) -> None:
        """Take back the live callbacks stored before a restart, and start the dialer, which places its
        calls through `ctx`."""
        self.ctx = ctx
        if self.store is not None:
            for stored in await self.store.live():
                try:
                    self.book.restore(self._from_store(stored))
                except IllegalCallbackMove as error:  # two live rows for a number: keep the first
                    log.warning("callback %s not restored: %s", stored.callback_id, error)
        self._schedule()

    def stop(self) -> None:
        """Stop dialling; dials under way are left to the engine's stop (and restored as pending later)."""
        self.stopping = True
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None

    def _from_store(self, stored: StoredCallback) -> Callback:
        mono = self._mono_of
        return Callback(
            callback_id=stored.callback_id, number=stored.number, hotline_number=stored.hotline_number,
            airing_id=stored.airing_id, reason=stored.reason, base_priority=self.config.policy.base_priority,
            arrived_at=mono(stored.arrived_at), captured_at=mono(stored.captured_at),
            reach_attempts=stored.reach_attempts, dial_attempts=stored.dial_attempts,
            not_before=mono(stored.not_before) if stored.not_before else 0.0,
            last_result=DialResult(stored.last_result) if stored.last_result else None,
            aired_at=mono(stored.aired_at) if stored.aired_at else None,
        )

    def _mono_of(self, at: datetime.datetime) -> float:
        """A wall-clock time on the engine's monotonic clock (the book keeps monotonic times)."""
        return self.clocks.clock.now() - (self.clocks.wall() - at).total_seconds()

    def _wall_of(self, mono: float) -> datetime.datetime:
        return self.clocks.wall_at(mono)

    # -- capture -----------------------------------------------------------------------------------------

    async def capture(self, number: str, hotline_number: str, airing_id: int | None, call_id: str,
                      reason: Reason, arrived_at: datetime.datetime) -> Caught | None:
        """Store a callback for `number` (committed when this returns) and put it in the book.

        None when it could not be stored: the caller must then not be told it was saved. A number the dial
        policy refuses is stored held, for a person, and never reaches the book.
        """
        refused = class_refusal(classify(number), self.ctx.dial_policy.settings)
        capture = CallbackCapture(number=number.strip()[:32], hotline_number=hotline_number, airing_id=airing_id,
                                  call_id=call_id, reason=reason.value, arrived_at=arrived_at,
                                  not_dialled=refused.value if refused is not None else "")
        if refused is not None:
            return await self._capture_held(capture, refused)
        if self.store is None:
            repeat = self.book.live_for(number) is not None
            callback = self.book.capture(number, hotline_number, airing_id, self._mono_of(arrived_at), reason.value)
            self.book.take_events()
            return Caught(callback.callback_id, repeat)
        await self._settled(number)  # a cancel or a finish still queued for this number is saved first
        try:
            stored = await self.store.capture(capture)
        except Exception:
            log.exception("callback for %s (call %s) could not be stored", number, call_id)
            return None
        try:
            self._mirror(stored)
        except Exception:  # stored and committed: the caller is told, whatever the book's trouble
            log.exception("callback %s stored, but the book could not take it", stored.callback_id)
        return Caught(stored.callback_id, stored.reach_attempts > 1)

    async def _capture_held(self, capture: CallbackCapture, refused: Refusal) -> Caught | None:
        """Store a callback the dial policy refuses: listed for a person, never in the book (never dialled)."""
        log.warning("callback for %r (call %s) %s", capture.number, capture.call_id, refusal_text(refused))
        unreadable = refused in UNREADABLE
        if self.store is None:
            return Caught(0, False, unreadable)
        try:
            stored = await self.store.capture(capture)
        except Exception:
            log.exception("callback for %r (call %s) could not be stored", capture.number, capture.call_id)
            return None
        return Caught(stored.callback_id, stored.reach_attempts > 1, unreadable)

    def _mirror(self, stored: StoredCallback) -> None:
        """Bring the book in line with the callback the store just returned (the store is the truth)."""
        live = self.book.live_for(stored.number)
        in_step = stored.callback_id == live.callback_id if live is not None else not self.book.has(
            stored.callback_id)
        if in_step:  # the same live callback, or one the book has never seen
            self.book.capture(
                stored.number, stored.hotline_number, stored.airing_id, self._mono_of(stored.arrived_at),
                stored.reason, aired_at_mono=self._mono_of(stored.aired_at) if stored.aired_at else None,
                callback_id=stored.callback_id)
            self._write_events(self.book.take_events(), skip=STORED_ON_CAPTURE)
            return
        log.warning("callback %s: the book disagreed with the store; taking the store's", stored.callback_id)
        self.book.adopt(self._from_store(stored))
        self._write_events(self.book.take_events())

    async def _settled(self, number: str) -> None:
        """Wait until every write queued for this number so far is saved (they remove themselves)."""
        pending = list(self._writes_for.get(number, ()))
        if pending:
            await asyncio.gather(*pending)

    def reached_agent(self, number: str) -> None:
        """A caller got through to an agent: their pending callback is no longer needed."""
        self.book.cancel_for(number)
        self._write_events(self.book.take_events())

    # -- the dialer --------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self.stopping:
            loop = asyncio.get_running_loop()
            self._tick_handle = loop.call_later(self.config.tick_seconds, self._tick)

    def _tick(self) -> None:
        self._tick_handle = None
        try:
            self._refresh_airings()
            self._dial_next()
        finally:
            self._schedule()

    def _refresh_airings(self) -> None:
        now = self.clocks.clock.now()
        if self.store is None or now < self._next_airings_refresh:
            return
        self._next_airings_refresh = now + AIRINGS_REFRESH_SECONDS
        within = self.config.policy.quiet_before_airing_seconds + 2 * AIRINGS_REFRESH_SECONDS
        self.ctx.tasks.spawn(self._load_airings(within))

    async def _load_airings(self, within: float) -> None:
        assert self.store is not None
        starts = await self.store.upcoming_airings(self.clocks.wall(), within)
        self._airings = [self._mono_of(start) for start in starts]

    def ready_agents(self) -> list[str]:
        """Ready agents of the callback queue, first the one its strategy would pick."""
        acd = self.ctx.acd
        if not self.queue or acd.queue_config(self.queue) is None:
            return []
        return acd.dispatcher.ready_agents(self.queue)

    def _dial_next(self) -> None:
        self.book.expire()
        for _held in range(HOLDS_PER_TICK):
            if not self._dial_or_hold():
                break
        self._write_events(self.book.take_events())

    def _dial_or_hold(self) -> bool:
        """Dial the next due callback through the first reachable ready agent; True when instead the dial
        policy refused its number and it was held (the next one may then be dialled at once)."""
        gateway, ctx = self.gateway, self.ctx
        ready = self.ready_agents()
        decision = self.book.next_due(ready_agents=len(ready),
                                      live_callers_waiting=ctx.acd.dispatcher.callers_waiting(),
                                      upcoming_airings=self._airings)
        callback = decision.callback
        # The first ready agent whose phone can be rung (one without a phone must not stall the dialer).
        reachable = ((agent, contact) for agent in ready if (contact := ctx.seats.contact_of(agent)) is not None)
        chosen = next(reachable, None) if callback is not None and gateway else None
        if callback is None or chosen is None:
            return False
        refused = ctx.dial_policy.refusal(callback.number)
        if refused is not None:  # a daily limit, or a callback stored before the policy refused its class
            log.warning("callback %s to %s %s", callback.callback_id, callback.number, refusal_text(refused))
            self.book.hold(callback.callback_id, refused.value)
            return True
        agent, contact = chosen
        session = OutboundSession(ctx, agent, callback.number, reason=CALLBACK_REASON,
                                  callback_id=callback.callback_id, listener=self,
                                  customer_ring_seconds=self.config.ring_seconds)
        session.reserve()  # paused now: no live caller can be offered to this agent before the dial starts
        self.book.reserve(callback.callback_id)
        self._write_events(self.book.take_events())
        self._dialling[callback.callback_id] = session
        ctx.tasks.spawn(self._dial(session, gateway, contact))
        return False

    async def _dial(self, session: OutboundSession, gateway: str, contact: str) -> None:
        try:
            await session.start(gateway, contact)
        except Exception:
            log.exception("callback %s: the agent's phone could not be dialled", session.callback_id)
            self.agent_missed(session)

    # -- DialListener ------------------------------------------------------------------------------------

    def agent_missed(self, session: OutboundSession) -> None:
        self._settle(session, lambda callback_id: self.book.release(callback_id, "the agent did not answer"))

    def customer_dialling(self, session: OutboundSession) -> None:
        if self.stopping or session.callback_id is None:
            return
        self.book.dialled(session.callback_id)
        self._write_events(self.book.take_events(), call_id=session.call_id)

    def customer_result(self, session: OutboundSession, result: DialResult) -> None:
        self._settle(session, lambda callback_id: self.book.outcome(callback_id, result))

    def dial_aborted(self, session: OutboundSession) -> None:
        self._settle(session, lambda callback_id: self.book.abort(
            callback_id, "the agent hung up before the customer answered"))

    def customer_refused(self, session: OutboundSession, refusal: Refusal) -> None:
        self._settle(session, lambda callback_id: self.book.hold(callback_id, refusal.value))

    def _settle(self, session: OutboundSession, move: Callable[[int], Event]) -> None:
        callback_id = session.callback_id
        if callback_id is None or self._dialling.pop(callback_id, None) is None or self.stopping:
            return  # a shutdown is nobody's answer: the stored state says "dialling", restored as pending
        try:
            move(callback_id)
        except IllegalCallbackMove:
            log.exception("callback %s: result out of order", callback_id)
        self._write_events(self.book.take_events(), call_id=session.call_id)

    # -- storage -----------------------------------------------------------------------------------------

    def _write_events(self, events: list[Event], *, skip: frozenset[EventKind] = frozenset(),
                      call_id: str = "") -> None:
        store = self.store
        if store is None:
            return
        for event in events:
            if event.kind in skip:
                continue
            callback = self.book.get(event.callback_id)
            change = CallbackChange(
                callback_id=callback.callback_id, kind=event.kind.value, at=self._wall_of(event.at),
                status=callback.status.value, dial_attempts=callback.dial_attempts,
                not_before=self._wall_of(callback.not_before) if callback.not_before > event.at else None,
                last_result=callback.last_result.value if callback.last_result else "", detail=event.detail,
                call_id=call_id, not_dialled=event.detail if event.kind is EventKind.NOT_DIALLED else "")
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._writes_for.setdefault(callback.number, []).append(done)
            self.ctx.lanes.write(partial(self._record, store, change, done, callback.number))

    async def _record(self, store: CallbackStore, change: CallbackChange, done: asyncio.Future[None],
                      number: str) -> None:
        try:
            await store.record(change)
        finally:
            done.set_result(None)
            pending = self._writes_for.get(number, [])
            if done in pending:
                pending.remove(done)
            if not pending:
                self._writes_for.pop(number, None)
