"""Checks an uploaded prompt the way the engine will read it (`telephony.media.prompts.read_wav`).

The engine plays 8 kHz, 16-bit, mono PCM WAV only. A 16-bit mono upload at another sample rate is
resampled here; anything else is refused with a message that says what the file is.
"""

from __future__ import annotations

import io
import warnings
import wave
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

with warnings.catch_warnings():  # deprecated in 3.11, still shipped until 3.13; only ratecv is used
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ENGINE_RATE = 8000
MAX_PROMPT_BYTES = 2 * 1024 * 1024
MAX_PROMPT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class WavShape:
    """What a WAV file holds: sample rate, bytes per sample, channels, and its PCM frames."""

    rate: int
    width: int
    channels: int
    pcm: bytes

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (self.rate * self.width * self.channels)


def engine_wav(data: bytes) -> bytes:
    """The upload as the engine plays it (resampled when needed), or a ValidationError saying why not."""
    if len(data) > MAX_PROMPT_BYTES:
        raise ValidationError(_("The prompt is larger than %(max)d MB.") % {"max": MAX_PROMPT_BYTES // 2**20},
                              code="too_large")
    shape = read_shape(data)
    if (shape.width, shape.channels) != (2, 1):
        raise ValidationError(
            _("The prompt must be an 8 kHz, 16-bit, mono WAV; this file is %(rate)d Hz, %(bits)d-bit, "
              "%(channels)d channel(s).") % {"rate": shape.rate, "bits": 8 * shape.width, "channels": shape.channels},
            code="shape")
    if not shape.pcm:
        raise ValidationError(_("The prompt has no sound in it."), code="empty")
    if shape.seconds > MAX_PROMPT_SECONDS:
        raise ValidationError(_("The prompt is longer than %(max)d seconds.") % {"max": MAX_PROMPT_SECONDS},
                              code="too_long")
    if shape.rate == ENGINE_RATE:
        return data
    pcm, _state = audioop.ratecv(shape.pcm, 2, 1, shape.rate, ENGINE_RATE, None)
    return write_wav(pcm)


def read_shape(data: bytes) -> WavShape:
    """Parse a WAV file's header and frames; a file that is not a PCM WAV is refused."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValidationError(_("The file is not a WAV file."), code="not_wav")
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            shape = WavShape(reader.getframerate(), reader.getsampwidth(), reader.getnchannels(),
                             reader.readframes(reader.getnframes()))
    except (EOFError, wave.Error) as exc:
        raise ValidationError(_("The WAV file is damaged or not uncompressed PCM."), code="not_pcm") from exc
    if min(shape.rate, shape.width, shape.channels) <= 0:
        raise ValidationError(_("The WAV file is damaged or not uncompressed PCM."), code="not_pcm")
    return shape


def write_wav(pcm: bytes) -> bytes:
    """16-bit mono PCM at the engine's rate, as a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(ENGINE_RATE)
        writer.writeframes(pcm)
    return buffer.getvalue()
