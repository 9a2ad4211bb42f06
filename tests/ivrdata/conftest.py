"""Uploads and the active prompt folder go to a temporary data folder in every IVR data test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    """DATA_DIR and MEDIA_ROOT in tmp_path, so no test writes to the real data folder."""
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    return settings.DATA_DIR  # type: ignore[no-any-return]
