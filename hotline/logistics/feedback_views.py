"""The feedback-file page of the logistics workbench: upload a courier's file, read the dry run's report,
then apply every row or only the good ones. The work runs on the task worker (feedback_jobs.py); these views
start jobs and show them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hotline.accounts.permissions import Perm
from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from hotline.jobs.queries import get_job_for_user, live_progress
from hotline.logistics.actions.feedback import Problem
from hotline.logistics.feedback import MAX_BYTES, FeedbackFileError, check_columns
from hotline.logistics.feedback_jobs import APPLY, CHECK
from hotline.logistics.models import Courier, EventKind
from hotline.logistics.views.common import tabs_for

PROBLEM_LABELS = {
    Problem.MALFORMED: gettext_lazy("Unreadable row"), Problem.UNKNOWN: gettext_lazy("Unknown tracking number"),
    Problem.COURIER: gettext_lazy("Another courier's parcel"), Problem.MISMATCH: gettext_lazy("Wrong order number"),
    Problem.CONFLICT: gettext_lazy("Conflict"), Problem.DUPLICATE: gettext_lazy("Duplicate row"),
    Problem.RECORDED: gettext_lazy("Already recorded"),
}


class FeedbackUploadForm(forms.Form):
    """A courier and its file; the file's size and columns are checked here, its rows by the dry run."""

    courier = forms.ModelChoiceField(queryset=Courier.objects.filter(active=True), label=gettext_lazy("Courier"))
    file = forms.FileField(label=gettext_lazy("Feedback file (.xlsx or .csv)"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, courier = data.get("file"), data.get("courier")
        if upload is None or courier is None:
            return data
        if upload.size > MAX_BYTES:
            raise forms.ValidationError({"file": _("The file is larger than %(mb)d MB; split it into smaller "
                                                   "files.") % {"mb": MAX_BYTES // (1024 * 1024)}})
        try:
            check_columns(upload, courier)
        except FeedbackFileError as exc:
            raise forms.ValidationError({"file": exc.message}) from exc
        upload.seek(0)
        return data


def _require(request: HttpRequest) -> None:
    if not (request.user.has_perm(Perm.VIEW_LOGISTICS) and request.user.has_perm(Perm.RECORD_DELIVERY)):
        raise PermissionDenied


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A workbench page (its tabs in the top bar); "feedback" is the tab when the workbench lists one."""
    return render(request, template, {**context, "tab": "feedback", "tabs": tabs_for(request.user)})


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """The form, and the last feedback jobs."""
    _require(request)
    form = FeedbackUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = run_job(CHECK, actor=request.user, payload={"courier_id": form.cleaned_data["courier"].pk},
                      file=upload.read(), file_name=upload.name)
        return redirect("feedback:report", pk=job.pk)
    recent = Job.objects.filter(kind__in=[CHECK, APPLY]).defer("file").select_related("created_by")[:10]
    return _page(request, "logistics/feedback.html", {"form": form, "recent": recent})


def _job_context(job: Job) -> dict[str, Any]:
    done, total, percent = live_progress(job)
    result = job.result or {}
    courier = Courier.objects.filter(pk=int((job.payload or {}).get("courier_id") or 0)).first()
    counts = [(EventKind(kind).label, n) for kind, n in (result.get("counts") or {}).items()]
    problem_counts = [(PROBLEM_LABELS.get(kind, kind), n) for kind, n in (result.get("problem_counts") or {}).items()]
    problems = [{"line": line, "tracking": tracking, "kind": PROBLEM_LABELS.get(kind, kind), "message": message,
                 "harmless": kind in Problem.HARMLESS} for line, tracking, kind, message in result.get("problems", [])]
    is_check = job.kind == CHECK and job.status == Job.Status.DONE and not result.get("file_error")
    return {"job": job, "done": done, "total": total, "percent": percent, "result": result, "courier": courier,
            "counts": counts, "problem_counts": problem_counts, "problems": problems,
            "listed_all": len(problems) >= sum(n for _k, n in problem_counts),
            "may_apply_all": is_check and result.get("good") and not result.get("blocking"),
            "may_apply_good": is_check and result.get("good") and result.get("blocking")}


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """A dry run's or an apply's progress, then its report (htmx polls the part that changes)."""
    _require(request)
    job = get_job_for_user(request.user, pk)
    if job.kind not in (CHECK, APPLY):
        raise Http404
    if getattr(request, "htmx", False):
        return render(request, "logistics/feedback_report_part.html", _job_context(job))
    return _page(request, "logistics/feedback_report.html", _job_context(job))


@login_required
@require_POST
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a dry-run file: every row (`mode=all`) or only the good rows (`mode=good`), as a new job."""
    _require(request)
    job = get_job_for_user(request.user, pk)
    if job.kind != CHECK or job.status != Job.Status.DONE:
        raise Http404
    source = Job.objects.only("file", "file_name", "payload").get(pk=job.pk)
    again = run_job(APPLY, actor=request.user, payload={
        **source.payload, "good_rows": request.POST.get("mode") == "good", "checked_by_job": job.pk},
        file=bytes(source.file or b""), file_name=source.file_name)
    return redirect("feedback:report", pk=again.pk)
