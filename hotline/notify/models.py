"""The outbox of customer notifications (SMS, e-mail, voice, fax) about their orders, and the numbers that
asked for no more SMS (回T退订)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.crm.models import Channel


class NotificationStatus(models.TextChoices):
    """Where a message stands. Only `queued` and `failed` are ever tried again (`sending` after a crash)."""

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    OUTBOX = "outbox", _("Kept in outbox")
    DELIVERED = "delivered", pgettext_lazy("message", "Delivered")
    UNDELIVERED = "undelivered", _("Not delivered")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Refused by the gateway")
    SKIPPED = "skipped", _("Not sent: opted out")


# Statuses a person may send again from the outbox screen.
RETRYABLE = (NotificationStatus.QUEUED, NotificationStatus.FAILED, NotificationStatus.REJECTED,
             NotificationStatus.UNDELIVERED)


class Notification(models.Model):
    """A message to a customer, written in the same transaction as the change it reports, and
    handed to the channel's backend after commit; failures stay here with their error and the time of the
    next try (back-off), and an SMS gets the provider's message id and, later, its delivery receipt."""

    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="notifications",
                                 verbose_name=_("customer"))
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="notifications", verbose_name=_("order"))
    channel = models.CharField(pgettext_lazy("notification", "channel"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=200)
    event = models.CharField(_("event"), max_length=24, blank=True, db_index=True)
    params = models.JSONField(_("template parameters"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=12, choices=NotificationStatus.choices,
                              default=NotificationStatus.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    provider_id = models.CharField(_("gateway message id"), max_length=64, blank=True, db_index=True)
    provider_code = models.CharField(_("gateway result"), max_length=64, blank=True)
    receipt_code = models.CharField(_("delivery receipt"), max_length=64, blank=True)
    receipt_at = models.DateTimeField(_("receipt time"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "sent_at"], name="notify_recipient_sent")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}"

    @property
    def event_label(self) -> str:
        """The event in words (订单发货), for screens."""
        from hotline.notify.events import event_label  # events reads this module's models

        return event_label(self.event)


class OptOutSource(models.TextChoices):
    REPLY = "reply", _("Replied to an SMS")
    STAFF = "staff", _("Recorded by staff")


class SmsOptOut(models.Model):
    """A mobile number that asked for no more SMS: the customer replied 回T退订 (an uplink message pushed by
    the provider) or said so on the phone. Kept per number, not per customer, because the number is what
    replied and one number can belong to two customers; lifting it deletes the row (audited)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=8, choices=OptOutSource.choices)
    text = models.CharField(_("reply text"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("opted out at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number
