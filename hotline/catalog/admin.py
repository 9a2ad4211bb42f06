"""Back office for products (with gift rules and cross-sells) and suppliers.

Costs are shown only to users with `Perm.VIEW_COST`: in the list, on the form and in exports.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from hotline.accounts.permissions import Perm
from hotline.catalog.actions import do_save_product
from hotline.catalog.imports import ProductImport
from hotline.catalog.models import CrossSell, GiftRule, Product, Supplier
from hotline.core.admin import AuditedAdmin, AuditedInline, ImportExportAdmin, ReadOnlyInline


def without(names: Any, hidden: set[str]) -> list[Any]:
    """`names` minus the hidden ones (works for list_display, fields and readonly_fields)."""
    return [name for name in names if name not in hidden]


class GiftRuleInline(AuditedInline):
    model = GiftRule
    fk_name = "product"
    fields = ("buy_quantity", "gift", "gift_quantity", "repeat", "active")
    autocomplete_fields = ("gift",)


class CrossSellInline(AuditedInline):
    model = CrossSell
    fk_name = "product"
    fields = ("suggestion", "offer_price", "position")
    autocomplete_fields = ("suggestion",)


@admin.register(Product)
class ProductAdmin(ImportExportAdmin):
    """Products: search by SKU, short code, pinyin initials or name; filter by sale status and supplier."""

    import_class = ProductImport
    list_display = ("short_code", "sku", "name", "price", "cost", "status", "stock", "supplier", "points")
    list_filter = ("status", "supplier", "track_stock")
    search_fields = ("=sku", "^short_code", "pinyin", "name")
    list_select_related = ("supplier",)
    autocomplete_fields = ("supplier",)
    fields = ("sku", "name", "short_code", "pinyin", "price", "cost", "status", "track_stock", "stock", "supplier",
              "points", "description")
    readonly_fields = ("pinyin",)
    inlines = [GiftRuleInline, CrossSellInline]

    def _hidden(self, request: HttpRequest) -> set[str]:
        return set() if request.user.has_perm(Perm.VIEW_COST) else {"cost"}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            return
        do_save_product(obj, actor=request.user)  # a typed-in stock figure also goes to the stock ledger

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return without(super().get_list_display(request), self._hidden(request))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return without(super().get_fields(request, obj), self._hidden(request))


class SupplierProductInline(ReadOnlyInline):
    model = Product
    fields = ("sku", "short_code", "name", "status", "price")
    show_change_link = True


@admin.register(Supplier)
class SupplierAdmin(AuditedAdmin):
    """Suppliers with their contact person and the products we buy from them."""

    list_display = ("name", "contact_name", "phone", "email", "product_count")
    search_fields = ("name", "contact_name", "phone")
    inlines = [SupplierProductInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Supplier]:
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description=gettext_lazy("products"), ordering="product_count")
    def product_count(self, obj: Any) -> int:
        return int(obj.product_count)
