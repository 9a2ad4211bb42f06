"""Running a job: claim it, give its handler a `JobContext`, record how it ended; and, when a worker
starts, take back the jobs that a dead worker left running.

"Applied once": a handler does its writes inside `ctx.atomic()` and calls `ctx.finish(result)` in it, so
the writes and the Job's "done" commit together. A worker killed before that commit leaves nothing
applied and the job `running`; the next worker to start runs it again from the start.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotline.jobs.models import Job
from hotline.jobs.progress import ProgressWriter
from hotline.jobs.registry import get_kind

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # runs of a job whose worker keeps dying before it is marked failed


def worker_name() -> str:
    """This process as a job's owner: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobContext:
    """What a handler gets: the job's input, its author, and the two calls that report back."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.payload: dict[str, Any] = job.payload or {}
        self.actor = job.created_by
        self.finished = False
        self.done, self.total = 0, 0
        self._writer = ProgressWriter(job.pk)

    @property
    def file(self) -> bytes:
        """The uploaded input file ("" when the job has none)."""
        return bytes(self.job.file or b"")

    def progress(self, done: int, total: int) -> None:
        """Report `done` of `total`; cheap enough to call for every row (writes are throttled)."""
        self.done, self.total = done, total
        if not self.finished:
            self._writer.write(done, total)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """The job's apply transaction; call `finish` inside it so that the job is done exactly when its
        writes are committed."""
        with transaction.atomic():
            yield

    def finish(self, result: dict[str, Any] | None = None) -> None:
        """Mark the job done with its result report, in the current transaction (see `atomic`)."""
        updated = Job.objects.filter(pk=self.job.pk, status=Job.Status.RUNNING).update(
            status=Job.Status.DONE, result=result or {}, finished_at=timezone.now(),
            done=self.done if self.total else F("done"), total=self.total if self.total else F("total"))
        if updated != 1:
            raise RuntimeError(f"job {self.job.pk} is no longer running")
        self.finished = True

    def close(self) -> None:
        self._writer.close()


def claim(job_id: int) -> Job | None:
    """Take a queued job for this process (None when it is not queued: done, failed or taken)."""
    with transaction.atomic():
        taken = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, worker=worker_name(), started_at=timezone.now(), attempts=F("attempts") + 1)
    return Job.objects.select_related("created_by").get(pk=job_id) if taken else None


def execute(job_id: int) -> None:
    """Run one job to its end; a handler's exception fails the job (it is not retried)."""
    job = claim(job_id)
    if job is None:
        return
    ctx = JobContext(job)
    try:
        handler = get_kind(job.kind).handler
        with translation.override(job.language or None):  # the report reads in its creator's language
            result = handler(ctx)
        if not ctx.finished:
            with transaction.atomic():
                ctx.finish(result)
    except Exception as exc:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _fail(job.pk, str(exc) or exc.__class__.__name__)
    finally:
        ctx.close()


def _fail(job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        status=Job.Status.FAILED, error=error, finished_at=timezone.now())


def _worker_alive(worker: str) -> bool:
    """Whether the process named "host:pid" still runs; a worker on another host counts as alive."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim() -> list[int]:
    """Jobs left running by a dead worker of this host: queued again (and their ids returned for
    enqueueing), or failed after `MAX_ATTEMPTS` runs. Called when a worker starts, before it runs
    anything: a job under this very process's name is then an orphan of an earlier process that had the
    same pid (a container's worker is pid 1 after every restart)."""
    requeued: list[int] = []
    for job in Job.objects.filter(status=Job.Status.RUNNING).only("pk", "worker", "attempts"):
        if job.worker != worker_name() and _worker_alive(job.worker):
            continue
        if job.attempts >= MAX_ATTEMPTS:
            _fail(job.pk, _("The worker stopped %(count)d times while running this job.") % {"count": job.attempts})
            continue
        if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, worker=job.worker).update(
                status=Job.Status.QUEUED, worker=""):
            requeued.append(job.pk)
    return requeued
