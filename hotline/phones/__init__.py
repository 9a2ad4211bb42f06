"""Phones over real SIP and RTP, for the engine's tests, `hotline simulate` and the benchmarks.

Built only from the engine's `hotline.telephony.sip` and `hotline.telephony.media` pieces (and the standard
library), so each user is a thin preset over the same code:

* `endpoint.SipEndpoint`: a SIP user agent on one socket and one RTP port, shared by many phones; inbound
  calls reach the line their Request-URI names; OPTIONS pings;
* `rtp`: an RTP port with one line or many streams, with pluggable payloads (marked frames that say who sent
  them, a looped voice, time stamps for benchmarks) and RFC 4733 key presses;
* `agent.AgentPhone`: registers with digest auth, rings, answers, talks, hangs up;
* `caller.Caller`: dials in, presses its menu key, waits, talks, and reports how the call went;
* `wait`: `free_port` and `until` (wait until a count is reached, never for a wall-clock window).
"""

from __future__ import annotations

from hotline.phones.agent import AgentPhone, Span
from hotline.phones.caller import Caller, CallerPlan, CallResult, Outcome
from hotline.phones.endpoint import SipEndpoint, caller_number_of, user_of
from hotline.phones.rtp import AGENT_MARK, CALLER_MARK, RtpPort, RtpStream, Stamps, looped, marked
from hotline.phones.wait import HOST, free_port, until

__all__ = ["AGENT_MARK", "CALLER_MARK", "HOST", "AgentPhone", "CallResult", "Caller", "CallerPlan", "Outcome",
           "RtpPort", "RtpStream", "SipEndpoint", "Span", "Stamps", "caller_number_of", "free_port", "looped",
           "marked", "until", "user_of"]
