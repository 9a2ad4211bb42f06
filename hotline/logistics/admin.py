"""Back office for logistics configuration: couriers with their fee rates, coverage (with its Excel import),
shipping form templates (validated, with a PDF preview); and read-only screens of what the workbench wrote
(shipments with their events, batches with their prints, the stock ledger, returns, order tasks).

Daily work happens in the workbench (`/logistics/`); these pages configure it and let admins look things up.
Writes need `Perm.MANAGE_COURIERS`; reading needs `Perm.VIEW_LOGISTICS` (docs/permissions.md).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hotline.core.admin import AuditedAdmin, AuditedInline, ImportExportAdmin, ReadOnlyAdmin, ReadOnlyInline
from hotline.logistics.actions.coverage import (
    coverage_errors,
    do_delete_courier,
    do_issue_courier_keys,
    do_save_courier,
    do_save_coverage,
)
from hotline.logistics.admin_views import preview_form_template
from hotline.logistics.feedback import DEFAULT_HEADERS
from hotline.logistics.imports import CoverageImport
from hotline.logistics.models import (
    Courier,
    Coverage,
    DispatchBatch,
    EventKind,
    FeeRate,
    FormTemplate,
    OrderTask,
    PrintLog,
    ReturnLine,
    ReturnReceipt,
    Shipment,
    ShipmentEvent,
    StockMovement,
)
from hotline.logistics.printing import FIELDS, TYPES, validate_template

FEEDBACK_HELP = gettext_lazy(
    "How to read this courier's delivery feedback files, as JSON: the header of each column, and what its "
    "status words mean. Example: {\"tracking_number\": \"邮件号码\", \"status\": \"邮件状态\", \"at\": \"处理时间\", "
    "\"reason\": \"未妥投原因\", \"statuses\": {\"妥投\": \"delivered\", \"拒收\": \"refused\"}}. Columns: "
    "tracking_number, order_number, status, at (time), reason; a column may list several headers. Events: "
    "%(events)s. What is left out falls back to the usual Chinese headers and words.")
TEMPLATE_HELP = gettext_lazy(
    "A list of entries in millimetres from the top-left corner, e.g. [{\"type\": \"text\", \"field\": "
    "\"recipient\", \"x\": 20, \"y\": 35, \"width\": 60, \"size\": 10}]. Types: %(types)s. Fields: %(fields)s.")


def feedback_columns_errors(value: object) -> list[str]:
    """What is wrong with a courier's feedback column mapping (the shape `feedback.Mapping` reads)."""
    if not isinstance(value, dict):
        return [_("Enter a JSON object, like the example.")]
    errors = []
    for key, headers in value.items():
        if key == "statuses":
            continue
        if key not in DEFAULT_HEADERS:
            errors.append(_("Unknown column “%(key)s”; use %(keys)s.")
                          % {"key": key, "keys": ", ".join(DEFAULT_HEADERS)})
        elif not (isinstance(headers, str) or (isinstance(headers, list)
                                               and all(isinstance(h, str) for h in headers))):
            errors.append(_("The header of “%(key)s” must be text or a list of texts.") % {"key": key})
    statuses = value.get("statuses", {})
    if not isinstance(statuses, dict):
        errors.append(_("“statuses” must map the courier's words to events."))
    else:
        errors += [_("“%(word)s”: unknown event “%(event)s”.") % {"word": word, "event": event}
                   for word, event in statuses.items() if event not in EventKind.values]
    return errors


