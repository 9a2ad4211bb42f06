"""The simulator's phones: the `hotline.phones` agent phones and callers, and what each call outcome means.

Phones live on a `SipEndpoint` (one SIP and one RTP socket shared by any number of phones). `AgentPhone`
registers its seat's SIP user and answers; `Caller` dials the hotline, answers the IVR with RFC 4733 keys and
reports one `CallResult` with one `Outcome`, explained by `LEGEND` in the results and in `--help`.
"""

from __future__ import annotations

import textwrap

from hotline.phones import (
    AGENT_MARK,
    CALLER_MARK,
    HOST,
    AgentPhone,
    Caller,
    CallerPlan,
    CallResult,
    Outcome,
    SipEndpoint,
    Span,
    caller_number_of,
    user_of,
)

__all__ = ["AGENT_MARK", "CALLER_MARK", "HOST", "LEGEND", "AgentPhone", "CallResult", "Caller", "CallerPlan",
           "Outcome", "SipEndpoint", "Span", "caller_number_of", "legend_lines", "user_of"]

# What each outcome means, printed with the results and in `hotline simulate --help`.
LEGEND: dict[Outcome, str] = {
    Outcome.ANSWERED: "an agent's phone answered and the two talked",
    Outcome.CALLBACK: "the engine stored a callback and said so (\"we will call you back\"), then hung up: "
                      "a surge, a full or slow queue, or the caller pressed the callback key",
    Outcome.ABANDONED_IVR: "the caller hung up in the menu, before joining a queue",
    Outcome.ABANDONED_QUEUE: "the caller hung up on hold, before an agent answered",
    Outcome.SELF_SERVICE: "the caller heard their order status (key 2) and left, as planned",
    Outcome.ENDED_BY_ENGINE: "the engine hung up before any agent, without a callback (goodbye, no input, "
                             "overflow, RTP silence)",
    Outcome.REFUSED: "the INVITE got a 3xx-6xx answer (503 beyond the licensed lines, 403 from a stranger)",
    Outcome.FAILED: "no answer to the INVITE, an error, or still up when the simulation stopped waiting",
}


def legend_lines(width: int = 100) -> list[str]:
    """`name  meaning` per outcome, the meaning wrapped to `width` columns under itself."""
    return [line for outcome, meaning in LEGEND.items()
            for line in textwrap.wrap(meaning, width, initial_indent=f"  {outcome:<16} ", subsequent_indent=" " * 19)]
