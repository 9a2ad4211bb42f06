"""Commands to the telephony engine: an agent's seat and state, and call control (hold, transfer, hang up).

Agents act for themselves; supervisors may name another agent and control any call. A refusal by the
engine is a 409 with a stable `code`; no engine reachable is a 503 with Retry-After.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.decorators import decorate_view

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.api.auth import current_user, needs
from hotline.api.errors import ErrorOut, RefusedOut, responses
from hotline.api.limits import SMALL_BODY, body_limit
from hotline.calls.commands import (
    do_agent_log_in,
    do_agent_log_out,
    do_click_to_dial,
    do_control_call,
    do_extend_wrap_up,
    do_pick_up,
    do_set_agent_state,
    do_stop_supervising,
    do_supervise_call,
)
from hotline.calls.models import Seat
from hotline.telephony.commands import (
    CallCommand,
    CancelConsultation,
    CompleteTransfer,
    Consult,
    HangUp,
    Hold,
    Resume,
    Transfer,
)
from hotline.telephony.control import ControlError

router = Router(tags=["telephony"])
ENGINE_ERRORS = {409: RefusedOut, 503: ErrorOut}


class LoginIn(Schema):
    seat: str


class AgentIn(Schema):
    """Whom a state command is for: yourself (empty), or another agent's user name (supervisors)."""

    agent: str = ""


class StateIn(AgentIn):
    state: Literal["ready", "not_ready"]
    reason: str = ""


class TransferIn(Schema):
    """Where to: a queue's name, or an agent's user name (exactly one)."""

    queue: str = ""
    agent: str = ""


class MonitorIn(Schema):
    """How to join the call, and with which phone when you are not logged in at a seat."""

    mode: Literal["listen", "whisper", "barge"] = "listen"
    seat: str = ""


class DoneOut(Schema):
    ok: bool = True


class WrapUpExtendIn(Schema):
    """How many seconds more (1–300; three extensions and 300 s in all per wrap-up)."""

    seconds: int = 30


class DialIn(Schema):
    number: str


class DialOut(Schema):
    """The new outbound call: your phone rings first, then the customer's."""

    call_id: str


def _agent(name: str) -> User | None:
    if not name:
        return None
    user = User.objects.filter(username=name).first()
    if user is None:
        raise Http404(_("There is no agent “%(name)s”.") % {"name": name})
    return user


