"""Every write of callbacks and voicemail, and the reads the engine's `CallbackStore` needs.

The engine bridge calls these for the engine (actor None, "system"). Callback changes are not copied into
the audit log: `CallbackEvent` is their append-only record. Handling a voicemail is a person's act and is
audited.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.calls.actions import normalize_caller
from hotline.calls.models import (
    LIVE_CALLBACK_STATUSES,
    Callback,
    CallbackEvent,
    CallbackEventKind,
    CallbackReason,
    CallbackStatus,
    CallRecord,
    DialResult,
    NotDialled,
    Voicemail,
    VoicemailStatus,
)
from hotline.calls.timeline import seconds
from hotline.lib.bus import publish_on_commit
from hotline.media.models import Airing, HotlineNumber
from hotline.media.queries import attribute, hotline_number_by_dnis
from hotline.telephony.ports import CallbackCapture, CallbackChange, StoredCallback

MAX_NOTE_LENGTH = 2000
# Held callbacks without a number to tell callers apart: each capture is a row of its own.
UNREADABLE = frozenset({NotDialled.NO_CALLER_ID, NotDialled.INVALID})


def stored_callback(row: Callback) -> StoredCallback:
    """A callback row as the engine's `StoredCallback` (its airing loaded for `aired_at`)."""
    return StoredCallback(
        callback_id=row.pk, number=row.number, hotline_number=row.dnis, airing_id=row.airing_id,
        reason=row.reason, call_id=row.call_id, arrived_at=row.arrived_at, captured_at=row.captured_at,
        status=row.status, reach_attempts=row.reach_attempts, dial_attempts=row.dial_attempts,
        not_before=row.not_before, last_result=row.last_result,
        aired_at=row.airing.starts_at if row.airing is not None else None, not_dialled=row.not_dialled)


def _check_capture(capture: CallbackCapture) -> None:
    if capture.not_dialled and capture.not_dialled not in NotDialled.values:
        raise ValidationError(_("Unknown reason not to dial “%(reason)s”.") % {"reason": capture.not_dialled})
    if not capture.number.strip() and capture.not_dialled != NotDialled.NO_CALLER_ID:
        raise ValidationError(_("A callback needs the caller's number."))
    if capture.reason not in CallbackReason.values:
        raise ValidationError(_("Unknown callback reason “%(reason)s”.") % {"reason": capture.reason})
    if timezone.is_naive(capture.arrived_at):
        raise ValidationError(_("Event times must be timezone-aware."))
    if len(capture.call_id) > 64:
        raise ValidationError(_("A call id has 1 to 64 characters."))


def _live_callback(number: str) -> Callback | None:
    """The number's live callback, locked until the transaction ends."""
    # No select_related here: PostgreSQL cannot lock the nullable side of the airing's outer join.
    return Callback.objects.select_for_update().filter(number=number, status__in=LIVE_CALLBACK_STATUSES).first()


def _repeat(row: Callback, capture: CallbackCapture, now: datetime.datetime) -> Callback:
    row.reach_attempts += 1
    row.arrived_at = min(row.arrived_at, capture.arrived_at)
    row.updated_at = now
    row.save(update_fields=["reach_attempts", "arrived_at", "updated_at"])
    CallbackEvent.objects.create(callback=row, kind=CallbackEventKind.DEDUPLICATED, at=now,
                                 detail=f"{capture.reason}; reach attempts {row.reach_attempts}",
                                 call_id=capture.call_id)
    return row


def _held_callback(number: str, capture: CallbackCapture) -> Callback | None:
    """The number's earlier held callback, which a repeat capture joins (none for unreadable numbers)."""
    if capture.not_dialled in UNREADABLE:
        return None
    return (Callback.objects.select_for_update().filter(number=number, status=CallbackStatus.HELD)
            .order_by("-captured_at", "-id").first())


class Lookups:
    """Hotline numbers and airings read once per batch of captures: in a surge every caller dialled the same
    number after the same airing, and the rows do not change within the batch's transaction."""

    def __init__(self) -> None:
        self._numbers: dict[str, HotlineNumber | None] = {}
        self._airings: dict[int, Airing | None] = {}

    def hotline_number(self, dnis: str) -> HotlineNumber | None:
        if dnis not in self._numbers:
            self._numbers[dnis] = hotline_number_by_dnis(dnis)
        return self._numbers[dnis]

    def airing(self, airing_id: int) -> Airing | None:
        if airing_id not in self._airings:
            self._airings[airing_id] = Airing.objects.filter(pk=airing_id).first()
        return self._airings[airing_id]


