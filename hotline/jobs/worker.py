"""The task worker: django-tasks-db's polling worker, preceded by taking back the jobs a dead worker
left running, with the periodic scheduler (hotline/jobs/periodic.py: the daily report e-mail) beside it.
`hotline worker` runs it in the foreground; `hotline demo` on a thread of its own."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from hotline.jobs.actions import enqueue
from hotline.jobs.models import Job
from hotline.jobs.periodic import Scheduler
from hotline.jobs.runner import reclaim, worker_name

log = logging.getLogger(__name__)


def resume_orphans(backend: str | None = None) -> list[int]:
    """Queue again (on `backend`) the jobs whose worker died, each with a new task; their old task rows
    are closed."""
    resumed = reclaim()
    for job_id in resumed:
        with transaction.atomic():
            stale = Job.objects.filter(pk=job_id).values_list("task_id", flat=True).first()
            if stale:
                DBTaskResult.objects.filter(pk=stale, status="RUNNING").update(status="FAILED",
                                                                               finished_at=timezone.now())
            enqueue(job_id, backend)
        log.info("job %s: its worker had stopped; queued again", job_id)
    return resumed


class JobWorker:
    """Runs queued jobs until `stop()`; `interval` is the wait between two looks at an empty queue."""

    def __init__(self, *, backend: str | None = None, interval: float = 0.5, periodic: bool = True) -> None:
        self.backend = backend or settings.HOTLINE_JOBS_BACKEND
        self.worker = Worker(queue_names=["*"], interval=interval, batch=False, backend_name=self.backend,
                             startup_delay=False, max_tasks=None, worker_id=worker_name()[:64],
                             excluded_queue_names=[])
        self._thread: threading.Thread | None = None
        # The periodic functions (once a minute) run on a thread of their own, so a long job does not
        # delay the morning's report e-mail.
        self.scheduler = Scheduler() if periodic else None

    def run(self) -> None:
        """Take back orphaned jobs, start the periodic scheduler, then poll and run (the caller's thread;
        signals are the caller's)."""
        try:
            resume_orphans(self.backend)
            if self.scheduler is not None:
                self.scheduler.start()
            self.worker.run()
        finally:
            if self.scheduler is not None:
                self.scheduler.stop()
            connections.close_all()

    def start(self) -> None:
        """Run on a daemon thread of this process (the demo)."""
        self._thread = threading.Thread(target=self.run, name="hotline-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the job in hand (a thread started by `start` is waited for up to `timeout`)."""
        self.worker.running = False
        if self._thread is not None:
            self._thread.join(timeout)
