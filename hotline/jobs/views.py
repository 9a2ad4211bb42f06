"""The job page: a progress bar polled every second while the job runs, then its result report."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hotline.jobs.actions import run_job
from hotline.jobs.imports import TABLES, may_import
from hotline.jobs.models import Job
from hotline.jobs.queries import get_job_for_user, live_progress
from hotline.jobs.registry import get_kind


def _context(job: Job) -> dict[str, Any]:
    kind = get_kind(job.kind)
    done, total, percent = live_progress(job)
    result = job.result or {}
    return {"job": job, "kind": kind, "done": done, "total": total, "percent": percent, "result": result,
            "back_url": kind.back_url(job.payload) if kind.back_url else "",
            "offer_good_rows": job.kind in TABLES and job.status == Job.Status.DONE and not result.get("imported")
            and 0 < result.get("valid", 0) < result.get("total", 0)}


@login_required
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole page, or (for htmx's poll) only the part that changes."""
    job = get_job_for_user(request.user, pk)
    template = "jobs/_job.html" if getattr(request, "htmx", False) else "jobs/job.html"
    return render(request, template, _context(job))


@login_required
@require_POST
def import_good_rows(request: HttpRequest, pk: int) -> HttpResponse:
    """Run an import that refused its file again, taking the valid rows this time."""
    job = get_job_for_user(request.user, pk)
    if job.kind not in TABLES or not may_import(request.user, job.kind):
        raise PermissionDenied
    source = Job.objects.only("file", "file_name", "payload").get(pk=job.pk)
    again = run_job(job.kind, actor=request.user, payload={**source.payload, "good_rows": True},
                    file=bytes(source.file or b""), file_name=source.file_name)
    return redirect("jobs:job", pk=again.pk)
