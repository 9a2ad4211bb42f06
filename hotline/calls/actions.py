"""Every write of the calls app: the event log, call records, recordings and their retention.

The engine bridge calls these for the engine (actor None, "system"). Call steps are not copied into the
audit log: the event log is itself the append-only record of what happened. Purging recordings, a
destructive act, is audited one row per recording.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.models import User
from hotline.calls.conf import recording_retention_days
from hotline.calls.models import AgentStateEvent, CallEvent, CallRecord, Recording
from hotline.calls.timeline import ZERO, handlings, outcome, queue_visits, seconds
from hotline.lib.bus import publish_on_commit
from hotline.lib.phones import normalize_phone
from hotline.media.models import Airing
from hotline.media.queries import attribute, hotline_number_by_dnis
from hotline.reports.facts import refresh_call_facts
from hotline.telephony import events as ev
from hotline.telephony.dial_policy import NumberClass, classify

log = logging.getLogger(__name__)
_COMMON = {"call_id", "at", "mono", "queue", "agent"}


def normalize_caller(raw: str) -> str:
    """The caller's number in normal form when it is a Chinese number; an international one as 00 and its
    digits (+44…, 0044… are one caller), by the outbound dial policy's rules; else as received (trimmed)."""
    try:
        return normalize_phone(raw)
    except ValidationError:
        classified = classify(raw)
        if classified.kind is NumberClass.INTERNATIONAL:
            return classified.number[:32]
        return (raw or "").strip()[:32]


def _agent_user(agent_key: str) -> User | None:
    """The engine's agent id is the agent's user name."""
    return User.objects.filter(username=agent_key).first() if agent_key else None


