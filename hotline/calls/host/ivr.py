"""The IVR's `IvrHost` port on the ORM: member number + PIN (and a new PIN), and order status by phone or
order number."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError

from hotline.crm.actions import do_set_member_pin, verify_member_pin
from hotline.crm.models import Customer
from hotline.crm.queries import orders_for_phone
from hotline.orders.models import Order

ORDER_DIGITS = 14  # yyyymmdd + 6-digit daily sequence


def order_number_from_digits(digits: str) -> str | None:
    """`20261124000123` -> `HL20261124-000123` (configured prefix); None unless exactly 14 ASCII digits.

    Rebuilding the number keeps the look-up one equality on the unique index instead of a scan.
    """
    if len(digits) != ORDER_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return f"{settings.HOTLINE_ORDER_PREFIX}{digits[:8]}-{digits[8:]}"


def _verify_member(member_no: str, pin: str) -> str | None:
    customer = verify_member_pin(member_no, pin) if member_no and pin else None
    return str(customer.pk) if customer else None


def _order_status(caller: str, order_no: str) -> str | None:
    if order_no:
        number = order_number_from_digits(order_no)
        found = Order.objects.filter(number=number) if number else Order.objects.none()
    elif caller:
        found = orders_for_phone(caller).order_by("-created_at", "-id")
    else:
        return None
    return found.values_list("status", flat=True).first()


def _set_member_pin(customer_ref: str, pin: str) -> bool:
    customer = Customer.objects.filter(pk=int(customer_ref)).first() if customer_ref.isdigit() else None
    if customer is None:
        return False
    try:
        do_set_member_pin(customer, pin, actor=None)  # the caller proved the old PIN in the same call
    except ValidationError:
        return False
    return True


class OrmIvrHost:
    """`hotline.telephony.ivr.host.IvrHost` on the ORM, in Django's sync thread; it writes only a new PIN."""

    async def verify_member(self, member_no: str, pin: str) -> str | None:
        """The customer's id (as text) when the member number and PIN match, else None."""
        return await sync_to_async(_verify_member, thread_sensitive=True)(member_no, pin)

    async def order_status(self, *, caller: str = "", order_no: str = "") -> str | None:
        """The status code (`hotline.orders.models.Status`) of the order keyed in, or else of the caller's latest."""
        return await sync_to_async(_order_status, thread_sensitive=True)(caller, order_no)

    async def set_member_pin(self, customer: str, pin: str) -> bool:
        """Set the verified member's new PIN (hashed, audited as the system); False when refused."""
        return await sync_to_async(_set_member_pin, thread_sensitive=True)(customer, pin)
