"""Products from and to Excel, matched by SKU. Costs are exported only to users who may see them;
a file without a cost column leaves costs as they are. A blank sale status keeps the current one
(new products go on sale); a blank stock means the stock is not tracked."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.audit import snapshot
from hotline.accounts.permissions import Perm
from hotline.catalog.actions import do_save_product
from hotline.catalog.models import Product, SaleStatus, Supplier
from hotline.lib.money import ZERO
from hotline.lib.xlsx import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    Row,
    RowParser,
    TableImport,
    parse_amount,
    parse_choice,
    parse_int,
    parse_text,
)

STATUS_ALIASES = {"在售": SaleStatus.ON_SALE, "销售中": SaleStatus.ON_SALE, "上架": SaleStatus.ON_SALE,
                  "暂停": SaleStatus.PAUSED, "停售": SaleStatus.PAUSED, "下架": SaleStatus.WITHDRAWN,
                  "撤销": SaleStatus.WITHDRAWN}
PLAIN_FIELDS = ("name", "short_code", "price", "cost", "points", "description")


class ProductImport(TableImport):
    """Products: SKU, name, short code and price are required; the SKU is the natural key."""

    columns = (
        Column("sku", gettext_lazy("SKU"), ("货号", "商品编号", "商品编码", "编号"), required=True),
        Column("name", gettext_lazy("name"), ("名称", "商品名称", "品名", "商品"), required=True),
        Column("short_code", gettext_lazy("short code"), ("代码", "简码", "商品代码", "速查码"), required=True),
        Column("price", gettext_lazy("price"), ("价格", "售价", "单价"), required=True),
        Column("cost", gettext_lazy("cost"), ("成本", "成本价", "进价")),
        Column("status", gettext_lazy("sale status"), ("状态", "销售状态", "status")),
        Column("supplier", gettext_lazy("supplier"), ("供应商",)),
        Column("points", gettext_lazy("points earned"), ("积分", "赠送积分", "points")),
        Column("stock", gettext_lazy("stock"), ("库存",)),
        Column("description", gettext_lazy("description"), ("描述", "说明", "商品描述")),
    )
    key_label = gettext_lazy("SKU")
    sheet_title = gettext_lazy("products")

    def __init__(self, *, actor: Any) -> None:
        super().__init__(actor=actor)
        self._suppliers: dict[str, Supplier | None] = {}

    def parse(self, row: Row) -> dict[str, Any]:
        parser = RowParser(row)
        parser.take("sku", parse_text, required=True)
        parser.take("name", parse_text, required=True)
        parser.take("short_code", parse_text, required=True)
        parser.take("price", parse_amount, required=True)
        parser.take("cost", lambda v: parse_amount(v) or ZERO)
        parser.take("status", lambda v: parse_choice(v, SaleStatus, STATUS_ALIASES))
        parser.take("supplier", self._supplier)
        parser.take("points", lambda v: parse_int(v) or 0)
        parser.take("stock", parse_int)
        parser.take("description", parse_text)
        return parser.done()

    def _supplier(self, value: Any) -> Supplier | None:
        name = parse_text(value)
        if not name:
            return None
        if name not in self._suppliers:
            self._suppliers[name] = Supplier.objects.filter(name__iexact=name).first()
        if self._suppliers[name] is None:
            raise ValidationError(_("Unknown supplier “%(name)s”.") % {"name": name})
        return self._suppliers[name]

    def keys(self, data: dict[str, Any]) -> list[Hashable]:
        return [data["sku"].lower()]

    def describe_key(self, key: Hashable) -> str:
        return str(key).upper()

    def apply(self, data: dict[str, Any]) -> str:
        product = Product.objects.filter(sku__iexact=data["sku"]).first()
        created = product is None
        if product is None:
            product = Product(sku=data["sku"])
        before = snapshot(product)
        for name in PLAIN_FIELDS:
            if name in data:
                setattr(product, name, data[name])
        if data.get("status"):
            product.status = data["status"]
        if "supplier" in data:
            product.supplier = data["supplier"]
        if "stock" in data:
            product.stock, product.track_stock = data["stock"], data["stock"] is not None
        if not created and snapshot(product) == before:
            return UNCHANGED
        do_save_product(product, actor=self.actor, action="import_product")
        return CREATED if created else UPDATED

    @classmethod
    def export_columns(cls, user: Any) -> list[Column]:
        hidden = set() if user.has_perm(Perm.VIEW_COST) else {"cost"}
        return [column for column in cls.columns if column.key not in hidden]

    @classmethod
    def export_queryset(cls, queryset: QuerySet[Product]) -> QuerySet[Product]:
        return queryset.select_related("supplier")

    @classmethod
    def export_values(cls, obj: Product) -> dict[str, Any]:
        return {
            "sku": obj.sku, "name": obj.name, "short_code": obj.short_code, "price": obj.price, "cost": obj.cost,
            "status": obj.get_status_display(), "supplier": obj.supplier.name if obj.supplier else "",
            "points": obj.points, "stock": obj.stock if obj.track_stock else None,
            "description": obj.description,
        }
