"""Feedback files on the task worker: the dry run and the apply are two job kinds, each with a progress bar;
the report is the job's result. The apply marks its job done in its own transaction, so a worker that stops
half-way leaves nothing applied and the job runs again, once."""

from __future__ import annotations

import io
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotline.accounts.permissions import Perm
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext
from hotline.logistics.actions.feedback import FeedbackResult
from hotline.logistics.feedback import FeedbackFileError, apply_feedback_file, check_feedback_file
from hotline.logistics.models import Courier

CHECK, APPLY = "logistics.feedback_check", "logistics.feedback_apply"


def _back(payload: dict[str, Any]) -> str:
    return reverse("feedback:upload")


@register(CHECK, label=_("Feedback file: dry run"), permission=Perm.RECORD_DELIVERY, back_url=_back)
def check_file(ctx: JobContext) -> dict[str, Any]:
    """What the file would change and every problem; nothing is written."""
    courier = Courier.objects.get(pk=ctx.payload["courier_id"])
    try:
        result = check_feedback_file(io.BytesIO(ctx.file), courier, progress=ctx.progress)
    except FeedbackFileError as exc:
        return {"file_error": exc.message, "summary": exc.message}
    return report(result, applying=False)


@register(APPLY, label=_("Feedback file: apply"), permission=Perm.RECORD_DELIVERY, back_url=_back)
def apply_file(ctx: JobContext) -> dict[str, Any]:
    """All rows (refused if any has a problem) or only the good rows, in one transaction."""
    courier = Courier.objects.get(pk=ctx.payload["courier_id"])
    try:
        result = apply_feedback_file(io.BytesIO(ctx.file), courier, actor=ctx.actor,
                                     good_rows=bool(ctx.payload.get("good_rows")), progress=ctx.progress,
                                     before_commit=lambda done: ctx.finish(report(done, applying=True)))
    except FeedbackFileError as exc:
        return {"file_error": exc.message, "summary": exc.message}
    return report(result, applying=True)


def report(result: FeedbackResult, *, applying: bool) -> dict[str, Any]:
    """The job's result: the figures, and a sentence for the job page."""
    figures = {"rows": result.total, "good": result.good, "problems": sum(result.problem_counts.values())}
    if not applying:
        summary = _("%(rows)d rows: %(good)d events to record, %(problems)d problems listed.") % figures
    elif result.applied:
        summary = _("%(rows)d rows: %(good)d events recorded, %(problems)d rows skipped.") % figures
    else:
        summary = _("Nothing was applied: %(problems)d rows have problems. Apply only the good rows, or correct "
                    "the file.") % figures
    return {**result.as_dict(), "summary": str(summary), "applying": applying}
