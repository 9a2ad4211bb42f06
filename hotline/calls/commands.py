"""Actions that command the telephony engine for agents and supervisors (typed commands of
`hotline.telephony.commands`, sent through `hotline.calls.host.link`).

Each action checks who may do what, sends one command, and records an audit row once the engine has
carried it out; a refused command (`ControlError`, or `EngineUnavailable`) changes and records nothing.
No database transaction is held open while the engine works on a command: on SQLite it would hold the
write lock the engine's own call log needs.
Agent log-in and log-out also keep the seat's row in step, so a restarted engine logs the agent in again.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.audit import record
from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.calls.conf import dial_settings
from hotline.calls.host.link import send_command
from hotline.calls.models import CallRecord, NotDialled, Seat
from hotline.calls.queries import agent_skills, call_record, seat_of
from hotline.calls.seats import do_log_in_to_seat, do_log_out_of_seat
from hotline.lib.phones import normalize_phone
from hotline.telephony.acd.dispatcher import MAX_WRAP_UP_EXTENSION_SECONDS
from hotline.telephony.commands import (
    CallCommand,
    ClickToDial,
    ExtendWrapUp,
    Login,
    Logout,
    Monitor,
    NotReady,
    PickUp,
    Ready,
    StopMonitor,
    Transfer,
)
from hotline.telephony.control import ControlError
from hotline.telephony.dial_policy import Refusal, class_refusal, classify

# What the engine's refusal codes mean, in the user's language.
REFUSALS = {
    "unknown_seat": gettext_lazy("There is no such seat."),
    "unknown_agent": gettext_lazy("The engine does not know this agent."),
    "unknown_call": gettext_lazy("This call is not in progress."),
    "unknown_queue": gettext_lazy("There is no such queue."),
    "not_logged_in": gettext_lazy("The agent is not logged in to a seat."),
    "already_logged_in": gettext_lazy("The agent is already logged in to a seat."),
    "seat_taken": gettext_lazy("Someone else is logged in at this seat."),
    "not_allowed_now": gettext_lazy("The agent cannot do that in the current state."),
    "not_connected": gettext_lazy("The call is not connected to an agent."),
    "no_gateway": gettext_lazy("Outbound calls are not set up (HOTLINE_OUTBOUND_GATEWAY)."),
    "no_phone": gettext_lazy("Your seat's phone is not registered."),
    "phone_offline": gettext_lazy("That agent's phone is offline (not registered)."),
    "not_in_wrap_up": gettext_lazy("Wrap-up is over: there is nothing to extend."),
    "wrap_up_limit": gettext_lazy("Wrap-up cannot be extended any further; set yourself not ready instead."),
    "bad_request": gettext_lazy("The engine did not understand the command."),
    "internal": gettext_lazy("The engine failed to carry out the command; see its log."),
}


def refusal_message(error: ControlError) -> str:
    if error.code == "not_dialled" and str(error) in NotDialled.values:  # the dial policy's refusal
        return not_dialled_message(str(error))
    return str(REFUSALS.get(error.code, gettext_lazy("The engine refused the command.")))


def not_dialled_message(refusal: str) -> str:
    """"Not dialled: international number" for a `hotline.telephony.dial_policy.Refusal` value."""
    return _("Not dialled: %(reason)s.") % {"reason": NotDialled(refusal).label}


def _agent_for(target: User | None, actor: User) -> User:
    """The agent a state command is for: the actor, or another agent if the actor supervises."""
    agent = target or actor
    if agent.pk != actor.pk and not actor.has_perm(Perm.SUPERVISE_CALLS):
        raise PermissionDenied(_("Only a supervisor can change another agent's state."))
    return agent


def do_agent_log_in(seat: Seat, *, actor: User) -> Seat:
    """The actor logs in at `seat`, not ready: once ready, the seat's phone rings for the actor's queue
    memberships (with their skill levels), or for every queue when they have none."""
    skills = ",".join(f"{queue}:{level}" for queue, level in agent_skills(actor))
    send_command(Login(actor.username, seat.name, skills=skills))
    try:
        return do_log_in_to_seat(seat, actor, actor=actor)
    except Exception:
        send_command(Logout(actor.username))  # keep the engine and the seat row in step
        raise


def do_agent_log_out(*, actor: User, agent: User | None = None) -> None:
    """Log an agent (the actor, or one the actor supervises) out of the engine and free their seat."""
    who = _agent_for(agent, actor)
    send_command(Logout(who.username))
    seat = seat_of(who)
    if seat is not None:
        do_log_out_of_seat(seat, actor=actor)


def do_set_agent_state(ready: bool, reason: str = "", *, actor: User, agent: User | None = None) -> None:
    """Ready, or not ready with a reason code, for the actor or (supervisors) another agent."""
    who = _agent_for(agent, actor)
    send_command(Ready(who.username) if ready else NotReady(who.username, reason))
    record("set_agent_state", who, actor=actor, after={"ready": ready, "reason": reason})


def do_extend_wrap_up(seconds: int, *, actor: User) -> None:
    """More after-call time for the actor, who is wrapping up: `seconds` from 1 to 300 (the engine allows
    three extensions and 300 s in all per wrap-up). Audited."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= MAX_WRAP_UP_EXTENSION_SECONDS:
        raise ValidationError({"seconds": _("Give a whole number of seconds from 1 to %(max)d.")
                               % {"max": MAX_WRAP_UP_EXTENSION_SECONDS}})
    send_command(ExtendWrapUp(actor.username, seconds))
    record("extend_wrap_up", actor, actor=actor, after={"seconds": seconds})


