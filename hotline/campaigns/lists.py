"""The saved lists a campaign is built from: which customers each `Source` selects (crm and orders), and
which numbers may not be called (the blacklist, campaign opt-outs, SMS opt-outs).

Reads only: `actions.do_load_list` turns a list into contacts.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from hotline.campaigns.models import CallOptOut, Campaign, Source
from hotline.crm.care import celebrates_between
from hotline.crm.models import BlacklistEntry, Customer
from hotline.notify.models import SmsOptOut
from hotline.orders.models import Order, OrderLine, OrderStatusChange, Status


def customers_of(campaign: Campaign, today: datetime.date | None = None) -> Iterator[Customer]:
    """The customers the campaign's source selects today, each once, in id order."""
    today = today or timezone.localdate()
    days = campaign.days
    if campaign.source == Source.BIRTHDAY:
        last = today + datetime.timedelta(days=days)
        candidates = Customer.objects.filter(birthday__isnull=False).order_by("id")
        yield from (c for c in candidates.prefetch_related("phones") if celebrates_between(c, today, last))
        return
    yield from _selected(campaign, today).prefetch_related("phones").order_by("id")


def _selected(campaign: Campaign, today: datetime.date) -> QuerySet[Customer]:
    ids: Any
    target = today - datetime.timedelta(days=campaign.days)
    if campaign.source == Source.DELIVERED:  # delivered exactly `days` ago: the follow-up call
        ids = _changed_to(Status.DELIVERED, target, target)
    elif campaign.source == Source.REFUSED:  # refused within the last `days`: the rescue call
        ids = _changed_to(Status.REFUSED, target, today)
    elif campaign.source == Source.DORMANT:
        last = Order.objects.values("customer").annotate(last=Max("created_at"))
        start = timezone.make_aware(datetime.datetime.combine(target, datetime.time()))
        ids = last.filter(last__lt=start).values_list("customer", flat=True)
    else:  # buyers of the product
        ids = OrderLine.objects.filter(product=campaign.product).exclude(
            order__status=Status.CANCELLED).values_list("order__customer", flat=True)
    return Customer.objects.filter(pk__in=ids)


def _changed_to(status: str, first: datetime.date, last: datetime.date) -> Any:
    changes = OrderStatusChange.objects.filter(to_status=status, at__date__gte=first, at__date__lte=last)
    return changes.values_list("order__customer", flat=True)


def excluded_numbers(numbers: Iterable[str]) -> set[str]:
    """Which of `numbers` may not be called: blacklisted, or opted out of campaign calls or of SMS."""
    wanted = set(numbers)
    found: set[str] = set(BlacklistEntry.objects.filter(number__in=wanted, active=True)
                          .values_list("number", flat=True))
    found |= set(CallOptOut.objects.filter(number__in=wanted).values_list("number", flat=True))
    found |= set(SmsOptOut.objects.filter(number__in=wanted).values_list("number", flat=True))
    return found