@router.post("/agent/login", response={200: DoneOut, **responses(404, 422), **ENGINE_ERRORS},
             auth=needs(Perm.TAKE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def log_in(request: HttpRequest, payload: LoginIn) -> DoneOut:
    """Log in at a seat (not ready): its phone rings for your queues once you are ready."""
    seat = Seat.objects.filter(name=payload.seat).first()
    if seat is None:
        raise Http404(_("There is no seat “%(name)s”.") % {"name": payload.seat})
    do_agent_log_in(seat, actor=current_user(request))
    return DoneOut()


@router.post("/agent/logout", response={200: DoneOut, **responses(404, 422), **ENGINE_ERRORS},
             auth=needs(Perm.TAKE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def log_out(request: HttpRequest, payload: AgentIn) -> DoneOut:
    """Log out of the engine (not while on a call) and free the seat."""
    do_agent_log_out(actor=current_user(request), agent=_agent(payload.agent))
    return DoneOut()


@router.post("/agent/state", response={200: DoneOut, **responses(404, 422), **ENGINE_ERRORS},
             auth=needs(Perm.TAKE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def set_state(request: HttpRequest, payload: StateIn) -> DoneOut:
    """Ready, or not ready with a reason code (break, lunch, training, …)."""
    do_set_agent_state(payload.state == "ready", payload.reason, actor=current_user(request),
                       agent=_agent(payload.agent))
    return DoneOut()


@router.post("/agent/wrapup/extend", response={200: DoneOut, **responses(422), **ENGINE_ERRORS},
             auth=needs(Perm.TAKE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def extend_wrap_up(request: HttpRequest, payload: WrapUpExtendIn) -> DoneOut:
    """More time to finish the after-call work: your wrap-up ends `seconds` later. Refused (409) with
    `not_in_wrap_up` after wrap-up ended, `wrap_up_limit` beyond three extensions or 300 s in all."""
    do_extend_wrap_up(payload.seconds, actor=current_user(request))
    return DoneOut()


@router.post("/agent/dial", response={200: DialOut, **responses(422), **ENGINE_ERRORS}, auth=needs(Perm.TAKE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def dial(request: HttpRequest, payload: DialIn) -> DialOut:
    """Click-to-dial: your seat's phone rings first; when you pick up, the customer's number is dialled."""
    return DialOut(call_id=do_click_to_dial(payload.number, actor=current_user(request)))


def _known_call(call_id: str) -> str:
    # no call id holds NUL, and PostgreSQL would refuse the look-up itself (500 instead of "unknown call")
    if "\x00" in call_id:
        raise ControlError("unknown_call", "no such call")
    return call_id


def _call_command(request: HttpRequest, command: CallCommand) -> DoneOut:
    _known_call(command.call_id)
    do_control_call(command, actor=current_user(request))
    return DoneOut()


CALL_RESPONSES = {200: DoneOut, **responses(), **ENGINE_ERRORS}


@router.post("/calls/{call_id}/hangup", response=CALL_RESPONSES, auth=needs(Perm.TAKE_CALLS))
def hang_up(request: HttpRequest, call_id: str) -> DoneOut:
    """End the call on every leg (a supervisor's force hang-up, 强拆)."""
    return _call_command(request, HangUp(call_id))


@router.post("/calls/{call_id}/hold", response=CALL_RESPONSES, auth=needs(Perm.TAKE_CALLS))
def hold(request: HttpRequest, call_id: str) -> DoneOut:
    """The caller hears hold music; the agent hears silence."""
    return _call_command(request, Hold(call_id))


@router.post("/calls/{call_id}/resume", response=CALL_RESPONSES, auth=needs(Perm.TAKE_CALLS))
def resume(request: HttpRequest, call_id: str) -> DoneOut:
    """Take the caller off hold."""
    return _call_command(request, Resume(call_id))


@router.post("/calls/{call_id}/transfer", response={**CALL_RESPONSES, **responses(422)},
             auth=needs(Perm.TAKE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def transfer(request: HttpRequest, call_id: str, payload: TransferIn) -> DoneOut:
    """Blind transfer to a queue or to one agent: your part of the call ends and wrap-up starts."""
    return _call_command(request, Transfer(call_id, queue=payload.queue, agent=payload.agent))




class ConsultIn(Schema):
    """The agent to talk to first (their user name)."""

    agent: str


@router.post("/calls/{call_id}/consult", response={**CALL_RESPONSES, **responses(422)},
             auth=needs(Perm.TAKE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def consult(request: HttpRequest, call_id: str, payload: ConsultIn) -> DoneOut:
    """Attended transfer: the caller waits on hold while the other agent's phone rings; talk to them, then
    complete the transfer or cancel it (hanging up after they answered completes it too)."""
    return _call_command(request, Consult(call_id, payload.agent))


@router.post("/calls/{call_id}/consult/complete", response=CALL_RESPONSES, auth=needs(Perm.TAKE_CALLS))
def complete_transfer(request: HttpRequest, call_id: str) -> DoneOut:
    """The consulted agent takes the caller; your part of the call ends and wrap-up starts."""
    return _call_command(request, CompleteTransfer(call_id))


@router.post("/calls/{call_id}/consult/cancel", response=CALL_RESPONSES, auth=needs(Perm.TAKE_CALLS))
def cancel_consultation(request: HttpRequest, call_id: str) -> DoneOut:
    """End the consultation: the caller is back with you."""
    return _call_command(request, CancelConsultation(call_id))


@router.post("/calls/{call_id}/monitor", response={**CALL_RESPONSES, **responses(422)},
             auth=needs(Perm.SUPERVISE_CALLS))
@decorate_view(body_limit(SMALL_BODY))
def monitor(request: HttpRequest, call_id: str, payload: MonitorIn) -> DoneOut:
    """Your phone rings and joins the call: listen (you hear both), whisper (only the agent hears you), or
    barge (all three talk). Call again with another mode to switch on the same phone call."""
    do_supervise_call(_known_call(call_id), payload.mode, actor=current_user(request), seat=payload.seat)
    return DoneOut()


@router.post("/monitor/stop", response=CALL_RESPONSES, auth=needs(Perm.SUPERVISE_CALLS))
def stop_monitoring(request: HttpRequest) -> DoneOut:
    """Leave the call you supervise (your phone is hung up; the call goes on)."""
    do_stop_supervising(actor=current_user(request))
    return DoneOut()


@router.post("/calls/{call_id}/pickup", response=CALL_RESPONSES, auth=needs(Perm.SUPERVISE_CALLS))
def pick_up(request: HttpRequest, call_id: str) -> DoneOut:
    """Take a call still waiting in line or ringing at another agent (代接): your phone rings next."""
    do_pick_up(_known_call(call_id), actor=current_user(request))
    return DoneOut()
