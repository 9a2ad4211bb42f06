"""Reads for the desk: an agent's state as the call log last recorded it, and the call they are on."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from hotline.accounts.models import User
from hotline.calls.models import AgentStateEvent, CallEvent, CallRecord, Kind, Queue, Seat
from hotline.desk.pop import Offered
from hotline.floor.live import STALE_CALL
from hotline.telephony.events import AgentState

BUSY_STATES = {AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP}
AGENT_CALL_STEPS = (Kind.OFFER, Kind.ANSWER, Kind.ARRIVE)  # an arrive names an agent only when it dials out


def offered_for_call(call_id: str) -> Offered | None:
    """The pop's facts for a call the agent did not get an offer for (attended transfer, pick-up)."""
    record = CallRecord.objects.filter(call_id=call_id).first()
    return None if record is None else _offered(record)


def _offered(record: CallRecord) -> Offered:
    return Offered(call_id=record.call_id, caller=record.caller, dnis=record.dnis, airing_id=record.airing_id,
                   direction=record.direction, queue=record.queue)


def _current_call(user: User, state: str) -> Offered | None:
    """The call the agent was last offered, answered or dialled, from the call log's events: a call record
    names its agent only once answered, so the latest record would be the previous caller while one rings."""
    if state not in BUSY_STATES:
        return None
    call_id = (CallEvent.objects.filter(agent_key=user.username, kind__in=AGENT_CALL_STEPS,
                                        at__gte=timezone.now() - STALE_CALL)
               .order_by("-at", "-id").values_list("call_id", flat=True).first())
    return None if call_id is None else offered_for_call(call_id)


def desk_state(user: User) -> dict[str, Any]:
    """`public`: the agent's state, reason, seat and since when, whether the seat's phone can be rung
    (`phone_online`, False when logged out), when wrap-up ends (`wrapup_until`, ISO, or None) and the
    queues' labels by name; `call`: the call to pop again, if any."""
    last = AgentStateEvent.objects.filter(agent_key=user.username).order_by("-at", "-id").first()
    state = last.state if last is not None else AgentState.LOGGED_OUT
    seat = Seat.objects.filter(agent=user).values_list("name", flat=True).first() or ""
    public = {"state": state, "reason": last.reason if last is not None else "", "seat": seat,
              "since": last.at.isoformat() if last is not None else None, "phone_online": False,
              "wrapup_until": None, "queues": Queue.labels()}
    if last is not None and state != AgentState.LOGGED_OUT:
        public["phone_online"] = last.phone_online
        public["wrapup_until"] = last.wrapup_until.isoformat() if last.wrapup_until is not None else None
    return {"public": public, "call": _current_call(user, state)}


def wrapup_seconds() -> dict[str, int]:
    """Each queue's wrap-up time, for the desk's countdown."""
    return dict(Queue.objects.values_list("name", "wrapup_seconds"))


def queue_labels() -> dict[str, str]:
    """Each queue's label (its name when it has none), by name: the desk shows labels, never codes."""
    return Queue.labels()