def event_detail(event: ev.CallEvent) -> dict[str, Any]:
    """The fields of a step beyond the common ones, as JSON (enums as their values)."""
    return {f.name: _json_value(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name not in _COMMON}


def _json_value(value: Any) -> Any:
    return value if value is None or isinstance(value, int) else str(value)


def _open_record(event: ev.Arrive) -> CallRecord:
    number = hotline_number_by_dnis(event.dnis)
    # The engine attributes at arrival (its offer events carry the airing); the record keeps the same one.
    airing = Airing.objects.filter(pk=event.airing_id).first() if event.airing_id else attribute(number, event.at)
    # An outbound call belongs to its agent from the start (they may hang it up while it rings out).
    return CallRecord.objects.create(
        call_id=event.call_id, direction=event.direction, caller=normalize_caller(event.caller),
        dnis=event.dnis[:32], hotline_number=number, airing=airing, arrived_at=event.at,
        agent_key=event.agent[:64], agent=_agent_user(event.agent))


def _check(event: ev.CallEvent) -> None:
    if not event.call_id or len(event.call_id) > 64:
        raise ValidationError(_("A call id has 1 to 64 characters."))
    if timezone.is_naive(event.at):
        raise ValidationError(_("Event times must be timezone-aware."))


@transaction.atomic
def do_append_call_event(event: ev.CallEvent, *, actor: Any = None) -> CallEvent:
    """Append one call step to the log (an `Arrive` opens the call record, attributed to its airing)
    and keep the record's timestamps current. Steps of an unknown call, or a second arrival, are refused."""
    _check(event)
    call = CallRecord.objects.select_for_update().filter(call_id=event.call_id).first()
    if isinstance(event, ev.Arrive):
        if call is not None:
            raise ValidationError(_("Call %(id)s has already arrived.") % {"id": event.call_id})
        call = _open_record(event)
    elif call is None:
        raise ValidationError(_("Unknown call %(id)s.") % {"id": event.call_id})
    last = CallEvent.objects.filter(call_id=event.call_id).aggregate(last=Max("seq"))["last"] or 0
    row = CallEvent.objects.create(
        call_id=event.call_id, seq=last + 1, kind=event.kind, at=event.at, mono=event.mono,
        queue=event.queue[:64], agent_key=event.agent[:64], agent=_agent_user(event.agent), caller=call.caller,
        hotline_number=call.hotline_number, airing=call.airing, detail=event_detail(event))
    _follow(call, event, row)
    if isinstance(event, ev.WrapupEnd) and call.outcome:  # after-call work ends after the call was closed
        refresh_call_facts(event.call_id)
    publish_on_commit(f"calls.{event.kind}", {"call_id": event.call_id, "seq": row.seq, "queue": row.queue,
                                              "agent": row.agent_key, "caller": call.caller,
                                              "hotline_number": call.dnis, "airing_id": call.airing_id})
    return row


def _follow(call: CallRecord, event: ev.CallEvent, row: CallEvent) -> None:
    """Copy what the step changes onto the call record."""
    changed: list[str] = []
    if isinstance(event, ev.Enqueue):
        call.queue = row.queue
        changed.append("queue")
        if call.enqueued_at is None:
            call.enqueued_at = event.at
            changed.append("enqueued_at")
    elif isinstance(event, ev.Transfer):  # the agent's part is over: they no longer control the call
        call.agent_key, call.agent = "", None
        changed += ["agent_key", "agent"]
    elif isinstance(event, ev.Answer):
        call.agent_key, call.agent = row.agent_key, row.agent
        changed += ["agent_key", "agent"]
        if call.answered_at is None:
            call.answered_at = event.at
            changed.append("answered_at")
    elif isinstance(event, ev.Hangup):
        call.ended_at = event.at
        changed.append("ended_at")
    if changed:
        call.save(update_fields=changed)


@transaction.atomic
def do_close_call_record(call_id: str, *, actor: Any = None) -> CallRecord:
    """Set the record's outcome and durations from the call's logged steps (docs/kpi.md)."""
    from hotline.calls.kpi import load_calls, settings_for

    call = CallRecord.objects.select_for_update().filter(call_id=call_id).first()
    if call is None:
        raise ValidationError(_("Unknown call %(id)s.") % {"id": call_id})
    steps = load_calls([call_id]).get(call_id, [])
    call.outcome = outcome(steps, settings_for(call.queue).short_abandon_seconds)
    visits = [visit for visit in queue_visits(steps) if visit.wait is not None]
    call.wait_seconds = sum((visit.wait for visit in visits if visit.wait is not None), ZERO) if visits else None
    segments = [segment for segment in handlings(steps) if segment.talk is not None]
    if segments:
        call.talk_seconds = sum((s.talk for s in segments if s.talk is not None), ZERO)
        call.hold_seconds = sum((s.hold for s in segments), ZERO)
        call.wrapup_seconds = sum((s.acw for s in segments), ZERO)
    call.save()
    refresh_call_facts(call_id)
    publish_on_commit("calls.ended", {"call_id": call_id, "outcome": call.outcome, "queue": call.queue,
                                      "airing_id": call.airing_id})
    return call


@transaction.atomic
def do_append_agent_state(event: ev.AgentStateChanged, *, actor: Any = None) -> AgentStateEvent:
    """Append one agent state change to the agent log."""
    if timezone.is_naive(event.at):
        raise ValidationError(_("Event times must be timezone-aware."))
    row = AgentStateEvent.objects.create(agent_key=event.agent[:64], agent=_agent_user(event.agent),
                                         state=event.state, seat=event.seat[:64], reason=event.reason[:64],
                                         at=event.at, mono=event.mono, phone_online=event.phone_online,
                                         wrapup_until=event.wrapup_until)
    publish_on_commit("calls.agent_state", {"agent": row.agent_key, "state": row.state, "reason": row.reason,
                                            "phone_online": row.phone_online})
    return row


@transaction.atomic
def do_link_recording(call_id: str, path: str, duration_seconds: float, channels: int, *,
                      actor: Any = None) -> Recording:
    """Attach a finished recording file to its call."""
    call = CallRecord.objects.filter(call_id=call_id).first()
    if call is None:
        raise ValidationError(_("Unknown call %(id)s.") % {"id": call_id})
    if channels not in (1, 2) or duration_seconds < 0 or not path or len(path) > 500:
        raise ValidationError(_("A recording has a file, a duration of 0 s or more and 1 or 2 channels."))
    return Recording.objects.create(call=call, path=path, duration_seconds=seconds(duration_seconds),
                                    channels=channels, created_at=timezone.now())


@transaction.atomic
def do_purge_recordings(*, actor: Any, now: datetime.datetime | None = None) -> int:
    """Delete recordings older than the retention (HOTLINE_RECORDING_RETENTION_DAYS; 0 keeps them all),
    rows now and files once the transaction commits. Returns how many were purged."""
    days = recording_retention_days()
    if days == 0:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = list(Recording.objects.select_for_update().filter(created_at__lt=cutoff))
    for recording in old:
        record("purge_recording", recording, actor=actor, before=snapshot(recording))
        recording.delete()
    paths = [recording.path for recording in old]
    transaction.on_commit(lambda: _remove_files(paths))
    return len(old)


def _remove_files(paths: list[str]) -> None:
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove recording %s", path)


