"""What an order costs: list or cross-sell offer prices, discounts, the gifts each line earns, totals and
points, from the catalogue. The desk's live quote and placing an order (from the desk or the API) both price
here, so a quote is always what the order becomes; prices sent by a client are never trusted.

The requested lines are checked here too, each bad field keyed by its line (`lines.0.quantity`), so the
desk and the API refuse the same lines with the same words.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from hotline.catalog.models import CrossSell, GiftRule, Product
from hotline.crm.models import Customer, PointsReward, PromotionKind
from hotline.crm.points import earned_for_total, points_for, points_value
from hotline.crm.points_promotions import eligible_promotions, promotion_discount
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
    """What an order of these lines would cost, earn and bring as gifts (see `quote_order`). With a customer
    (`quote_for`), promotions and redeemed points are in the lines' discounts, `order_gifts` are the
    promotions' gifts, `promotions` their names, `points_used` the points spent and `points_discount` their value."""

    lines: list[QuoteLine]
    order_gifts: list[QuoteGift] = field(default_factory=list)
    promotions: list[str] = field(default_factory=list)
    points_used: int = 0
    points_discount: Decimal = ZERO
    promotion_discount: Decimal = ZERO
    reward: PointsReward | None = None

    @property
    def gifts(self) -> list[QuoteGift]:
        return [gift for line in self.lines for gift in line.gifts] + self.order_gifts

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
        """The products' catalogue points plus the configured points per yuan paid (crm.points)."""
        return sum(line.product.points * line.quantity for line in self.lines) + earned_for_total(self.total)


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


# ---------------------------------------------------------------- promotions and points (a customer's order)

def _take_off(lines: list[QuoteLine], amount: Decimal) -> list[QuoteLine]:
    """The lines with `amount` more discount, taken from the first lines first (a line never below 0)."""
    taken: list[QuoteLine] = []
    for line in lines:
        share = min(amount, line.amount)
        amount -= share
        taken.append(replace(line, discount=line.discount + share) if share else line)
    return taken


def _with_promotions(quote: Quote, customer: Customer | None, at: datetime.datetime | None) -> Quote:
    """The best price promotion the customer gets on this total, and the gifts of every gift promotion."""
    promotions = [promotion for promotion in eligible_promotions(customer, at) if quote.total >= promotion.min_total]
    gifts = [QuoteGift(product=p.gift, quantity=p.gift_quantity) for p in promotions
             if p.kind == PromotionKind.GIFT and p.gift is not None and p.gift.orderable]
    priced = [(promotion_discount(p, quote.total), p) for p in promotions if p.kind != PromotionKind.GIFT]
    best = max(priced, key=lambda pair: (pair[0], -pair[1].pk), default=None)
    names = [p.name for p in promotions if p.kind == PromotionKind.GIFT and p.gift is not None and p.gift.orderable]
    lines, off = quote.lines, ZERO
    if best is not None and best[0] > 0:
        off = best[0]
        lines = _take_off(lines, off)
        names.insert(0, best[1].name)
    return replace(quote, lines=lines, order_gifts=gifts, promotions=names, promotion_discount=off)


def _check_points(points: object, customer: Customer | None, total: Decimal, check_balance: bool) -> int:
    if points is None or points == 0:
        return 0
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise ValidationError({"redeem_points": _("Enter the points to redeem as a whole number, 0 or more.")})
    if customer is None:
        raise ValidationError({"redeem_points": _("A new customer has no points yet.")})
    if check_balance and points > customer.points:
        raise ValidationError({"redeem_points": _("The customer has only %(points)d points.")
                               % {"points": customer.points}})
    if points_value(points) > total:
        raise ValidationError({"redeem_points": _("At most %(points)d points can be used on this order "
                                                  "(¥%(total)s).") % {"points": points_for(total), "total": total}})
    return points


def quote_for(lines: list[LineInput], *, customer: Customer | None, redeem_points: object = 0,
              reward_id: object = None, at: datetime.datetime | None = None, gifts: bool = True,
              check_balance: bool = True) -> Quote:
    """Price a customer's order: `quote_order`, then the promotions their group gets at `at` (now), then
    `redeem_points` taken off what is left (never below 0, never more than the customer has unless
    `check_balance` is off: re-pricing an order whose points were spent already), and a gift taken for points
    (`reward_id`, a `PointsReward`). `points_used` counts both. Spending the points is the order's action's
    job (`hotline.crm.points.redeem_for_order`)."""
    quote = quote_order(lines, gifts=gifts)
    if gifts:
        quote = _with_promotions(quote, customer, at)
    reward = _check_reward(reward_id, customer, check_balance)
    if reward is not None:
        quote = replace(quote, order_gifts=[*quote.order_gifts, QuoteGift(product=reward.product, quantity=1)],
                        reward=reward, points_used=reward.points)
        if customer is not None:  # what the reward leaves is what may be redeemed
            customer = Customer(pk=customer.pk, points=customer.points - reward.points)
    points = _check_points(redeem_points, customer, quote.total, check_balance)
    if not points:
        return quote
    value = points_value(points)
    return replace(quote, lines=_take_off(quote.lines, value), points_used=quote.points_used + points,
                   points_discount=value)


def _check_reward(reward_id: object, customer: Customer | None, check_balance: bool) -> PointsReward | None:
    if reward_id is None or reward_id == "":
        return None
    # an order re-priced after its gift was taken (and paid for) keeps it even if the gift was withdrawn since
    offered = PointsReward.objects.filter(active=True) if check_balance else PointsReward.objects.all()
    reward = offered.filter(pk=reward_id).select_related("product").first() \
        if isinstance(reward_id, int) and not isinstance(reward_id, bool) else None
    if reward is None or not reward.product.orderable:
        raise ValidationError({"reward_id": _("Choose a gift from the list.")})
    if customer is None:
        raise ValidationError({"reward_id": _("A new customer has no points yet.")})
    if check_balance and reward.points > customer.points:
        raise ValidationError({"reward_id": _("The customer has only %(points)d points.")
                               % {"points": customer.points}})
    return reward


def rewards_for(customer: Customer | None) -> list[PointsReward]:
    """The gifts the customer has enough points for, cheapest first."""
    if customer is None:
        return []
    found = PointsReward.objects.filter(active=True, points__lte=customer.points).select_related("product")
    return [reward for reward in found if reward.product.orderable]
