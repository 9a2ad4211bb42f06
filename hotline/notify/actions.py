"""Queueing notifications in the outbox and handing them to their backends after commit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise as StrPromise

from hotline.crm.models import Channel, Customer
from hotline.notify.backends import backend_for
from hotline.notify.models import Notification, NotificationStatus

if TYPE_CHECKING:
    from hotline.orders.models import Order

log = logging.getLogger("hotline.notify")


def recipient_for(customer: Customer) -> tuple[str, str]:
    """(channel, address) for the customer's chosen channel, falling back to SMS on their phone."""
    channel = customer.notify_channel
    if channel == Channel.EMAIL and customer.email:
        return channel, customer.email
    if channel == Channel.FAX and customer.fax:
        return channel, customer.fax
    if channel == Channel.NONE:
        return channel, ""
    phone = customer.primary_phone()
    if channel == Channel.VOICE:
        return channel, phone
    return Channel.SMS, phone


def queue_notification(customer: Customer, subject: str, body: str, *,
                       order: Order | None = None) -> Notification | None:
    """Write the message to the outbox in the caller's transaction; deliver it after commit."""
    channel, recipient = recipient_for(customer)
    if channel == Channel.NONE or not recipient:
        return None
    notification = Notification.objects.create(customer=customer, order=order, channel=channel,
                                               recipient=recipient, subject=subject, body=body)
    transaction.on_commit(lambda: deliver(notification.pk))
    return notification


def deliver(notification_id: int) -> str:
    """Hand one queued notification to its backend; failures are kept with their error."""
    notification = Notification.objects.get(pk=notification_id)
    if notification.status not in (NotificationStatus.QUEUED, NotificationStatus.FAILED):
        return notification.status
    notification.attempts += 1
    try:
        notification.status = backend_for(notification.channel).send(notification)
        notification.sent_at = timezone.now()
        notification.error = ""
    except Exception as exc:  # a gateway's failure must never undo the order that caused it
        log.warning("notification %s failed: %s", notification_id, exc)
        notification.status = NotificationStatus.FAILED
        notification.error = str(exc)[:500]
    notification.save(update_fields=["status", "attempts", "sent_at", "error"])
    return notification.status


def retry_failed(max_attempts: int = 5) -> int:
    """Try failed notifications again (run by the worker); returns how many were retried."""
    ids = list(Notification.objects.filter(status=NotificationStatus.FAILED, attempts__lt=max_attempts)
               .values_list("pk", flat=True))
    for pk in ids:
        deliver(pk)
    return len(ids)


def customer_message(template: StrPromise | str, **values: object) -> str:
    """Render a lazily translated message in the customers' language (the site default),
    whatever language the agent who triggered it uses."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(template) % values
