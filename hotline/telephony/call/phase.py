"""Where a call stands (`CallPhase`), and which commands each phase allows.

Commands from agents and supervisors are checked against `ALLOWED` before anything happens, as
`acd/agent.py` checks an agent's moves; a refused command raises one of the errors below, whose type the
control layer turns into a stable refusal code.
"""

from __future__ import annotations

import enum


class CallPhase(enum.StrEnum):
    """The phases of an inbound call. The caller is on hold music in HELD and CONSULTING; CAPTURING covers
    storing a callback and confirming it; OFFERING is QUEUED with at least one agent's phone ringing."""

    ARRIVING = "arriving"
    IVR = "ivr"
    QUEUED = "queued"
    OFFERING = "offering"
    CONNECTED = "connected"
    HELD = "held"
    CONSULTING = "consulting"
    CAPTURING = "capturing"
    VOICEMAIL = "voicemail"
    SURVEY = "survey"  # the agent hung up; the caller answers the satisfaction survey (call/survey.py)
    ENDED = "ended"


class Command(enum.StrEnum):
    """What an agent or a supervisor may ask of a call."""

    HOLD = "hold"
    RESUME = "resume"
    TRANSFER = "transfer"
    CONSULT = "consult"
    COMPLETE_TRANSFER = "complete_transfer"
    CANCEL_CONSULTATION = "cancel_consultation"
    PICK_UP = "pick_up"
    MONITOR = "monitor"


TALKING = frozenset({CallPhase.CONNECTED, CallPhase.HELD})
WAITING = frozenset({CallPhase.QUEUED, CallPhase.OFFERING, CallPhase.CAPTURING})

ALLOWED: dict[Command, frozenset[CallPhase]] = {
    Command.HOLD: TALKING,
    Command.RESUME: TALKING,
    Command.TRANSFER: TALKING,
    Command.CONSULT: TALKING,
    Command.COMPLETE_TRANSFER: frozenset({CallPhase.CONSULTING}),
    Command.CANCEL_CONSULTATION: frozenset({CallPhase.CONSULTING}),
    # A caller still waiting: in line, ringing an agent, or having their callback stored (which an agent
    # taking them makes unnecessary).
    Command.PICK_UP: WAITING,
    Command.MONITOR: TALKING | {CallPhase.CONSULTING},
}


class ConsultationInProgress(Exception):
    """A command that cannot run while the agent consults another one (complete or cancel it first)."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"call {call_id} has a consultation in progress")
        self.call_id = call_id


class AgentNotFree(Exception):
    """The agent asked for (a consultation) is not ready, or is busy, by the time the command runs."""

    def __init__(self, agent: str) -> None:
        super().__init__(f"agent {agent} is not free")
        self.agent = agent


class CallNotConnected(Exception):
    """A command needs a caller talking to an agent (or, for a pick-up, waiting for one), and this call is
    not (any more)."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"call {call_id} is not connected to an agent")
        self.call_id = call_id


# Commands on the agent's conversation that a consultation blocks until it is completed or cancelled.
AFTER_CONSULTATION = frozenset({Command.HOLD, Command.RESUME, Command.TRANSFER, Command.CONSULT})


def check(command: Command, phase: CallPhase, call_id: str) -> None:
    """Refuse `command` in `phase`: a command on the conversation during a consultation with
    `ConsultationInProgress`, anything else with `CallNotConnected`."""
    if phase in ALLOWED[command]:
        return
    if phase is CallPhase.CONSULTING and command in AFTER_CONSULTATION:
        raise ConsultationInProgress(call_id)
    raise CallNotConnected(call_id)
