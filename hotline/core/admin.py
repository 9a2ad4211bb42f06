"""Building blocks shared by every back-office (Django admin) screen.

- `AuditedAdmin`: saves and deletes go through the audited actions (`do_save_object`,
  `do_delete_object`), inline rows too; the audit log replaces Django's own admin LogEntry, and an
  object's "History" button opens its audit entries.
- `ImportExportAdmin`: the Import page and the Export links/actions of a changelist, on top of a
  `hotline.lib.xlsx.TableImport` (the same import the `hotline import` command runs). An upload becomes a
  job for the task worker (`hotline.jobs`), whose page shows the progress and the result.
- `ReadOnlyAdmin`: screens that only show what actions wrote (audit log, outbox).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.actions import do_delete_object, do_save_object
from hotline.core.exports import do_export_table
from hotline.jobs.actions import run_job
from hotline.jobs.imports import import_kind
from hotline.lib.phones import normalize_phone
from hotline.lib.xlsx import TableImport

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose every write is an audited, validated action."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return  # the admin saves the parent even when only an inline changed; no empty audit rows
        do_save_object(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_object(obj, actor=request.user)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            do_delete_object(obj, actor=request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            do_delete_object(obj, actor=request.user)
        for obj in instances:  # new and changed rows only: formsets skip unchanged ones
            do_save_object(obj, actor=request.user)
        formset.save_m2m()

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)
        if obj is None:  # a new object has no rows to show yet
            return [inline for inline in inlines if not isinstance(inline, ReadOnlyInline)]
        return inlines

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The forms check what they can; an action may still refuse (a race with another user,
        # a rule only the action knows). Its transaction is rolled back; say why instead of a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # The audit log is the one history of writes; Django's LogEntry would be a second, partial one.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return None

    def history_view(self, request: HttpRequest, object_id: str,
                     extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The object's entries in the audit log (which checks its own permission)."""
        query = urlencode({"object_type": self.model._meta.label_lower, "object_id": object_id})
        return redirect(reverse("admin:accounts_auditentry_changelist") + "?" + query)


def can_view_parent(inline: admin.options.InlineModelAdmin, request: HttpRequest) -> bool:  # type: ignore[type-arg]
    """Whoever may see the parent may see rows that belong to it (lines of an order, reports of a number)."""
    opts = inline.parent_model._meta
    return any(request.user.has_perm(f"{opts.app_label}.{verb}_{opts.model_name}") for verb in ("view", "change"))


class AuditedInline(admin.TabularInline):  # type: ignore[type-arg]
    """Inline rows, editable with the row model's own permissions; their saves go through the parent's
    `AuditedAdmin.save_formset`."""

    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or can_view_parent(self, request)


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    """Rows shown with their parent and never edited there."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view_parent(self, request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PhoneSearchMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A search term that is a phone number, in any notation, finds it by its normal form."""

    phone_search_fields: tuple[str, ...] = ()

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> tuple[Any, bool]:
        try:
            number = normalize_phone(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        match = Q()
        for name in self.phone_search_fields:
            match |= Q(**{name: number})
        return queryset.filter(match), True


class ReadOnlyAdmin(AuditedAdmin):
    """Records written by actions elsewhere: browse and filter only, whatever the user's role."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ImportForm(forms.Form):
    """The upload on a changelist's Import page."""

    file = forms.FileField(label=gettext_lazy("File"),
                           help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file; the first row "
                                                  "names the columns."))
    good_rows = forms.BooleanField(
        label=gettext_lazy("Import the valid rows anyway"), required=False,
        help_text=gettext_lazy("Without this, a file with any bad row imports nothing."))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than %(max)d MB.") % {"max": MAX_UPLOAD_BYTES // 2**20})
        return upload


def _export_action(fmt: str, description: str | Any) -> Any:
    def action(modeladmin: ImportExportAdmin, request: HttpRequest, queryset: Any) -> HttpResponse:
        return modeladmin.export_response(request, queryset, fmt)

    action.__name__ = f"export_{fmt}"
    action.short_description = description  # type: ignore[attr-defined]
    action.allowed_permissions = ("export",)  # type: ignore[attr-defined]
    return action


class ImportExportAdmin(AuditedAdmin):
    """Adds the Import page, the Export links (the filtered list) and the Export actions (the selection)."""

    import_class: type[TableImport]
    change_list_template = "admin/hotline/change_list_io.html"
    actions = [_export_action("xlsx", gettext_lazy("Export selected to Excel")),
               _export_action("csv", gettext_lazy("Export selected to CSV"))]

    def has_import_permission(self, request: HttpRequest) -> bool:
        opts = self.model._meta
        return all(request.user.has_perm(f"{opts.app_label}.{verb}_{opts.model_name}") for verb in ("add", "change"))

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_or_change_permission(request)

    def get_urls(self) -> list[URLPattern]:
        app, model = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name=f"{app}_{model}_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name=f"{app}_{model}_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request),
                         "has_export_permission": self.has_export_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a file and hand it to the task worker; its job page shows the progress and every bad row
        (the import itself follows the rules of `TableImport.run`)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        posted = request.method == "POST"
        form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
        if posted and form.is_valid():
            upload = form.cleaned_data["file"]
            job = run_job(import_kind(self.model._meta.label_lower), actor=request.user,
                          payload={"good_rows": form.cleaned_data["good_rows"]}, file=upload.read(),
                          file_name=upload.name)
            return redirect(reverse("jobs:job", args=[job.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "columns": self.import_class.columns, "title": _("Import %(name)s")
                   % {"name": self.model._meta.verbose_name_plural}}
        return TemplateResponse(request, "admin/hotline/import.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The changelist as filtered and searched on screen, as a file (`?format=xlsx|csv`)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        fmt = request.GET.get("format", "xlsx")
        filters = request.GET.copy()
        filters.pop("format", None)
        request.GET = filters  # type: ignore[assignment]  # the changelist refuses parameters it does not know
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist")
                            + "?e=1")
        return self.export_response(request, changelist.queryset, fmt)

    def export_response(self, request: HttpRequest, queryset: models.QuerySet[Any], fmt: str) -> HttpResponse:
        if fmt not in CONTENT_TYPES:
            fmt = "xlsx"
        content = do_export_table(self.import_class, queryset, actor=request.user, fmt=fmt)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        filename = f"{self.model._meta.model_name}s-{stamp}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