class CourierForm(forms.ModelForm):  # type: ignore[type-arg]
    """A courier's terms; its push keys are issued by the "generate push keys" action, never typed."""

    class Meta:
        model = Courier
        fields = ("code", "name", "kind", "active", "cod_supported", "cod_max", "cod_fee_percent", "cod_fee_min",
                  "return_freight_percent", "contact_name", "contact_phone", "form_template", "feedback_columns")
        widgets = {"feedback_columns": forms.Textarea(attrs={"rows": 6, "cols": 80})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "feedback_columns" in self.fields:
            self.fields["feedback_columns"].help_text = FEEDBACK_HELP % {"events": ", ".join(EventKind.values)}

    def clean_feedback_columns(self) -> Any:
        value = self.cleaned_data["feedback_columns"]
        errors = feedback_columns_errors(value if value is not None else {})
        if errors:
            raise ValidationError(errors)
        return value or {}


class FeeRateFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """A zone that coverage rows use keeps its price: removing or renaming it would leave them unpriced."""

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None:
            return
        kept = {form.cleaned_data.get("zone") for form in self.forms
                if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")}
        saved = set(FeeRate.objects.filter(courier=self.instance).values_list("zone", flat=True))
        for zone in sorted(saved - kept):
            used = Coverage.objects.filter(courier=self.instance, zone=zone).count()
            if used:
                raise ValidationError(ngettext(
                    "Zone “%(zone)s” is used by %(count)d coverage row; change it to another zone first.",
                    "Zone “%(zone)s” is used by %(count)d coverage rows; change them to another zone first.",
                    used) % {"zone": zone, "count": used})


class FeeRateInline(AuditedInline):
    model = FeeRate
    formset = FeeRateFormSet
    fields = ("zone", "first_weight_kg", "first_fee", "step_kg", "step_fee")


@admin.register(Courier)
class CourierAdmin(AuditedAdmin):
    """Couriers with their COD terms and fee rates; coverage is on its own page, filtered by courier."""

    form = CourierForm
    list_display = ("name", "code", "kind", "cod_supported", "cod_max", "cod_fee_percent", "active",
                    "coverage_link", "push_keys")
    list_filter = ("kind", "active", "cod_supported")
    search_fields = ("code", "name")
    readonly_fields = ("coverage_link", "api_key", "push_keys")
    inlines = [FeeRateInline]
    actions = ["issue_push_keys"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Courier]:
        return super().get_queryset(request).annotate(coverage_count=Count("coverage"))

    @admin.display(description=gettext_lazy("coverage"))
    def coverage_link(self, obj: Courier) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:logistics_coverage_changelist") + f"?courier__id__exact={obj.pk}"
        count = getattr(obj, "coverage_count", None)
        count = obj.coverage.count() if count is None else count
        label = ngettext("%(count)d area", "%(count)d areas", count) % {"count": count}
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=gettext_lazy("push API secret"))
    def push_keys(self, obj: Courier) -> str:
        return _("Set") if obj.api_secret else _("Not set")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        do_save_courier(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        do_delete_courier(obj, actor=request.user)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            do_delete_courier(obj, actor=request.user)

    @admin.action(description=gettext_lazy("Generate push keys"), permissions=["change"])
    def issue_push_keys(self, request: HttpRequest, queryset: QuerySet[Courier]) -> HttpResponse:
        """New key and secret for each selected courier, shown on this one page and never again."""
        with transaction.atomic():
            issued = [(courier, *do_issue_courier_keys(courier, actor=request.user)) for courier in queryset]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "issued": issued,
                   "title": _("New push keys")}
        response = TemplateResponse(request, "admin/logistics/courier/keys.html", context)
        response["Cache-Control"] = "no-store"
        return response


class CoverageForm(forms.ModelForm):  # type: ignore[type-arg]
    """A coverage row, checked on the form as the import checks it (`do_save_coverage` checks again)."""

    class Meta:
        model = Coverage
        fields = ("courier", "province", "city", "district", "cod_allowed", "delivery_days", "zone")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("courier") is not None and not self.errors:
            row = Coverage(pk=self.instance.pk, **{name: cleaned.get(name) for name in self.Meta.fields})
            for name, messages in coverage_errors(row).items():
                self.add_error(name, messages)
        return cleaned


@admin.register(Coverage)
class CoverageAdmin(ImportExportAdmin):
    """Where each courier delivers: filter by courier, search by province, city or district; import from Excel."""

    import_class = CoverageImport
    list_display = ("courier", "province", "city", "district", "cod_allowed", "delivery_days", "zone")
    list_filter = ("courier", "cod_allowed", "zone")
    search_fields = ("province", "city", "district")
    list_select_related = ("courier",)
    form = CoverageForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        do_save_coverage(obj, actor=request.user)


class FormTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    """A form template whose entries are checked as the printer will read them, every bad entry listed."""

    class Meta:
        model = FormTemplate
        fields = ("name", "kind", "page_width_mm", "page_height_mm", "offset_x_mm", "offset_y_mm", "draw_frame",
                  "fields")
        widgets = {"fields": forms.Textarea(attrs={"rows": 20, "cols": 100})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "fields" in self.fields:  # absent when the page is read-only
            self.fields["fields"].help_text = TEMPLATE_HELP % {"types": ", ".join(TYPES), "fields": ", ".join(FIELDS)}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        width, height = cleaned.get("page_width_mm"), cleaned.get("page_height_mm")
        if width is not None and height is not None and (width <= 0 or height <= 0):
            self.add_error("page_width_mm" if width <= 0 else "page_height_mm",
                           _("The page needs a width and a height."))
        elif "fields" in cleaned and width and height:
            try:
                validate_template(cleaned["fields"], page=(float(width), float(height)))
            except ValidationError as exc:
                self.add_error("fields", exc)
        return cleaned


@admin.register(FormTemplate)
class FormTemplateAdmin(AuditedAdmin):
    """Shipping form templates: positions in millimetres, calibrated to a printer; preview with sample data."""

    form = FormTemplateForm
    list_display = ("name", "kind", "page_width_mm", "page_height_mm", "draw_frame", "preview_link")
    list_filter = ("kind",)
    search_fields = ("name",)
    readonly_fields = ("preview_link",)

    def get_urls(self) -> list[URLPattern]:
        return [path("<str:object_id>/preview/", self.admin_site.admin_view(preview_form_template),
                     name="logistics_formtemplate_preview"), *super().get_urls()]

    @admin.display(description=gettext_lazy("preview"))
    def preview_link(self, obj: FormTemplate) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:logistics_formtemplate_preview", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url,
                           _("Preview a page with sample data (PDF)"))


class ShipmentEventInline(ReadOnlyInline):
    model = ShipmentEvent
    fields = ("at", "kind", "detail", "source", "actor", "recorded_at")


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    """Parcels as the workbench wrote them: search by tracking number or order number."""

    list_display = ("order", "tracking_number", "courier", "status", "freight", "cod_due", "shipped_at",
                    "delivered_at", "refused_at")
    list_filter = ("status", "courier", "overridden")
    search_fields = ("=tracking_number", "=order__number")
    list_select_related = ("order", "courier")
    date_hierarchy = "created_at"
    inlines = [ShipmentEventInline]


class PrintLogInline(ReadOnlyInline):
    model = PrintLog
    fields = ("at", "kind", "pages", "reprint", "actor")


@admin.register(DispatchBatch)
class DispatchBatchAdmin(ReadOnlyAdmin):
    """Dispatch batches with every print of their documents (reprints marked)."""

    list_display = ("number", "courier", "status", "parcels", "created_by", "created_at")
    list_filter = ("status", "courier")
    search_fields = ("=number",)
    list_select_related = ("courier", "created_by")
    inlines = [PrintLogInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DispatchBatch]:
        return super().get_queryset(request).annotate(parcel_count=Count("shipments"))

    @admin.display(description=gettext_lazy("parcels"), ordering="parcel_count")
    def parcels(self, obj: Any) -> int:
        return int(obj.parcel_count)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    """The stock ledger: appended by the workbench's actions, never changed or deleted."""

    list_display = ("at", "product", "kind", "quantity", "order", "note", "actor")
    list_filter = ("kind", "at")
    search_fields = ("=product__sku", "product__name", "=order__number")
    list_select_related = ("product", "order", "actor")
    date_hierarchy = "at"


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ("order_line", "quantity", "condition")


@admin.register(ReturnReceipt)
class ReturnReceiptAdmin(ReadOnlyAdmin):
    """Returned goods received at the warehouse, with what came back in which condition."""

    list_display = ("order", "shipment", "return_freight", "received_by", "received_at")
    search_fields = ("=order__number", "=shipment__tracking_number")
    list_select_related = ("order", "shipment", "received_by")
    date_hierarchy = "received_at"
    inlines = [ReturnLineInline]


@admin.register(OrderTask)
class OrderTaskAdmin(ReadOnlyAdmin):
    """Calls agents make about orders (rescue, confirm, fix); worked on the desk, looked up here."""

    list_display = ("order", "kind", "urgent", "status", "assigned_to", "outcome", "created_at", "done_at")
    list_filter = ("kind", "status", "urgent", "outcome")
    search_fields = ("=order__number",)
    list_select_related = ("order", "assigned_to")
    date_hierarchy = "created_at"
