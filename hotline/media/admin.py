"""Back office for TV stations, hotline numbers (DNIS) and airings.

Spot costs are shown only to users with `Perm.VIEW_SPEND`. Times are shown and entered in TIME_ZONE.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.permissions import Perm
from hotline.catalog.admin import without
from hotline.catalog.models import SaleStatus
from hotline.core.admin import AuditedAdmin, AuditedInline, ImportExportAdmin, PhoneSearchMixin
from hotline.media.imports import AiringImport
from hotline.media.models import Airing, HotlineNumber, Station


class MediaPermissions:
    """Stations and hotline numbers go with airings (docs/permissions.md): seen with `Perm.VIEW_MEDIA`,
    changed with `Perm.MANAGE_MEDIA`, rather than with Django's per-model permissions."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.VIEW_MEDIA) or request.user.has_perm(Perm.MANAGE_MEDIA)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.MANAGE_MEDIA)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.MANAGE_MEDIA)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.MANAGE_MEDIA)


class HotlineNumberInline(MediaPermissions, AuditedInline):
    model = HotlineNumber
    fields = ("number", "description", "active")


@admin.register(Station)
class StationAdmin(MediaPermissions, AuditedAdmin):
    """TV stations and channels, with the hotline numbers shown on their spots."""

    list_display = ("name", "channel", "code", "active")
    list_filter = ("active",)
    search_fields = ("name", "channel", "code")
    inlines = [HotlineNumberInline]


@admin.register(HotlineNumber)
class HotlineNumberAdmin(MediaPermissions, PhoneSearchMixin, AuditedAdmin):
    """Numbers callers dial; a number without a station is shared by all stations."""

    list_display = ("number", "station", "description", "active", "skip_menu_during_airing")
    list_filter = ("active", "station")
    search_fields = ("number", "description")
    phone_search_fields = ("number",)
    list_select_related = ("station",)


class AiringForm(forms.ModelForm):  # type: ignore[type-arg]
    """A withdrawn product cannot be put on air (an existing airing may keep its product)."""

    class Meta:
        model = Airing
        fields = ("station", "starts_at", "length_seconds", "product", "cost", "title")

    def clean_product(self) -> Any:
        product = self.cleaned_data.get("product")
        unchanged = self.instance.pk and product is not None and product.pk == self.instance.product_id
        if product is not None and product.status == SaleStatus.WITHDRAWN and not unchanged:
            raise ValidationError(_("%(product)s is withdrawn and cannot be aired.") % {"product": product})
        return product


@admin.register(Airing)
class AiringAdmin(ImportExportAdmin):
    """Airings: filter by station and date; the order count links to the orders the airing brought."""

    import_class = AiringImport
    form = AiringForm
    list_display = ("starts_at", "station", "length_seconds", "product", "cost", "title", "order_count")
    list_filter = ("station", ("product", admin.RelatedOnlyFieldListFilter), "starts_at")
    date_hierarchy = "starts_at"
    search_fields = ("title", "station__name", "station__code", "product__name", "=product__sku")
    list_select_related = ("station", "product")
    autocomplete_fields = ("product",)
    fields = ("station", "starts_at", "length_seconds", "ends_at", "product", "cost", "title")
    readonly_fields = ("ends_at",)

    def _hidden(self, request: HttpRequest) -> set[str]:
        return set() if request.user.has_perm(Perm.VIEW_SPEND) else {"cost"}

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return without(super().get_list_display(request), self._hidden(request))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return without(super().get_fields(request, obj), self._hidden(request))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Airing]:
        return super().get_queryset(request).annotate(order_count=Count("orders"))

    @admin.display(description=gettext_lazy("orders"), ordering="order_count")
    def order_count(self, obj: Any) -> Any:
        """The orders attributed to the airing, linked to the order list filtered on it."""
        count = int(obj.order_count)
        if not count:
            return count
        url = reverse("admin:orders_order_changelist") + f"?airing={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, count)
