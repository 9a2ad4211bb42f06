"""Product look-ups for order entry: only products on sale, found by code, pinyin initials or name."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from hotline.catalog.models import Product, SaleStatus


def orderable_products() -> QuerySet[Product]:
    return Product.objects.filter(status=SaleStatus.ON_SALE)


def search_products(term: str, limit: int = 20, base: QuerySet[Product] | None = None) -> list[Product]:
    """Exact short code first, then code / pinyin prefixes, then name contains.

    Searches the products on sale unless `base` says which products to search (the API and the
    back office also look up paused and withdrawn ones).
    """
    products = orderable_products() if base is None else base
    term = term.strip()
    if not term:
        return list(products[:limit])
    lowered = term.lower()
    # `pinyin` holds space-separated variants; a term matches when any variant starts with it.
    matches = products.filter(
        Q(short_code__iexact=term) | Q(short_code__istartswith=term) | Q(pinyin__startswith=lowered)
        | Q(pinyin__contains=" " + lowered) | Q(name__icontains=term) | Q(sku__iexact=term)
    )
    ranked = sorted(matches[:200], key=lambda p: (
        p.short_code.lower() != lowered, not p.short_code.lower().startswith(lowered),
        not _pinyin_matches(p, lowered), p.short_code))
    return ranked[:limit]


def _pinyin_matches(product: Product, lowered: str) -> bool:
    return any(variant.startswith(lowered) for variant in product.pinyin.split())
