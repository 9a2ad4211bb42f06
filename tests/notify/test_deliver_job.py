"""Many customer messages at once (a bulk review, a feedback file) are sent by the worker, not by the request
or the import that queued them; a few are sent right after the commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from hotline.catalog.models import Product
from hotline.jobs.models import Job
from hotline.logistics.actions.notices import INLINE_DELIVERIES, queue_order_notices
from hotline.notify.models import Notification, NotificationStatus
from hotline.orders.models import Order
from tests.logistics.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_large_batch_of_messages_goes_to_the_worker_and_a_small_one_is_sent_at_once() -> None:
    w = build_world()
    Product.objects.update(stock=1000)
    orders = [w.place() for _ in range(INLINE_DELIVERIES + 1)]
    Notification.objects.all().delete()  # the "order received" messages of placing them
    with transaction.atomic():
        small = queue_order_notices(list(Order.objects.filter(pk=orders[0].pk).select_related("customer")),
                                    "%(number)s")
    assert Job.objects.filter(kind="notify.deliver").count() == 0
    with transaction.atomic():
        large = queue_order_notices(list(Order.objects.select_related("customer")), "%(number)s")
    job = Job.objects.get(kind="notify.deliver")
    assert job.result is not None
    assert (job.payload["ids"], job.status, job.result["statuses"]) == (large, "done", {"outbox": len(large)})
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.OUTBOX}
    assert len(small) == 1 and Notification.objects.count() == len(large) + 1
