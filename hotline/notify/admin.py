"""Back office for the notification outbox: what was sent to customers, through which channel, and
what failed. Read-only: notifications are written by the actions that cause them."""

from __future__ import annotations

from django.contrib import admin

from hotline.core.admin import ReadOnlyAdmin
from hotline.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Browse the outbox; filter by channel, status, event and date; search by recipient or order number. The
    daily screen for it is /notify/."""

    list_display = ("created_at", "channel", "recipient", "event", "subject", "status", "attempts", "sent_at",
                    "receipt_code")
    list_filter = ("status", "channel", "event", "created_at")
    search_fields = ("recipient", "=subject", "customer__name", "=order__number")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "order")
    fields = ("created_at", "customer", "order", "channel", "recipient", "event", "params", "subject", "body",
              "status", "attempts", "error", "next_attempt_at", "sent_at", "provider_id", "provider_code",
              "receipt_code", "receipt_at")
    readonly_fields = fields
    show_full_result_count = False
