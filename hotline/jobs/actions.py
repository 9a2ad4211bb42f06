"""The jobs' writes: start a job (the row and its task, in one transaction)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hotline.accounts.audit import record
from hotline.jobs.models import Job
from hotline.jobs.registry import get_kind


def run_job(kind: str, *, actor: Any, payload: dict[str, Any] | None = None, file: bytes | None = None,
            file_name: str = "") -> Job:
    """Queue a job of a registered kind for the task worker and return its row.

    The Job row, its audit entry and the worker's task are written in one transaction, so a job is
    either queued and will run, or was never there. `payload` must be JSON; `file` is the uploaded
    input, kept in the row so that a worker on another machine can read it.
    """
    try:
        get_kind(kind)
    except KeyError:
        raise ValidationError(_("Unknown job kind: %(kind)s") % {"kind": kind}) from None
    with transaction.atomic():
        job = Job.objects.create(kind=kind, created_by=actor if getattr(actor, "pk", None) else None,
                                 payload=payload or {}, file=file, file_name=file_name[:255],
                                 language=get_language() or "")
        record("start_job", job, actor=actor, after={"kind": kind, "payload": job.payload, "file_name": file_name,
                                                     "file_size": len(file or b"")})
        enqueue(job.pk)
    job.refresh_from_db()
    return job


def enqueue(job_id: int, backend: str | None = None) -> None:
    """Hand a queued job to the worker through django-tasks (`backend`, by default
    settings.HOTLINE_JOBS_BACKEND).

    With the database backend the task row joins the caller's transaction; with the immediate backend
    (tests) the job runs here and now.
    """
    from hotline.jobs.tasks import execute_job

    result = execute_job.using(backend=backend or settings.HOTLINE_JOBS_BACKEND).enqueue(job_id)
    Job.objects.filter(pk=job_id).update(task_id=str(result.id))
