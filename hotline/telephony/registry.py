"""The calls the engine has now: inbound sessions and agent-first outbound calls, by call id."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession
    from hotline.telephony.outbound import OutboundSession


class CallRegistry:
    """Inbound calls (`sessions`) from arrival to their end, and click-to-dial / callback calls (`outbound`)."""

    def __init__(self) -> None:
        self.sessions: dict[str, CallSession] = {}
        self.outbound: dict[str, OutboundSession] = {}

    def add(self, session: CallSession) -> None:
        self.sessions[session.call_id] = session

    def forget(self, call_id: str) -> None:
        self.sessions.pop(call_id, None)

    def dialling_out(self, agent: str) -> bool:
        """Whether the agent is on (or setting up) a click-to-dial call."""
        return any(session.agent == agent for session in self.outbound.values())
