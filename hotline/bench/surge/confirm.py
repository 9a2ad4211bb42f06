"""Did a caller hear "we will call you back"? The frames of the confirmation prompt, as the engine sends them.

The engine plays a prompt as the G.711 encoding (`media/g711.py`) of its WAV file cut in 20 ms frames, the
same bytes for every caller. A caller who received one frame of `callback_confirmed` that no other prompt
(hold music, announcements, the menu…) and no silence contains was played the confirmation.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hotline.telephony.engine import PROMPTS
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.prompts import read_wav
from hotline.telephony.media.rtp import FRAME_SAMPLES

CONFIRMATION = "callback_confirmed"


@cache
def confirmation_frames(payload_type: int, prompts: Path = PROMPTS) -> frozenset[bytes]:
    """The payloads only the confirmation prompt has, in the codec of `payload_type` (PCMU 0, PCMA 8)."""
    codec = Codec(payload_type)
    others: set[bytes] = {bytes((codec.silence,)) * FRAME_SAMPLES}
    for wav in sorted(prompts.glob("*.wav")):
        if wav.stem != CONFIRMATION:
            others.update(read_wav(wav).frames(codec))
    return frozenset(read_wav(prompts / f"{CONFIRMATION}.wav").frames(codec)) - others


class ConfirmationDetector:
    """Counts the received payloads that are frames of the confirmation prompt."""

    def __init__(self, payload_type: int) -> None:
        self.frames = confirmation_frames(payload_type)
        self.matched = 0

    def feed(self, payload: bytes) -> bool:
        """Look at one received RTP payload; True if it is a confirmation frame."""
        if payload in self.frames:
            self.matched += 1
            return True
        return False

    def note(self, payload: bytes) -> None:
        """`feed` as a cue callback (a stream calls it when the payload arrives)."""
        self.feed(payload)

    @property
    def heard(self) -> bool:
        return self.matched > 0
