"""The one django-tasks task: run a Job by id. Every job kind goes through it (see `runner.execute`)."""

from __future__ import annotations

from django_tasks import task

from hotline.jobs import runner


@task()
def execute_job(job_id: int) -> None:
    """Run the Job `job_id` (nothing happens when it is no longer queued)."""
    runner.execute(job_id)
