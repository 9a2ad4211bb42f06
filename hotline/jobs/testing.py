"""Job kinds for the test suite only (loaded when settings.TESTING): a job that waits on flag files, so
that a test can stop a worker at a chosen point, and a job that fails."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hotline.accounts.audit import record
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext

WAIT = 120.0  # seconds before a gate that never opens fails the job (a test that forgot to open it)


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


@register("tests.gated", label="gated test job", permission="jobs.view_job")
def gated(ctx: JobContext) -> dict[str, Any]:
    """Progress 3/10, flag `parsed`, wait for `go-apply`; in the apply transaction write an audit row,
    flag `applying`, wait for `go-commit`, finish."""
    folder = Path(ctx.payload["dir"])
    ctx.progress(3, 10)
    (folder / "parsed").touch()
    _wait_for(folder / "go-apply")
    with ctx.atomic():
        record("test_job_applied", ctx.job, actor=ctx.actor)
        (folder / f"applying-{ctx.job.attempts}").touch()
        _wait_for(folder / "go-commit")
        ctx.progress(10, 10)
        ctx.finish({"applied": True})
    return {}


@register("tests.failing", label="failing test job", permission="jobs.view_job")
def failing(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(1, 2)
    raise ValueError("the test job failed on purpose")
