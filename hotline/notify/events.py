"""Events a notification can be about, the SMS template each one uses, and that template's variables.

A Chinese SMS provider sends only texts from templates it approved; the company registers one template
per event with the variables below and names their codes in HOTLINE_SMS_TEMPLATES
(`order_placed=SMS_100,…,generic=SMS_900`). The text Hotline renders (`body`) is what the outbox screen,
e-mail and fax show; the SMS gateway gets the template code and the variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # the models read this module (a notification's event label)
    from hotline.notify.models import Notification

ORDER_PLACED = "order_placed"
ORDER_SHIPPED = "order_shipped"
OUT_FOR_DELIVERY = "out_for_delivery"
ORDER_STATUS = "order_status"
CARE_GREETING = "care_greeting"
INVOICE = "invoice"
GENERIC = "generic"

# event -> (label, the template's variables)
EVENTS: dict[str, tuple[object, tuple[str, ...]]] = {
    ORDER_PLACED: (_("Order placed"), ("name", "number", "total")),
    ORDER_SHIPPED: (_("Order shipped"), ("name", "number", "courier", "tracking")),
    OUT_FOR_DELIVERY: (_("Out for delivery"), ("name", "number", "courier", "tracking")),
    ORDER_STATUS: (_("Order status"), ("name", "number", "status")),
    CARE_GREETING: (_("Care greeting"), ("name",)),
    INVOICE: (_("Invoice"), ("name", "number", "total")),
    GENERIC: (_("Other message"), ("content",)),
}
# An order's status when a message without an event was queued for it decides the event.
_BY_ORDER_STATUS = {"ordered": ORDER_PLACED, "shipped": ORDER_SHIPPED}


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    """What the gateway is asked to send: a template code and its variables."""

    event: str
    code: str
    params: dict[str, str]


def parse_templates(raw: str) -> dict[str, str]:
    """`event=CODE,event=CODE` -> {event: code}; an unknown event or a missing code is a start-up error."""
    found: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        event, _sep, code = (piece.strip() for piece in item.partition("="))
        if event not in EVENTS or not code:
            raise ImproperlyConfigured(
                f"HOTLINE_SMS_TEMPLATES takes event=TEMPLATE_CODE pairs for the events {sorted(EVENTS)}; got {item!r}")
        found[event] = code
    return found


def event_label(event: str) -> str:
    return str(EVENTS[event][0]) if event in EVENTS else event


def infer_event(order_status: str | None) -> str:
    """The event of a message queued for an order without naming one: by the order's status then."""
    if order_status is None:
        return GENERIC
    return _BY_ORDER_STATUS.get(order_status, ORDER_STATUS)


def default_params(notification: Notification, event: str) -> dict[str, str]:
    """Variables the message's customer and order give, before the caller's own `params` are laid over."""
    values = {"content": notification.body, "name": notification.customer.salutation}
    order = notification.order
    if order is not None:
        values.update(number=order.number, total=f"{order.total:.2f}", status=str(order.get_status_display()),
                      courier="", tracking="")
    return values


def sms_template(notification: Notification) -> SmsTemplate:
    """The template code and exactly its variables for this message; an event without a configured
    template falls back to the generic one (its one variable is the whole text)."""
    templates = parse_templates(settings.HOTLINE_SMS_TEMPLATES)
    event = notification.event or GENERIC
    if event not in templates:
        event = GENERIC
    if event not in templates:
        raise ImproperlyConfigured("HOTLINE_SMS_TEMPLATES names no generic template")
    values = {**default_params(notification, event), **{k: str(v) for k, v in (notification.params or {}).items()}}
    return SmsTemplate(event, templates[event], {name: values.get(name, "") for name in EVENTS[event][1]})