def _insert(number: str, capture: CallbackCapture, now: datetime.datetime, lookups: Lookups) -> Callback:
    hotline_number = lookups.hotline_number(capture.hotline_number)
    # As for call records: the engine's attribution when it has one, else the airing of the arrival.
    airing = (lookups.airing(capture.airing_id) if capture.airing_id
              else attribute(hotline_number, capture.arrived_at))
    row = Callback.objects.create(
        number=number, dnis=capture.hotline_number[:32], hotline_number=hotline_number, airing=airing,
        reason=capture.reason, call_id=capture.call_id, arrived_at=capture.arrived_at, captured_at=now,
        status=CallbackStatus.HELD if capture.not_dialled else CallbackStatus.PENDING,
        not_before=None if capture.not_dialled else now, updated_at=now, not_dialled=capture.not_dialled)
    CallbackEvent.objects.create(callback=row, kind=CallbackEventKind.CAPTURED, at=now, detail=capture.reason,
                                 call_id=capture.call_id)
    if capture.not_dialled:
        CallbackEvent.objects.create(callback=row, kind=CallbackEventKind.NOT_DIALLED, at=now,
                                     detail=capture.not_dialled, call_id=capture.call_id)
    return row


def _capture_once(number: str, capture: CallbackCapture, lookups: Lookups, *, savepoint: bool = True) -> Callback:
    now = timezone.now()
    with transaction.atomic(savepoint=savepoint):
        live = _held_callback(number, capture) if capture.not_dialled else _live_callback(number)
        row = _repeat(live, capture, now) if live is not None else _insert(number, capture, now, lookups)
        publish_on_commit("calls.callback_captured", {"callback_id": row.pk, "number": row.number,
                                                      "reach_attempts": row.reach_attempts})
    return row


def do_capture_callback(capture: CallbackCapture, *, actor: Any = None) -> StoredCallback:
    """Store a callback in one transaction, committed when this returns (the caller is told only then).

    A number with a live callback gets that one back with `reach_attempts` + 1, the earlier arrival kept
    and a `deduplicated` event; else a new pending row with a `captured` event. A capture the dial policy
    refused (`not_dialled`) is stored held, with a `not_dialled` event, joining the number's held row if
    it has one (callers without a readable number each get their own). Two captures of a new
    number racing each other: the loser's insert breaks the one-live-per-number constraint and is
    retried once, when it finds the winner's row and counts as a repeat.
    """
    _check_capture(capture)
    number = normalize_caller(capture.number)
    lookups = Lookups()
    try:
        row = _capture_once(number, capture, lookups)
    except IntegrityError:
        row = _capture_once(number, capture, lookups)
    return stored_callback(row)


def do_capture_callbacks(captures: Sequence[CallbackCapture], *,
                         actor: Any = None) -> list[StoredCallback | ValidationError]:
    """Store many captures in one transaction — a surge's group commit — and answer, in order, each one's
    stored callback or the error that refused it (a refused capture writes nothing).

    One commit for the batch instead of one per caller is what lets a single connection keep up with a
    hundred callers a second. Nothing is committed before this returns, so no caller is told "we will call
    you back" for a row that is not there. A capture racing another process for a new number breaks the
    one-live-per-number constraint and spoils the whole transaction: the batch is then stored again one
    capture at a time, each with its own transaction and retry (`do_capture_callback`).
    """
    try:
        with transaction.atomic():
            lookups = Lookups()
            return [_capture_in_batch(capture, lookups) for capture in captures]
    except IntegrityError:
        return [_capture_alone(capture) for capture in captures]


def _capture_in_batch(capture: CallbackCapture, lookups: Lookups) -> StoredCallback | ValidationError:
    try:
        _check_capture(capture)
    except ValidationError as refused:
        return refused
    return stored_callback(_capture_once(normalize_caller(capture.number), capture, lookups, savepoint=False))


def _capture_alone(capture: CallbackCapture) -> StoredCallback | ValidationError:
    try:
        return do_capture_callback(capture)
    except ValidationError as refused:
        return refused


def _check_change(change: CallbackChange) -> None:
    if change.status not in CallbackStatus.values or change.kind not in CallbackEventKind.values:
        raise ValidationError(_("Unknown callback status or event."))
    if change.last_result and change.last_result not in DialResult.values:
        raise ValidationError(_("Unknown dial result “%(result)s”.") % {"result": change.last_result})
    if timezone.is_naive(change.at) or (change.not_before is not None and timezone.is_naive(change.not_before)):
        raise ValidationError(_("Event times must be timezone-aware."))
    if change.dial_attempts < 0 or len(change.call_id) > 64:
        raise ValidationError(_("Invalid callback change."))
    if change.not_dialled and change.not_dialled not in NotDialled.values:
        raise ValidationError(_("Unknown reason not to dial “%(reason)s”.") % {"reason": change.not_dialled})


