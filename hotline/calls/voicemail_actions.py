"""Working the voicemail worklist (new → called back → handled) and the recordings' retention.

Calling a caller back is a person's act and is audited; "done" goes through `do_handle_voicemail`, which the
back office and the API use too. `enforce_retention` runs on the task worker every minute (registered in
`CallsConfig.ready`): call recordings and voicemail audio older than HOTLINE_RECORDING_RETENTION_DAYS are
deleted, voicemail rows stay (the worklist and the reports count them) with `audio_purged_at` set.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot, user_or_none
from hotline.accounts.permissions import Perm, require_perm
from hotline.calls.actions import do_purge_recordings
from hotline.calls.audio import recordings_dir
from hotline.calls.callback_actions import MAX_NOTE_LENGTH, do_handle_voicemail
from hotline.calls.conf import recording_retention_days
from hotline.calls.models import Voicemail, VoicemailStatus
from hotline.lib.bus import publish_on_commit

log = logging.getLogger(__name__)


def _check_note(note: str) -> None:
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": [_("A note has at most %(max)d characters.") % {"max": MAX_NOTE_LENGTH}]})


@transaction.atomic
def do_mark_called_back(voicemail: Voicemail, *, actor: Any, note: str = "") -> Voicemail:
    """Record that `actor` called the caller back (the desk's dial placed the call); still to be done."""
    require_perm(actor, Perm.HANDLE_VOICEMAIL)
    locked = Voicemail.objects.select_for_update().get(pk=voicemail.pk)
    if locked.status == VoicemailStatus.HANDLED:
        raise ValidationError(_("This voicemail has already been handled."))
    _check_note(note)
    before = snapshot(locked)
    locked.status, locked.called_back_at = VoicemailStatus.CALLED_BACK, timezone.now()
    locked.called_back_by = user_or_none(actor)
    locked.note = note or locked.note
    locked.save(update_fields=["status", "called_back_at", "called_back_by", "note"])
    record("call_back_voicemail", locked, actor=actor, before=before, after=snapshot(locked))
    publish_on_commit("calls.voicemail_called_back", {"voicemail_id": locked.pk, "call_id": locked.call_id})
    return locked


def do_finish_voicemail(voicemail: Voicemail, *, actor: Any, note: str = "") -> Voicemail:
    """Mark the voicemail done (handled), from new or called back."""
    require_perm(actor, Perm.HANDLE_VOICEMAIL)
    return do_handle_voicemail(voicemail, actor=actor, note=note)


def _remove_audio(paths: list[str]) -> None:
    root = recordings_dir().resolve()
    for path in paths:
        candidate = (root / path).resolve()  # an absolute path stays absolute; only files under root go
        if not candidate.is_relative_to(root):
            log.warning("voicemail audio %s is outside the recordings folder; left in place", path)
            continue
        try:
            candidate.unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove voicemail audio %s", path)


@transaction.atomic
def do_purge_voicemail_audio(*, actor: Any, now: datetime.datetime | None = None) -> int:
    """Delete the audio of voicemails older than the retention (0 keeps it), files after commit; the rows stay."""
    days = recording_retention_days()
    if days == 0:
        return 0
    moment = now or timezone.now()
    cutoff = moment - datetime.timedelta(days=days)
    old = list(Voicemail.objects.select_for_update().filter(created_at__lt=cutoff, audio_purged_at=None))
    for voicemail in old:
        record("purge_voicemail_audio", voicemail, actor=actor, before=snapshot(voicemail))
    Voicemail.objects.filter(pk__in=[v.pk for v in old]).update(audio_purged_at=moment, path="")
    paths = [voicemail.path for voicemail in old if voicemail.path]
    transaction.on_commit(lambda: _remove_audio(paths))
    return len(old)


def enforce_retention(now: datetime.datetime) -> None:
    """The task worker's periodic function: purge old call recordings and voicemail audio."""
    do_purge_recordings(actor=None, now=now)
    do_purge_voicemail_audio(actor=None, now=now)
