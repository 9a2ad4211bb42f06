"""Delivery backends per channel. Settings map channel -> backend class path (HOTLINE_NOTIFY_BACKENDS).

A backend's `send` either delivers and returns the status to record, or raises to mark a failure.
Real SMS / voice / fax gateways plug in here with the same one-method shape.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from hotline.notify.models import Notification, NotificationStatus

log = logging.getLogger("hotline.notify")


class Backend(Protocol):
    def send(self, notification: Notification) -> str: ...


class OutboxBackend:
    """Keeps the message in the outbox (for an operator or a gateway that polls) and logs it."""

    def send(self, notification: Notification) -> str:
        log.info("notification %s %s to %s: %s", notification.pk, notification.channel, notification.recipient,
                 notification.body)
        return NotificationStatus.OUTBOX


class SmtpBackend:
    """Sends e-mail with Django's SMTP settings (EMAIL_HOST and friends)."""

    def send(self, notification: Notification) -> str:
        send_mail(notification.subject or notification.body[:60], notification.body, settings.DEFAULT_FROM_EMAIL,
                  [notification.recipient], fail_silently=False)
        return NotificationStatus.SENT


@lru_cache(maxsize=16)
def backend_for(channel: str) -> Backend:
    path = settings.HOTLINE_NOTIFY_BACKENDS.get(channel, "hotline.notify.backends.OutboxBackend")
    backend: Backend = import_string(path)()
    return backend
