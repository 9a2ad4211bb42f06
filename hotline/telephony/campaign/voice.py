"""Automatic voice notifications (自动语音播放): the engine calls a customer through the outbound gateway and,
once they answer, plays recorded phrases (the order number digit by digit, its status, goodbye), then hangs
up. Busy or no answer: again after the notice's retry interval, until its attempts are used up.

No agent takes part. Like the campaign dialer, it keeps quiet while live callers wait and before an airing
(the lines are for the spot's callers), and every number passes the engine's dial policy. Each call is
logged as an outbound call: arrive, answer, hang-up.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from hotline.telephony.call.remote import remote_of
from hotline.telephony.callback.model import DialResult
from hotline.telephony.events import Answer, Arrive, Direction, Hangup, HangupCause, HangupParty
from hotline.telephony.media.plane import LegKey
from hotline.telephony.outbound import dial_result
from hotline.telephony.ports import VoiceNotice, VoiceNoticeResult, VoiceNoticeStore
from hotline.telephony.sip.calls import CallState, OutboundCall

if TYPE_CHECKING:
    from hotline.telephony.call.context import CallContext

log = logging.getLogger(__name__)


@dataclass
class Pending:
    """A notice the engine holds: its request, attempts so far and when it may be dialled (monotonic)."""

    notice: VoiceNotice
    attempts: int
    not_before: float
    dialling: bool = False
    done: bool = False


class VoiceNotices:
    """The voice notifications of one engine: which are due, the calls that play them, their results."""

    def __init__(self, store: VoiceNoticeStore | None, ring_seconds: float) -> None:
        self.store = store
        self.ring_seconds = ring_seconds
        self.pending: dict[int, Pending] = {}
        self.played: list[int] = []  # notice ids played in full, in order (for tools and tests)

    def load(self, ctx: CallContext, notices: Iterable[VoiceNotice]) -> None:
        """Take the store's list: new notices are added; those the engine holds keep its state."""
        clocks = ctx.clocks
        for notice in notices:
            if notice.notice_id not in self.pending:
                at = notice.not_before
                mono = clocks.clock.now() - (clocks.wall() - at).total_seconds() if at is not None else 0.0
                self.pending[notice.notice_id] = Pending(notice, notice.attempts, mono)

    def dial_due(self, ctx: CallContext, gateway: str, *, quiet: bool) -> None:
        """Start the due notices' calls, unless the engine must keep quiet (callers waiting, an airing)."""
        if quiet or not gateway:
            return
        now = ctx.clocks.clock.now()
        for pending in self.pending.values():
            if not pending.done and not pending.dialling and pending.not_before <= now:
                pending.dialling = True
                ctx.tasks.spawn(self._call(ctx, gateway, pending))

    async def _call(self, ctx: CallContext, gateway: str, pending: Pending) -> None:
        notice = pending.notice
        refused = ctx.dial_policy.admit(notice.number)
        if refused is not None:
            self._finish(ctx, pending, "not_dialled", refused.value, "")
            return
        leg = LegKey(f"notice-{notice.notice_id}-{pending.attempts + 1}", "customer")
        endpoint = await ctx.media.allocate(leg)
        call = ctx.sip.dial(gateway.format(number=notice.number), (endpoint.host, endpoint.port),
                            ring_timeout=self.ring_seconds)
        call_id = call.invite.call_id
        pending.attempts += 1
        ctx.lanes.record(Arrive, call_id=call_id, caller=notice.number, dnis="", direction=Direction.OUTBOUND)
        result = dial_result(await call.wait_answer())
        if result is DialResult.ANSWERED and call.media is not None:
            ctx.lanes.record(Answer, call_id=call_id)
            await ctx.media.set_remote(leg, remote_of(call.media))
            finished = await self._play(ctx, leg, notice.prompts, call)
            call.hangup()
            by = HangupParty.SYSTEM if finished else HangupParty.CALLER
            ctx.lanes.record(Hangup, call_id=call_id, by=by)
            self._finish(ctx, pending, "played" if finished else "interrupted", result.value, call_id)
            if finished:
                self.played.append(notice.notice_id)
        else:
            ctx.lanes.record(Hangup, call_id=call_id, by=HangupParty.SYSTEM, cause=HangupCause.FAILED)
            self._retry_or_give_up(ctx, pending, result, call_id)
        await ctx.media.release(leg)
        ctx.lanes.close_call(call_id)

    async def _play(self, ctx: CallContext, leg: LegKey, prompts: tuple[str, ...], call: OutboundCall) -> bool:
        """Play the phrases one after the other; False when the customer hung up first."""
        for path in ctx.files.prompt_paths(prompts):
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            await ctx.media.play(leg, path, partial(_settle, done))
            while not done.done():
                if call.state is CallState.ENDED:
                    return False
                await asyncio.wait({done}, timeout=0.2)
        return True

    def _retry_or_give_up(self, ctx: CallContext, pending: Pending, result: DialResult, call_id: str) -> None:
        notice = pending.notice
        if result is DialResult.FAILED or pending.attempts >= notice.max_attempts:
            self._finish(ctx, pending, "gave_up" if result is not DialResult.FAILED else "failed", result.value,
                         call_id)
            return
        pending.dialling = False
        pending.not_before = ctx.clocks.clock.now() + notice.retry_interval_seconds
        self._write(ctx, pending, "retry", result.value, call_id, ctx.clocks.wall_at(pending.not_before))

    def _finish(self, ctx: CallContext, pending: Pending, status: str, result: str, call_id: str) -> None:
        pending.done, pending.dialling = True, False
        self._write(ctx, pending, status, result, call_id, None)

    def _write(self, ctx: CallContext, pending: Pending, status: str, result: str, call_id: str,
               not_before: datetime.datetime | None) -> None:
        store = self.store
        if store is None:
            return
        change = VoiceNoticeResult(notice_id=pending.notice.notice_id, status=status, attempts=pending.attempts,
                                   result=result, at=ctx.clocks.wall(), call_id=call_id,
                                   not_before=not_before)
        ctx.lanes.write(lambda: store.record_voice_notice(change))


def _settle(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)
