"""Checks an order must pass before it ships (pure reads of the order itself)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hotline.orders.models import DeliveryMethod, Order

MIN_DETAIL = 4  # "1号" is not an address a courier can find; "科技园1号" is


def address_problem(order: Order) -> str:
    """Why a courier could not deliver to this address as it stands, or "" when it is complete."""
    if order.delivery_method == DeliveryMethod.PICKUP:
        return ""
    missing = [label for label, value in ((_("province"), order.province), (_("city"), order.city),
                                          (_("district"), order.district)) if not value.strip()]
    if missing:
        return _("The address has no %(parts)s.") % {"parts": _("、").join(missing)}
    if len(order.address_detail.strip()) < MIN_DETAIL:
        return _("The street address is too short for a courier to find.")
    if not order.recipient.strip() or not order.recipient_phone.strip():
        return _("The recipient's name or phone number is missing.")
    return ""
