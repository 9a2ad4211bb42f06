"""Automatic call distribution: pure decisions about agents, queues and who gets which caller.

No I/O, no asyncio: the engine feeds events in (with an injected clock) and carries the returned
Decision out through its ports. See docs/telephony.md, section "ACD".
"""

from hotline.telephony.acd.agent import NO_ANSWER_REASON, Agent, IllegalTransition, StateChange
from hotline.telephony.acd.clock import Clock, ManualClock
from hotline.telephony.acd.dispatcher import (
    MAX_WRAP_UP_EXTENSION_SECONDS,
    MAX_WRAP_UP_EXTENSIONS,
    Decision,
    Dispatcher,
    Membership,
    Offer,
    Overflow,
    WrapUpLimit,
)
from hotline.telephony.acd.queue import (
    CallerSpec,
    OverflowKind,
    OverflowReason,
    OverflowTarget,
    QueueConfig,
    Strategy,
    WideningStep,
    expected_wait,
)
from hotline.telephony.events import AgentState

__all__ = [
    "MAX_WRAP_UP_EXTENSIONS",
    "MAX_WRAP_UP_EXTENSION_SECONDS",
    "NO_ANSWER_REASON",
    "Agent",
    "AgentState",
    "CallerSpec",
    "Clock",
    "Decision",
    "Dispatcher",
    "IllegalTransition",
    "ManualClock",
    "Membership",
    "Offer",
    "Overflow",
    "OverflowKind",
    "OverflowReason",
    "OverflowTarget",
    "QueueConfig",
    "StateChange",
    "Strategy",
    "WideningStep",
    "WrapUpLimit",
    "expected_wait",
]
