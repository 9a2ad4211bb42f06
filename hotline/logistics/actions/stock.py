"""The stock ledger: goods received, counted, shipped, returned and written off (see `StockMovement`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm
from hotline.catalog.models import Product
from hotline.logistics.actions.common import require, user_or_none
from hotline.logistics.models import MovementKind, StockMovement
from hotline.orders.models import Order


def stock_on_hand(product_ids: Iterable[int]) -> dict[int, int]:
    """Goods on the shelf per product: the sum of its movements (0 for a product with none)."""
    ids = list(product_ids)
    sums = dict(StockMovement.objects.filter(product_id__in=ids).values("product_id")
                .annotate(total=Sum("quantity")).values_list("product_id", "total"))
    return {pk: int(sums.get(pk) or 0) for pk in ids}


def _check_quantity(quantity: object) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or quantity > 1_000_000:
        raise ValidationError({"quantity": _("Enter a whole number between 1 and 1,000,000.")})
    return quantity


@transaction.atomic
def do_receive_stock(product: Product, quantity: int, *, actor: Any, note: str = "") -> StockMovement:
    """Goods delivered by a supplier: on hand and what the desk may sell both grow."""
    require(actor, Perm.ADJUST_STOCK)
    quantity = _check_quantity(quantity)
    movement = StockMovement.objects.create(product=product, kind=MovementKind.RECEIVED, quantity=quantity,
                                            note=note[:200], actor=user_or_none(actor))
    if product.track_stock:
        Product.objects.filter(pk=product.pk).update(stock=F("stock") + quantity)
    record("receive_stock", product, actor=actor, after={"quantity": quantity, "note": note})
    return movement


@transaction.atomic
def do_count_stock(product: Product, counted: int, *, actor: Any, note: str = "") -> StockMovement | None:
    """A stock count: the difference to the ledger becomes an adjustment (None when they agree)."""
    require(actor, Perm.ADJUST_STOCK)
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise ValidationError({"counted": _("Enter the number of units counted on the shelf.")})
    difference = counted - stock_on_hand([product.pk])[product.pk]
    if difference == 0:
        return None
    movement = StockMovement.objects.create(product=product, kind=MovementKind.ADJUSTED, quantity=difference,
                                            note=note[:200], actor=user_or_none(actor))
    if product.track_stock:
        Product.objects.filter(pk=product.pk).update(stock=F("stock") + difference)
    record("count_stock", product, actor=actor, after={"counted": counted, "difference": difference})
    return movement


def take_shipped_goods(order: Order, *, actor: Any) -> None:
    """The parcel left: its goods leave the shelf. `Product.stock` does not move (the order held them).
    Only products whose stock is tracked have a ledger: an untracked one has no figure to keep."""
    StockMovement.objects.bulk_create([
        StockMovement(product_id=line.product_id, kind=MovementKind.SHIPPED, quantity=-line.quantity, order=order,
                      actor=user_or_none(actor))
        for line in order.lines.filter(product__track_stock=True)
    ])


def put_back(order: Order, product_id: int, quantity: int, *, restock: bool, actor: Any, note: str) -> None:
    """Returned goods come back on the shelf; damaged ones are written off at once (the write-off list).
    Untracked products have no ledger (see `take_shipped_goods`)."""
    if not Product.objects.filter(pk=product_id, track_stock=True).exists():
        return
    StockMovement.objects.create(product_id=product_id, kind=MovementKind.RETURNED, quantity=quantity, order=order,
                                 note=note, actor=user_or_none(actor))
    if restock:
        Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
    else:
        StockMovement.objects.create(product_id=product_id, kind=MovementKind.WRITTEN_OFF, quantity=-quantity,
                                     order=order, note=note, actor=user_or_none(actor))

