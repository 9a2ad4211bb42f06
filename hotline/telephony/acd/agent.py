"""The agent state machine: which moves are legal, how long each state lasted, and missed offers."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.telephony.acd.pauses import EnginePause
from hotline.telephony.events import AgentState  # one vocabulary for the ACD and the event log

NO_ANSWER_REASON = EnginePause.NO_ANSWER.value
LOGIN_REASON = EnginePause.LOGIN.value  # the pause an agent signs in with, until they choose ready or a reason


S = AgentState
_ALLOWED: dict[AgentState, frozenset[AgentState]] = {
    S.LOGGED_OUT: frozenset({S.READY, S.NOT_READY}),
    S.READY: frozenset({S.NOT_READY, S.RINGING, S.LOGGED_OUT}),
    # NOT_READY -> NOT_READY changes the reason (lunch → training; a reserved callback the agent missed).
    # NOT_READY -> ON_CALL: a call handed over outside the queues (attended transfer to a reserved agent).
    S.NOT_READY: frozenset({S.READY, S.NOT_READY, S.LOGGED_OUT, S.ON_CALL}),
    # RINGING -> NOT_READY is the automatic "no answer" pause, never an agent's own choice.
    S.RINGING: frozenset({S.READY, S.NOT_READY, S.ON_CALL}),
    # ON_CALL -> READY only when the queue has no wrap-up time.
    S.ON_CALL: frozenset({S.WRAP_UP, S.READY}),
    S.WRAP_UP: frozenset({S.READY, S.NOT_READY, S.LOGGED_OUT}),
}
STAFFED = frozenset({S.READY, S.RINGING, S.ON_CALL, S.WRAP_UP})


class IllegalTransition(Exception):
    """Raised when an agent is asked to make a move the state machine forbids; nothing changes."""

    def __init__(self, agent_id: str, old: AgentState, new: AgentState, action: str = "") -> None:
        what = f"{action} while {old.value}" if action else f"go from {old.value} to {new.value}"
        super().__init__(f"agent {agent_id} cannot {what}")
        self.agent_id = agent_id
        self.old = old
        self.new = new


@dataclass(frozen=True)
class StateChange:
    """One agent state change: the new state starts `at`; the old one lasted `previous_seconds`."""

    agent_id: str
    old: AgentState
    new: AgentState
    at: float
    previous_seconds: float
    reason: str | None = None


class Agent:
    """One agent's state, the call it is reserved for, and its consecutive missed offers."""

    def __init__(self, agent_id: str, now: float) -> None:
        self.agent_id = agent_id
        self.state = AgentState.LOGGED_OUT
        self.since = now
        self.reason: str | None = None
        # Longest-idle ordering uses this; a cancelled or missed ring does not reset it.
        self.idle_since = now
        self.consecutive_misses = 0
        self.caller_id: str | None = None
        self.queue_id: str | None = None
        self.answered_at: float | None = None
        # Device state: whether the seat's phone can be rung (registered, or a fixed URI). A READY agent
        # whose phone is offline stays READY but is offered nothing; the dispatcher keeps this in step.
        self.phone_online = True

    def time_in_state(self, now: float) -> float:
        return now - self.since

    def login(self, now: float, *, ready: bool) -> StateChange:
        new = AgentState.READY if ready else AgentState.NOT_READY
        if self.state is not AgentState.LOGGED_OUT:
            raise IllegalTransition(self.agent_id, self.state, new, "log in")
        if ready:
            return self.go_ready(now)
        return self.go_not_ready(now, LOGIN_REASON)

    def go_ready(self, now: float) -> StateChange:
        self._check(AgentState.READY)
        if self.state is not AgentState.RINGING:
            self.idle_since = now
        self._release_call()
        return self._move(AgentState.READY, now)

    def go_not_ready(self, now: float, reason: str) -> StateChange:
        if not reason:
            raise ValueError("not ready needs a reason code")
        self._check(AgentState.NOT_READY)
        self._release_call()
        return self._move(AgentState.NOT_READY, now, reason)

    def logout(self, now: float) -> StateChange:
        self._check(AgentState.LOGGED_OUT)
        self._release_call()
        return self._move(AgentState.LOGGED_OUT, now)

    def offer(self, now: float, caller_id: str, queue_id: str) -> StateChange:
        self._check(AgentState.RINGING)
        self.caller_id = caller_id
        self.queue_id = queue_id
        return self._move(AgentState.RINGING, now)

    def answer(self, now: float) -> StateChange:
        self._check(AgentState.ON_CALL)
        if self.state is not AgentState.RINGING:  # only an offer is answered (a handed-over call: `connect`)
            raise IllegalTransition(self.agent_id, self.state, AgentState.ON_CALL)
        self.consecutive_misses = 0
        self.answered_at = now
        return self._move(AgentState.ON_CALL, now)

    def connect(self, now: float, caller_id: str, queue_id: str) -> StateChange:
        """A paused (reserved) agent takes a call handed to them directly, not offered by a queue."""
        if self.state is not AgentState.NOT_READY:
            raise IllegalTransition(self.agent_id, self.state, AgentState.ON_CALL)
        self.caller_id, self.queue_id = caller_id, queue_id
        self.consecutive_misses = 0
        self.answered_at = now
        return self._move(AgentState.ON_CALL, now)

    def miss(self, now: float, max_misses: int) -> StateChange:
        """The phone rang out: count it, and pause the agent after `max_misses` in a row (0 = never)."""
        if self.state is not AgentState.RINGING:
            raise IllegalTransition(self.agent_id, self.state, AgentState.READY, "miss an offer")
        self.consecutive_misses += 1
        if max_misses and self.consecutive_misses >= max_misses:
            self.consecutive_misses = 0
            return self.go_not_ready(now, NO_ANSWER_REASON)
        return self.go_ready(now)

    def hang_up(self, now: float, wrap_up_seconds: float) -> StateChange:
        if self.state is not AgentState.ON_CALL:
            raise IllegalTransition(self.agent_id, self.state, AgentState.WRAP_UP, "hang up")
        if wrap_up_seconds > 0:
            return self._move(AgentState.WRAP_UP, now)
        return self.go_ready(now)

    def _release_call(self) -> None:
        self.caller_id = None
        self.queue_id = None
        self.answered_at = None

    def _check(self, new: AgentState) -> None:
        if new not in _ALLOWED[self.state]:
            raise IllegalTransition(self.agent_id, self.state, new)

    def _move(self, new: AgentState, now: float, reason: str | None = None) -> StateChange:
        self._check(new)
        change = StateChange(self.agent_id, self.state, new, now, now - self.since, reason)
        self.state = new
        self.since = now
        self.reason = reason
        return change
