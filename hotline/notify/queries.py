"""Reads for the outbox screen: messages by status, channel, event and text, the counts per status, and the
opt-outs."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from hotline.notify.models import Notification, NotificationStatus, SmsOptOut

PAGE_SIZE = 50


def outbox(filters: dict[str, Any]) -> QuerySet[Notification]:
    """Messages, newest first, narrowed by the filter form's cleaned data."""
    rows = Notification.objects.select_related("customer", "order")
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("channel"):
        rows = rows.filter(channel=filters["channel"])
    if filters.get("event"):
        rows = rows.filter(event=filters["event"])
    text = (filters.get("q") or "").strip()
    if text:
        rows = rows.filter(Q(recipient__contains=text) | Q(order__number=text.upper()) | Q(customer__name=text))
    return rows.order_by("-created_at", "-id")


def status_counts() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, zeros included, in the order of the choices."""
    counts = dict(Notification.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, str(label), counts.get(value, 0)) for value, label in NotificationStatus.choices]


def page_of(rows: QuerySet[Notification], number: str | None) -> Page[Notification]:
    return Paginator(rows, PAGE_SIZE).get_page(number)


def opt_outs(text: str = "") -> QuerySet[SmsOptOut]:
    rows = SmsOptOut.objects.all()
    return rows.filter(number__contains=text.strip()) if text.strip() else rows
