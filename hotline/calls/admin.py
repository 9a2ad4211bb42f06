"""Back office for calls: call records with their steps and recordings, the event log, recordings;
and the engine's configuration: queues, number routes, seats.

Call records, events and recordings are read-only for everyone (the engine writes them through
`hotline.calls.actions`); seen with `Perm.VIEW_CALLS` (docs/permissions.md) rather than Django's
per-model permissions. Callbacks are read-only too (`Perm.VIEW_CALLBACK`); voicemails are seen with
`Perm.VIEW_VOICEMAIL` and only marked handled, through `do_handle_voicemail` (`Perm.HANDLE_VOICEMAIL`).
Queues, routes and seats use Django's per-model permissions, which no role holds: only administrators
configure them.

Agents are shown by their names (`display_name`), recordings and voicemails as players that fetch the audio
from `hotline.calls.views` (which checks the permission again), never as a path on the server.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hotline.accounts.permissions import Perm
from hotline.calls.callback_actions import do_handle_voicemail
from hotline.calls.models import (
    Callback,
    CallbackEvent,
    CallEvent,
    CallRecord,
    NumberRoute,
    Queue,
    QueueMember,
    Recording,
    Seat,
    Voicemail,
    VoicemailStatus,
)
from hotline.calls.seats import do_save_seat
from hotline.core.admin import AuditedAdmin, AuditedInline, PhoneSearchMixin, ReadOnlyAdmin, ReadOnlyInline
from hotline.service.queries import display_name


def audio_player(url: str) -> SafeString:
    """An `<audio>` player for the browser; `preload="none"` so that a list of fifty fetches nothing until
    someone presses play. Kept narrow so that a list's other columns stay on the screen."""
    return format_html('<audio controls preload="none" src="{}" style="width: 220px; height: 32px">{}</audio>',
                       url, _("Your browser cannot play this recording."))


def agent_name(obj: Any) -> str:
    """The agent of a call or event by name (user name if they have none; the engine's id if no user)."""
    return display_name(obj.agent) or obj.agent_key


class QueueLabelFilter(admin.SimpleListFilter):
    """Filter by queue, offered by label (订购), matching the queue name the call log stores."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return sorted(Queue.labels().items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(queue=self.value()) if self.value() else queryset


class QueueLabelMixin:
    """Rows of the call log show their queue's label, read in the list's one query (a subquery by name)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        label = Queue.objects.filter(name=OuterRef("queue")).values("label")[:1]
        return queryset.annotate(queue_label_value=Subquery(label))  # type: ignore[no-any-return]

    @admin.display(description=_("queue"), ordering="queue")
    def queue_label(self, obj: Any) -> str:
        return getattr(obj, "queue_label_value", None) or obj.queue


