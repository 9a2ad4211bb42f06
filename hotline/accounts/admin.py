"""Back office for users (with their role), API tokens and the audit log."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts import throttle
from hotline.accounts.actions import do_create_api_token, do_save_object, do_unlock_sign_in
from hotline.accounts.audit import record
from hotline.accounts.forms import ThrottledAdminAuthenticationForm
from hotline.accounts.models import ApiToken, AuditEntry, SignInThrottle, User
from hotline.accounts.permissions import Role
from hotline.core.admin import AuditedAdmin, ReadOnlyAdmin

# Roles replace groups: a user's permissions come from their role alone (see RoleBackend).
admin.site.unregister(Group)
# The admin's sign-in is throttled like /login/ (see throttle.py).
admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    """People and their role. The role alone decides permissions, so groups and per-user permissions
    are not shown; administrators are superusers, as `do_create_user` makes them."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (gettext_lazy("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (gettext_lazy("Work"), {"fields": ("role", "agent_number", "is_active")}),
        (gettext_lazy("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "role", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "first_name", "last_name", "role", "agent_number", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "first_name", "last_name", "email", "agent_number")
    ordering = ("username",)
    filter_horizontal = ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        if not change or "role" in form.changed_data:
            obj.is_superuser = obj.role == Role.ADMIN
        do_save_object(obj, actor=request.user, action="change_user" if change else "create_user")

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # Django's form sets the password; the audit row (with the hash masked) goes in the same transaction.
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=id)
                record("change_password", user, actor=request.user)
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """REST API tokens. A new token's key is shown once, right after it is issued; revoke by deleting."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at")
    list_filter = (("user", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["user", "name"] if obj is None else ["user", "name", "prefix", "created_at", "last_used_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        token, raw = do_create_api_token(obj.user, actor=request.user, name=obj.name)
        obj.pk, obj.key_hash, obj.prefix, obj.created_at = token.pk, token.key_hash, token.prefix, token.created_at
        obj._state.adding = False
        self.message_user(request, _("The new token is %(key)s — copy it now, it will not be shown again.")
                          % {"key": raw}, messages.WARNING)


HOTLINE_APPS = {"accounts", "crm", "catalog", "media", "orders", "notify"}


class ObjectTypeFilter(admin.SimpleListFilter):
    """Object types named from the installed models, not by scanning the whole log for distinct values."""

    title = gettext_lazy("object type")
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        models = [model for model in apps.get_models() if model._meta.app_label in HOTLINE_APPS]
        return sorted(((m._meta.label_lower, str(m._meta.verbose_name)) for m in models), key=lambda c: c[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        value = self.value()
        return queryset.filter(object_type=value) if value else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Every write: who, when, what, before and after. Browse and filter only."""

    list_display = ("at", "actor_name", "action", "object_type", "object_id", "object_repr")
    list_filter = (
        ("actor", admin.RelatedFieldListFilter),  # the users table is small; the log is not
        ("action", admin.AllValuesFieldListFilter),
        ObjectTypeFilter,
        "at",
    )
    date_hierarchy = "at"
    search_fields = ("actor_name", "object_repr", "=object_id", "action")
    show_full_result_count = False  # the log grows without end; counting it all on every page is wasted work
    fields = ("at", "actor", "actor_name", "action", "object_type", "object_id", "object_repr", "changes",
              "before_json", "after_json")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("changes"))
    def changes(self, obj: AuditEntry) -> SafeString:
        """The fields whose value differs between before and after."""
        before, after = obj.before or {}, obj.after or {}
        rows = [(name, _short(before.get(name)), _short(after.get(name)))
                for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]
        if not rows:
            return format_html("{}", "—")
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>"
                           "</table>", _("field"), _("before"), _("after"), body)

    @admin.display(description=gettext_lazy("before"))
    def before_json(self, obj: AuditEntry) -> SafeString:
        return _pretty(obj.before)

    @admin.display(description=gettext_lazy("after"))
    def after_json(self, obj: AuditEntry) -> SafeString:
        return _pretty(obj.after)


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _pretty(value: Any) -> SafeString:
    if value is None:
        return format_html("{}", "—")
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


class LockedNowFilter(admin.SimpleListFilter):
    """Locks in force now (the default view) or every counted key."""

    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("locked", _("locked now")), ("counting", _("failures counted, not locked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SignInThrottle]) -> QuerySet[SignInThrottle]:
        if self.value() == "locked":
            return queryset.filter(locked_until__gt=throttle.now())
        if self.value() == "counting":
            return queryset.exclude(locked_until__gt=throttle.now())
        return queryset


@admin.register(SignInThrottle)
class SignInThrottleAdmin(ReadOnlyAdmin):
    """Accounts and source addresses with failed web sign-ins, and their locks. Admins only (no role
    is granted it); the one write is the Unlock action."""

    list_display = ("key", "kind", "failures", "last_failure_at", "locked_until", "is_locked")
    list_filter = (LockedNowFilter, "kind")
    search_fields = ("key",)
    actions = ["unlock"]

    @admin.display(description=gettext_lazy("locked now"), boolean=True)
    def is_locked(self, obj: SignInThrottle) -> bool:
        return throttle.counter_of(obj).locked(throttle.now())

    @admin.action(description=gettext_lazy("Unlock and forget the failures"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[SignInThrottle]) -> None:
        rows = list(queryset)
        for row in rows:
            do_unlock_sign_in(row, actor=request.user)
        self.message_user(request, _("Unlocked: %(keys)s.") % {"keys": ", ".join(row.key for row in rows)},
                          messages.SUCCESS)
