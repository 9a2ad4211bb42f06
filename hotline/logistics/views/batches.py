"""待发货 / 分检 Batches: parcels waiting per courier, batches by courier, and their printed documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from hotline.jobs.queries import get_job_for_user, live_progress
from hotline.logistics import queries
from hotline.logistics.actions import do_create_batches, do_log_print
from hotline.logistics.models import DispatchBatch, PrintKind
from hotline.logistics.print_jobs import INLINE_MAX
from hotline.logistics.print_jobs import KIND as PRINT_JOB
from hotline.logistics.views.common import page, workbench_user
from hotline.logistics.views.documents import file_name, render_batch


@login_required
@require_GET
def batches(request: HttpRequest) -> HttpResponse:
    """Parcels waiting for a batch, per courier, and the latest batches with their print buttons."""
    workbench_user(request, "batches")
    waiting = queries.waiting_by_courier()
    return page(request, "logistics/batches.html", "batches", {
        "waiting": waiting, "waiting_total": sum(row["parcels"] for row in waiting),
        "batches": queries.recent_batches()})


@login_required
@require_POST
def create_batches(request: HttpRequest) -> HttpResponse:
    """按快递公司分检: one batch per courier of all parcels waiting."""
    user = workbench_user(request, "batches")
    made = do_create_batches(actor=user)
    if made:
        messages.success(request, ngettext("%(count)d batch created: %(numbers)s.",
                                           "%(count)d batches created: %(numbers)s.", len(made))
                         % {"count": len(made), "numbers": "、".join(batch.number for batch in made)})
    else:
        messages.info(request, _("No parcel is waiting for a batch."))
    return redirect("logistics:batches")


@login_required
@require_POST
def print_batch(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A batch's document as PDF, logged (a second print of a kind is a reprint): shown in the browser, or
    downloaded when the form asks for it."""
    user = workbench_user(request, "batches")
    batch = get_object_or_404(DispatchBatch.objects.select_related("courier__form_template"), pk=pk)
    if kind not in PrintKind.values:
        raise Http404
    if queries.batch_size(batch) > INLINE_MAX:  # a big batch renders on the task worker, with progress
        job = run_job(PRINT_JOB, actor=user, payload={"batch": batch.pk, "kind": kind,
                                                      "download": bool(request.POST.get("download"))})
        return redirect("logistics:print-job", pk=job.pk)
    try:
        data, pages = render_batch(batch, kind)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("logistics:batches")
    do_log_print(batch, kind, pages, actor=user)
    return _pdf(data, file_name(batch, kind), download=bool(request.POST.get("download")))


# A PDF runs none of our scripts; the browser's own viewer shows it, which the pages' `object-src 'none'`
# would refuse (Chromium applies the document's policy to its PDF viewer).
PDF_POLICY = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _pdf(data: bytes, name: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Security-Policy"] = PDF_POLICY
    response["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{name}"'
    return response


def _print_job(request: HttpRequest, pk: int) -> Job:
    workbench_user(request, "batches")
    job = get_job_for_user(request.user, pk)
    if job.kind != PRINT_JOB:
        raise Http404
    return job


@login_required
@require_GET
def print_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A big batch printing on the worker: its progress bar (htmx polls it), then the PDF's links."""
    job = _print_job(request, pk)
    done, total, percent = live_progress(job)
    context = {"job": job, "done": done, "total": total, "percent": percent, "result": job.result or {}}
    return page(request, "logistics/print_job.html", "batches", context, fragment="logistics/_print_job.html")


@login_required
@require_GET
def print_job_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF a finished print job stored (shown in the browser, or downloaded with ?download=1)."""
    job = _print_job(request, pk)
    name = (job.result or {}).get("file")
    if job.status != Job.Status.DONE or not name:
        raise Http404
    with default_storage.open(name, "rb") as stored:
        data = stored.read()
    return _pdf(data, name.rsplit("/", 1)[-1], download=request.GET.get("download") == "1")
