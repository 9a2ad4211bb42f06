"""Where the engine's files go: prompts, recordings, voicemails; and telling the host about the written ones."""

from __future__ import annotations

from pathlib import Path

from hotline.telephony.lanes import Lanes
from hotline.telephony.media.plane import RecordingMode


def wav_seconds(path: Path, channels: int) -> float:
    """The length of one of our WAVs: 16-bit PCM at 8 kHz after a 44-byte header."""
    return (path.stat().st_size - 44) / (2 * channels * 8000)


class CallFiles:
    """Prompt, recording and voicemail paths; a closed recording or message is linked through the write lane.

    `prompts` changes when the IVR is edited (`Engine.reconfigure`); the rest is fixed at start.
    """

    def __init__(self, prompts: Path, recordings: Path, recording_mode: RecordingMode, lanes: Lanes) -> None:
        self.prompts = prompts
        self.recordings = recordings
        self.recording_mode = recording_mode
        self._lanes = lanes

    def prompt_path(self, name: str) -> Path:
        return self.prompts / f"{name}.wav"

    def prompt_paths(self, names: tuple[str, ...] | list[str]) -> list[Path]:
        return [self.prompt_path(name) for name in names]

    def recording_path(self, call_id: str, part: int = 1) -> Path:
        """Where a call's recording goes; a transferred call has one part per agent (`-2`, `-3`, …)."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in call_id)
        return self.recordings / (f"{safe}.wav" if part == 1 else f"{safe}-{part}.wav")

    def voicemail_path(self, call_id: str) -> Path:
        """Where a caller's message goes (next to the recordings, in `voicemail/`)."""
        return self.recordings / "voicemail" / self.recording_path(call_id).name

    def file_voicemail(self, call_id: str, path: Path) -> None:
        """A message was written and closed: put it on the worklist."""
        duration = wav_seconds(path, channels=1)
        call_log = self._lanes.call_log
        self._lanes.write(lambda: call_log.file_voicemail(call_id, str(path), duration))

    def recorded(self, call_id: str, path: Path) -> None:
        """A recording was written and closed: link it to its call."""
        channels = 2 if self.recording_mode is RecordingMode.STEREO else 1
        duration = wav_seconds(path, channels)
        call_log = self._lanes.call_log
        self._lanes.write(lambda: call_log.link_recording(call_id, str(path), duration, channels))