class CallsPermissions:
    """Every calls screen is seen with `Perm.VIEW_CALLS`."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.VIEW_CALLS)


class RecordingInline(CallsPermissions, ReadOnlyInline):
    model = Recording
    fields = ("created_at", "player", "duration_seconds", "channels")

    @admin.display(description=_("recording"))
    def player(self, obj: Recording) -> SafeString:
        return audio_player(reverse("recording-audio", args=[obj.pk]))


@admin.register(CallRecord)
class CallRecordAdmin(CallsPermissions, QueueLabelMixin, PhoneSearchMixin, ReadOnlyAdmin):
    """One row per call: number, airing, queue, agent, outcome and durations; filter by outcome, queue,
    direction and date; search by caller or call id."""

    list_display = ("arrived_at", "caller", "dnis", "airing", "queue_label", "agent_name", "outcome", "wait_seconds",
                    "talk_seconds", "wrapup_seconds")
    list_filter = ("outcome", "direction", QueueLabelFilter, "hotline_number", "arrived_at")
    search_fields = ("=call_id", "=caller", "=agent_key")
    phone_search_fields = ("caller",)
    date_hierarchy = "arrived_at"
    list_select_related = ("airing", "airing__station", "agent")
    fields = ("call_id", "direction", "caller", "dnis", "hotline_number", "airing", "queue_label", "agent_name",
              "arrived_at", "enqueued_at", "answered_at", "ended_at", "outcome", "wait_seconds", "talk_seconds",
              "hold_seconds", "wrapup_seconds")
    readonly_fields = fields
    inlines = [RecordingInline]
    show_full_result_count = False

    @admin.display(description=_("agent"), ordering="agent_key")
    def agent_name(self, obj: CallRecord) -> str:
        return agent_name(obj)


@admin.register(CallEvent)
class CallEventAdmin(CallsPermissions, QueueLabelMixin, ReadOnlyAdmin):
    """The append-only event log: every step of every call; filter by kind, queue and date."""

    list_display = ("at", "call_id", "seq", "kind", "queue_label", "agent_name", "caller", "airing")
    list_filter = ("kind", QueueLabelFilter, "at")
    search_fields = ("=call_id", "=caller", "=agent_key")
    date_hierarchy = "at"
    list_select_related = ("airing", "airing__station", "agent")
    fields = ("call_id", "seq", "kind", "at", "mono", "queue_label", "agent_name", "caller", "hotline_number",
              "airing", "detail")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("agent"), ordering="agent_key")
    def agent_name(self, obj: CallEvent) -> str:
        return agent_name(obj)


@admin.register(Recording)
class RecordingAdmin(CallsPermissions, ReadOnlyAdmin):
    """Recorded conversations and their calls; filter by channels and date."""

    list_display = ("created_at", "call", "duration_seconds", "channels", "player")
    list_filter = ("channels", "created_at")
    search_fields = ("=call__call_id", "=call__caller")
    date_hierarchy = "created_at"
    list_select_related = ("call",)
    fields = ("call", "player", "duration_seconds", "channels", "created_at")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("recording"))
    def player(self, obj: Recording) -> SafeString:
        return audio_player(reverse("recording-audio", args=[obj.pk]))


class QueueMemberInline(AuditedInline):
    """The agents who serve the queue, with their skill level."""

    model = QueueMember
    fields = ("agent", "level")


@admin.register(Queue)
class QueueAdmin(AuditedAdmin):
    """ACD queues: strategy, limits, overflow, wrap-up, routing and KPI thresholds, and the agents who serve
    them (Django's per-model permissions)."""

    list_display = ("name", "strategy", "wrapup_seconds", "max_wait_seconds", "max_length", "overflow",
                    "overflow_to", "service_level_seconds", "short_abandon_seconds")
    search_fields = ("name",)
    inlines = (QueueMemberInline,)


@admin.register(NumberRoute)
class NumberRouteAdmin(AuditedAdmin):
    """Which IVR flow or queue answers each hotline number; a number without a route runs the demo flow."""

    list_display = ("hotline_number", "flow", "queue")
    list_select_related = ("hotline_number", "queue")


class SeatForm(forms.ModelForm):  # type: ignore[type-arg]
    """A seat with a write-only password field: only its HA1 is stored."""

    password = forms.CharField(label=_("new SIP password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               help_text=_("Leave empty to keep the current password."))

    class Meta:
        model = Seat
        fields = ("name", "sip_username", "realm", "fixed_uri", "allowed_networks")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        renamed = {"sip_username", "realm"} & set(self.changed_data)
        if not data.get("password") and (self.instance.pk is None or renamed):
            self.add_error("password", _("Set a password for a new seat or a changed user name or realm."))
        return data


@admin.register(Seat)
class SeatAdmin(AuditedAdmin):
    """Seats and their phones; the agent logged in is shown, changed only by logging in or out at the desk."""

    form = SeatForm
    list_display = ("name", "sip_username", "realm", "fixed_uri", "agent_name")
    search_fields = ("name", "sip_username")
    readonly_fields = ("agent_name",)
    list_select_related = ("agent",)

    @admin.display(description=_("agent"), ordering="agent")
    def agent_name(self, obj: Seat) -> str:
        return display_name(obj.agent)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        do_save_seat(obj, form.cleaned_data.get("password", ""), actor=request.user)


class CallbackEventInline(ReadOnlyInline):
    """The callback's logged changes, oldest first."""

    model = CallbackEvent
    fields = ("at", "kind", "detail", "call_id")
    ordering = ("at", "id")


@admin.register(Callback)
class CallbackAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    """Callbacks the engine captured and how they went; filter by status and reason, search by number."""

    list_display = ("number", "status", "not_dialled_reason", "reason", "hotline_number", "airing",
                    "reach_attempts", "dial_attempts", "captured_at")
    list_filter = ("status", "not_dialled", "reason")
    search_fields = ("=number",)
    phone_search_fields = ("number",)
    list_select_related = ("hotline_number", "airing", "airing__station")
    fields = ("number", "dnis", "hotline_number", "airing", "reason", "call_id", "arrived_at", "captured_at",
              "status", "not_dialled", "reach_attempts", "dial_attempts", "not_before", "last_result",
              "last_call_id", "updated_at")
    readonly_fields = fields
    inlines = [CallbackEventInline]
    show_full_result_count = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.VIEW_CALLBACK)

    @admin.display(description=_("not dialled"), ordering="not_dialled")
    def not_dialled_reason(self, obj: Callback) -> str:
        """"not dialled: international number" for a callback the dial policy held, else empty."""
        return obj.not_dialled_text


@admin.register(Voicemail)
class VoicemailAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    """The voicemail worklist, newest first; "mark handled" goes through `do_handle_voicemail`."""

    list_display = ("created_at", "caller", "dnis", "airing", "duration_seconds", "status", "handled_by_name",
                    "handled_at", "player")  # the player last: it is wide, the worklist's columns come first
    list_filter = ("status", "created_at")
    search_fields = ("=caller", "=call_id")
    phone_search_fields = ("caller",)
    date_hierarchy = "created_at"
    list_select_related = ("airing", "airing__station", "handled_by")
    fields = ("call_id", "caller", "dnis", "hotline_number", "airing", "player", "duration_seconds", "created_at",
              "status", "handled_by_name", "handled_at", "note")
    readonly_fields = fields
    actions = ["mark_handled"]
    show_full_result_count = False

    @admin.display(description=_("voicemail"))
    def player(self, obj: Voicemail) -> SafeString:
        return audio_player(reverse("voicemail-audio", args=[obj.pk]))

    @admin.display(description=_("handled by"), ordering="handled_by")
    def handled_by_name(self, obj: Voicemail) -> str:
        return display_name(obj.handled_by)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.VIEW_VOICEMAIL)

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(Perm.HANDLE_VOICEMAIL)

    @admin.action(description=_("Mark handled"), permissions=["handle"])
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[Voicemail]) -> None:
        done = 0
        for voicemail in queryset.filter(status=VoicemailStatus.NEW):
            try:
                do_handle_voicemail(voicemail, actor=request.user)
            except ValidationError as exc:  # handled meanwhile by someone else
                self.message_user(request, " ".join(exc.messages), messages.WARNING)
                continue
            done += 1
        message = ngettext("%(count)d voicemail marked handled.", "%(count)d voicemails marked handled.", done)
        self.message_user(request, message % {"count": done}, messages.SUCCESS)
