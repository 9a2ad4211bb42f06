"""Delivery backends per channel. Settings map channel -> backend class path (HOTLINE_NOTIFY_BACKENDS).

A backend's `send` either delivers and returns the status to record, or raises to mark a failure
(`sms.GatewayError` says whether to try again). A backend with `limits_rate = True` reaches real phones, so
the per-number hourly limit applies to it.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.utils.module_loading import import_string

from hotline.notify.events import sms_template
from hotline.notify.fax import fax_attachment
from hotline.notify.models import Notification, NotificationStatus
from hotline.notify.sms import SmsGateway

log = logging.getLogger("hotline.notify")

FAX_MAIL_TIMEOUT = 30  # seconds, when EMAIL_TIMEOUT is not set


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


def sms_gateway() -> SmsGateway:
    """The configured SMS account (HOTLINE_SMS_*)."""
    return SmsGateway(settings.HOTLINE_SMS_URL, settings.HOTLINE_SMS_ACCESS_KEY_ID,
                      settings.HOTLINE_SMS_ACCESS_KEY_SECRET, settings.HOTLINE_SMS_SIGN_NAME,
                      timeout=settings.HOTLINE_SMS_TIMEOUT)


class SmsGatewayBackend:
    """Sends an SMS through the provider's HTTP API: the event's template code and its variables; keeps the
    provider's message id for the delivery receipt."""

    limits_rate = True

    def send(self, notification: Notification) -> str:
        template = sms_template(notification)
        notification.provider_id = sms_gateway().send(notification.recipient, template.code, template.params,
                                                      out_id=str(notification.pk))
        notification.provider_code = "OK"
        return NotificationStatus.SENT


class FaxMailBackend:
    """Faxes through an e-mail-to-fax gateway: one e-mail to HOTLINE_FAX_GATEWAY (`{number}` replaced by the
    fax number's digits) with the order confirmation or invoice attached as PDF."""

    def send(self, notification: Notification) -> str:
        digits = re.sub(r"\D", "", notification.recipient)
        if not digits:
            raise ValueError(f"not a fax number: {notification.recipient!r}")
        # a mail server that accepts the connection and then hangs must not stall the worker's retry tick
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT or FAX_MAIL_TIMEOUT)
        message = EmailMessage(notification.subject or notification.body[:60], notification.body,
                               settings.DEFAULT_FROM_EMAIL, [settings.HOTLINE_FAX_GATEWAY.format(number=digits)],
                               connection=connection)
        name, pdf = fax_attachment(notification)
        message.attach(name, pdf, "application/pdf")
        message.send(fail_silently=False)
        return NotificationStatus.SENT


@lru_cache(maxsize=16)
def backend_for(channel: str) -> Backend:
    path = settings.HOTLINE_NOTIFY_BACKENDS.get(channel, "hotline.notify.backends.OutboxBackend")
    backend: Backend = import_string(path)()
    return backend
