"""One customer's call to the hotline, with audio: what `hotline simulate call` places.

The caller dials the hotline from its number over real SIP and RTP, speaks a recorded customer's voice
(voices/customer.wav, in a loop) from the moment the engine answers, presses the menu key when the menu
starts (or presses nothing), waits for an agent, talks for `talk` seconds once one has answered and hangs
up. It is one `hotline.phones.Caller`; an agent's answer is learnt from `answered_by` (the command reads
the call log in the database), since a softphone at a desk tells the caller nothing on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hotline.phones import HOST, Caller, CallerPlan, CallResult, SipEndpoint
from hotline.simulate import DEFAULT_DNIS
from hotline.simulate.airing import SimulationError, callback_cue, menu_cue, prompt_seconds, through_cue
from hotline.simulate.media import voice_frames
from hotline.telephony.sip.transport import Address

KEYPAD = "0123456789*#"
POLL = 0.25  # seconds between two looks at the call log for the agent's answer

AnsweredBy = Callable[[str], Awaitable[str]]  # Call-ID → the agent who answered it, "" while nobody has


@dataclass(frozen=True)
class CallOptions:
    """The call: from `number` to `dnis` at `engine`; `key` "" presses nothing; seconds to talk and to wait."""

    number: str
    dnis: str = DEFAULT_DNIS
    engine: Address = ("127.0.0.1", 5060)
    key: str = ""
    talk: float = 20.0
    wait: float = 120.0
    host: str = HOST
    connect_timeout: float = 2.0

    def __post_init__(self) -> None:
        if len(self.key) > 1 or (self.key and self.key not in KEYPAD):
            raise ValueError(f"--digits: one key of 0-9 * #, or none; got {self.key!r}")
        if not self.number.isdigit():
            raise ValueError(f"--from: a telephone number in digits; got {self.number!r}")
        if self.talk < 0 or self.wait <= 0:
            raise ValueError("--talk must be 0 or more and --wait more than 0 seconds")


async def place_call(options: CallOptions, answered_by: AnsweredBy | None = None,
                     said: Callable[[str], object] = print) -> CallResult:
    """Place the call and play it out; its result once it has ended (never raises for a failed call)."""
    endpoint = await SipEndpoint(options.host, trusted=()).start()
    try:
        host, port = options.engine
        if await endpoint.options(options.engine, options.connect_timeout) is None:
            raise SimulationError(f"no SIP answer from {host}:{port} within {options.connect_timeout:g} s: is the "
                                  "engine running (`hotline demo` or `hotline engine`)?")
        menu_delay = prompt_seconds("welcome") + prompt_seconds("main_menu") + 1.0
        plan = CallerPlan(number=options.number, key=options.key, menu_delay=menu_delay, patience=options.wait,
                          talk=options.talk, listen=options.talk)
        caller = Caller(endpoint, plan, menu_cue=menu_cue, callback_cue=callback_cue, voice=voice_frames,
                        through_cue=through_cue)
        said(f"Calling {options.dnis} from {options.number}"
             + (f", pressing {options.key} at the menu" if options.key else ", pressing no key") + "…")
        running = asyncio.ensure_future(caller.run(f"sip:{options.dnis}@{host}:{port}", options.connect_timeout + 8))
        watching = asyncio.ensure_future(_watch(caller, answered_by, said)) if answered_by else None
        try:
            return await running
        finally:
            if watching is not None:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
    finally:
        await endpoint.close()


async def _watch(caller: Caller, answered_by: AnsweredBy, said: Callable[[str], object]) -> None:
    """Tell the caller when an agent has answered (then it talks `talk` seconds and hangs up)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not caller.result.call_id:
        await asyncio.sleep(POLL)
    while caller.may_be_answered and not caller.called_back:
        agent = await answered_by(caller.result.call_id)
        if agent:
            said(f"{agent} answered after {loop.time() - started:.1f} s; talking {caller.plan.talk:g} s…")
            caller.agent_answered(agent)
            return
        await asyncio.sleep(POLL)


def report(result: CallResult) -> list[str]:
    """What happened to the call, for the terminal."""
    lines = [f"outcome: {result.outcome}" + (f" ({result.detail})" if result.detail else "")]
    if result.setup is not None:
        lines.append(f"the engine answered in {result.setup * 1000:.0f} ms (INVITE → 200); Call-ID {result.call_id}")
    if result.agent:
        lines.append(f"agent: {result.agent}")
    return lines
