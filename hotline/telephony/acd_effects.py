"""Carrying out the ACD dispatcher's decisions: offers, withdrawn offers, overflows, agent states, wrap-ups.

The dispatcher (acd/dispatcher.py) decides and does no I/O; `AcdEffects.apply` rings the agent's phone
for an offer (through the caller's session), stops ringing a withdrawn one, logs and publishes every agent
state change, and re-arms the dispatcher's timer. It also knows when a call's record can close: once both
legs are gone and every agent who took the call has wrapped up.
"""

from __future__ import annotations

import asyncio
import datetime

from hotline.telephony.acd.agent import StateChange
from hotline.telephony.acd.dispatcher import Decision, Dispatcher
from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.events import AgentState, AgentStateChanged, Offer, WrapupEnd
from hotline.telephony.lanes import Clocks, Lanes, Tasks
from hotline.telephony.registry import CallRegistry
from hotline.telephony.seat_book import SeatBook


def personal_queue(agent: str) -> str:
    """The queue only `agent` serves: a call transferred to that agent waits there until they are free."""
    return f"agent:{agent}"


class AcdEffects:
    """The dispatcher, its queues' settings, and the effects of its decisions on calls and agents."""

    def __init__(self, dispatcher: Dispatcher, queues: tuple[QueueConfig, ...], book: SeatBook, lanes: Lanes,
                 clocks: Clocks, registry: CallRegistry, tasks: Tasks) -> None:
        self.dispatcher = dispatcher
        self.queues = {queue.queue_id: queue for queue in queues}
        self._book = book
        self._lanes = lanes
        self._clocks = clocks
        self._registry = registry
        self._tasks = tasks
        self._last_call: dict[str, str] = {}  # agent → the call whose wrap-up is pending
        self._wrapping: dict[str, set[str]] = {}  # call → agents who took it and are not done with it
        self._over: set[str] = set()  # calls whose legs are gone but whose record is still open
        self._tick_handle: asyncio.TimerHandle | None = None
        for queue in queues:
            dispatcher.add_queue(queue)

    def queue_config(self, queue_id: str) -> QueueConfig | None:
        return self.queues.get(queue_id)

    def add_queue(self, queue: QueueConfig) -> None:
        self.dispatcher.add_queue(queue)
        self.queues[queue.queue_id] = queue

    def configure_queues(self, queues: tuple[QueueConfig, ...]) -> None:
        """Queue settings edited in the back office: a new queue opens, a changed one takes its new settings
        while it runs (`Dispatcher.update_queue`: its callers stay in line); a queue left out stays as it is."""
        for queue in queues:
            known = self.queues.get(queue.queue_id)
            if known is None:
                self.add_queue(queue)
            elif known != queue:
                self.queues[queue.queue_id] = queue
                self.apply(self.dispatcher.update_queue(queue))

    def apply(self, decision: Decision) -> None:
        """Carry out what the dispatcher decided, then re-arm its timer."""
        sessions = self._registry.sessions
        for offer in decision.cancelled:
            session = sessions.get(offer.caller_id)
            if session is not None:
                session.withdrawn_from(offer.agent_id)
        for change in decision.changes:
            self._agent_changed(change)
        for offer in decision.offers:
            self._offer(offer.caller_id, offer.agent_id, offer.queue_id)
        for overflow in decision.overflows:
            session = sessions.get(overflow.caller_id)
            if session is not None:
                session.overflowed(overflow)
        self._schedule_tick()

    def stop(self) -> None:
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None

    def _offer(self, call_id: str, agent: str, queue: str) -> None:
        session = self._registry.sessions.get(call_id)
        if session is None:  # the call ended while the decision was made: give the agent back
            self.apply(self.dispatcher.no_answer(agent))
            return
        warning = "blacklist" if session.profile.blacklist == "warn" else ""
        self._lanes.record(Offer, call_id=call_id, queue=queue, agent=agent, caller=session.caller,
                           dnis=session.dnis, airing_id=session.airing_id, warning=warning)
        self._tasks.spawn(session.offered_to(agent))

    def _agent_changed(self, change: StateChange) -> None:
        self.report_agent(change.agent_id, change.new, change.reason or "", change.at)
        left_call = change.old is AgentState.ON_CALL and change.new is not AgentState.WRAP_UP
        if change.old is AgentState.WRAP_UP or left_call:
            self._wrap_up_ended(change.agent_id)

    def report_agent(self, agent: str, state: AgentState, reason: str, mono: float) -> None:
        """Log and publish the agent's state as shown: with its phone's state and its wrap-up's end."""
        clocks = self._clocks
        until = self.dispatcher.wrap_up_end(agent) if state is AgentState.WRAP_UP else None
        wrapup_until = None if until is None else clocks.wall() + datetime.timedelta(
            seconds=until - clocks.clock.now())
        self._lanes.agent_state(AgentStateChanged(
            agent=agent, at=clocks.wall(), mono=mono, state=state, seat=self._book.seat_of(agent), reason=reason,
            phone_online=self.dispatcher.agent(agent).phone_online, wrapup_until=wrapup_until))

    def extend_wrap_up(self, agent: str, seconds: float) -> None:
        """Lengthen the agent's wrap-up (the ACD's limits apply, its refusals propagate); the new end goes
        to the log and the agent's desk."""
        decision = self.dispatcher.extend_wrap_up(agent, seconds)
        found = self.dispatcher.agent(agent)
        self.report_agent(agent, found.state, found.reason or "", self._clocks.clock.now())
        self.apply(decision)

    # -- wrap-up and the call's record -------------------------------------------------------------------

    def answered(self, agent: str, call_id: str) -> None:
        """The agent took `call_id`: its wrap-up end will be logged against that call."""
        self._last_call[agent] = call_id
        self._wrapping.setdefault(call_id, set()).add(agent)

    def call_over(self, call_id: str) -> None:
        """Both legs are gone; the record closes once every agent who took the call has wrapped up."""
        self._over.add(call_id)
        self._close_when_done(call_id)

    def _wrap_up_ended(self, agent: str) -> None:
        call_id = self._last_call.pop(agent, None)
        if call_id is not None:
            self._lanes.record(WrapupEnd, call_id=call_id, agent=agent)
            self._wrapping.get(call_id, set()).discard(agent)
            self._close_when_done(call_id)

    def _close_when_done(self, call_id: str) -> None:
        if call_id in self._over and not self._wrapping.get(call_id):
            self._over.discard(call_id)
            self._wrapping.pop(call_id, None)
            self._lanes.close_call(call_id)

    def _schedule_tick(self) -> None:
        self.stop()
        due = self.dispatcher.next_due()
        if due is not None:
            loop = asyncio.get_running_loop()
            self._tick_handle = loop.call_at(due + 0.001, lambda: self.apply(self.dispatcher.tick()))
