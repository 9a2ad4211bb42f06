"""Reads on customers: look-up by phone, the desk's search by phone or name, duplicates, blacklist status,
order-status look-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, prefetch_related_objects

from hotline.crm.models import BlacklistEntry, Customer, CustomerPhone
from hotline.lib.phones import normalize_phone

if TYPE_CHECKING:
    from hotline.orders.models import Order


def customers_by_phone(raw: str) -> list[Customer]:
    """Customers who have this number, in any notation; empty for an invalid number.

    One indexed equality look-up on the normalised number (the screen-pop path).
    """
    try:
        number = normalize_phone(raw)
    except ValidationError:
        return []
    ids = CustomerPhone.objects.filter(number=number).values_list("customer_id", flat=True)
    return list(Customer.objects.filter(pk__in=list(ids)).order_by("-id"))


def customer_by_phone(raw: str) -> Customer | None:
    """The most recent customer with this number, or None."""
    found = customers_by_phone(raw)
    return found[0] if found else None


def search_customers(term: str, limit: int = 10) -> list[Customer]:
    """Customers an agent's term finds, newest first, with their numbers and addresses: by phone number
    (any notation; one indexed look-up) when the term is one, else by member number or a part of the name.

    The name match scans the customers newest first and stops at `limit`: a common name answers at once, a
    rare one reads the whole table (there is no index on names)."""
    term = term.strip()
    if not term:
        return []
    try:
        found = customers_by_phone(normalize_phone(term))
    except ValidationError:
        found = list(Customer.objects.filter(Q(name__contains=term) | Q(member_no=term)).order_by("-id")[:limit])
    prefetch_related_objects(found[:limit], "phones", "addresses")
    return found[:limit]


def duplicate_numbers() -> QuerySet[CustomerPhone, dict[str, object]]:
    """Numbers held by more than one customer, with how many: the duplicate-customer worklist."""
    return (CustomerPhone.objects.values("number").annotate(customers=Count("customer_id", distinct=True))
            .filter(customers__gt=1).order_by("-customers", "number"))


def blacklist_action(raw: str) -> str | None:
    """`warn` or `reject` for an active blacklisted number, else None."""
    try:
        number = normalize_phone(raw)
    except ValidationError:
        return None
    entry = BlacklistEntry.objects.filter(number=number, active=True).only("action").first()
    return entry.action if entry else None


def orders_for_phone(raw: str) -> QuerySet[Order]:
    """Orders of the customers who have this number: the "where is my order?" look-up by phone.

    Matches on the customers' indexed numbers only, not on the recipient phone typed into an order,
    which is not indexed and would scan every order. Empty for an invalid number.
    """
    from hotline.orders.models import Order  # orders builds on crm; keep the import out of crm's load

    try:
        number = normalize_phone(raw)
    except ValidationError:
        return Order.objects.none()
    customer_ids = CustomerPhone.objects.filter(number=number).values("customer_id")
    return Order.objects.filter(customer_id__in=customer_ids)
