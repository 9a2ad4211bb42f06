"""Documents faxed to customers through an e-mail-to-fax gateway: the order confirmation (订单确认书) and the
invoice (销货清单 with the invoice title and taxpayer id), one A4 page each, drawn with the shipping
forms' primitives (ReportLab, the same Chinese font). Real T.38 fax is out of scope: the gateway turns the
attached PDF into a fax call."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from hotline.lib.money import yuan
from hotline.logistics.printing.config import print_config
from hotline.logistics.printing.draw import Box, Page, new_canvas
from hotline.notify.events import INVOICE
from hotline.notify.models import Notification
from hotline.orders.models import Order

# (x, width, align) in mm for the item table: product, quantity, unit price, amount
_COLUMNS = ((15, 100, "left"), (115, 20, "right"), (135, 30, "right"), (165, 30, "right"))
_ROWS_PER_PAGE = 30


def _heading(page: Page, title: str, order: Order) -> float:
    sender = print_config().sender
    page.text_line(15, 20, sender.name, 16, bold=True)
    page.text_line(15, 27, f"{sender.address}  {sender.phone}", 9)
    page.text_line(15, 42, title, 20, bold=True)
    page.code128(Box(150, 32, 45, 12), order.number, 7, True)
    details = [(_("Order no."), order.number), (_("Order date"), timezone.localdate(order.created_at).isoformat()),
               (_("Customer"), order.customer.name), (_("Recipient"), f"{order.recipient}  {order.recipient_phone}"),
               (_("Address"), order.address_text)]
    y = 52.0
    for caption, value in details:
        page.text_line(15, y, f"{caption}：", 10)
        page.text_box(Box(40, y - 3.5, 155, 0), value, 10, 1)
        y += 6.5
    return y + 4


def _items(page: Page, order: Order, y: float) -> float:
    titles = (_("Product"), _("Qty"), _("Unit price"), _("Amount"))
    for (x, width, align), title in zip(_COLUMNS, titles, strict=True):
        page.text_line(x, y, title, 10, bold=True, align=align, width=width)
    page.line(15, y + 2, 195, y + 2)
    y += 8
    for line in list(order.lines.select_related("product").order_by("id"))[:_ROWS_PER_PAGE]:
        name = line.product.name + (_(" (gift)") if line.is_gift else "")
        cells = (name, str(line.quantity), f"¥{yuan(line.unit_price)}", f"¥{yuan(line.line_total)}")
        for (x, width, align), cell in zip(_COLUMNS, cells, strict=True):
            page.text_line(x, y, cell, 10, align=align, width=width)
        y += 6.5
    page.line(15, y - 3, 195, y - 3)
    page.text_line(115, y + 3, _("Total: ¥%(total)s") % {"total": yuan(order.total)}, 12, bold=True,
                   align="right", width=80)
    return y + 12


def render_document(order: Order, *, invoice: bool = False) -> bytes:
    """The order confirmation, or the invoice, of `order` as a one-page PDF."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, A4)
    title = _("Invoice") if invoice else _("Order confirmation")
    canvas.setTitle(f"{title} {order.number}")
    page = Page(canvas, A4[1] / mm)
    y = _heading(page, title, order)
    if invoice:
        page.text_line(15, y, _("Invoice title: %(title)s") % {"title": order.invoice_title or order.customer.name}, 10)
        page.text_line(15, y + 6.5, _("Taxpayer id: %(id)s") % {"id": order.invoice_tax_id or "—"}, 10)
        y += 16
    y = _items(page, order, y)
    page.text_line(15, y, _("Payment: %(method)s") % {"method": order.get_payment_method_display()}, 10)
    thanks = _("Thank you for your order. Questions: %(phone)s") % {"phone": print_config().sender.phone}
    page.text_line(15, 280, thanks, 9)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_text(text: str, title: str) -> bytes:
    """A message without an order, as a one-page PDF of its text."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, A4)
    canvas.setTitle(title)
    page = Page(canvas, A4[1] / mm)
    page.text_line(15, 20, print_config().sender.name, 16, bold=True)
    page.text_line(15, 35, title, 14, bold=True)
    page.text_box(Box(15, 42, 180, 0), text, 11, 40)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def fax_attachment(notification: Notification) -> tuple[str, bytes]:
    """(file name, PDF) for a faxed message: the order's invoice or confirmation, else its text; in the
    customers' language (the site default), whoever's request or worker sends it."""
    order = notification.order
    with translation.override(settings.LANGUAGE_CODE):
        if order is None:
            return f"message-{notification.pk}.pdf", render_text(notification.body, notification.subject)
        invoice = notification.event == INVOICE
        return f"{'invoice' if invoice else 'order'}-{order.number}.pdf", render_document(order, invoice=invoice)
