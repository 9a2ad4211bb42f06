"""Recordings and voicemails play in the browser: by id, with the permission, whole or by byte range, and only
files inside the recordings folder."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import AsyncRequestFactory, Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hotline.calls.audio import audio_response, recordings_dir
from hotline.calls.models import CallRecord, Recording, Voicemail

# A WAV header and 2,000 bytes that differ from their neighbours, so a slice off by one byte fails.
AUDIO = b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes((i * 7 + i // 256) % 256 for i in range(2000))


def _store(relative: str, content: bytes = AUDIO) -> Path:
    path = recordings_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _recording(path: str | Path) -> Recording:
    call, _ = CallRecord.objects.get_or_create(call_id="a-1", defaults={"caller": "13800138000",
                                                                        "arrived_at": timezone.now()})
    return Recording.objects.create(call=call, path=str(path), duration_seconds="1.000", created_at=timezone.now())


def _voicemail(path: str | Path) -> Voicemail:
    return Voicemail.objects.create(call_id="v-1", caller="13800138000", path=str(path), duration_seconds="1.000",
                                    created_at=timezone.now())


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def recording(db: Any) -> Recording:
    return _recording(_store("2026/01/a-1.wav"))


@pytest.fixture
def voicemail(db: Any) -> Voicemail:
    return _voicemail(_store("voicemail/v-1.wav"))


# ---------------------------------------------------------------- recordings


def test_anonymous_is_sent_to_sign_in(recording: Recording) -> None:
    url = f"/calls/recordings/{recording.pk}/audio"
    response = _client().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


@pytest.mark.parametrize("role", ["agent", "logistics", "finance"])
def test_without_the_permission_to_see_recordings_nothing_is_read(users: dict[str, Any], recording: Recording,
                                                                   role: str) -> None:
    client = _client(users[role])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/calls/recordings/{recording.pk}/audio")
    assert response.status_code == 403
    assert AUDIO[:16] not in response.content
    assert [q["sql"] for q in queries.captured_queries if "calls_recording" in q["sql"]] == []


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin"])
def test_with_the_permission_the_whole_file_is_served(users: dict[str, Any], recording: Recording,
                                                      role: str) -> None:
    response = _client(users[role]).get(f"/calls/recordings/{recording.pk}/audio")
    assert (response.status_code, response["Content-Type"], response["Content-Length"],
            response["Accept-Ranges"]) == (200, "audio/wav", str(len(AUDIO)), "bytes")
    assert response["Content-Disposition"] == 'inline; filename="recording-a-1.wav"'
    assert _body(response) == AUDIO


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=100-199", 100, 199),
    ("bytes=0-0", 0, 0),
    ("bytes=1500-", 1500, len(AUDIO) - 1),
    ("bytes=-10", len(AUDIO) - 10, len(AUDIO) - 1),
    ("bytes=2000-999999", 2000, len(AUDIO) - 1),  # clipped to the file's end
])
def test_a_range_request_gets_exactly_that_slice(users: dict[str, Any], recording: Recording, header: str,
                                                 start: int, end: int) -> None:
    response = _client(users["supervisor"]).get(f"/calls/recordings/{recording.pk}/audio", headers={"Range": header})
    assert (response.status_code, response["Content-Range"], response["Content-Length"]) == (
        206, f"bytes {start}-{end}/{len(AUDIO)}", str(end - start + 1))
    assert _body(response) == AUDIO[start:end + 1]


@pytest.mark.parametrize("header", [f"bytes={len(AUDIO)}-", "bytes=-0", "bytes=500-400"])
def test_a_range_past_the_end_is_unsatisfiable(users: dict[str, Any], recording: Recording, header: str) -> None:
    response = _client(users["supervisor"]).get(f"/calls/recordings/{recording.pk}/audio", headers={"Range": header})
    assert (response.status_code, response["Content-Range"], response.content) == (
        416, f"bytes */{len(AUDIO)}", b"")


def test_several_ranges_at_once_get_the_whole_file(users: dict[str, Any], recording: Recording) -> None:
    response = _client(users["supervisor"]).get(f"/calls/recordings/{recording.pk}/audio",
                                               headers={"Range": "bytes=0-9,20-29"})
    assert (response.status_code, _body(response)) == (200, AUDIO)


def test_under_asgi_the_slice_is_read_off_the_event_loop_block_by_block() -> None:
    request = AsyncRequestFactory().get("/", headers={"Range": "bytes=10-70009"})
    big = _store("big.wav", AUDIO * 40)  # 80,720 bytes: two blocks of the slice

    async def read() -> bytes:
        response: Any = audio_response(request, big, "big.wav")
        assert (response.status_code, response["Content-Length"]) == (206, "70000")
        return b"".join([block async for block in response.streaming_content])

    assert asyncio.run(read()) == (AUDIO * 40)[10:70010]


# ---------------------------------------------------------------- only files of the recordings folder


def test_a_row_pointing_outside_the_recordings_folder_is_not_served(users: dict[str, Any], tmp_path: Path,
                                                                   db: Any) -> None:
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"not a recording: a secret")
    client = _client(users["admin"])
    outside: list[str | Path] = [secret, "/etc/passwd", "../../../../etc/passwd",
                                 str(recordings_dir() / ".." / "hotline.sqlite3")]
    for path in outside:
        found = _recording(path)
        response = client.get(f"/calls/recordings/{found.pk}/audio")
        assert response.status_code == 404, path
        assert b"secret" not in response.content and b"root:" not in response.content


def test_only_an_id_reaches_the_view(users: dict[str, Any], recording: Recording) -> None:
    client = _client(users["admin"])
    assert client.get("/calls/recordings/..%2F..%2Fetc%2Fpasswd/audio").status_code == 404
    assert client.get("/calls/recordings/999999/audio").status_code == 404


def test_a_missing_file_is_404(users: dict[str, Any], recording: Recording) -> None:
    Path(recording.path).unlink()
    assert _client(users["supervisor"]).get(f"/calls/recordings/{recording.pk}/audio").status_code == 404


def test_a_relative_path_is_read_inside_the_recordings_folder(users: dict[str, Any], db: Any) -> None:
    _store("2026/rel.wav")
    found = _recording("2026/rel.wav")
    response = _client(users["supervisor"]).get(f"/calls/recordings/{found.pk}/audio")
    assert (response.status_code, _body(response)) == (200, AUDIO)


# ---------------------------------------------------------------- voicemails


def test_voicemail_anonymous_is_sent_to_sign_in(voicemail: Voicemail) -> None:
    url = f"/calls/voicemails/{voicemail.pk}/audio"
    response = _client().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


@pytest.mark.parametrize("role", ["logistics", "finance"])
def test_voicemail_without_the_permission_nothing_is_read(users: dict[str, Any], voicemail: Voicemail,
                                                          role: str) -> None:
    client = _client(users[role])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/calls/voicemails/{voicemail.pk}/audio")
    assert response.status_code == 403
    assert [q["sql"] for q in queries.captured_queries if "calls_voicemail" in q["sql"]] == []


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager", "admin"])
def test_voicemail_with_the_permission_is_served_whole_and_by_range(users: dict[str, Any], voicemail: Voicemail,
                                                                    role: str) -> None:
    client = _client(users[role])
    whole = client.get(f"/calls/voicemails/{voicemail.pk}/audio")
    assert (whole.status_code, whole["Content-Type"], _body(whole)) == (200, "audio/wav", AUDIO)
    assert whole["Content-Disposition"] == 'inline; filename="voicemail-v-1.wav"'
    part = client.get(f"/calls/voicemails/{voicemail.pk}/audio", headers={"Range": "bytes=44-1043"})
    assert (part.status_code, part["Content-Range"], _body(part)) == (206, f"bytes 44-1043/{len(AUDIO)}",
                                                                     AUDIO[44:1044])


def test_a_voicemail_row_pointing_outside_is_not_served(users: dict[str, Any], db: Any) -> None:
    found = _voicemail("/etc/passwd")
    assert _client(users["supervisor"]).get(f"/calls/voicemails/{found.pk}/audio").status_code == 404
