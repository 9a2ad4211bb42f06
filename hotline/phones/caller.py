"""`Caller`: one call into the hotline from a `SipEndpoint` shared with other callers, played out by its plan.

It dials from its number, answers the IVR with RFC 4733 keys (on hearing the menu's first frame, or by the
clock), waits with a limited patience, talks once an agent took it, and reports one `CallResult` whose
`Outcome` says how the call ended from the caller's side.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from hotline.phones.endpoint import SipEndpoint
from hotline.phones.rtp import AGENT_MARK, CALLER_MARK, RtpStream
from hotline.telephony.sip.calls import CallState, OutboundCall

log = logging.getLogger(__name__)

REACTION = 0.3  # seconds from hearing the menu start to pressing the key


class Outcome(enum.StrEnum):
    """How a simulated call ended, from the caller's side; every placed call has exactly one."""

    ANSWERED = "answered"
    CALLBACK = "callback"
    ABANDONED_IVR = "abandoned_ivr"
    ABANDONED_QUEUE = "abandoned_queue"
    SELF_SERVICE = "self_service"
    ENDED_BY_ENGINE = "ended_by_engine"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class CallerPlan:
    """What one caller will do: its number, the menu key, when to press it, how long it waits and talks."""

    number: str
    key: str  # "1" orders, "2" order status (self-service), "3" after-sales
    menu_delay: float  # seconds after the answer to press the key if the menu prompt was not heard by then
    patience: float  # seconds after the answer it waits for an agent before hanging up
    talk: float  # seconds it talks once an agent has answered (the agent may hang up sooner)
    listen: float  # for key "2": seconds it listens to the self-service after the key before hanging up
    announcement: float = 0.0  # seconds of the queue's announcement after the key: then it is on hold


@dataclass
class CallResult:
    """The outcome of one placed call, as the caller saw it."""

    number: str
    key: str
    outcome: Outcome = Outcome.FAILED
    call_id: str = ""
    status: int | None = None  # the INVITE's final status
    setup: float | None = None  # seconds from INVITE to 200
    agent: str = ""
    heard_agent: int = 0  # agent-marked frames that reached the caller
    detail: str = ""
    stage: str = "ivr"  # the caller's view: "queue" once the announcement after its menu key is over


