"""The voicemail worklist at /voicemail/: listen in the browser, call the caller back through the desk's dial
(`POST /api/engine/agent/dial`, then "called back"), mark done with a note, download the WAV if allowed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.calls.audio import audio_response, stored_file
from hotline.calls.models import Voicemail, VoicemailStatus
from hotline.calls.views import _filename
from hotline.calls.voicemail_actions import do_finish_voicemail, do_mark_called_back
from hotline.lib.errors import INVALID

LIMIT = 200
OPEN = (VoicemailStatus.NEW, VoicemailStatus.CALLED_BACK)


def worklist(status: str) -> QuerySet[Voicemail]:
    """Open voicemails (new and called back) oldest first, or one status, or all (newest first)."""
    rows = Voicemail.objects.select_related("airing__station", "called_back_by", "handled_by")
    if status == "open":
        return rows.filter(status__in=OPEN).order_by("created_at", "id")
    if status in VoicemailStatus.values:
        return rows.filter(status=status).order_by("-created_at", "-id")
    return rows.order_by("-created_at", "-id")


def _page(request: HttpRequest, status: int = 200, errors: dict[int, list[str]] | None = None) -> HttpResponse:
    show = request.GET.get("status", "open")
    rows = list(worklist(show)[:LIMIT])
    for row in rows:
        row.errors = (errors or {}).get(row.pk, [])  # type: ignore[attr-defined]
    user = request.user
    context = {"voicemails": rows, "show": show,
               "shows": [("open", _("To do")), *VoicemailStatus.choices, ("all", _("All"))],
               "error": " ".join(message for messages_ in (errors or {}).values() for message in messages_),
               "can_handle": user.has_perm(Perm.HANDLE_VOICEMAIL),
               "can_call": user.has_perm(Perm.HANDLE_VOICEMAIL) and user.has_perm(Perm.TAKE_CALLS),
               "can_download": user.has_perm(Perm.DOWNLOAD_VOICEMAIL),
               "texts": {"failed": _("The call could not be placed: sign in to a seat on the desk and try again.")}}
    return render(request, "calls/voicemail.html", context, status=status)


@login_required
@require_GET
def voicemail_list(request: HttpRequest) -> HttpResponse:
    """The worklist."""
    require_perm(request, Perm.VIEW_VOICEMAIL, page=True)
    return _page(request)


def _act(request: HttpRequest, pk: int, done: bool) -> HttpResponse:
    user = require_perm(request, Perm.HANDLE_VOICEMAIL)
    voicemail = get_object_or_404(Voicemail, pk=pk)
    note = request.POST.get("note", "")
    try:
        (do_finish_voicemail if done else do_mark_called_back)(voicemail, actor=user, note=note)
    except ValidationError as exc:
        return _page(request, status=INVALID, errors={voicemail.pk: exc.messages})
    text = _("Voicemail from %(caller)s is done.") if done else _("Voicemail from %(caller)s: called back.")
    messages.success(request, text % {"caller": voicemail.caller or "?"})
    return redirect(f"{reverse('voicemail')}?status={request.GET.get('status', 'open')}")


@login_required
@require_POST
def called_back(request: HttpRequest, pk: int) -> HttpResponse:
    """The caller was called back (the page dialled through the desk's dial first)."""
    return _act(request, pk, done=False)


@login_required
@require_POST
def done(request: HttpRequest, pk: int) -> HttpResponse:
    """The voicemail is dealt with, with an optional note."""
    return _act(request, pk, done=True)


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The voicemail's WAV as a download, for those allowed to keep a copy."""
    require_perm(request, Perm.DOWNLOAD_VOICEMAIL)
    voicemail = get_object_or_404(Voicemail, pk=pk)
    response = audio_response(request, stored_file(voicemail.path), _filename(voicemail.call_id, "voicemail"))
    response["Content-Disposition"] = response["Content-Disposition"].replace("inline", "attachment", 1)
    return response
