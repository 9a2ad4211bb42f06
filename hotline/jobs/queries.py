"""Reading jobs: who may see one, and its progress as the page shows it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from hotline.jobs.models import Job
from hotline.jobs.progress import read_progress
from hotline.jobs.registry import JobKind, get_kind


def may_see_job(user: Any, job: Job) -> bool:
    """The job's creator, or a user with its kind's permission."""
    if not user.is_authenticated:
        return False
    if job.created_by_id == user.pk:
        return True
    try:
        kind: JobKind = get_kind(job.kind)
    except KeyError:
        return False
    return bool(user.has_perm(kind.permission))


def get_job_for_user(user: Any, pk: int) -> Job:
    """The job, or 404 when there is none, PermissionDenied when this user may not see it."""
    job = get_object_or_404(Job.objects.select_related("created_by").defer("file"), pk=pk)
    if not may_see_job(user, job):
        raise PermissionDenied
    return job


def live_progress(job: Job) -> tuple[int, int, int]:
    """(done, total, percent) as of now: a running job's last report, else what its row says."""
    done, total = job.done, job.total
    if job.status == Job.Status.RUNNING:
        side = read_progress(job.pk)
        if side is not None:
            done, total = side
    if job.status == Job.Status.DONE and not total:
        done = total = 1  # a job that reported nothing is 100 % once done
    percent = min(100, done * 100 // total) if total else 0
    return done, total, percent
