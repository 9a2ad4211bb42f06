"""Callbacks (the callers the engine will ring back) and the voicemail worklist.

Callbacks are read-only here: the engine writes them. A voicemail is marked handled, with a note.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from hotline.accounts.permissions import Perm
from hotline.api.auth import current_user, needs
from hotline.api.errors import responses
from hotline.api.limits import SMALL_BODY, body_limit
from hotline.api.pagination import Page
from hotline.api.schemas import Id, In, PathId
from hotline.calls.actions import normalize_caller
from hotline.calls.callback_actions import MAX_NOTE_LENGTH, do_handle_voicemail
from hotline.calls.models import Callback, CallbackStatus, Voicemail, VoicemailStatus

callbacks = Router(tags=["callbacks"])
voicemails = Router(tags=["voicemails"])


class CallbackOut(Schema):
    """A callback: who to call back, why, the number and airing that made them call, and how it went.
    `not_before` is the earliest time of the next dial; `last_result` is "" before any dial ends."""

    id: int
    status: str
    number: str
    hotline_number: str = Field(description="the hotline number the caller dialled")
    airing_id: int | None
    reason: str
    arrived_at: datetime.datetime = Field(description="when the caller first reached us")
    captured_at: datetime.datetime
    reach_attempts: int = Field(description="how many times the caller rang in while this callback was live")
    dial_attempts: int
    not_before: datetime.datetime | None
    last_result: str
    not_dialled: str = Field(description="why a held callback is never dialled: international, premium, service, "
                                         "invalid, no_caller_id, denied_prefix, number_limit or prefix_limit; "
                                         "empty when it may be dialled")

    @staticmethod
    def resolve_hotline_number(obj: Any) -> str:
        return obj.hotline_number.number if obj.hotline_number_id else obj.dnis  # type: ignore[no-any-return]


class CallbackFilter(Schema):
    """`status` may repeat or list several values with commas (`status=pending,dialling`)."""

    status: list[str] = Field(default_factory=list, description="pending, reserved, dialling, answered, "
                                                                 "gave_up, expired or cancelled")
    number: str | None = Field(None, max_length=32, description="the caller's number, in any notation")
    airing: Id | None = Field(None, description="airing id")


class VoicemailOut(Schema):
    """A message a caller left, with their call's number and airing; `handled_by` is a user name."""

    id: int
    call_id: str
    caller: str
    hotline_number: str
    airing_id: int | None
    duration_seconds: Decimal
    created_at: datetime.datetime
    status: str
    handled_by: str | None
    handled_at: datetime.datetime | None
    note: str

    @staticmethod
    def resolve_hotline_number(obj: Any) -> str:
        return obj.hotline_number.number if obj.hotline_number_id else obj.dnis  # type: ignore[no-any-return]

    @staticmethod
    def resolve_handled_by(obj: Any) -> str | None:
        return obj.handled_by.get_username() if obj.handled_by_id else None


class VoicemailFilter(Schema):
    status: str | None = Field(None, description="new or handled")


class HandleIn(In):
    """What was done about the message (optional)."""

    note: str = Field("", max_length=MAX_NOTE_LENGTH)


def _statuses(raw: list[str]) -> list[str]:
    wanted = [part.strip() for value in raw for part in value.split(",") if part.strip()]
    unknown = [value for value in wanted if value not in CallbackStatus.values]
    if unknown:
        raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": unknown[0]}})
    return wanted


def filter_callbacks(filters: CallbackFilter) -> QuerySet[Callback]:
    """Callbacks matching every filter, oldest capture first (the order they are worked in)."""
    rows = Callback.objects.select_related("hotline_number")
    statuses = _statuses(filters.status)
    if statuses:
        rows = rows.filter(status__in=statuses)
    if filters.number:
        rows = rows.filter(number=normalize_caller(filters.number))
    if filters.airing is not None:
        rows = rows.filter(airing_id=filters.airing)
    return rows.order_by("captured_at", "id")


@callbacks.get("", response={200: list[CallbackOut], **responses(422)}, auth=needs(Perm.VIEW_CALLBACK))
@paginate(Page)
def list_callbacks(request: HttpRequest, filters: Query[CallbackFilter]) -> QuerySet[Callback]:
    """Callbacks, oldest capture first, by status (`status=pending&status=dialling` or
    `status=pending,dialling`), caller number and airing. Needs `calls.view_callback`."""
    return filter_callbacks(filters)


def _voicemails() -> QuerySet[Voicemail]:
    return Voicemail.objects.select_related("hotline_number", "handled_by")


@voicemails.get("", response={200: list[VoicemailOut], **responses(422)}, auth=needs(Perm.VIEW_VOICEMAIL))
@paginate(Page)
def list_voicemails(request: HttpRequest, filters: Query[VoicemailFilter]) -> QuerySet[Voicemail]:
    """Voicemails, newest first; `status=new` is the worklist. Needs `calls.view_voicemail`."""
    rows = _voicemails()
    if filters.status:
        if filters.status not in VoicemailStatus.values:
            raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": filters.status}})
        rows = rows.filter(status=filters.status)
    return rows.order_by("-created_at", "-id")


@voicemails.post("/{voicemail_id}/handle", response={200: VoicemailOut, **responses(404, 422)},
                 auth=needs(Perm.HANDLE_VOICEMAIL))
@decorate_view(body_limit(SMALL_BODY))
def handle_voicemail(request: HttpRequest, voicemail_id: PathId, payload: HandleIn) -> Voicemail:
    """Mark a voicemail handled, with an optional note; one already handled is refused (422).
    Needs `calls.change_voicemail`."""
    voicemail = _voicemails().filter(pk=voicemail_id).first()
    if voicemail is None:
        raise Http404(_("Voicemail #%(id)s does not exist.") % {"id": voicemail_id})
    do_handle_voicemail(voicemail, actor=current_user(request), note=payload.note)
    return _voicemails().get(pk=voicemail_id)