def _call_for(call_id: str, actor: User) -> CallRecord:
    """The call, if the actor is its agent or supervises."""
    call = call_record(call_id)
    if call is None:
        raise ControlError("unknown_call", f"no call {call_id}")
    if call.agent_key != actor.username and not actor.has_perm(Perm.SUPERVISE_CALLS):
        raise PermissionDenied(_("Only the call's agent or a supervisor can do that."))
    return call


def do_control_call(command: CallCommand, *, actor: User) -> None:
    """Hang up, hold, resume, transfer to a queue or an agent (by user name), or transfer attended (consult
    an agent, then complete or cancel) a call: its agent may, and a supervisor may for any call."""
    if isinstance(command, Transfer) and bool(command.queue) == bool(command.agent):
        raise ValidationError({"queue": _("Give either a queue or an agent.")})
    call = _call_for(command.call_id, actor)
    send_command(command)
    record(f"call_{command.NAME}", call, actor=actor, after=sent(command))


def sent(command: CallCommand | Monitor) -> dict[str, object]:
    """What the audit log keeps of a command: its arguments that were given (not left empty)."""
    args = command.to_json()["args"]
    assert isinstance(args, dict)
    return {name: value for name, value in args.items() if value != ""}


def do_click_to_dial(number: str, *, actor: User) -> str:
    """Ring the actor's phone, then `number` (normalised); returns the new call's id. Audited.

    The outbound dial policy decides first (docs/telephony.md, "Outbound dial policy"): by default only
    Chinese mobiles and landlines are dialled; the engine applies it again with the daily limits."""
    classified = classify(number)
    refused = class_refusal(classified, dial_settings())
    try:
        dialled = normalize_phone(number)
    except ValidationError as error:
        if refused is None:  # a class or prefix the configuration allows (customers abroad, say)
            dialled = classified.number
        elif refused in (Refusal.INVALID, Refusal.NO_CALLER_ID):
            raise ValidationError({"number": error.messages}) from error
    if refused is not None:
        raise ValidationError({"number": [not_dialled_message(refused.value)]})
    call_id = send_command(ClickToDial(actor.username, dialled)) or ""
    record("click_to_dial", actor, actor=actor, after={"number": dialled, "call_id": call_id})
    return call_id


def _must_supervise(actor: User) -> None:
    if not actor.has_perm(Perm.SUPERVISE_CALLS):
        raise PermissionDenied(_("Only a supervisor can do that."))


def _supervised_call(call_id: str, actor: User) -> CallRecord:
    """The call, if the actor supervises."""
    _must_supervise(actor)
    return _call_for(call_id, actor)


def do_supervise_call(call_id: str, mode: str, *, actor: User, seat: str = "") -> None:
    """Listen to, whisper into or barge into a connected call from the supervisor's own phone: the phone of
    the seat they are logged in at, else of `seat`. Again with another mode switches it. Audited."""
    call = _supervised_call(call_id, actor)
    command = Monitor(call_id, actor.username, mode, "" if seat_of(actor) else seat)
    send_command(command)
    record(f"call_{mode}", call, actor=actor, after=sent(command))


def do_stop_supervising(*, actor: User) -> None:
    """The supervisor leaves the call they listen to (their phone is hung up). Audited."""
    _must_supervise(actor)
    send_command(StopMonitor(actor.username))
    record("call_stop_monitor", actor, actor=actor, after={})


def do_pick_up(call_id: str, *, actor: User) -> None:
    """代接: the supervisor takes a call still waiting or ringing elsewhere; their phone rings next. Audited."""
    call = _supervised_call(call_id, actor)
    send_command(PickUp(call_id, actor.username))
    record("call_pick_up", call, actor=actor, after={"agent": actor.username})
