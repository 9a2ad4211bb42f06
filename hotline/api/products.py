"""Products: search by short code, pinyin initials or name, and read one. Costs only for those who may see them."""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from hotline.accounts.permissions import Perm
from hotline.api.auth import needs
from hotline.api.errors import responses
from hotline.api.pagination import MAX_LIMIT, Page
from hotline.api.schemas import PathId, ProductFilter, ProductOut
from hotline.catalog.models import Product
from hotline.catalog.queries import search_products

router = Router(tags=["products"])


def _products() -> QuerySet[Product]:
    return Product.objects.select_related("supplier").prefetch_related(
        "gift_rules__gift", "cross_sells__suggestion")


def product_or_404(product_id: int) -> Product:
    """The product with its gifts and cross-sells, or a translated 404."""
    product = _products().filter(pk=product_id).first()
    if product is None:
        raise Http404(_("Product #%(id)s does not exist.") % {"id": product_id})
    return product


def filter_products(filters: ProductFilter) -> QuerySet[Product] | list[Product]:
    """Products in the given status (all by default); with `q`, the best matches first."""
    products = _products()
    if filters.status:
        products = products.filter(status=filters.status)
    if filters.q.strip():
        # ranked in Python by search_products, so a search is one page of at most MAX_LIMIT matches
        return search_products(filters.q, limit=MAX_LIMIT, base=products)
    return products.order_by("short_code")


@router.get("", response={200: list[ProductOut], **responses(422)}, auth=needs(Perm.VIEW_PRODUCT))
@paginate(Page)
def list_products(request: HttpRequest, filters: Query[ProductFilter]) -> QuerySet[Product] | list[Product]:
    """Products with their gifts and cross-sells. `q` finds by short code (`101`), pinyin initials
    (`jzamy`), name or SKU. Needs `catalog.view_product`; `cost` needs `catalog.view_cost`."""
    return filter_products(filters)


@router.get("/{product_id}", response={200: ProductOut, **responses(404, 422)}, auth=needs(Perm.VIEW_PRODUCT))
def get_product(request: HttpRequest, product_id: PathId) -> Product:
    """One product. Needs `catalog.view_product`; `cost` needs `catalog.view_cost`."""
    return product_or_404(product_id)
