"""Back office for the notification outbox: what was sent to customers, through which channel, and
what failed. Read-only: notifications are written by the actions that cause them."""

from __future__ import annotations

from django.contrib import admin

from hotline.core.admin import ReadOnlyAdmin
from hotline.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Browse the outbox; filter by channel, status and date; search by recipient or order number."""

    list_display = ("created_at", "channel", "recipient", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "created_at")
    search_fields = ("recipient", "=subject", "customer__name", "=order__number")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "order")
    fields = ("created_at", "customer", "order", "channel", "recipient", "subject", "body", "status", "attempts",
              "error", "sent_at")
    readonly_fields = fields
    show_full_result_count = False
