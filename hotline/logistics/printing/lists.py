"""Pick lists (拣货单, one per batch) and packing lists (装箱单, one per order), on plain paper.

Rows have a fixed height (a long name shrinks to fit its cell), so page breaks are known before drawing
and every page can say "page 2 of 3" in one pass."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm

from hotline.lib.money import amount_in_words, yuan
from hotline.logistics.printing.data import FormData, PickLine
from hotline.logistics.printing.draw import Box, Page, new_canvas

ROW = 7.0  # mm per table row
CELL_SIZE = 9.0  # points
_DIGIT_RUNS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its heading, width in mm and alignment."""

    title: str
    width: float
    align: str = "left"


def _table(page: Page, x: float, y: float, columns: Sequence[Column], rows: Sequence[Sequence[str]],
           *, bold_rows: frozenset[int] = frozenset()) -> float:
    """A ruled table with a heading row at (x, y); returns the y below it."""
    width = sum(column.width for column in columns)
    page.canvas.setFillGray(0.88)
    left, bottom = page.pt(x, y + ROW)
    page.canvas.rect(left, bottom, width * mm, ROW * mm, stroke=0, fill=1)
    page.canvas.setFillGray(0)
    for index, cells in enumerate([[column.title for column in columns], *rows]):
        top, cursor = y + index * ROW, x
        for column, cell in zip(columns, cells, strict=True):
            box = Box(cursor + 1.2, top + (ROW - CELL_SIZE / mm) / 2, column.width - 2.4, 0)
            page.text_box(box, cell, CELL_SIZE, 1, align="center" if index == 0 else column.align,
                          bold=index == 0 or index - 1 in bold_rows)
            cursor += column.width
        page.line(x, top + ROW, x + width, top + ROW, width=0.4)
    bottom_y = y + (len(rows) + 1) * ROW
    page.rect(Box(x, y, width, bottom_y - y), width=0.8)
    cursor = x
    for column in columns[:-1]:
        cursor += column.width
        page.line(cursor, y, cursor, bottom_y, width=0.4)
    return bottom_y


def _page_number(page: Page, number: int, count: int, x: float, y: float) -> None:
    """"Page 2 of 3", its right edge at x."""
    page.text_line(x - 40, y, _("Page %(page)d of %(pages)d") % {"page": number, "pages": count}, 8,
                   align="right", width=40)


def _location_key(line: PickLine) -> tuple[bool, list[object], str]:
    """Shelves in walking order: A-3 before A-12, products without a location last."""
    parts: list[object] = [int(part) if part.isdigit() else part for part in _DIGIT_RUNS.split(line.location)]
    return (not line.location, parts, line.sku)


PICK_COLUMNS = (Column("#", 10, "right"), Column("location", 24), Column("SKU", 30), Column("product", 78),
                Column("units", 16, "right"), Column("orders", 16, "right"), Column("picked", 16, "center"))
PICK_ROWS = 34  # per A4 page


def _pick_columns() -> list[Column]:
    titles = [_("No."), _("Location"), _("SKU"), _("Product"), _("Units"), _("Order count"), _("Picked")]
    return [Column(title, column.width, column.align) for title, column in zip(titles, PICK_COLUMNS, strict=True)]


def render_pick_list(batch_lines: Iterable[PickLine], *, heading: str = "") -> bytes:
    """A pick list: units per product, sorted by warehouse location, with totals on the last page.

    `heading` says which batch it is (number, courier, parcels)."""
    lines = sorted(batch_lines, key=_location_key)
    if not lines:
        raise ValidationError(_("Nothing to print: there are no parcels."), code="empty")
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, A4)
    canvas.setTitle(_("Pick list"))
    page, columns = Page(canvas, A4[1] / mm), _pick_columns()
    chunks = [lines[start:start + PICK_ROWS] for start in range(0, len(lines), PICK_ROWS)]
    for number, chunk in enumerate(chunks, start=1):
        page.text_line(10, 16, _("Pick list"), 18, bold=True)
        page.text_line(60, 15.5, heading, 10)
        _page_number(page, number, len(chunks), 200, 15.5)
        first = (number - 1) * PICK_ROWS
        rows = [[str(first + index), line.location or "—", line.sku, line.name, str(line.quantity),
                 str(line.orders), ""] for index, line in enumerate(chunk, start=1)]
        bottom = _table(page, 10, 22, columns, rows)
        if number == len(chunks):
            units = sum(line.quantity for line in lines)
            page.text_line(10, bottom + 8, _("Total: %(products)d products, %(units)d units")
                           % {"products": len(lines), "units": units}, 10, bold=True)
            page.text_line(10, bottom + 20, _("Picked by: __________    Checked by: __________"), 10)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


