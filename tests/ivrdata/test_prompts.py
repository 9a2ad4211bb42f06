"""Uploaded prompts: only what the engine can play is kept; every refusal says why and saves nothing."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from hotline.accounts.models import AuditEntry
from hotline.ivrdata.actions import IVR_CHANGED, do_delete_prompt, do_save_flow, do_save_prompt
from hotline.ivrdata.models import IvrFlow, IvrPrompt
from tests.ivrdata.helpers import flow_yaml, upload, wav_bytes

pytestmark = pytest.mark.usefixtures("english")
STEREO_MESSAGE = "The prompt must be an 8 kHz, 16-bit, mono WAV; this file is 44100 Hz, 16-bit, 2 channel(s)."


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def refuse(data: bytes, users: dict[str, Any], name: str = "thanks") -> list[str]:
    """Upload `data` as a prompt, expect a refusal, check nothing was kept, return the file's errors."""
    with pytest.raises(ValidationError) as exc:
        do_save_prompt(IvrPrompt(name=name, file=upload(data)), actor=users["admin"])
    assert IvrPrompt.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert stored_files() == []
    return exc.value.message_dict["file"]


def test_an_8khz_mono_wav_is_kept_as_uploaded(users: dict[str, Any], events: list[Any],
                                             django_capture_on_commit_callbacks: Any) -> None:
    data = wav_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        prompt = do_save_prompt(IvrPrompt(name="thanks", text="谢谢", file=upload(data, "x.wav")),
                                actor=users["admin"])
    assert prompt.file.name == "ivr/prompts/thanks.wav"
    assert (Path(settings.MEDIA_ROOT) / "ivr/prompts/thanks.wav").read_bytes() == data
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == ("add_ivr_prompt", users["admin"])
    assert entry.after is not None
    assert entry.after == {**entry.after, "file": "ivr/prompts/thanks.wav", "name": "thanks", "text": "谢谢"}
    assert events == [(IVR_CHANGED, {"kind": "prompt", "name": "thanks"})]


def test_a_44khz_stereo_wav_is_refused(users: dict[str, Any]) -> None:
    assert refuse(wav_bytes(rate=44100, channels=2, seconds=0.1), users) == [STEREO_MESSAGE]


def test_the_refusal_is_translated(users: dict[str, Any]) -> None:
    with translation.override("zh-hans"):
        assert refuse(wav_bytes(rate=44100, channels=2, seconds=0.1), users) == [
            "提示音须为 8 kHz、16 位、单声道 WAV；此文件为 44100 Hz、16 位、2 个声道。"]


def test_a_file_that_is_not_a_wav_is_refused(users: dict[str, Any]) -> None:
    assert refuse(b"ID3\x03\x00 an mp3 pretending", users) == ["The file is not a WAV file."]


def test_an_8_bit_wav_is_refused(users: dict[str, Any]) -> None:
    assert refuse(wav_bytes(width=1), users) == [
        "The prompt must be an 8 kHz, 16-bit, mono WAV; this file is 8000 Hz, 8-bit, 1 channel(s)."]


def test_a_damaged_wav_is_refused(users: dict[str, Any]) -> None:
    assert refuse(wav_bytes()[:30], users) == ["The WAV file is damaged or not uncompressed PCM."]


def test_a_prompt_over_a_minute_is_refused(users: dict[str, Any]) -> None:
    assert refuse(wav_bytes(seconds=61), users) == ["The prompt is longer than 60 seconds."]


def test_a_prompt_over_2_mb_is_refused(users: dict[str, Any]) -> None:
    assert refuse(wav_bytes(rate=48000, seconds=22), users) == ["The prompt is larger than 2 MB."]


def test_an_empty_wav_is_refused(users: dict[str, Any]) -> None:
    assert refuse(wav_bytes(seconds=0), users) == ["The prompt has no sound in it."]


def test_a_16khz_mono_wav_is_resampled_to_8khz(users: dict[str, Any]) -> None:
    prompt = do_save_prompt(IvrPrompt(name="thanks", file=upload(wav_bytes(rate=16000, seconds=0.5))),
                            actor=users["admin"])
    with wave.open(io.BytesIO((Path(settings.MEDIA_ROOT) / prompt.file.name).read_bytes())) as reader:
        assert (reader.getframerate(), reader.getsampwidth(), reader.getnchannels(), reader.getnframes()) == (
            8000, 2, 1, 4000)


def test_a_prompt_id_is_a_flow_prompt_id(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        do_save_prompt(IvrPrompt(name="Spring-Sale", file=upload(wav_bytes())), actor=users["admin"])
    assert exc.value.message_dict == {"name": ["Lower-case letters, digits and “_”, starting with a letter."]}


def test_a_new_recording_replaces_the_old_file(users: dict[str, Any],
                                               django_capture_on_commit_callbacks: Any) -> None:
    prompt = do_save_prompt(IvrPrompt(name="thanks", file=upload(wav_bytes(tone=440))), actor=users["admin"])
    old = prompt.file.name
    newer = wav_bytes(tone=880)
    with django_capture_on_commit_callbacks(execute=True):
        prompt.file = upload(newer)  # type: ignore[assignment]
        do_save_prompt(prompt, actor=users["admin"])
    assert stored_files() == [prompt.file.name]
    assert prompt.file.name != old
    assert (Path(settings.MEDIA_ROOT) / prompt.file.name).read_bytes() == newer
    last = AuditEntry.objects.order_by("id").last()
    assert last is not None and last.before is not None
    assert last.before["file"] == old


def test_a_prompt_only_a_flow_plays_cannot_be_deleted(users: dict[str, Any],
                                                      django_capture_on_commit_callbacks: Any) -> None:
    prompt = do_save_prompt(IvrPrompt(name="spring_sale", file=upload(wav_bytes())), actor=users["admin"])
    flow = do_save_flow(IvrFlow(name="sales", definition=flow_yaml(prompt="spring_sale")), actor=users["admin"])
    with pytest.raises(ValidationError) as exc:
        do_delete_prompt(prompt, actor=users["admin"])
    assert exc.value.messages == ["The flows sales play the prompt “spring_sale”; change them first."]
    flow.delete()
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_prompt(prompt, actor=users["admin"])
    assert IvrPrompt.objects.count() == 0
    assert stored_files() == []


def test_an_upload_replacing_a_built_in_prompt_can_always_be_deleted(users: dict[str, Any]) -> None:
    prompt = do_save_prompt(IvrPrompt(name="welcome", file=upload(wav_bytes())), actor=users["admin"])
    do_save_flow(IvrFlow(name="sales", definition=flow_yaml(prompt="welcome")), actor=users["admin"])
    do_delete_prompt(prompt, actor=users["admin"])
    assert IvrPrompt.objects.count() == 0


def test_a_prompt_a_flow_plays_cannot_be_renamed(users: dict[str, Any]) -> None:
    prompt = do_save_prompt(IvrPrompt(name="spring_sale", file=upload(wav_bytes())), actor=users["admin"])
    do_save_flow(IvrFlow(name="sales", definition=flow_yaml(prompt="spring_sale")), actor=users["admin"])
    prompt.name = "summer_sale"
    with pytest.raises(ValidationError) as exc:
        do_save_prompt(prompt, actor=users["admin"])
    assert exc.value.messages == ["The flows sales play the prompt “spring_sale”; change them first."]
    assert IvrPrompt.objects.get().name == "spring_sale"
