"""The voicemail worklist in headless Chromium, under the Content-Security-Policy: the supervisor's browser
loads the caller's message in its `<audio>` player (a real WAV, its length read by the browser), "call back"
while the engine cannot place the call shows its refusal and marks nothing, and "done" takes the message off
the list.

Chromium is never skipped: a missing browser fails the test.
"""

from __future__ import annotations

import io
import wave
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotline.calls.audio import recordings_dir
from hotline.calls.models import Voicemail
from tests import livetest

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000
PASSWORD = "pw-for-tests"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__cspViolations.push(event.violatedDirective));
"""


def _wav(seconds: float = 0.5) -> bytes:
    """A mono 8 kHz 16-bit WAV of silence, as the engine writes voicemails."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


def _wait(page: Any, script: str) -> None:
    try:
        page.wait_for_function(script, timeout=WAIT_MS)
    except PlaywrightTimeout:
        pytest.fail(f"not true after {WAIT_MS} ms: {script}; the page shows:\n{page.inner_text('body')}")


def test_the_supervisor_listens_tries_to_call_back_and_marks_done(settings: Any, tmp_path: Path,
                                                                  users: dict[str, Any]) -> None:
    settings.DATA_DIR = str(tmp_path)
    path = recordings_dir() / "voicemail" / "v-1.wav"
    path.parent.mkdir(parents=True)
    path.write_bytes(_wav())
    voicemail = Voicemail.objects.create(call_id="v-1", caller="13800138000", path=str(path),
                                         duration_seconds="0.500", created_at=timezone.now())
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        context = browser.new_context(locale="zh-CN")
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        livetest.log_in(page, base, users["supervisor"].username, PASSWORD)
        page.goto(f"{base}/voicemail/")
        page.eval_on_selector("audio", "(audio) => { audio.preload = 'metadata'; audio.load(); }")
        _wait(page, "() => document.querySelector('audio').readyState >= 1")
        duration = page.eval_on_selector("audio", "(audio) => audio.duration")
        page.click("form.call-back button")
        _wait(page, "() => !document.getElementById('voicemail-error').hidden")
        refusal = page.text_content("#voicemail-error") or ""
        page.fill(f"tr[data-voicemail='{voicemail.pk}'] input[name=note]", "已处理")
        with page.expect_navigation():
            page.click(f"tr[data-voicemail='{voicemail.pk}'] form.row button")
        rows = page.eval_on_selector_all("#voicemails tr[data-voicemail]", "(rows) => rows.length")
        violations = page.evaluate("() => window.__cspViolations")
    assert duration == pytest.approx(0.5, abs=0.01)
    with translation.override("zh-hans"):  # no engine runs here: the desk's dial says so, on the page
        assert refusal == gettext("The telephony engine is not reachable; try again shortly.")
    voicemail.refresh_from_db()
    assert (voicemail.status, voicemail.note, voicemail.handled_by) == ("handled", "已处理", users["supervisor"])
    assert (voicemail.called_back_at, voicemail.called_back_by) == (None, None)  # the refused dial marked nothing
    assert (rows, violations) == (0, [])
