"""`hotline worker`: run queued jobs (imports, printing, feedback files) until stopped.

Ctrl+C or SIGTERM stops after the job in hand; a second one stops at once (the job is then run again
by the next worker that starts, and applied once: see hotline/jobs/runner.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from hotline.jobs.worker import JobWorker


class Command(BaseCommand):
    help = "Run the task worker: queued jobs (imports, printing, feedback files), one at a time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=0.5,
                            help="Seconds between two looks at an empty queue (default 0.5).")
        parser.add_argument("--backend", default=settings.HOTLINE_JOBS_BACKEND,
                            help="The django-tasks backend to take tasks from (a database backend).")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = JobWorker(backend=options["backend"], interval=options["interval"])
        worker.worker.configure_signals()
        self.stdout.write(f"Worker {worker.worker.worker_id} waiting for jobs (Ctrl+C stops it).")
        self.stdout.flush()
        worker.run()
