"""Audio for the browser: a call's recording and a caller's voicemail, by id, for `<audio>` players.

Recordings need `Perm.VIEW_CALLS` (the permission to see call records and recordings), voicemails
`Perm.VIEW_VOICEMAIL`; both are checked before anything is looked up (docs/permissions.md).
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.accounts.permissions import Perm
from hotline.calls.audio import audio_response, stored_file
from hotline.calls.models import Recording, Voicemail

_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def _require(request: HttpRequest, perm: Perm) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(_("Your role may not play these recordings."))


def _filename(call_id: str, kind: str) -> str:
    return f"{kind}-{_UNSAFE_IN_FILENAME.sub('_', call_id) or 'call'}.wav"


@login_required
@require_GET
def recording_audio(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A call's recording, whole or the byte range the player asks for."""
    _require(request, Perm.VIEW_CALLS)
    recording = get_object_or_404(Recording.objects.select_related("call"), pk=pk)
    return audio_response(request, stored_file(recording.path), _filename(recording.call.call_id, "recording"))


@login_required
@require_GET
def voicemail_audio(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A caller's voicemail, whole or the byte range the player asks for."""
    _require(request, Perm.VIEW_VOICEMAIL)
    voicemail = get_object_or_404(Voicemail, pk=pk)
    return audio_response(request, stored_file(voicemail.path), _filename(voicemail.call_id, "voicemail"))
