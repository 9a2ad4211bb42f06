"""The desk's writes on the caller's record and orders: one front door each, called by customer_views.

Editing the record changes the customer's own fields and, when an address is typed, adds it as the default;
both in one transaction, so a refused address leaves the name unchanged. Sending an order's status writes one
notification to the outbox (the customer's channel: SMS unless they chose otherwise) and an audit row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm, require_perm
from hotline.crm.actions import do_add_address, do_update_customer
from hotline.crm.models import Customer
from hotline.notify.actions import queue_notification
from hotline.notify.models import Notification
from hotline.orders.models import Order

STATUS_TEXT = gettext_lazy("%(salutation)s, your order %(number)s is now: %(status)s.")
TRACKING_TEXT = gettext_lazy(" Courier %(courier)s, tracking number %(tracking)s.")


@transaction.atomic
def do_edit_customer(customer: Customer, changes: dict[str, Any], *, actor: Any, address: str = "") -> Customer:
    """Change the caller's own fields from the desk and, if `address` is typed, add it as their default."""
    require_perm(actor, Perm.CHANGE_CUSTOMER)
    customer = do_update_customer(customer, changes, actor=actor)
    if address.strip():
        do_add_address(customer, address, actor=actor, default=True)
    return customer


def order_status_message(order: Order) -> str:
    """The text the customer receives, in the customers' language (the site default), whoever sends it."""
    shipment = order.shipments.select_related("courier").exclude(tracking_number=None).order_by("-id").first()
    with translation.override(settings.LANGUAGE_CODE):
        text = str(STATUS_TEXT) % {"salutation": order.customer.salutation or order.customer.name,
                                   "number": order.number, "status": order.get_status_display()}
        if shipment is not None:
            text += str(TRACKING_TEXT) % {"courier": shipment.courier.name, "tracking": shipment.tracking_number}
    return text


@transaction.atomic
def do_send_order_status(order: Order, *, actor: Any) -> Notification:
    """Send the order's status (and tracking number once shipped) to its customer through the outbox."""
    require_perm(actor, Perm.SEND_ORDER_STATUS)
    body = order_status_message(order)
    notification = queue_notification(order.customer, order.number, body, order=order, event="order_status")
    if notification is None:
        raise ValidationError(_("The customer has no number to send to or receives no notifications."))
    record("send_order_status", order, actor=actor, after={"notification": notification.pk, "body": body})
    return notification
