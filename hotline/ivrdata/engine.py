"""What the engine needs from the stored IVR, read once before its loop starts (both functions block).

* `flows()`: every stored flow, parsed by the telephony loader, plus the built-in `demo` flow unless a
  stored flow named `demo` replaces it. Pass it as `EngineConfig.flows`.
* `prompt_folder()`: a real folder, `DATA_DIR/prompts-active`, holding `<id>.wav` for every prompt: the
  upload where there is one, the built-in file otherwise. Pass it as `EngineConfig.prompts`. Each file
  is written to a temporary name and renamed into place, so an engine already playing from the folder
  never reads half a file; files of prompts no longer known are removed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from hotline.ivrdata.models import BUILTIN_PROMPTS, IvrFlow, IvrPrompt
from hotline.telephony.ivr.loader import FlowError, load_demo_flow
from hotline.telephony.ivr.model import Flow

log = logging.getLogger(__name__)
ACTIVE_FOLDER = "prompts-active"


def flows() -> dict[str, Flow]:
    """Flows by name: the stored ones and the built-in demo (a stored `demo` wins)."""
    result = {"demo": load_demo_flow()}
    for stored in IvrFlow.objects.all():
        try:
            result[stored.name] = stored.parse()
        except FlowError as exc:
            # Saved flows were valid; one the loader now refuses must not stop every other number.
            log.error("IVR flow %s is not valid and is left out: %s", stored.name, exc)
    return result


def prompt_sources() -> dict[str, bytes]:
    """Every prompt's WAV bytes by id: built-in files, replaced by uploads of the same id."""
    sources = {path.stem: path.read_bytes() for path in sorted(BUILTIN_PROMPTS.glob("*.wav"))}
    for prompt in IvrPrompt.objects.all():
        try:
            with default_storage.open(prompt.file.name, "rb") as stored:
                sources[prompt.name] = stored.read()
        except OSError as exc:
            # A lost upload must not stop the engine: the built-in prompt (if any) plays instead.
            log.error("IVR prompt %s: cannot read %s: %s", prompt.name, prompt.file.name, exc)
    return sources


def prompt_folder() -> Path:
    """Fill `DATA_DIR/prompts-active` with `<id>.wav` for every prompt, and return it."""
    folder = Path(settings.DATA_DIR) / ACTIVE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    sources = prompt_sources()
    for name, data in sources.items():
        _replace(folder / f"{name}.wav", data)
    for stale in folder.glob("*.wav"):
        if stale.stem not in sources:
            stale.unlink()
    return folder


def _replace(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
