"""Reads for customer care (客户关怀): who celebrates a birthday today, this week or this month (by the lunar
calendar for those who keep it), and who matches saved care criteria (level, spend, last order, region,
preference).

Spend is what the customer's delivered and settled orders came to; the last order is the newest order not
cancelled. A region is a province: of the default address, else of the primary phone number.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.crm.models import Address, Birthdays, CareCriteria, Customer, CustomerPhone
from hotline.lib.lunar import next_birthday

SPENT_STATUSES = ("delivered", "settled")


@dataclass(frozen=True)
class CareRow:
    """A customer on a care list, with the day they celebrate when the list is about birthdays."""

    customer: Customer
    birthday_on: datetime.date | None = None


def birthday_window(kind: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of today, this week (Monday to Sunday) or this calendar month."""
    if kind == Birthdays.TODAY:
        return today, today
    if kind == Birthdays.WEEK:
        monday = today - datetime.timedelta(days=today.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if kind == Birthdays.MONTH:
        last = calendar.monthrange(today.year, today.month)[1]
        return today.replace(day=1), today.replace(day=last)
    raise ValueError(f"not a birthday window: {kind!r}")


def celebrates_between(customer: Customer, first: datetime.date, last: datetime.date) -> datetime.date | None:
    """The day in [first, last] the customer celebrates their birthday (lunar when they keep it), or None."""
    if customer.birthday is None:
        return None
    day = next_birthday(customer.birthday, customer.birthday_lunar, first)
    return day if day <= last else None


def _spend() -> Subquery:
    from hotline.orders.models import Order  # orders builds on crm: keep the import out of crm's load

    spent = (Order.objects.filter(customer=OuterRef("pk"), status__in=SPENT_STATUSES).order_by()
             .values("customer").annotate(total=Sum("total")).values("total"))
    return Subquery(spent, output_field=DecimalField(max_digits=14, decimal_places=2))


def _last_order() -> Subquery:
    from hotline.orders.models import Order

    newest = Order.objects.filter(customer=OuterRef("pk")).exclude(status="cancelled").order_by("-created_at")
    return Subquery(newest.values("created_at")[:1])


def _in_province(province: str) -> Q:
    bare = province.strip().removesuffix("省").removesuffix("市")
    by_address = Address.objects.filter(customer=OuterRef("pk"), is_default=True, province__startswith=bare)
    no_address = ~Exists(Address.objects.filter(customer=OuterRef("pk"), is_default=True).exclude(province=""))
    by_phone = CustomerPhone.objects.filter(customer=OuterRef("pk"), is_primary=True, province__startswith=bare)
    return Q(Exists(by_address)) | (no_address & Q(Exists(by_phone)))


def criteria_customers(criteria: CareCriteria, now: datetime.datetime | None = None) -> QuerySet[Customer]:
    """The customers matching every filled field of the criteria except the birthday (see `care_rows`),
    annotated with `spend` and `last_order_at`, oldest customer first."""
    moment = now or timezone.now()
    found = Customer.objects.annotate(spend=Coalesce(_spend(), Value(Decimal("0.00"))), last_order_at=_last_order())
    if criteria.level:
        found = found.filter(level=criteria.level)
    if criteria.min_spend is not None:
        found = found.filter(spend__gte=criteria.min_spend)
    if criteria.max_spend is not None:
        found = found.filter(spend__lte=criteria.max_spend)
    if criteria.ordered_within_days is not None:
        found = found.filter(last_order_at__gte=moment - datetime.timedelta(days=criteria.ordered_within_days))
    if criteria.no_order_for_days is not None:
        cutoff = moment - datetime.timedelta(days=criteria.no_order_for_days)
        found = found.filter(Q(last_order_at__lt=cutoff) | Q(last_order_at__isnull=True))
    if criteria.province.strip():
        found = found.filter(_in_province(criteria.province))
    if criteria.preference.strip():
        found = found.filter(preferences__contains=criteria.preference.strip())
    if criteria.birthdays:
        found = found.filter(birthday__isnull=False)
    return found.order_by("id")


def care_rows(criteria: CareCriteria, today: datetime.date | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[CareRow]:
    """The customers of a care list, reporting (scanned, candidates) as it goes: the birthday test runs
    in Python (lunar dates), over the customers the other fields leave."""
    day = today or timezone.localdate()
    window = birthday_window(criteria.birthdays, day) if criteria.birthdays else None
    candidates = criteria_customers(criteria)
    total = candidates.count() if progress is not None else 0
    rows: list[CareRow] = []
    for scanned, customer in enumerate(candidates.iterator(chunk_size=500), start=1):
        if window is None:
            rows.append(CareRow(customer))
        elif (celebrates := celebrates_between(customer, *window)) is not None:
            rows.append(CareRow(customer, celebrates))
        if progress is not None:
            progress(scanned, total)
    return rows


def birthday_criteria(kind: str) -> CareCriteria:
    """Unsaved criteria for the built-in birthday lists (today / this week / this month)."""
    return CareCriteria(name=str(Birthdays(kind).label), birthdays=kind)


def birthday_counts(today: datetime.date | None = None) -> dict[str, int]:
    """How many customers celebrate today, this week and this month: the care screen's headline."""
    day = today or timezone.localdate()
    counts: dict[str, int] = {str(kind): 0 for kind in (Birthdays.TODAY, Birthdays.WEEK, Birthdays.MONTH)}
    windows = {kind: birthday_window(kind, day) for kind in counts}
    for customer in Customer.objects.filter(birthday__isnull=False).only("birthday", "birthday_lunar").iterator():
        for kind, window in windows.items():
            if celebrates_between(customer, *window) is not None:
                counts[kind] += 1
    return counts
