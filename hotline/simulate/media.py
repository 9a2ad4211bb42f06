"""The simulator's audio: RTP on `hotline.phones.rtp` ports, and the frames a simulated person listens for or says.

`prompt_cue` finds a frame of one of the engine's prompts (a caller presses its menu key on hearing the
menu start); `voice_frames` reads a recorded voice (voices/NAME.wav) to speak in a loop.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hotline.phones.rtp import RtpPort, RtpStream
from hotline.telephony.engine import PROMPTS
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.prompts import read_wav
from hotline.telephony.media.rtp import FRAME_SAMPLES

MediaSocket = RtpPort  # the name the surge benchmark's listening callers build on

__all__ = ["VOICES", "MediaSocket", "RtpStream", "prompt_cue", "voice_frames"]


@cache
def prompt_cue(prompt: str, payload_type: int, after: tuple[str, ...] = ()) -> bytes | None:
    """A frame of the engine's `prompt` as it sends it in `payload_type` that none of the `after` prompts has.

    The engine sends every prompt as the same pre-encoded frames, so hearing this payload means that prompt
    is playing: a simulated caller presses its menu key when the menu starts, as a person would, instead
    of guessing from the clock (an engine under load starts its prompts late). None when there is none.
    """
    try:
        codec = Codec(payload_type)
    except ValueError:
        return None
    earlier = {frame for name in after for frame in read_wav(PROMPTS / f"{name}.wav").frames(codec)}
    earlier.add(bytes((codec.silence,)) * FRAME_SAMPLES)
    frames = read_wav(PROMPTS / f"{prompt}.wav").frames(codec)
    return next((frame for frame in frames if frame not in earlier), None)


VOICES = Path(__file__).resolve().parent / "voices"


@cache
def voice_frames(payload_type: int, name: str = "customer") -> tuple[bytes, ...]:
    """A recorded voice (voices/NAME.wav) as the 20 ms frames of `payload_type`; empty for a codec we lack."""
    try:
        codec = Codec(payload_type)
    except ValueError:
        return ()
    return tuple(read_wav(VOICES / f"{name}.wav").frames(codec))