PACKING_ROWS = 12  # item rows per A5 page


def _packing_columns() -> list[Column]:
    return [Column(_("No."), 10, "right"), Column(_("Product"), 50), Column(_("SKU"), 22),
            Column(_("Qty"), 12, "right"), Column(_("Unit price"), 19, "right"), Column(_("Amount"), 19, "right")]


def _packing_head(page: Page, parcel: FormData) -> None:
    page.text_box(Box(8, 6, 90, 0), parcel.sender_name, 11, 1, bold=True)
    page.text_line(8, 19, _("Packing list"), 15, bold=True)
    page.code128(Box(98, 5, 44, 13), parcel.order_number, 7, True)
    date = parcel.order_date.isoformat() if parcel.order_date else ""
    details = [(_("Order no."), parcel.order_number, 8, 25, 52), (_("Order date"), date, 78, 25, 50),
               (_("Courier"), parcel.courier, 8, 30.5, 52), (_("Tracking no."), parcel.tracking_number, 78, 30.5, 50),
               (_("Recipient"), f"{parcel.recipient}  {parcel.recipient_phone}", 8, 36, 116)]
    for caption, value, x, y, width in details:
        page.text_line(x, y, f"{caption}：", 8)
        page.text_box(Box(x + 15, y - 3, width, 0), value, 9, 1)
    page.text_line(8, 41.5, _("Address") + "：", 8)
    page.text_box(Box(24, 38.5, 116, 0), parcel.address, 9, 2)


def _item_rows(parcel: FormData) -> list[list[str]]:
    return [[str(index), item.name + (_(" (gift)") if item.gift else ""), item.sku, str(item.quantity),
             _("gift") if item.gift else f"¥{yuan(item.unit_price)}",
             "—" if item.gift else f"¥{yuan(item.line_total)}"]
            for index, item in enumerate(parcel.items, start=1)]


def _packing_foot(page: Page, parcel: FormData, y: float) -> None:
    page.text_line(8, y + 6, _("Units: %(units)d    Order total: ¥%(total)s")
                   % {"units": parcel.pieces, "total": yuan(parcel.total)}, 9)
    if parcel.cod_amount:
        page.text_line(8, y + 12, _("Cash on delivery: ¥%(amount)s (%(words)s)")
                       % {"amount": yuan(parcel.cod_amount), "words": amount_in_words(parcel.cod_amount)}, 9,
                       bold=True)
    if parcel.notes:
        page.text_box(Box(8, y + 15, 132, 0), _("Notes: %(notes)s") % {"notes": parcel.notes}, 8, 2)
    page.text_line(8, 196, _("Please check the goods on delivery. Questions: %(phone)s")
                   % {"phone": parcel.sender_phone}, 8)
    page.text_line(8, 203, _("Packed by: ________    Received by: ________"), 9)


def _write_packing_list(page: Page, parcel: FormData) -> int:
    rows, columns = _item_rows(parcel), _packing_columns()
    chunks = [rows[start:start + PACKING_ROWS] for start in range(0, len(rows), PACKING_ROWS)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        _packing_head(page, parcel)
        if len(chunks) > 1:
            _page_number(page, number, len(chunks), 140, 19)
        bottom = _table(page, 8, 46, columns, chunk)
        if number == len(chunks):
            _packing_foot(page, parcel, bottom)
        page.canvas.showPage()
    return len(chunks)


def write_packing_lists(parcels: Iterable[FormData], stream: BinaryIO) -> int:
    """Write one packing list per parcel (a long order continues on more pages); returns the page count."""
    canvas = new_canvas(stream, A5)
    canvas.setTitle(_("Packing lists"))
    page = Page(canvas, A5[1] / mm)
    pages = sum(_write_packing_list(page, parcel) for parcel in parcels)
    if not pages:
        raise ValidationError(_("Nothing to print: there are no parcels."), code="empty")
    canvas.save()
    return pages


def render_packing_lists(parcels: Iterable[FormData]) -> bytes:
    """One packing list per order (lines, gifts, quantities, amounts) as one PDF."""
    buffer = io.BytesIO()
    write_packing_lists(parcels, buffer)
    return buffer.getvalue()
