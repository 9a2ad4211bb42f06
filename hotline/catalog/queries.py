"""Product look-ups for order entry: only products on sale, found by code, pinyin initials or name."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from hotline.catalog.models import Product, SaleStatus


def orderable_products() -> QuerySet[Product]:
    return Product.objects.filter(status=SaleStatus.ON_SALE)


def search_products(term: str, limit: int = 20) -> list[Product]:
    """Exact short code first, then code / pinyin prefixes, then name contains."""
    term = term.strip()
    if not term:
        return list(orderable_products()[:limit])
    lowered = term.lower()
    matches = orderable_products().filter(
        Q(short_code__iexact=term) | Q(short_code__istartswith=term) | Q(pinyin__startswith=lowered)
        | Q(name__icontains=term) | Q(sku__iexact=term)
    )
    ranked = sorted(matches[:200], key=lambda p: (
        p.short_code.lower() != lowered, not p.short_code.lower().startswith(lowered),
        not p.pinyin.startswith(lowered), p.short_code))
    return ranked[:limit]