@transaction.atomic
def do_record_callback_change(change: CallbackChange, *, actor: Any = None) -> CallbackEvent:
    """Save a callback's new state (status, attempts, next dial time, last result and dial) and append
    its event."""
    _check_change(change)
    row = Callback.objects.select_for_update().filter(pk=change.callback_id).first()
    if row is None:
        raise ValidationError(_("Unknown callback %(id)s.") % {"id": change.callback_id})
    if row.status not in LIVE_CALLBACK_STATUSES and change.status != row.status:
        # A final callback (answered, cancelled, …) never comes back to life: a late or reordered write
        # must not revive it next to the caller's newer callback.
        raise ValidationError(_("Callback %(id)s is closed.") % {"id": change.callback_id})
    row.status, row.dial_attempts = change.status, change.dial_attempts
    row.not_before, row.last_result, row.updated_at = change.not_before, change.last_result, change.at
    if change.call_id:
        row.last_call_id = change.call_id
    if change.not_dialled:
        row.not_dialled = change.not_dialled
    row.save(update_fields=["status", "dial_attempts", "not_before", "last_result", "updated_at",
                            "last_call_id", "not_dialled"])
    event = CallbackEvent.objects.create(callback=row, kind=change.kind, at=change.at, detail=change.detail[:200],
                                         call_id=change.call_id)
    publish_on_commit("calls.callback_changed", {"callback_id": row.pk, "number": row.number,
                                                 "status": row.status, "kind": event.kind})
    return event


def live_callbacks() -> list[StoredCallback]:
    """Every live callback, oldest capture first (the engine rebuilds its book from these)."""
    rows = (Callback.objects.select_related("airing").filter(status__in=LIVE_CALLBACK_STATUSES)
            .order_by("captured_at", "id"))
    return [stored_callback(row) for row in rows]


def upcoming_airing_starts(now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
    """Distinct start times of airings starting in [now, now + within_seconds], earliest first.

    Every airing on the schedule counts, whatever its station: the dialer keeps agents free for the wave of
    calls any spot brings.
    """
    until = now + datetime.timedelta(seconds=within_seconds)
    starts = (Airing.objects.filter(starts_at__gte=now, starts_at__lte=until).order_by("starts_at")
              .values_list("starts_at", flat=True).distinct())
    return list(starts)


@transaction.atomic
def do_file_voicemail(call_id: str, path: str, duration_seconds: float, *, actor: Any = None) -> Voicemail:
    """Put a caller's message on the voicemail worklist, with the caller, number and airing of their call."""
    call = CallRecord.objects.filter(call_id=call_id).first()
    if call is None:
        raise ValidationError(_("Unknown call %(id)s.") % {"id": call_id})
    if not path or len(path) > 500 or duration_seconds < 0:
        raise ValidationError(_("A voicemail has a file and a duration of 0 s or more."))
    if Voicemail.objects.filter(call_id=call_id).exists():
        raise ValidationError(_("Call %(id)s already has a voicemail.") % {"id": call_id})
    voicemail = Voicemail.objects.create(
        call_id=call_id, caller=call.caller, dnis=call.dnis, hotline_number_id=call.hotline_number_id,
        airing_id=call.airing_id, path=path, duration_seconds=seconds(duration_seconds), created_at=timezone.now())
    publish_on_commit("calls.voicemail_filed", {"voicemail_id": voicemail.pk, "call_id": call_id,
                                                "caller": voicemail.caller})
    return voicemail


@transaction.atomic
def do_handle_voicemail(voicemail: Voicemail, *, actor: Any, note: str = "") -> Voicemail:
    """Mark a voicemail handled by `actor`, with an optional note; handling it twice is refused."""
    locked = Voicemail.objects.select_for_update().get(pk=voicemail.pk)
    if locked.status == VoicemailStatus.HANDLED:
        raise ValidationError(_("This voicemail has already been handled."))
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": [_("A note has at most %(max)d characters.") % {"max": MAX_NOTE_LENGTH}]})
    before = snapshot(locked)
    locked.status, locked.note, locked.handled_at = VoicemailStatus.HANDLED, note, timezone.now()
    locked.handled_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["status", "note", "handled_at", "handled_by"])
    record("handle_voicemail", locked, actor=actor, before=before, after=snapshot(locked))
    publish_on_commit("calls.voicemail_handled", {"voicemail_id": locked.pk, "call_id": locked.call_id})
    return locked
