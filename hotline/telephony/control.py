"""Commands to a running engine on behalf of agents and supervisors (typed in `commands.py`).

`EngineControl` runs on the engine's loop. It turns each command into the ACD's or a call session's
action and every refusal into a `ControlError` with a stable `code`, which the web side translates; a
refused command changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hotline.telephony.acd.agent import IllegalTransition
from hotline.telephony.acd.dispatcher import MAX_WRAP_UP_EXTENSION_SECONDS, WrapUpLimit
from hotline.telephony.acd.pauses import DEFAULT_BREAK, RESERVATIONS
from hotline.telephony.acd_effects import personal_queue
from hotline.telephony.call.phase import AgentNotFree, CallNotConnected, ConsultationInProgress
from hotline.telephony.call.session import CallSession
from hotline.telephony.engine import Engine
from hotline.telephony.events import AgentState, HangupParty
from hotline.telephony.health import engine_health
from hotline.telephony.media.plane import MediaPlaneError, MonitorMode
from hotline.telephony.outbound import OutboundSession

T = TypeVar("T")

DEFAULT_NOT_READY_REASON = DEFAULT_BREAK
DIALLABLE = re.compile(r"\+?[0-9]{3,20}")
DIAL_FROM = frozenset({AgentState.READY, AgentState.NOT_READY, AgentState.WRAP_UP})
# Pauses the engine holds an agent in for a call being set up (a consultation, a callback): the agent's own
# ready, log-out or dial would pull them out from under it.
ENGINE_RESERVED = RESERVATIONS


class ControlError(Exception):
    """A command the engine refused. `code` is one of: unknown_seat, unknown_agent, unknown_call,
    unknown_queue, not_logged_in, already_logged_in, seat_taken, not_allowed_now, not_connected,
    no_gateway, no_phone (the actor's own phone), phone_offline (another agent's phone), not_in_wrap_up,
    wrap_up_limit, bad_request, not_dialled (the dial policy refused the number; the message is the
    `hotline.telephony.dial_policy.Refusal` value)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class EngineControl:
    """The commands of `hotline.telephony.commands`, carried out by the engine it wraps (call on its loop)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- agents ------------------------------------------------------------------------------------------

    async def login(self, agent: str, seat: str, *, ready: bool = False, skills: str = "") -> None:
        """Log `agent` in at `seat` (not ready, unless `ready`): the seat's phone rings for the agent's
        `skills`, "queue:level,queue:level" (the web side's queue memberships), or the seat's queues."""
        seats = self.engine.seats
        if not seats.book.has_seat(seat):
            raise ControlError("unknown_seat", f"unknown seat {seat}")
        if seats.book.seat_of(agent):
            raise ControlError("already_logged_in", f"agent {agent} is already logged in")
        if seats.book.agent_at(seat):
            raise ControlError("seat_taken", f"seat {seat} is taken")
        levels = parse_skills(skills) if skills else None
        unknown = sorted(queue for queue, _level in levels or () if self.engine.acd.queue_config(queue) is None)
        if unknown:
            raise ControlError("unknown_queue", f"unknown queues {unknown}")
        self._acd(lambda: seats.log_in(agent, seat, ready=ready, skills=levels))

    async def logout(self, agent: str) -> None:
        self._logged_in(agent)
        self._not_reserved(agent)
        self._acd(lambda: self.engine.seats.log_out(agent))

    async def ready(self, agent: str) -> None:
        """Ready for calls, from not ready or ending wrap-up early (never while ringing, talking or dialling
        out: those end by themselves); already ready is a no-op."""
        self._logged_in(agent)
        if self._state(agent) is AgentState.READY:
            return
        self._between_calls(agent, AgentState.NOT_READY, AgentState.WRAP_UP)
        acd = self.engine.acd
        self._acd(lambda: acd.apply(acd.dispatcher.ready(agent)))

    async def not_ready(self, agent: str, reason: str = "") -> None:
        """Paused with a reason code (break, training, …), from ready, wrap-up or another pause (signed in →
        lunch changes the reason); a ringing or answered call is not taken back (pause after it); the same
        reason again is a no-op, and a pause the engine holds (a reservation) is not the agent's to change."""
        self._logged_in(agent)
        reason = reason.strip() or DEFAULT_NOT_READY_REASON
        found = self.engine.dispatcher.agent(agent)
        if found.state is AgentState.NOT_READY and found.reason == reason:
            return
        self._between_calls(agent, AgentState.READY, AgentState.WRAP_UP, AgentState.NOT_READY)
        acd = self.engine.acd
        self._acd(lambda: acd.apply(acd.dispatcher.not_ready(agent, reason)))

    async def health(self) -> str:
        """The engine's figures for `/healthz` (`hotline.telephony.health.engine_health`), as JSON."""
        return json.dumps(engine_health(self.engine))

    async def extend_wrap_up(self, agent: str, seconds: int) -> None:
        """More after-call time: the agent's wrap-up ends `seconds` later (1 to 300; the ACD allows three
        extensions and 300 s in all per wrap-up, cutting the last one to what is left)."""
        self._logged_in(agent)
        if isinstance(seconds, bool) or not 0 < seconds <= MAX_WRAP_UP_EXTENSION_SECONDS:
            raise ControlError("bad_request", f"seconds is a whole number from 1 to 300, not {seconds!r}")
        if self._state(agent) is not AgentState.WRAP_UP:
            raise ControlError("not_in_wrap_up", f"agent {agent} is not wrapping up")
        try:
            self._acd(lambda: self.engine.acd.extend_wrap_up(agent, seconds))
        except WrapUpLimit as exc:
            raise ControlError("wrap_up_limit", str(exc)) from exc

    def _state(self, agent: str) -> AgentState:
        return self.engine.dispatcher.agent(agent).state

    def _between_calls(self, agent: str, *allowed: AgentState) -> None:
        """Refuse a state command while the agent's phone rings, they talk, or they dial out."""
        state = self._state(agent)
        if state not in allowed or self.engine.registry.dialling_out(agent):
            raise ControlError("not_allowed_now", f"agent {agent} is {state.value}")
        self._not_reserved(agent)

    def _not_reserved(self, agent: str) -> None:
        """Refuse while the engine holds the agent for a consultation or a callback being set up."""
        found = self.engine.dispatcher.agent(agent)
        if found.state is AgentState.NOT_READY and found.reason in ENGINE_RESERVED:
            raise ControlError("not_allowed_now", f"agent {agent} is reserved ({found.reason})")

    # -- calls -------------------------------------------------------------------------------------------

    async def hang_up(self, call_id: str) -> None:
        """End the call on every leg (the supervisor's force hang-up; an agent's hang-up from the screen)."""
        outbound = self.engine.registry.outbound.get(call_id)
        if outbound is not None:
            await outbound.end(HangupParty.SYSTEM)
            return
        await self._session(call_id).end(HangupParty.SYSTEM)

    async def click_to_dial(self, agent: str, number: str) -> str:
        """Ring the agent's phone, then the customer through the outbound gateway; returns the call id."""
        engine = self.engine
        gateway = engine.config.outbound_gateway
        if not gateway:
            raise ControlError("no_gateway", "no outbound gateway is configured")
        if not isinstance(number, str) or not DIALLABLE.fullmatch(number):
            raise ControlError("bad_request", f"not a number to dial: {number!r}")
        refused = engine.dial_policy.refusal(number)
        if refused is not None:  # the message is the `Refusal` value, which the web side translates
            raise ControlError("not_dialled", refused.value)
        self._logged_in(agent)
        contact = engine.seats.contact_of(agent)
        if contact is None:
            raise ControlError("no_phone", f"agent {agent}'s phone is not registered")
        if engine.dispatcher.agent(agent).state not in DIAL_FROM or engine.registry.dialling_out(agent):
            raise ControlError("not_allowed_now", f"agent {agent} is busy")
        self._not_reserved(agent)
        try:
            return await OutboundSession(engine.context, agent, number).start(gateway, contact)
        except MediaPlaneError as exc:  # no free RTP port: nothing was dialled, the agent is given back
            raise ControlError("not_allowed_now", f"cannot place the call now: {exc}") from exc

    async def hold(self, call_id: str) -> None:
        await self._connected(self._session(call_id).transfer.hold)

    async def resume(self, call_id: str) -> None:
        await self._connected(self._session(call_id).transfer.resume)

    async def transfer(self, call_id: str, *, queue: str = "", agent: str = "") -> None:
        """Blind transfer of a connected call to a queue, or to a named agent (through their personal
        queue: the caller waits there, on hold music, until that agent is ready and answers)."""
        if bool(queue) == bool(agent):
            raise ControlError("bad_request", "give exactly one of queue and agent")
        if agent:
            self._logged_in(agent)
            if not self.engine.seats.phone_online(agent):  # the caller would wait for a phone that cannot ring
                raise ControlError("phone_offline", f"agent {agent}'s phone is offline")
            queue = personal_queue(agent)
        elif self.engine.acd.queue_config(queue) is None:
            raise ControlError("unknown_queue", f"unknown queue {queue}")
        session = self._session(call_id)
        await self._connected(lambda: session.transfer.to_queue(queue))

    # -- attended transfer -------------------------------------------------------------------------------

    async def consult(self, call_id: str, agent: str) -> None:
        """Put the caller on hold and ring `agent` (logged in and ready) to talk first; then
        `complete_transfer` or `cancel_consultation`."""
        engine = self.engine
        session = self._session(call_id)
        self._logged_in(agent)
        if agent == session.agent or self._state(agent) is not AgentState.READY or engine.registry.dialling_out(agent):
            raise ControlError("not_allowed_now", f"agent {agent} is not free to take a consultation")
        contact = engine.seats.contact_of(agent)
        if contact is None:
            raise ControlError("no_phone", f"agent {agent}'s phone is not registered")
        try:
            await self._connected(lambda: session.transfer.consult(agent, contact))
        except MediaPlaneError as exc:
            raise ControlError("not_allowed_now", str(exc)) from exc

    async def complete_transfer(self, call_id: str) -> None:
        """The consulted agent takes the caller; the first agent's part ends."""
        await self._connected(self._session(call_id).transfer.complete)

    async def cancel_consultation(self, call_id: str) -> None:
        """The consultation ends; the caller is back with the first agent."""
        await self._connected(self._session(call_id).transfer.cancel)

    # -- supervisors -------------------------------------------------------------------------------------

    async def monitor(self, call_id: str, supervisor: str, mode: str = "listen", seat: str = "") -> None:
        """Ring the supervisor's phone (their seat, or `seat` when they are not logged in) and join it to a
        connected call: listen (hears both), whisper (only the agent hears them), barge (three-way). Again
        with another mode switches it on the same phone call."""
        try:
            how = MonitorMode(mode)
        except ValueError:
            raise ControlError("bad_request", f"mode is listen, whisper or barge, not {mode!r}") from None
        engine = self.engine
        session = self._session(call_id)
        if session.agent_leg is None:
            raise ControlError("not_connected", f"call {call_id} is not connected to an agent")
        if seat and not engine.seats.book.has_seat(seat):
            raise ControlError("unknown_seat", f"unknown seat {seat}")
        contact = engine.seats.contact_of_seat(seat) if seat else engine.seats.contact_of(supervisor)
        if contact is None:
            raise ControlError("no_phone", f"no registered phone for supervisor {supervisor}")
        try:
            await engine.supervisors.monitor(session, supervisor, how, contact)
        except MediaPlaneError as exc:
            raise ControlError("not_allowed_now", str(exc)) from exc

    async def stop_monitor(self, supervisor: str) -> None:
        """The supervisor leaves the call they supervise (their phone is hung up)."""
        monitoring = self.engine.supervisors.monitors.get(supervisor)
        if monitoring is None:
            raise ControlError("not_connected", f"supervisor {supervisor} is on no call")
        await monitoring.stop()

    async def pick_up(self, call_id: str, agent: str) -> None:
        """代接: `agent` (a logged-in supervisor or agent) takes a call still ringing or waiting in line;
        it goes to the front of their personal queue and their phone rings as soon as they are ready."""
        self._logged_in(agent)
        if not self.engine.seats.phone_online(agent):
            raise ControlError("no_phone", f"agent {agent}'s phone is not registered")
        session = self._session(call_id)
        await self._connected(lambda: session.transfer.pick_up(agent, personal_queue(agent)))

    # -- helpers -----------------------------------------------------------------------------------------

    def _logged_in(self, agent: str) -> None:
        if not self.engine.seats.book.seat_of(agent):
            raise ControlError("not_logged_in", f"agent {agent} is not logged in")

    def _acd(self, command: Callable[[], T]) -> T:
        """Run an ACD command; a move the agent state machine forbids is refused and changes nothing."""
        try:
            return command()
        except IllegalTransition as exc:
            raise ControlError("not_allowed_now", str(exc)) from exc
        except KeyError as exc:
            raise ControlError("unknown_agent", str(exc)) from exc
        except ValueError as exc:
            raise ControlError("bad_request", str(exc)) from exc

    def _session(self, call_id: str) -> CallSession:
        session = self.engine.registry.sessions.get(call_id)
        if session is None:
            raise ControlError("unknown_call", f"no call {call_id}")
        return session

    @staticmethod
    async def _connected(command: Callable[[], Awaitable[None]]) -> None:
        try:
            await command()
        except CallNotConnected as exc:
            raise ControlError("not_connected", str(exc)) from exc
        except (ConsultationInProgress, AgentNotFree) as exc:
            raise ControlError("not_allowed_now", str(exc)) from exc


def parse_skills(text: str) -> tuple[tuple[str, int], ...]:
    """ "orders:2,after_sales" → (("orders", 2), ("after_sales", 1)); a bad level is a `bad_request`."""
    skills: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        queue, _, level = item.partition(":")
        if (level and not level.isdigit()) or queue in skills:
            raise ControlError("bad_request", f"bad or repeated skill {item!r}")
        skills[queue] = int(level or 1)
    return tuple(skills.items())
