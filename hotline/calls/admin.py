"""Back office for calls: call records with their steps and recordings, the event log, recordings.

Read-only for everyone (the engine writes them through `hotline.calls.actions`); seen with
`Perm.VIEW_CALLS` (docs/permissions.md) rather than Django's per-model permissions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hotline.accounts.permissions import Perm
from hotline.calls.models import CallEvent, CallRecord, Recording
from hotline.core.admin import PhoneSearchMixin, ReadOnlyAdmin, ReadOnlyInline


class CallsPermissions:
    """Every calls screen is seen with `Perm.VIEW_CALLS`."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.VIEW_CALLS)


class RecordingInline(CallsPermissions, ReadOnlyInline):
    model = Recording
    fields = ("created_at", "path", "duration_seconds", "channels")


@admin.register(CallRecord)
class CallRecordAdmin(CallsPermissions, PhoneSearchMixin, ReadOnlyAdmin):
    """One row per call: number, airing, queue, agent, outcome and durations; filter by outcome, queue,
    direction and date; search by caller or call id."""

    list_display = ("arrived_at", "caller", "dnis", "airing", "queue", "agent_key", "outcome", "wait_seconds",
                    "talk_seconds", "wrapup_seconds")
    list_filter = ("outcome", "direction", "queue", "hotline_number", "arrived_at")
    search_fields = ("=call_id", "=caller", "=agent_key")
    phone_search_fields = ("caller",)
    date_hierarchy = "arrived_at"
    list_select_related = ("airing", "airing__station")
    fields = ("call_id", "direction", "caller", "dnis", "hotline_number", "airing", "queue", "agent_key", "agent",
              "arrived_at", "enqueued_at", "answered_at", "ended_at", "outcome", "wait_seconds", "talk_seconds",
              "hold_seconds", "wrapup_seconds")
    readonly_fields = fields
    inlines = [RecordingInline]
    show_full_result_count = False


@admin.register(CallEvent)
class CallEventAdmin(CallsPermissions, ReadOnlyAdmin):
    """The append-only event log: every step of every call; filter by kind, queue and date."""

    list_display = ("at", "call_id", "seq", "kind", "queue", "agent_key", "caller", "airing")
    list_filter = ("kind", "queue", "at")
    search_fields = ("=call_id", "=caller", "=agent_key")
    date_hierarchy = "at"
    list_select_related = ("airing", "airing__station")
    fields = ("call_id", "seq", "kind", "at", "mono", "queue", "agent_key", "agent", "caller", "hotline_number",
              "airing", "detail")
    readonly_fields = fields
    show_full_result_count = False


@admin.register(Recording)
class RecordingAdmin(CallsPermissions, ReadOnlyAdmin):
    """Recorded conversations and their calls; filter by channels and date."""

    list_display = ("created_at", "call", "path", "duration_seconds", "channels")
    list_filter = ("channels", "created_at")
    search_fields = ("=call__call_id", "=call__caller")
    date_hierarchy = "created_at"
    list_select_related = ("call",)
    fields = ("call", "path", "duration_seconds", "channels", "created_at")
    readonly_fields = fields
    show_full_result_count = False