class Caller:
    """One call into the hotline from a `SipEndpoint` shared with other callers, played out by its plan."""

    def __init__(self, endpoint: SipEndpoint, plan: CallerPlan, mark: int = CALLER_MARK,
                 agent_mark: int = AGENT_MARK, menu_cue: Callable[[int], bytes | None] | None = None,
                 callback_cue: Callable[[int], bytes | None] | None = None,
                 voice: Callable[[int], tuple[bytes, ...]] | None = None,
                 through_cue: Callable[[int], bytes | None] | None = None) -> None:
        self.endpoint = endpoint
        self.plan = plan
        self.menu_cue = menu_cue  # payload type → a frame of the menu prompt: press the key on hearing it
        self.callback_cue = callback_cue  # payload type → a frame of "we will call you back"
        # payload type → a frame of "putting you through to orders" (a number that skips its menu during an
        # airing): the caller then knows no menu is coming and presses nothing
        self.through_cue = through_cue
        self.voice = voice  # payload type → the frames the caller says once talking (else marked frames)
        self.called_back = False  # heard the engine confirm a callback
        self.mark = mark
        self.agent_mark = agent_mark
        self.result = CallResult(plan.number, plan.key)
        self.call: OutboundCall | None = None
        self.stream: RtpStream | None = None
        self.leaving = False  # we decided to hang up: no agent may answer any more
        self.aborted = False
        self.pressed = False
        self._choice: asyncio.TimerHandle | None = None
        self._reason: Outcome | None = None
        self._timers: list[asyncio.TimerHandle] = []

    @property
    def may_be_answered(self) -> bool:
        """True until the caller gave up or left (an agent phone asks this just before answering)."""
        return not self.leaving and (self.call is None or self.call.state is not CallState.ENDED)

    def agent_answered(self, agent: str) -> None:
        """An agent phone answered our call: talk, and hang up after our talk time (or get their BYE)."""
        self.result.agent = agent
        self._cancel_timers()
        if self.stream is not None:
            self.stream.talking = True
        self._after(self.plan.talk, self._leave, Outcome.ANSWERED)

    async def run(self, uri: str, answer_timeout: float = 15.0) -> CallResult:
        """Dial `uri`, play the plan out to the end of the call; never raises (a crash is a FAILED result)."""
        try:
            await self._run(uri, answer_timeout)
        except asyncio.CancelledError:
            self.abort("cancelled")
            raise
        except Exception as error:  # one broken call must not stop the simulation; it is counted as failed
            log.exception("simulated caller %s failed", self.plan.number)
            self.abort(f"error: {error!r}")
        finally:
            self._cancel_timers()
            if self.stream is not None:
                self.stream.close()
        return self.result

    async def _run(self, uri: str, answer_timeout: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        endpoint = self.endpoint
        self.call = call = endpoint.calls.dial(uri, (endpoint.host, endpoint.media.port),
                                               caller=f"sip:{self.plan.number}@{endpoint.host}")
        self.result.call_id = call.invite.call_id
        try:
            status = await asyncio.wait_for(call.wait_answer(), answer_timeout)
        except TimeoutError:
            call.hangup()
            self._fail(f"no final answer in {answer_timeout:g} s")
            return
        self.result.status = status
        if status != 200:
            self._unanswered(call)
            return
        self.result.setup = loop.time() - started
        assert call.media is not None
        payload_type = call.media.codec.payload_type
        # A voice speaks from the start: a softphone's agent hears it as soon as the engine bridges them.
        self.stream = endpoint.media.stream(call.media, self.mark, voice=self.voice(payload_type) if self.voice else ())
        self._listen_for_cues(payload_type)
        self._after(self.plan.menu_delay, self._press)  # unless the menu is heard first
        if self.plan.key != "2":
            self._after(self.plan.patience, self._leave, None)
        await call.wait_ended()
        self._ended()

    def _listen_for_cues(self, payload_type: int) -> None:
        assert self.stream is not None
        cue = self.menu_cue(payload_type) if self.menu_cue is not None else None
        if cue is not None:
            self.stream.when_heard(cue, self._heard_menu)
        confirmation = self.callback_cue(payload_type) if self.callback_cue is not None else None
        if confirmation is not None:
            self.stream.when_heard(confirmation, self._heard_callback)
        through = self.through_cue(payload_type) if self.through_cue is not None else None
        if through is not None:
            self.stream.when_heard(through, self._put_through)

    def _put_through(self) -> None:
        """The engine skipped the menu and is putting the caller through to an agent: a person presses nothing
        now (a key in the queue would ask for a callback) and waits, whatever they meant to press."""
        if self.pressed or self.result.agent:
            return
        self.pressed = True
        if self.plan.key == "2":  # meant to hear the order status: now waits for an agent like the others
            self._after(self.plan.patience, self._leave, None)
        self._choice = self._after(self.plan.announcement, self._on_hold)

    def _heard_callback(self) -> None:
        """"We will call you back": a person waits for the end of it rather than hang up now."""
        if not self.result.agent:
            self.called_back = True
            self._cancel_timers()

    def _unanswered(self, call: OutboundCall) -> None:
        if call.end_reason == "timeout":
            self._fail("no answer to the INVITE (SIP timeout)")
        else:
            self.result.outcome, self.result.detail = Outcome.REFUSED, call.end_reason

    def _heard_menu(self) -> None:
        self._after(REACTION, self._press, True)

    def _press(self, heard_menu: bool = False) -> None:
        """Press the menu key: on hearing the menu, or by the clock if it was not heard (then again on hearing it,
        as a person would: a key pressed during the welcome prompt is ignored)."""
        if self.stream is None or self.result.agent or not self.plan.key or (self.pressed and not heard_menu):
            return  # no stream, taken already, a caller who presses nothing, or pressed already
        self.pressed = True
        self.stream.dtmf(self.plan.key)
        self._chosen()

    def _chosen(self) -> None:
        """After the (last) key press: listen to the self-service, or count as on hold after the announcement."""
        if self._choice is not None:
            self._choice.cancel()
        if self.plan.key == "2":
            self._choice = self._after(self.plan.listen, self._leave, Outcome.SELF_SERVICE)
        else:
            self._choice = self._after(self.plan.announcement, self._on_hold)

    def _on_hold(self) -> None:
        self.result.stage = "queue"

    def _leave(self, reason: Outcome | None) -> None:
        """Hang up: after talking (`ANSWERED`), after self-service, or out of patience (None)."""
        if self.call is None or self.call.state is CallState.ENDED:
            return
        self.leaving, self._reason = True, reason
        self.call.hangup()

    def _ended(self) -> None:
        result = self.result
        if self.stream is not None:
            result.heard_agent = self.stream.heard(self.agent_mark)
        if self.aborted:
            return  # counted as failed by `abort`
        if result.agent:
            result.outcome = Outcome.ANSWERED
        elif self.called_back:
            result.outcome = Outcome.CALLBACK
        elif self._reason is Outcome.SELF_SERVICE:
            result.outcome = Outcome.SELF_SERVICE
        elif self.leaving:
            result.outcome = Outcome.ABANDONED_QUEUE if result.stage == "queue" else Outcome.ABANDONED_IVR
        else:
            result.outcome, result.detail = Outcome.ENDED_BY_ENGINE, self.call.end_reason if self.call else ""

    def abort(self, reason: str) -> None:
        """Stop now (the simulation stopped waiting): hang up and count the call as failed."""
        if not self.aborted:  # the first reason counts (a cancel after a hang-up that did not end the call)
            self._fail(reason)
        self.leaving = self.aborted = True
        if self.call is not None and self.call.state is not CallState.ENDED:
            self.call.hangup()

    def _fail(self, reason: str) -> None:
        self.result.outcome, self.result.detail = Outcome.FAILED, reason

    def _after(self, delay: float, action: Callable[..., None], *args: object) -> asyncio.TimerHandle:
        timer = asyncio.get_running_loop().call_later(delay, action, *args)
        self._timers.append(timer)
        return timer

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
