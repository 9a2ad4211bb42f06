"""What an order costs: list or cross-sell offer prices, discounts, the gifts each line earns, totals and
points, from the catalogue. The desk's live quote and placing an order (from the desk or the API) both price
here, so a quote is always what the order becomes; prices sent by a client are never trusted.

The requested lines are checked here too, each bad field keyed by its line (`lines.0.quantity`), so the
desk and the API refuse the same lines with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from hotline.catalog.models import CrossSell, GiftRule, Product
from hotline.lib.money import ZERO, yuan

MAX_LINES = 50
MAX_QUANTITY = 999


@dataclass
class LineInput:
    """One requested line: product, quantity, optional discount in yuan, whether it is a cross-sell.

    The fields hold what the client sent (the desk passes its JSON values through): `quote_order` checks them.
    """

    product_id: int
    quantity: int
    discount: Decimal = ZERO
    cross_sell: bool = False


@dataclass(frozen=True)
class QuoteGift:
    """A gift a quoted line earns, free."""

    product: Product
    quantity: int


@dataclass(frozen=True)
class QuoteLine:
    """A priced line: `gross` is unit price × quantity, `amount` what is charged after the discount."""

    product: Product
    quantity: int
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    cross_sell: bool
    gifts: list[QuoteGift]

    @property
    def amount(self) -> Decimal:
        return self.gross - self.discount


@dataclass(frozen=True)
class Quote:
    """What an order of these lines would cost, earn and bring as gifts (see `quote_order`)."""

    lines: list[QuoteLine]

    @property
    def gifts(self) -> list[QuoteGift]:
        return [gift for line in self.lines for gift in line.gifts]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.gross for line in self.lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_total

    @property
    def points(self) -> int:
        return sum(line.product.points * line.quantity for line in self.lines)


# ---------------------------------------------------------------- checking the requested lines

def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _line_errors(line: LineInput, number: int) -> dict[str, str]:
    """What is wrong with one requested line's own fields, by field; empty when it can be priced."""
    if not _is_int(line.product_id):
        return {"product_id": _("Line %(number)d: choose a product.") % {"number": number}}
    errors = {}
    if not isinstance(line.cross_sell, bool):
        errors["cross_sell"] = _("Line %(number)d: “cross-sell” must be true or false.") % {"number": number}
    quantity: Any = line.quantity
    if not _is_int(quantity):
        errors["quantity"] = _("Line %(number)d: the quantity must be a whole number.") % {"number": number}
    elif quantity < 1:
        errors["quantity"] = _("Line %(number)d: the quantity must be greater than 0.") % {"number": number}
    elif quantity > MAX_QUANTITY:
        errors["quantity"] = (_("Line %(number)d: the quantity must be at most %(max)d.")
                              % {"number": number, "max": MAX_QUANTITY})
    if line.discount < 0:
        errors["discount"] = _("A discount cannot be negative.")
    return errors


def _product_errors(lines: list[LineInput], products: dict[int, Product]) -> list[str]:
    """The requested products that do not exist or cannot be ordered now."""
    errors: list[str] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            errors.append(_("Product #%(id)s does not exist.") % {"id": line.product_id})
        elif not product.orderable:
            errors.append(_("%(product)s is %(status)s and cannot be ordered.")
                          % {"product": product.name, "status": product.get_status_display()})
    return errors


def validate_lines(lines: list[LineInput]) -> dict[int, Product]:
    """Products by id for the requested lines. Refuses, all at once, an empty or too long order, each bad
    field of a line (`lines.<index>.<field>`, its message naming the line), and the products that cannot be
    ordered (`lines`)."""
    if not lines:
        raise ValidationError({"lines": _("An order needs at least one product.")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("An order has at most %(max)d lines.") % {"max": MAX_LINES}})
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        for name, message in _line_errors(line, index + 1).items():
            errors[f"lines.{index}.{name}"] = [message]
    known = [line for line in lines if _is_int(line.product_id)]
    active_rules = GiftRule.objects.filter(active=True).select_related("gift")
    products = (Product.objects.prefetch_related(Prefetch("gift_rules", queryset=active_rules))
                .in_bulk([line.product_id for line in known]))
    unorderable = _product_errors(known, products)
    if unorderable:
        errors["lines"] = unorderable
    if errors:
        raise ValidationError(errors)
    return products


# ---------------------------------------------------------------- pricing

def _unit_price(line: LineInput, product: Product, offers: dict[tuple[int, int], Decimal],
                ordered_ids: set[int]) -> Decimal:
    """List price, or the cross-sell offer price when suggested by another product on the order
    (the lowest offer when several ordered products suggest it)."""
    if not line.cross_sell:
        return product.price
    prices = [price for (main_id, suggestion_id), price in offers.items()
              if suggestion_id == product.pk and main_id in ordered_ids - {product.pk}]
    if not prices:
        raise ValidationError({"lines": _("%(product)s is not a cross-sell of any product on this order.")
                               % {"product": product.name}})
    return min(prices)


def _offers(lines: list[LineInput], ordered_ids: set[int]) -> dict[tuple[int, int], Decimal]:
    """Offer prices by (main product, suggestion) for the cross-sell lines, in one query."""
    suggested = {line.product_id for line in lines if line.cross_sell}
    if not suggested:
        return {}
    rows = CrossSell.objects.filter(suggestion_id__in=suggested, product_id__in=ordered_ids)
    return {(main_id, suggestion_id): price
            for main_id, suggestion_id, price in rows.values_list("product_id", "suggestion_id", "offer_price")}


def _gifts_for(product: Product, quantity: int) -> list[QuoteGift]:
    """The gifts a line earns under its product's active rules; gifts no longer on sale are skipped."""
    earned = []
    for rule in product.gift_rules.all():  # prefetched: active rules only, with their gift
        count = rule.gifts_for(quantity)
        if count and rule.gift.orderable:
            earned.append(QuoteGift(product=rule.gift, quantity=count))
    return earned


def quote_order(lines: list[LineInput], *, gifts: bool = True) -> Quote:
    """Price the requested lines exactly as placing the order does (list or cross-sell offer price,
    discounts, the gifts each line earns, totals and points) without writing anything or taking
    stock. Refuses what order creation refuses (see `validate_lines`)."""
    products = validate_lines(lines)
    main_ids = {line.product_id for line in lines if not line.cross_sell}
    offers = _offers(lines, main_ids)
    quoted: list[QuoteLine] = []
    for requested in lines:
        product = products[requested.product_id]
        price = _unit_price(requested, product, offers, main_ids)
        gross = yuan(price * requested.quantity)
        discount = yuan(requested.discount)
        if discount > gross:
            raise ValidationError({"lines": _("The discount on %(product)s exceeds its price.")
                                   % {"product": product.name}})
        quoted.append(QuoteLine(product=product, quantity=requested.quantity, unit_price=price, gross=gross,
                                discount=discount, cross_sell=requested.cross_sell,
                                gifts=_gifts_for(product, requested.quantity) if gifts else []))
    return Quote(quoted)
