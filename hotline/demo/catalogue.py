"""Demo suppliers, products, gift rules and cross-sells, written from the tables in `data.py`.

Products carry their shipping facts (weight, packed volume, warehouse location, low-stock level) from
`data.PRODUCT_SHIPPING`, which the demo's shipments and pick lists use."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hotline.catalog.models import CrossSell, GiftRule, Product, SaleStatus, Supplier, pinyin_initials
from hotline.demo import data


@dataclass(frozen=True)
class ProductInfo:
    """What order generation needs to know about a product, without touching the database."""

    id: int
    code: str
    name: str
    price: Decimal
    points: int
    orderable: bool
    weight_kg: Decimal = Decimal("0.5")
    volume_cm3: int = 0
    stock: int | None = None  # None: stock not tracked


@dataclass(frozen=True)
class Gift:
    """A gift rule seen from the product that earns it (mirrors `GiftRule.gifts_for`)."""

    gift_id: int
    buy: int
    get: int
    repeat: bool

    def count_for(self, quantity: int) -> int:
        if quantity < self.buy:
            return 0
        return (quantity // self.buy if self.repeat else 1) * self.get


@dataclass
class Catalogue:
    """The products by short code, with the gifts each earns and the cross-sells each suggests."""

    products: dict[str, ProductInfo] = field(default_factory=dict)
    gifts: dict[int, list[Gift]] = field(default_factory=dict)
    cross_sells: dict[int, list[tuple[int, Decimal]]] = field(default_factory=dict)
    _by_id: dict[int, ProductInfo] = field(default_factory=dict, repr=False)

    def add(self, product: ProductInfo) -> None:
        self.products[product.code] = product
        self._by_id[product.id] = product

    def by_id(self, product_id: int) -> ProductInfo:
        return self._by_id[product_id]

    def sellable(self) -> list[ProductInfo]:
        """Products an agent sells on their own: on sale and not a give-away item."""
        return [p for p in self.products.values() if p.orderable and p.code not in data.GIFT_ITEMS]

    def offer_price(self, suggestion_id: int, main_ids: set[int]) -> Decimal | None:
        """The lowest offer price of the suggestion among the order's main products (as order entry does)."""
        offers = [price for product_id in main_ids - {suggestion_id}
                  for sid, price in self.cross_sells.get(product_id, []) if sid == suggestion_id]
        return min(offers) if offers else None


def create_catalogue() -> Catalogue:
    """Write suppliers, products, gift rules and cross-sells; return what order generation needs."""
    suppliers = Supplier.objects.bulk_create(
        [Supplier(name=name, contact_name=contact, phone=phone, email=email, address=address)
         for name, contact, phone, email, address in data.SUPPLIERS])
    products = [_product(row, suppliers) for row in data.PRODUCTS]
    _place(products)
    Product.objects.bulk_create(products)
    catalogue = Catalogue()
    for product in products:
        catalogue.add(ProductInfo(product.pk, product.short_code, product.name, product.price, product.points,
                                  product.orderable, product.weight_kg, product.volume_cm3, product.stock))
    _create_gift_rules(catalogue)
    _create_cross_sells(catalogue)
    return catalogue


def _product(row: tuple[str, str, str, str, str, int, int, str, int | None],
             suppliers: list[Supplier]) -> Product:
    code, sku, name, price, cost, supplier, points, status, stock = row
    # bulk_create skips Product.save, which is where the pinyin initials are normally computed.
    return Product(short_code=code, sku=sku, name=name, pinyin=pinyin_initials(name), price=data.money(price),
                   cost=data.money(cost), supplier=suppliers[supplier], points=points,
                   status=SaleStatus(status), track_stock=stock is not None, stock=stock,
                   description=f"{name}，电视购物热销款，货到付款，七天无理由退货。")


def _place(products: list[Product]) -> None:
    """Weight, volume, low-stock level and a shelf: shelves are counted per area in table order."""
    shelves: dict[str, int] = {}
    for product in products:
        weight, volume, area, low_stock = data.PRODUCT_SHIPPING[product.short_code]
        shelves[area] = shelves.get(area, 0) + 1
        product.weight_kg, product.volume_cm3, product.low_stock = Decimal(weight), volume, low_stock
        level = 1 if product.weight_kg >= data.HEAVY_KG else 2 + shelves[area] % 2
        product.location = f"{area}-{shelves[area]:02d}-{level}"


def _create_gift_rules(catalogue: Catalogue) -> None:
    rules = []
    for code, gift_code, buy, get, repeat in data.GIFT_RULES:
        product, gift = catalogue.products[code], catalogue.products[gift_code]
        rules.append(GiftRule(product_id=product.id, gift_id=gift.id, buy_quantity=buy, gift_quantity=get,
                              repeat=repeat))
        if gift.orderable:  # order entry leaves out gifts that can no longer be ordered
            catalogue.gifts.setdefault(product.id, []).append(Gift(gift.id, buy, get, repeat))
    GiftRule.objects.bulk_create(rules)


def _create_cross_sells(catalogue: Catalogue) -> None:
    rows = []
    for position, (code, suggestion_code, offer) in enumerate(data.CROSS_SELLS):
        product, suggestion = catalogue.products[code], catalogue.products[suggestion_code]
        rows.append(CrossSell(product_id=product.id, suggestion_id=suggestion.id, offer_price=data.money(offer),
                              position=position))
        if suggestion.orderable:
            catalogue.cross_sells.setdefault(product.id, []).append((suggestion.id, data.money(offer)))
    CrossSell.objects.bulk_create(rows)
