"""Prompts and hold music: 8 kHz 16-bit mono WAV files encoded once per codec into 160-byte frames."""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import MediaPlaneError
from hotline.telephony.media.rtp import FRAME_SAMPLES

FRAME_BYTES = 2 * FRAME_SAMPLES


@dataclass(slots=True)
class Prompt:
    """A sound loaded once; `frames(codec)` encodes it on first use and keeps the result."""

    name: str
    pcm: bytes
    _encoded: dict[Codec, tuple[bytes, ...]] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return len(self.pcm) // FRAME_BYTES

    def frames(self, codec: Codec) -> tuple[bytes, ...]:
        """The prompt as G.711 payloads of 160 bytes each, shared by every caller."""
        encoded = self._encoded.get(codec)
        if encoded is None:
            data = g711.encode(self.pcm, codec)
            encoded = tuple(data[index : index + FRAME_SAMPLES] for index in range(0, len(data), FRAME_SAMPLES))
            self._encoded[codec] = encoded
        return encoded


def read_wav(path: Path) -> Prompt:
    """Load an 8 kHz 16-bit mono WAV, padding the last frame with silence (blocking: run in an executor)."""
    try:
        with wave.open(str(path), "rb") as reader:
            shape = (reader.getframerate(), reader.getsampwidth(), reader.getnchannels())
            pcm = reader.readframes(reader.getnframes())
    except (OSError, EOFError, wave.Error) as error:
        raise MediaPlaneError(f"cannot read prompt {path}: {error}") from error
    if shape != (8000, 2, 1):
        raise MediaPlaneError(f"prompt {path} must be 8 kHz 16-bit mono WAV, not {shape}")
    remainder = len(pcm) % FRAME_BYTES
    if remainder:
        pcm += bytes(FRAME_BYTES - remainder)
    return Prompt(path.name, pcm)


class PromptCache:
    """Prompts by path, loaded and encoded once for the life of the media plane."""

    def __init__(self) -> None:
        self._prompts: dict[Path, Prompt] = {}

    def get(self, path: Path) -> Prompt | None:
        return self._prompts.get(path)

    def put(self, path: Path, prompt: Prompt) -> Prompt:
        return self._prompts.setdefault(path, prompt)
