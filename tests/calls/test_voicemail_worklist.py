"""The voicemail worklist at /voicemail/: played in the browser, called back, done, downloaded by those allowed;
and the retention the task worker enforces on voicemail audio and call recordings."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls.audio import recordings_dir
from hotline.calls.models import CallRecord, Recording, Voicemail
from hotline.calls.voicemail_actions import enforce_retention
from hotline.jobs.periodic import functions

AUDIO = b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Any, tmp_path: Path, english: None) -> None:
    settings.DATA_DIR = str(tmp_path)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texts(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def leave(call_id: str, caller: str, age: datetime.timedelta = datetime.timedelta(0)) -> Voicemail:
    path = recordings_dir() / "voicemail" / f"{call_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(AUDIO)
    return Voicemail.objects.create(call_id=call_id, caller=caller, path=str(path), duration_seconds="4.000",
                                    created_at=timezone.now() - age)


@pytest.fixture
def two(db: None) -> tuple[Voicemail, Voicemail]:
    return (leave("v-1", "13800138000", datetime.timedelta(minutes=30)),
            leave("v-2", "13900139000", datetime.timedelta(minutes=10)))


def test_the_worklist_plays_each_message_oldest_first(users: dict[str, Any], two: Any) -> None:
    response = client_for(users["agent"]).get("/voicemail/")
    assert response.status_code == 200
    assert [vm.call_id for vm in response.context["voicemails"]] == ["v-1", "v-2"]
    html = response.content.decode()
    assert f'<audio controls preload="none" src="/calls/voicemails/{two[0].pk}/audio">' in html
    assert "Download" not in texts(response) and "Call back" not in texts(response)
    played = client_for(users["agent"]).get(f"/calls/voicemails/{two[0].pk}/audio")
    assert b"".join(played.streaming_content) == AUDIO  # type: ignore[attr-defined]


def test_called_back_then_done_each_audited(users: dict[str, Any], two: Any) -> None:
    first, _second = two
    supervisor = client_for(users["supervisor"])
    page = texts(supervisor.get("/voicemail/"))
    assert "Call back" in page and "Download" in page
    response = supervisor.post(f"/voicemail/{first.pk}/called-back?status=open")
    assert (response.status_code, response["Location"]) == (302, "/voicemail/?status=open")
    first.refresh_from_db()
    assert (first.status, first.called_back_by, first.handled_at) == ("called_back", users["supervisor"], None)
    assert "Voicemail from 13800138000: called back." in texts(supervisor.get("/voicemail/"))
    supervisor.post(f"/voicemail/{first.pk}/done", {"note": "订单已改地址"})
    first.refresh_from_db()
    assert (first.status, first.handled_by, first.note) == ("handled", users["supervisor"], "订单已改地址")
    assert [vm.call_id for vm in supervisor.get("/voicemail/").context["voicemails"]] == ["v-2"]
    assert [vm.call_id for vm in supervisor.get("/voicemail/", {"status": "handled"}).context["voicemails"]] == [
        "v-1"]
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "call_back_voicemail", "handle_voicemail"]


def test_a_done_voicemail_is_not_done_again_and_a_long_note_is_refused(users: dict[str, Any], two: Any) -> None:
    first, second = two
    supervisor = client_for(users["supervisor"])
    long_note = supervisor.post(f"/voicemail/{second.pk}/done", {"note": "x" * 2001})
    assert long_note.status_code == 422
    assert "A note has at most 2000 characters." in texts(long_note)
    supervisor.post(f"/voicemail/{first.pk}/done")
    again = supervisor.post(f"/voicemail/{first.pk}/called-back")
    assert again.status_code == 422
    assert "This voicemail has already been handled." in texts(again)
    second.refresh_from_db()
    assert (second.status, second.note) == ("new", "")
    assert Voicemail.objects.get(pk=first.pk).called_back_at is None


def test_permissions(users: dict[str, Any], two: Any) -> None:
    first, _second = two
    assert Client().get("/voicemail/").status_code == 302
    for role in ("logistics", "finance"):
        assert client_for(users[role]).get("/voicemail/").status_code == 403
    for role in ("agent", "manager"):
        assert client_for(users[role]).post(f"/voicemail/{first.pk}/done").status_code == 403
        assert client_for(users[role]).post(f"/voicemail/{first.pk}/called-back").status_code == 403
    assert client_for(users["agent"]).get(f"/voicemail/{first.pk}/download").status_code == 403
    first.refresh_from_db()
    assert first.status == "new"


def test_those_allowed_download_the_wav(users: dict[str, Any], two: Any) -> None:
    for role in ("supervisor", "manager", "admin"):
        response = client_for(users[role]).get(f"/voicemail/{two[0].pk}/download")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="voicemail-v-1.wav"'
        assert b"".join(response.streaming_content) == AUDIO  # type: ignore[attr-defined]


def test_the_worker_deletes_audio_past_the_retention_and_keeps_the_rows(
        settings: Any, users: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    settings.HOTLINE_RECORDING_RETENTION_DAYS = 30
    old = leave("v-old", "13800138000", datetime.timedelta(days=31))
    recent = leave("v-new", "13900139000", datetime.timedelta(days=29))
    call = CallRecord.objects.create(call_id="c-old", caller="13800138000", arrived_at=timezone.now())
    old_recording = recordings_dir() / "c-old.wav"
    old_recording.write_bytes(AUDIO)
    Recording.objects.create(call=call, path=str(old_recording), duration_seconds="1.000",
                             created_at=timezone.now() - datetime.timedelta(days=31))
    old_file, recent_file = Path(old.path), Path(recent.path)
    assert functions()["calls.recording_retention"] is enforce_retention
    with django_capture_on_commit_callbacks(execute=True):
        enforce_retention(timezone.now())
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.path, old.audio_purged_at is not None, recent.audio_purged_at) == ("", True, None)
    assert (old_file.exists(), recent_file.exists(), old_recording.exists()) == (False, True, False)
    assert Recording.objects.count() == 0
    assert "Recording deleted on" in texts(client_for(users["supervisor"]).get("/voicemail/", {"status": "all"}))
    assert client_for(users["supervisor"]).get(f"/calls/voicemails/{old.pk}/audio").status_code == 404
    settings.HOTLINE_RECORDING_RETENTION_DAYS = 0
    enforce_retention(timezone.now() + datetime.timedelta(days=400))
    recent.refresh_from_db()
    assert recent.audio_purged_at is None and recent_file.exists()
