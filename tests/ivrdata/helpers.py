"""WAV files and flows built in memory for the IVR data tests."""

from __future__ import annotations

import io
import math
import wave

from django.core.files.uploadedfile import SimpleUploadedFile

SALES_YAML = """\
name: sales
start: hello
nodes:
  hello:
    type: play
    prompts: [welcome]
    next: sales
  sales:
    type: queue
    queue: orders
    prompts: [please_hold]
"""


def wav_bytes(rate: int = 8000, channels: int = 1, width: int = 2, seconds: float = 0.5, tone: int = 440) -> bytes:
    """A sine tone as a PCM WAV of the given shape (the same sample on every channel)."""
    frames = bytearray()
    peak = 2 ** (8 * width - 1) - 1
    for index in range(int(rate * seconds)):
        value = int(peak * 0.3 * math.sin(2 * math.pi * tone * index / rate))
        sample = (value + 128).to_bytes(1, "little") if width == 1 else value.to_bytes(width, "little", signed=True)
        frames += sample * channels
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(bytes(frames))
    return buffer.getvalue()


def upload(data: bytes, name: str = "prompt.wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="audio/wav")


def flow_yaml(name: str = "sales", prompt: str = "welcome", start: str = "hello") -> str:
    """SALES_YAML with another flow name, first prompt or start node name."""
    return SALES_YAML.replace("name: sales", f"name: {name}").replace("[welcome]", f"[{prompt}]").replace(
        "hello", start)
