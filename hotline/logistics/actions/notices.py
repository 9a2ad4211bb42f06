"""Messages to customers about their parcels, written to the notification outbox in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.functional import Promise

from hotline.jobs.actions import run_job
from hotline.notify.actions import customer_message, deliver, recipient_for
from hotline.notify.models import Notification
from hotline.orders.models import Order

# Up to this many messages are handed to their gateways right after the commit; more go to the worker.
INLINE_DELIVERIES = 50


def queue_order_notices(orders: Sequence[Order], template: Promise | str, **extra: Any) -> list[int]:
    """One message per order (customers who want none get none), in one INSERT; delivered after commit.
    `template` takes %(salutation)s, %(number)s, %(total)s and the `extra` values."""
    rows = []
    for order in orders:
        channel, recipient = recipient_for(order.customer)
        if not recipient:
            continue
        body = customer_message(template, salutation=order.customer.salutation, number=order.number,
                                total=order.total, **extra)
        rows.append(Notification(customer=order.customer, order=order, channel=channel, recipient=recipient,
                                 subject=order.number, body=body))
    created = Notification.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.pk is not None]
    if len(ids) > INLINE_DELIVERIES:  # a feedback file of thousands: the worker sends them, not the import
        transaction.on_commit(lambda: run_job("notify.deliver", actor=None, payload={"ids": ids}))
    else:
        transaction.on_commit(lambda: [deliver(pk) for pk in ids])
    return ids
