"""Seats and agents: log-in and log-out, which phone to ring, and the phones' device state.

Device state: the registrar reports every REGISTER, un-REGISTER and expiry; the seat service tells the ACD
whether the phone of each agent logged in at that SIP user's seat can be rung (a fixed URI always can),
and logs and publishes the change as an `AgentStateChanged` with `phone_online`.
"""

from __future__ import annotations

import dataclasses
import logging

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.acd_effects import AcdEffects, personal_queue
from hotline.telephony.config import SeatConfig
from hotline.telephony.events import SeatLocked
from hotline.telephony.lanes import Clocks, Lanes
from hotline.telephony.seat_book import SeatBook
from hotline.telephony.sip.registrar import Registrar

log = logging.getLogger(__name__)


class Seats:
    """Agents at seats, for one engine: who is where (`book`), their phones' contacts, log-in and log-out."""

    def __init__(self, book: SeatBook, registrar: Registrar, acd: AcdEffects, lanes: Lanes,
                 clocks: Clocks) -> None:
        self.book = book
        self._registrar = registrar
        self._acd = acd
        self._lanes = lanes
        self._clocks = clocks
        self._agents: set[str] = set()  # agents the ACD knows (it keeps them, logged out, after log-out)

    def log_in_configured(self) -> None:
        """Log in the agents the configuration seats (tests and the simulator start with them)."""
        for seat in tuple(self.book.taken.values()):
            self._log_in(seat, ready=seat.ready)

    def log_in(self, agent: str, seat_name: str, *, ready: bool = False,
               skills: tuple[tuple[str, int], ...] | None = None) -> None:
        """An agent sits down at a seat: its phone is rung from now on for `skills` (queue, level), or
        for the seat's queues when None. `EngineControl.login` has checked the seat is known and free,
        the agent logged out and the queues known, each with its refusal code."""
        seat = dataclasses.replace(self.book.phones[seat_name], agent=agent)
        if skills is not None:
            seat = dataclasses.replace(seat, queues=tuple(queue for queue, _ in skills), levels=skills)
        self._log_in(seat, ready=ready)

    def _log_in(self, seat: SeatConfig, *, ready: bool) -> None:
        """Make the agent at `seat` a member of the seat's queues and of their personal queue, and log
        them in (ACD errors propagate)."""
        acd, dispatcher = self._acd, self._acd.dispatcher
        if seat.agent not in self._agents:
            dispatcher.add_agent(seat.agent)
            self._agents.add(seat.agent)
            personal = QueueConfig(personal_queue(seat.agent))
            acd.add_queue(personal)
            acd.apply(dispatcher.join(seat.agent, personal.queue_id))
        levels = dict(seat.levels)
        for queue_id in seat.queues:
            acd.apply(dispatcher.join(seat.agent, queue_id, level=levels.get(queue_id, 1)))
        # Before the log-in: an agent whose seat has no phone to ring must not be offered the waiting callers.
        acd.apply(dispatcher.phone_reachable(seat.agent, self._contact(seat) is not None))
        self.book.taken[seat.agent] = seat  # the log-in's state change names the seat
        try:
            acd.apply(dispatcher.login(seat.agent, ready=ready))
        except Exception:
            del self.book.taken[seat.agent]
            raise

    def log_out(self, agent: str) -> None:
        """The agent leaves (not while ringing or on a call): out of the seat's queues, the seat is free."""
        seat = self.book.taken.get(agent)
        if seat is None:
            raise KeyError(f"agent {agent} is not logged in")
        acd = self._acd
        acd.apply(acd.dispatcher.logout(agent))
        for queue_id in seat.queues:
            acd.apply(acd.dispatcher.leave(agent, queue_id))
        del self.book.taken[agent]

    # -- phones ------------------------------------------------------------------------------------------

    def phone_online(self, agent: str) -> bool:
        """Whether the phone of the agent's seat can be rung (False when the agent is not logged in)."""
        return agent in self.book.taken and self._acd.dispatcher.agent(agent).phone_online

    def contact_of(self, agent: str) -> str | None:
        """The URI to ring for an agent: the seat's fixed URI, else its phone's registered contact."""
        seat = self.book.taken.get(agent)
        return None if seat is None else self._contact(seat)

    def contact_of_seat(self, seat_name: str) -> str | None:
        """The URI to ring for a seat's phone, whoever is logged in there (a supervisor's own phone)."""
        seat = self.book.phones.get(seat_name)
        return None if seat is None else self._contact(seat)

    def _contact(self, seat: SeatConfig) -> str | None:
        if seat.fixed_uri:
            return seat.fixed_uri
        if seat.aor:
            return self._registrar.contact_for(seat.aor)
        return self._registrar.contact_for_user(seat.username)

    def phone_changed(self, username: str) -> None:
        """The registrar heard from (or lost) `username`'s phone: re-judge the seats of that SIP user where
        an agent is logged in. A phone that comes back gets a waiting caller at once."""
        for agent, seat in tuple(self.book.taken.items()):
            if not seat.fixed_uri and username in (seat.username, seat.aor.partition(":")[2].partition("@")[0]):
                self._set_phone(agent, self._contact(seat) is not None)

    def _set_phone(self, agent: str, reachable: bool) -> None:
        dispatcher = self._acd.dispatcher
        found = dispatcher.agent(agent)
        if found.phone_online is reachable:
            return
        state, reason = found.state, found.reason or ""
        decision = dispatcher.phone_reachable(agent, reachable)
        log.info("agent %s: phone %s", agent, "online" if reachable else "offline")
        self._acd.report_agent(agent, state, reason, self._clocks.clock.now())  # before the offer it may bring
        self._acd.apply(decision)

    def seat_locked(self, username: str, source: str, seconds: float) -> None:
        """The registrar locked `username` for password guessing: tell the supervisors (wallboard)."""
        seats = [seat.seat for seat in self.book.phones.values() if seat.username == username]
        self._lanes.publish("security", SeatLocked(at=self._clocks.wall(), mono=self._clocks.clock.now(),
                                                   username=username, seat=", ".join(seats), source=source,
                                                   seconds=seconds))
