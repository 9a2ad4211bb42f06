"""Back office for customer service: scripts, complaint categories (with their SLA) and departments are
kept here; a complaint's category and resolution can be set here (its whole life is worked under
/service/complaints/); after-call notes and messages are browsed read-only (they are written at the desk)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.actions import do_save_object
from hotline.core.admin import AuditedAdmin, ReadOnlyAdmin
from hotline.service.actions import do_close_complaint, do_save_category, do_save_department
from hotline.service.models import CallNote, Category, Complaint, ComplaintStatus, Department, Message, Script
from hotline.service.queries import display_name


@admin.register(Script)
class ScriptAdmin(AuditedAdmin):
    """Scripts (话术) for the desk; saves are audited through `do_save_object`."""

    list_display = ("title", "product", "hotline_number", "position", "active")
    list_filter = ("active", "hotline_number")
    list_editable = ("position", "active")
    search_fields = ("title", "body", "product__name")
    fields = ("title", "body", "product", "hotline_number", "position", "active")


@admin.register(Complaint)
class ComplaintAdmin(AuditedAdmin):
    """Complaints are opened at the desk. Here a handler changes the category or writes the resolution,
    which closes the complaint through `do_close_complaint`."""

    list_display = ("id", "customer", "category", "status", "created_by_name", "created_at", "closed_at")
    list_filter = ("status", "category", "created_at")
    search_fields = ("customer__name", "=customer__phones__number", "=call_id", "summary")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "created_by")
    fields = ("customer", "order", "call_id", "category", "summary", "status", "resolution", "created_by_name",
              "created_at", "closed_at")
    readonly_fields = ("customer", "order", "call_id", "summary", "status", "created_by_name", "created_at",
                       "closed_at")

    @admin.display(description=gettext_lazy("opened by"), ordering="created_by")
    def created_by_name(self, obj: Complaint) -> str:
        return display_name(obj.created_by)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status == ComplaintStatus.CLOSED:
            return self.fields
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if "category" in form.changed_data:
            stored = Complaint.objects.get(pk=obj.pk)
            stored.category = obj.category
            do_save_object(stored, actor=request.user)
        if "resolution" in form.changed_data and obj.resolution.strip():
            do_close_complaint(obj, obj.resolution, actor=request.user)


@admin.register(CallNote)
class CallNoteAdmin(ReadOnlyAdmin):
    """After-call notes, as agents wrote them."""

    list_display = ("call_id", "agent_name", "customer", "disposition", "created_at", "updated_at")
    list_filter = ("disposition", "created_at")
    search_fields = ("=call_id", "agent__username", "agent__first_name", "customer__name", "notes")
    list_select_related = ("agent", "customer")
    date_hierarchy = "created_at"
    fields = ("call_id", "agent_name", "customer", "disposition", "notes", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("agent"), ordering="agent")
    def agent_name(self, obj: CallNote) -> str:
        return display_name(obj.agent)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """Messages between agents and supervisors, and questions with their answer time."""

    list_display = ("created_at", "sender_name", "recipient_display", "kind", "body", "read_at", "answered_at")
    list_filter = ("kind", "to_supervisors", "created_at")
    search_fields = ("sender__username", "recipient__username", "body", "=call_id")
    list_select_related = ("sender", "recipient")
    date_hierarchy = "created_at"
    fields = ("created_at", "sender_name", "recipient_display", "kind", "body", "call_id", "reply_to", "read_at",
              "answered_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("sender"), ordering="sender")
    def sender_name(self, obj: Message) -> str:
        return display_name(obj.sender)

    @admin.display(description=gettext_lazy("recipient"))
    def recipient_display(self, obj: Message) -> str:
        return display_name(obj.recipient) if obj.recipient else _("Supervisors")


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    """The company's complaint categories: name, SLA hours, usual department. Retired by unticking active
    (complaints keep theirs), never deleted."""

    list_display = ("name", "code", "sla_hours", "department", "position", "active")
    list_editable = ("sla_hours", "position", "active")
    list_filter = ("active", "department")
    search_fields = ("name", "code")
    fields = ("code", "name", "sla_hours", "department", "position", "active")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stored = Category.objects.get(pk=obj.pk) if change else None
        do_save_category(stored, actor=request.user, code=obj.code, name=obj.name, sla_hours=obj.sla_hours,
                         department=obj.department, active=obj.active, position=obj.position)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    """Departments complaints are passed to (受理部门)."""

    list_display = ("name", "position", "active")
    list_editable = ("position", "active")
    fields = ("name", "position", "active")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stored = Department.objects.get(pk=obj.pk) if change else None
        do_save_department(stored, actor=request.user, name=obj.name, active=obj.active, position=obj.position)
