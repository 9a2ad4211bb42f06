"""Queueing notifications in the outbox and handing them to their backends after commit; retries with
back-off, the per-number hourly limit and the opt-out check happen here, on every delivery."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone, translation
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext as _

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm, require_perm
from hotline.crm.models import Channel, Customer
from hotline.notify.backends import backend_for
from hotline.notify.events import EVENTS, infer_event
from hotline.notify.models import RETRYABLE, Notification, NotificationStatus, SmsOptOut
from hotline.notify.sms import GatewayError

if TYPE_CHECKING:
    from hotline.orders.models import Order

log = logging.getLogger("hotline.notify")

HOUR = datetime.timedelta(hours=1)
# A message claimed for sending whose worker died is claimed again after this long.
STALE_SENDING = datetime.timedelta(minutes=15)
# A queued message whose after-commit delivery never ran (the process stopped) is picked up after this long.
LOST_AFTER = datetime.timedelta(minutes=2)
MAX_BACKOFF = datetime.timedelta(hours=6)
RETRY_BATCH = 500  # messages per retry tick; the rest wait for the next minute


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


def queue_notification(customer: Customer, subject: str, body: str, *, order: Order | None = None,
                       event: str = "", params: dict[str, str] | None = None) -> Notification | None:
    """Write the message to the outbox in the caller's transaction; deliver it after commit.

    `event` picks the SMS template (hotline.notify.events; without one, an order's status decides, else
    "generic"); `params` fill or override the template's variables."""
    if event and event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}; known: {sorted(EVENTS)}")
    channel, recipient = recipient_for(customer)
    if channel == Channel.NONE or not recipient:
        return None
    notification = Notification.objects.create(
        customer=customer, order=order, channel=channel, recipient=recipient, subject=subject, body=body,
        event=event or infer_event(order.status if order is not None else None),
        params={str(k): str(v) for k, v in (params or {}).items()})
    transaction.on_commit(lambda: deliver(notification.pk))
    return notification


def opted_out(number: str) -> bool:
    return SmsOptOut.objects.filter(number=number).exists()


def _claim(pk: int, now: datetime.datetime) -> bool:
    """Mark the message as being sent, so that a second worker or a click does not send it twice."""
    due = Q(status__in=(NotificationStatus.QUEUED, NotificationStatus.FAILED)) | Q(
        status=NotificationStatus.SENDING, next_attempt_at__lte=now)
    return bool(Notification.objects.filter(due, pk=pk).update(status=NotificationStatus.SENDING,
                                                               next_attempt_at=now + STALE_SENDING))


def _held_until(notification: Notification, now: datetime.datetime) -> datetime.datetime | None:
    """When the number may get its next SMS, if it had its hourly share already."""
    limit = settings.HOTLINE_SMS_PER_HOUR
    if not limit or notification.channel != Channel.SMS:
        return None
    recent = Notification.objects.filter(channel=Channel.SMS, recipient=notification.recipient,
                                         sent_at__gt=now - HOUR).exclude(pk=notification.pk)
    if recent.count() < limit:
        return None
    oldest: datetime.datetime = recent.aggregate(first=Min("sent_at"))["first"]
    return oldest + HOUR


def backoff(attempts: int) -> datetime.timedelta:
    """Minutes before the next try: the configured first wait, doubling, at most six hours."""
    wait = datetime.timedelta(minutes=settings.HOTLINE_NOTIFY_RETRY_MINUTES) * 2 ** max(0, attempts - 1)
    return min(wait, MAX_BACKOFF)


def _failed(notification: Notification, error: Exception, now: datetime.datetime) -> None:
    permanent = isinstance(error, GatewayError) and error.permanent
    notification.status = NotificationStatus.REJECTED if permanent else NotificationStatus.FAILED
    notification.error = str(error)[:500]
    notification.provider_code = error.code if isinstance(error, GatewayError) else ""
    retry = not permanent and notification.attempts < settings.HOTLINE_NOTIFY_MAX_ATTEMPTS
    notification.next_attempt_at = now + backoff(notification.attempts) if retry else None


