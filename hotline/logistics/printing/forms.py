"""Shipping forms and labels: one page per parcel, laid out by a FormTemplate.

The frame (boxes, lines, captions) is the same on every page, so it is drawn once into a PDF form object
and placed on each page; only the parcel's data is drawn per page."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from hotline.lib.money import amount_in_words, yuan
from hotline.logistics.printing.data import FormData
from hotline.logistics.printing.draw import Box, Page, new_canvas
from hotline.logistics.printing.template import MONEY_FIELDS, FieldSpec, Layout, layout_of

LABEL_SIZE = 6.5  # points: the caption printed above a data entry
_FRAME = "frame"


def field_text(parcel: FormData, spec: FieldSpec) -> str:
    """What a data entry prints for a parcel: amounts as ¥ or in words, dates ISO, weight in kg."""
    value = getattr(parcel, spec.field)
    if spec.field in MONEY_FIELDS:
        if spec.blank_zero and not value:
            return ""
        return amount_in_words(value) if spec.type == "amount_words" else f"¥{yuan(value)}"
    if spec.field == "weight_kg":
        return f"{Decimal(value).quantize(Decimal('0.01'))} kg" if value else ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value) if value is not None else ""


def _box(spec: FieldSpec, layout: Layout) -> Box:
    width = spec.width or max(layout.width - spec.x, 1.0)
    return Box(spec.x, spec.y, width, spec.height)


def _draw_frame(page: Page, layout: Layout) -> None:
    for spec in layout.fields:
        if spec.type == "box":
            page.rect(Box(spec.x, spec.y, spec.width, spec.height), width=1.4 if spec.bold else 0.6)
        elif spec.type == "line":
            page.line(spec.x, spec.y, spec.x + spec.width, spec.y + spec.height, width=1.4 if spec.bold else 0.5,
                      dashed=spec.dashed)
        elif spec.type == "caption":
            page.text_box(_box(spec, layout), spec.text, spec.size, spec.lines, bold=spec.bold, align=spec.align)
        elif spec.label:
            page.text_line(spec.x, spec.y - 0.8, spec.label, LABEL_SIZE)


def _draw_data(page: Page, layout: Layout, parcel: FormData) -> None:
    for spec in layout.fields:
        if spec.is_frame:
            continue
        value = field_text(parcel, spec)
        if not value:
            continue
        box = _box(spec, layout)
        if spec.type == "barcode":
            page.code128(box, value, spec.size, spec.show_text)
        elif spec.type == "qr":
            page.qr(box, value)
        else:
            page.text_box(box, value, spec.size, spec.lines, bold=spec.bold, align=spec.align)


def write_forms(template: object, parcels: Iterable[FormData], stream: BinaryIO) -> int:
    """Write one page per parcel to `stream` and return the number of pages.

    `template` is a FormTemplate or a dict with its keys; a bad template raises ValidationError before
    anything is written, and so does an empty list of parcels."""
    layout = layout_of(template)
    canvas = new_canvas(stream, (layout.width * mm, layout.height * mm))
    canvas.setTitle(layout.name)
    page = Page(canvas, layout.height, layout.offset_x, layout.offset_y)
    if layout.draw_frame:
        canvas.beginForm(_FRAME)
        _draw_frame(page, layout)
        canvas.endForm()
    pages = 0
    for parcel in parcels:
        if layout.draw_frame:
            canvas.doForm(_FRAME)
        _draw_data(page, layout, parcel)
        canvas.showPage()
        pages += 1
    if not pages:
        raise ValidationError(_("Nothing to print: there are no parcels."), code="empty")
    canvas.save()
    return pages


def render_forms(template: object, parcels: Iterable[FormData]) -> bytes:
    """The forms of `parcels` as one PDF, one page per parcel."""
    buffer = io.BytesIO()
    write_forms(template, parcels, buffer)
    return buffer.getvalue()

