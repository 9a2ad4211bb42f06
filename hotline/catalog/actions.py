"""Writes on products that are more than a plain save: a changed stock figure is also a stock-ledger row."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hotline.accounts.actions import do_save_object
from hotline.catalog.models import Product


@transaction.atomic
def do_save_product(product: Product, *, actor: Any, action: str = "") -> Product:
    """Save a product (audited). When the stock of a tracked product is typed in (the back office, an
    import), the difference is written to the stock ledger as an adjustment, so that stock on hand stays
    the sum of the ledger. Through the reverse relation: the catalogue never imports logistics."""
    old = Product.objects.filter(pk=product.pk).values_list("stock", "track_stock").first() if product.pk else None
    old_stock = (old[0] or 0) if old is not None and old[1] else 0
    do_save_object(product, actor=actor, action=action)
    new_stock = (product.stock or 0) if product.track_stock else 0
    if new_stock != old_stock:
        product.movements.create(kind="adjusted", quantity=new_stock - old_stock,
                                 note="stock set in the back office or an import",
                                 actor=actor if getattr(actor, "pk", None) else None)
    return product