def _attempt(notification: Notification, now: datetime.datetime) -> bool:
    """Send through the channel's backend unless the number had its hourly share; True if the gateway
    looked down."""
    try:
        backend = backend_for(notification.channel)
        held = _held_until(notification, now) if getattr(backend, "limits_rate", False) else None
        if held is not None:
            notification.status, notification.next_attempt_at = NotificationStatus.QUEUED, held
            notification.error = _("Held back: at most %(limit)d SMS an hour to one number.") % {
                "limit": settings.HOTLINE_SMS_PER_HOUR}
            return False
        notification.attempts += 1
        notification.status = backend.send(notification)
    except Exception as exc:  # a gateway's failure must never undo the order that caused it
        log.warning("notification %s failed: %s", notification.pk, exc)
        _failed(notification, exc, now)
        return isinstance(exc, GatewayError) and exc.unreachable
    notification.sent_at, notification.error, notification.next_attempt_at = now, "", None
    return False


def _deliver(pk: int, now: datetime.datetime) -> tuple[str, bool]:
    """(status, whether the gateway looked down) after one delivery attempt of a claimed message."""
    if not _claim(pk, now):
        return Notification.objects.filter(pk=pk).values_list("status", flat=True).first() or "", False
    notification = Notification.objects.select_related("customer", "order").get(pk=pk)
    down = False
    if notification.channel == Channel.SMS and opted_out(notification.recipient):
        notification.status, notification.next_attempt_at = NotificationStatus.SKIPPED, None
        notification.error = _("The number asked for no more SMS (replied T to unsubscribe).")
    else:
        down = _attempt(notification, now)
    notification.save(update_fields=["status", "attempts", "sent_at", "error", "next_attempt_at", "provider_id",
                                     "provider_code"])
    return notification.status, down


def deliver(notification_id: int, *, now: datetime.datetime | None = None) -> str:
    """Hand one queued or failed notification to its backend; failures are kept with their error and the
    time of the next try. A message already sent (or being sent) is left alone."""
    return _deliver(notification_id, now or timezone.now())[0]


def due_ids(now: datetime.datetime, max_attempts: int, limit: int = RETRY_BATCH) -> list[int]:
    """Messages to try now: failed ones whose back-off is over, queued ones held by the hourly limit or
    whose after-commit delivery was lost, and ones whose sender died mid-way."""
    waited = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    due = (Q(status=NotificationStatus.FAILED, attempts__lt=max_attempts) & waited
           | Q(status=NotificationStatus.QUEUED, next_attempt_at__lte=now)
           | Q(status=NotificationStatus.QUEUED, next_attempt_at__isnull=True, created_at__lte=now - LOST_AFTER)
           | Q(status=NotificationStatus.SENDING, next_attempt_at__lte=now))
    return list(Notification.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:limit])


def retry_failed(max_attempts: int | None = None, *, now: datetime.datetime | None = None) -> int:
    """Try the due messages again (the task worker runs it every minute); returns how many were tried.
    Stops at the first message that finds the gateway unreachable: the rest wait for the next tick instead
    of each waiting for its own timeout."""
    moment = now or timezone.now()
    tried = 0
    for pk in due_ids(moment, max_attempts or settings.HOTLINE_NOTIFY_MAX_ATTEMPTS):
        tried += 1
        if _deliver(pk, moment)[1]:
            break
    return tried


def retry_due(now: datetime.datetime) -> None:
    """The periodic function registered by NotifyConfig.ready()."""
    retry_failed(now=now)


def do_retry_notification(notification: Notification, *, actor: object) -> str:
    """Send one message again now, from the outbox screen (a failed, refused, undelivered or held one)."""
    require_perm(actor, Perm.SEND_NOTIFICATIONS)
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.status not in RETRYABLE:
            raise ValidationError(_("Only a failed, refused, undelivered or waiting message can be sent again."),
                                  code="not_retryable")
        before = {"status": locked.status, "attempts": locked.attempts}
        Notification.objects.filter(pk=locked.pk).update(
            status=NotificationStatus.QUEUED, next_attempt_at=None, provider_id="", receipt_code="", receipt_at=None)
        record("notify.retry", locked, actor=actor, before=before, after={"status": NotificationStatus.QUEUED})
    return deliver(locked.pk)


def customer_message(template: StrPromise | str, **values: object) -> str:
    """Render a lazily translated message in the customers' language (the site default),
    whatever language the agent who triggered it uses."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(template) % values
