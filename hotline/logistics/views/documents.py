"""A batch's printed documents as PDF bytes, with their page count (the renderers live in `printing`)."""

from __future__ import annotations

import io
import re
from typing import Any

from django.utils.translation import gettext as _

from hotline.logistics.models import CourierKind, DispatchBatch, PrintKind
from hotline.logistics.printing import (
    batch_parcels,
    batch_pick_lines,
    default_form_templates,
    render_pick_list,
    write_forms,
    write_packing_lists,
)

PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
# A courier without its own form prints on the shipped default for its kind (index in default_form_templates).
DEFAULT_FORM: dict[str, int] = {CourierKind.EMS: 0, CourierKind.POST: 1, CourierKind.CITY: 2, CourierKind.OWN: 2,
                CourierKind.EXPRESS: 3}


def pdf_pages(data: bytes) -> int:
    """The number of pages of a PDF (its page objects)."""
    return len(PAGE.findall(data))


def form_template(batch: DispatchBatch) -> Any:
    """The batch courier's shipping form, or the default one for its kind of courier."""
    courier = batch.courier
    if courier.form_template is not None:
        return courier.form_template
    return default_form_templates()[DEFAULT_FORM.get(courier.kind, 3)]


def render_batch(batch: DispatchBatch, kind: str) -> tuple[bytes, int]:
    """The document `kind` (PrintKind) of the batch: PDF bytes and pages. ValidationError when empty."""
    buffer = io.BytesIO()
    if kind == PrintKind.FORMS:
        pages = write_forms(form_template(batch), batch_parcels(batch), buffer)
    elif kind == PrintKind.PACKING:
        pages = write_packing_lists(batch_parcels(batch), buffer)
    else:
        heading = _("Batch %(number)s · %(courier)s") % {"number": batch.number, "courier": batch.courier.name}
        data = render_pick_list(batch_pick_lines(batch), heading=heading)
        return data, pdf_pages(data)
    return buffer.getvalue(), pages


def file_name(batch: DispatchBatch, kind: str) -> str:
    return f"{batch.number}-{kind}.pdf"
