"""The outbox of customer notifications (SMS, e-mail, voice, fax) about their orders."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.crm.models import Channel


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    OUTBOX = "outbox", _("Kept in outbox")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """A message to a customer, written in the same transaction as the change it reports, and
    handed to the channel's backend after commit; failures stay here with their error for a retry."""

    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="notifications",
                                 verbose_name=_("customer"))
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="notifications", verbose_name=_("order"))
    channel = models.CharField(pgettext_lazy("notification", "channel"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=200)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=8, choices=NotificationStatus.choices,
                              default=NotificationStatus.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}"
