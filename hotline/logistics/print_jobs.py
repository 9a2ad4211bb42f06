"""Printing a big batch on the task worker (docs/jobs.md): the PDF is written to the file storage, the print
logged, and the job's result names the file; the workbench shows the progress and serves the download.

Small batches render inline in the request (`INLINE_MAX` parcels or fewer): waiting for a job would be slower."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.permissions import Perm
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext
from hotline.logistics.actions import do_log_print
from hotline.logistics.models import DispatchBatch, PrintKind, Shipment, ShipmentStatus

KIND = "logistics.print"
INLINE_MAX = 200  # parcels: a batch this size renders in the request in about a second
FOLDER = "prints"

T = TypeVar("T")


def _counted(items: Iterable[T], ctx: JobContext, total: int) -> Iterator[T]:
    """The items, reporting progress as the renderer takes each one."""
    for done, item in enumerate(items, start=1):
        ctx.progress(done, total)
        yield item


def render_with_progress(batch: DispatchBatch, kind: str, ctx: JobContext) -> tuple[bytes, int]:
    """The batch's document, the parcels counted as they are drawn (the pick list is one step)."""
    from hotline.logistics.printing import batch_parcels, write_forms, write_packing_lists
    from hotline.logistics.views.documents import form_template, render_batch

    total = Shipment.objects.filter(batch=batch).exclude(status=ShipmentStatus.CANCELLED).count()
    buffer = io.BytesIO()
    if kind == PrintKind.FORMS:
        pages = write_forms(form_template(batch), _counted(batch_parcels(batch), ctx, total), buffer)
    elif kind == PrintKind.PACKING:
        pages = write_packing_lists(_counted(batch_parcels(batch), ctx, total), buffer)
    else:
        ctx.progress(0, 1)
        data, pages = render_batch(batch, kind)
        ctx.progress(1, 1)
        return data, pages
    return buffer.getvalue(), pages


def _back(payload: dict[str, Any]) -> str:
    return "/logistics/batches/"


@register(KIND, label=gettext_lazy("Batch printing"), permission=Perm.SHIP_ORDER, back_url=_back)
def print_batch(ctx: JobContext) -> dict[str, Any]:
    """Render one document of a batch, store it, log the print; the result names the stored PDF."""
    batch = DispatchBatch.objects.select_related("courier__form_template").get(pk=ctx.payload["batch"])
    kind = ctx.payload["kind"]
    data, pages = render_with_progress(batch, kind, ctx)
    name = default_storage.save(f"{FOLDER}/{batch.number}-{kind}-job{ctx.job.pk}.pdf", ContentFile(data))
    with ctx.atomic():
        do_log_print(batch, kind, pages, actor=ctx.actor)
        ctx.finish({"summary": _("%(pages)d pages ready: %(document)s of batch %(number)s.") % {
            "pages": pages, "document": PrintKind(kind).label, "number": batch.number},
            "file": name, "pages": pages, "batch": batch.pk, "kind": kind})
    return {}
