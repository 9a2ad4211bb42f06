"""Readable order numbers, `HL20261124-000123`: prefix, local date, per-day sequence.

The counter row for the day is incremented inside the order's own transaction. The UPDATE takes
the row lock, so concurrent creators queue on it (PostgreSQL) or on the database write lock
(SQLite); a rolled-back order rolls its increment back too, so no number is ever given to two orders.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from hotline.orders.models import OrderNumberCounter


def next_order_number(day: datetime.date | None = None) -> str:
    """Take the next number of the day. Must run inside the transaction that saves the order."""
    day = day or timezone.localdate()
    OrderNumberCounter.objects.bulk_create([OrderNumberCounter(day=day, last=0)], ignore_conflicts=True)
    OrderNumberCounter.objects.filter(day=day).update(last=F("last") + 1)
    last = OrderNumberCounter.objects.filter(day=day).values_list("last", flat=True).get()
    return f"{settings.HOTLINE_ORDER_PREFIX}{day:%Y%m%d}-{last:06d}"
