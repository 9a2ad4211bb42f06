"""`bash quickstart.sh demo` after `bash quickstart.sh test` keeps the test tools: asked through uv's dry run
(HOTLINE_QUICKSTART_DRY_RUN=1), which says what a sync would install or remove, changing nothing."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def planned(step: str) -> str:
    """What uv says `bash quickstart.sh STEP` would change in .venv (where the test tools are installed)."""
    done = subprocess.run(["bash", str(ROOT / "quickstart.sh"), step], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "HOTLINE_QUICKSTART_DRY_RUN": "1"})
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def packages(plan: str, mark: str) -> set[str]:
    """The names of the packages on uv's lines starting with `mark` (" - pytest==8.3.4", " + hotline @ file:…")."""
    return {re.match(r"[A-Za-z0-9_.-]+", line[len(mark):]).group(0)  # type: ignore[union-attr]
            for line in plan.splitlines() if line.startswith(mark)}


@pytest.mark.parametrize("step", ["demo", "test"])
def test_neither_step_would_uninstall_the_test_tools(step: str) -> None:
    plan = planned(step)
    assert "Would use project environment at: .venv" in plan
    removed, added = packages(plan, " - "), packages(plan, " + ")
    # a package removed and added again is a reinstall (the project itself, once its pyproject.toml changed)
    assert removed - added == set()  # e.g. " - pytest==…", " - playwright==…" before --inexact


def test_the_demo_step_syncs_without_dev_tools_but_inexactly() -> None:
    script = (ROOT / "quickstart.sh").read_text()
    assert "python_env --no-dev --inexact\n" in script
