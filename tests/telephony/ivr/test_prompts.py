"""Every prompt the IVR can ask for exists as an 8 kHz, 16-bit, mono WAV, and phrases read numbers right."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from hotline.telephony.ivr.loader import FLOWS_DIR, load_flow_file
from hotline.telephony.ivr.phrases import (
    AHEAD,
    EXPECTED_WAIT,
    MINUTES,
    NUMBER_PROMPTS,
    ORDER_STATUS_PHRASES,
    PEOPLE,
    position_announcement,
    say_number,
)

PROMPTS = Path(__file__).resolve().parents[3] / "hotline" / "telephony" / "prompts"
FOR_NEXT_ISSUES = {"please_hold", "all_busy", "callback_offer", "callback_confirmed", "enter_member_number",
                   "enter_pin", "verification_failed", "goodbye"}
NEEDED = sorted(
    load_flow_file(FLOWS_DIR / "demo.yaml").prompt_ids()
    | set(ORDER_STATUS_PHRASES.values())
    | set(NUMBER_PROMPTS)
    | {AHEAD, EXPECTED_WAIT, PEOPLE, MINUTES}
    | FOR_NEXT_ISSUES
)


@pytest.mark.parametrize("prompt", NEEDED)
def test_prompt_is_an_8khz_16bit_mono_wav(prompt: str) -> None:
    with wave.open(str(PROMPTS / f"{prompt}.wav"), "rb") as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels(), wav.getcomptype()) == (
            8000, 2, 1, "NONE")
        assert 0.2 < wav.getnframes() / 8000 < 15


def test_the_readme_lists_every_prompt_file() -> None:
    readme = (PROMPTS / "README.md").read_text(encoding="utf-8")
    files = sorted(p.stem for p in PROMPTS.glob("*.wav"))
    assert files == sorted(line.split("`")[1] for line in readme.splitlines() if line.startswith("| `"))


def test_every_order_status_has_a_phrase() -> None:
    from hotline.orders.models import Status

    assert set(ORDER_STATUS_PHRASES) == {s.value for s in Status}


@pytest.mark.parametrize(("n", "ids"), [
    (0, ("num_0",)),
    (7, ("num_7",)),
    (10, ("num_10",)),
    (12, ("num_10", "num_2")),
    (20, ("num_2", "num_10")),
    (35, ("num_3", "num_10", "num_5")),
    (100, ("num_1", "num_100")),
    (105, ("num_1", "num_100", "num_0", "num_5")),
    (110, ("num_1", "num_100", "num_1", "num_10")),
    (999, ("num_9", "num_100", "num_9", "num_10", "num_9")),
])
def test_say_number(n: int, ids: tuple[str, ...]) -> None:
    assert say_number(n) == ids


def test_say_number_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match=r"^cannot read 1000: only 0\.\.999$"):
        say_number(1000)


def test_position_announcement_reads_two_as_liang() -> None:
    assert position_announcement(2, 12) == (
        "queue_ahead", "num_2_liang", "unit_people", "queue_wait", "num_10", "num_2", "unit_minutes")
    assert position_announcement(20) == ("queue_ahead", "num_2", "num_10", "unit_people")
