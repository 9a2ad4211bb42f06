"""Callbacks after a surge: the pure policy (which caller to call back, when, and how often).

No I/O, no asyncio: the host feeds captures and dial results in, with an injected clock, and logs the
returned events. See docs/telephony.md, section "Callback policy (issue 4, pure part)".
"""

from hotline.telephony.callback.model import (
    Callback,
    CallbackSettings,
    DialDecision,
    DialResult,
    Event,
    EventKind,
    Hold,
    Status,
)
from hotline.telephony.callback.policy import CallbackBook, IllegalCallbackMove, decayed_priority

__all__ = [
    "Callback",
    "CallbackBook",
    "CallbackSettings",
    "DialDecision",
    "DialResult",
    "Event",
    "EventKind",
    "Hold",
    "IllegalCallbackMove",
    "Status",
    "decayed_priority",
]
