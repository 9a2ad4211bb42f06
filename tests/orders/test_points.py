"""Points at order entry and through the order's life: earned on delivery (catalogue points plus the
configured points per yuan), redeemed as a price reduction (never below 0, never more than the customer
has), refunded on cancel and return, taken back on return, lapsing after the expiry period; promotions by
period and target group. Every movement is in the ledger and the balance follows it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hotline.crm.models import Customer, PointsEntry, Promotion
from hotline.crm.points import credit, expire_points
from hotline.crm.points_promotions import eligible_promotions
from hotline.orders.actions import LineInput, do_transition_order, do_update_order
from hotline.orders.models import Order, OrderLine
from hotline.orders.pricing import quote_for
from tests.orders.helpers import order_input, place, state, walk_to


def balance(customer: Customer) -> int:
    return Customer.objects.values_list("points", flat=True).get(pk=customer.pk)


def ledger(customer: Customer) -> list[tuple[str, int, int, int]]:
    return list(PointsEntry.objects.filter(customer=customer).order_by("id")
                .values_list("kind", "points", "remaining", "balance"))


def give(customer: Customer, points: int) -> None:
    credit(customer.pk, "earn", points, note="test")


def test_delivery_earns_catalogue_points_plus_points_per_yuan(world: Any, users: dict[str, Any],
                                                              settings: Any) -> None:
    # Given 1 point per yuan on top of the catalogue's 10 per product: 2 × ¥398 = ¥796 → 20 + 796
    settings.HOTLINE_POINTS_EARN_PER_YUAN = 1
    order = place(world, users["agent"])
    assert (order.total, order.points, balance(world.customer)) == (Decimal("796.00"), 816, 0)
    # When it is delivered, the points are credited as one lot
    walk_to(order, "delivered", users["admin"])
    assert ledger(world.customer) == [("earn", 816, 816, 816)]
    assert balance(world.customer) == 816


def test_redeeming_reduces_the_price_and_spends_the_points(world: Any, users: dict[str, Any]) -> None:
    # Given 5,000 points (100 points = ¥1)
    give(world.customer, 5000)
    # When 2 × ¥398 are ordered with 3,050 points
    order = place(world, users["agent"], redeem_points=3050)
    # Then ¥30.50 comes off the first line, and the points are spent from the oldest lot
    assert (order.subtotal, order.discount_total, order.total) == (
        Decimal("796.00"), Decimal("30.50"), Decimal("765.50"))
    assert list(order.lines.filter(is_gift=False).values_list("discount", "line_total")) == [
        (Decimal("30.50"), Decimal("765.50"))]
    assert ledger(world.customer) == [("earn", 5000, 1950, 5000), ("redeem", -3050, 0, 1950)]
    assert balance(world.customer) == 1950


def test_points_never_take_the_price_below_zero(world: Any, users: dict[str, Any]) -> None:
    give(world.customer, 100_000)
    before = state()
    with pytest.raises(ValidationError) as refused:
        place(world, users["agent"], redeem_points=79_601)
    assert refused.value.message_dict == {
        "redeem_points": ["At most 79600 points can be used on this order (¥796.00)."]}
    assert state() == before
    # The whole price may be paid with points
    assert place(world, users["agent"], redeem_points=79_600).total == Decimal("0.00")
    assert balance(world.customer) == 100_000 - 79_600


@pytest.mark.parametrize(("points", "message"), [
    (1201, "The customer has only 1200 points."),
    (-5, "Enter the points to redeem as a whole number, 0 or more."),
    ("100", "Enter the points to redeem as a whole number, 0 or more."),
    (True, "Enter the points to redeem as a whole number, 0 or more."),
])
def test_bad_redemptions_are_refused_and_change_nothing(world: Any, users: dict[str, Any], points: Any,
                                                        message: str) -> None:
    give(world.customer, 1200)
    before = state()
    with pytest.raises(ValidationError) as refused:
        place(world, users["agent"], redeem_points=points)
    assert refused.value.message_dict == {"redeem_points": [message]}
    assert (state(), ledger(world.customer)) == (before, [("earn", 1200, 1200, 1200)])


def test_a_new_caller_has_no_points(world: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        quote_for([LineInput(world.product.pk, 1)], customer=None, redeem_points=100)
    assert refused.value.message_dict == {"redeem_points": ["A new customer has no points yet."]}


def test_cancelling_refunds_the_redeemed_points(world: Any, users: dict[str, Any]) -> None:
    give(world.customer, 2000)
    order = place(world, users["agent"], redeem_points=1500)
    do_transition_order(order, "cancelled", actor=users["agent"], reason="客户改主意")
    assert ledger(world.customer) == [("earn", 2000, 500, 2000), ("redeem", -1500, 0, 500),
                                      ("refund", 1500, 1500, 2000)]
    # Cancelled twice is impossible; the refund happened once
    assert balance(world.customer) == 2000


def test_a_refused_parcel_returned_refunds_the_points_and_earns_none(world: Any, users: dict[str, Any]) -> None:
    give(world.customer, 1000)
    order = walk_to(place(world, users["agent"], redeem_points=1000), "refused", users["admin"])
    assert balance(world.customer) == 0
    do_transition_order(order, "returned", actor=users["admin"], reason="拒收退回")
    assert [row[:2] for row in ledger(world.customer)] == [("earn", 1000), ("redeem", -1000), ("refund", 1000)]
    assert balance(world.customer) == 1000


def test_a_return_takes_back_what_was_earned_and_refunds_what_was_spent(world: Any, users: dict[str, Any]) -> None:
    give(world.customer, 500)
    order = walk_to(place(world, users["agent"], redeem_points=500), "delivered", users["admin"])
    assert balance(world.customer) == 20  # the order's 20 catalogue points
    do_transition_order(order, "returned", actor=users["admin"], reason="退货")
    assert [row[:2] for row in ledger(world.customer)] == [
        ("earn", 500), ("redeem", -500), ("earn", 20), ("takeback", -20), ("refund", 500)]
    assert balance(world.customer) == 500


def test_editing_an_order_keeps_its_redemption_without_spending_again(world: Any, users: dict[str, Any]) -> None:
    give(world.customer, 1000)
    order = place(world, users["agent"], redeem_points=1000)
    do_update_order(order, order_input(world, LineInput(world.product.pk, 1)), actor=users["agent"])
    order.refresh_from_db()
    assert (order.total, balance(world.customer)) == (Decimal("388.00"), 0)


def test_points_lapse_after_the_expiry_period_oldest_first(world: Any, settings: Any) -> None:
    # Given 12 months' expiry, a lot of 300 from 13 months ago (100 of it spent) and one of 50 from last month
    settings.HOTLINE_POINTS_EXPIRY_MONTHS = 12
    now = timezone.now()
    give(world.customer, 300)
    give(world.customer, 50)
    old, recent = PointsEntry.objects.order_by("id")
    PointsEntry.objects.filter(pk=old.pk).update(at=now - datetime.timedelta(days=400))
    PointsEntry.objects.filter(pk=recent.pk).update(at=now - datetime.timedelta(days=30))
    from hotline.crm.points import debit
    debit(world.customer.pk, "redeem", 100)
    # When the worker runs the expiry (twice: the second run finds nothing)
    assert (expire_points(now), expire_points(now)) == (1, 0)
    # Then the 200 left of the old lot lapse and the recent lot stays whole
    assert [row for row in ledger(world.customer)] == [
        ("earn", 300, 0, 300), ("earn", 50, 50, 350), ("redeem", -100, 0, 250), ("expire", -200, 0, 50)]
    assert balance(world.customer) == 50


def test_points_never_lapse_with_no_expiry(world: Any, settings: Any) -> None:
    settings.HOTLINE_POINTS_EXPIRY_MONTHS = 0
    give(world.customer, 300)
    PointsEntry.objects.update(at=timezone.now() - datetime.timedelta(days=4000))
    assert (expire_points(), balance(world.customer)) == (0, 300)


# ---------------------------------------------------------------- promotions

def _promotion(**fields: Any) -> Promotion:
    now = timezone.now()
    fields.setdefault("starts_at", now - datetime.timedelta(days=1))
    fields.setdefault("ends_at", now + datetime.timedelta(days=1))
    return Promotion.objects.create(**fields)


def test_promotions_by_period_level_and_region(world: Any) -> None:
    now = timezone.now()
    everyone = _promotion(name="全场九折", kind="percent", percent=10)
    vip = _promotion(name="VIP减50", kind="amount", amount=Decimal("50"), level="vip")
    canton = _promotion(name="广东送靠枕", kind="gift", gift=world.gift, province="广东省")
    _promotion(name="北京专享", kind="amount", amount=Decimal("80"), province="北京")
    _promotion(name="已结束", kind="amount", amount=Decimal("99"), ends_at=now - datetime.timedelta(minutes=1))
    _promotion(name="未开始", kind="amount", amount=Decimal("99"), starts_at=now + datetime.timedelta(minutes=1))
    _promotion(name="已停用", kind="amount", amount=Decimal("99"), active=False)
    # The world's customer is a regular customer with a default address in 广东
    assert eligible_promotions(world.customer) == [everyone, canton]
    Customer.objects.filter(pk=world.customer.pk).update(level="vip")
    assert eligible_promotions(Customer.objects.get(pk=world.customer.pk)) == [everyone, vip, canton]
    assert eligible_promotions(None) == [everyone]


def test_the_best_price_promotion_and_every_gift_apply_at_order_entry(world: Any, users: dict[str, Any]) -> None:
    _promotion(name="全场九折", kind="percent", percent=10)
    _promotion(name="满500减50", kind="amount", amount=Decimal("50"), min_total=Decimal("500"))
    _promotion(name="满1000减200", kind="amount", amount=Decimal("200"), min_total=Decimal("1000"))
    _promotion(name="广东送护膝", kind="gift", gift=world.extra, gift_quantity=2, province="广东")
    give(world.customer, 1000)
    order = place(world, users["agent"], redeem_points=1000)
    # 2 × ¥398 = ¥796: 10 % (¥79.60) beats ¥50, ¥200 needs ¥1000; then ¥10 of points
    assert (order.discount_total, order.total) == (Decimal("89.60"), Decimal("706.40"))
    assert sorted(OrderLine.objects.filter(order=order, is_gift=True).values_list("product__name", "quantity",
                                                                                   "line_total")) == [
        ("护膝", 2, Decimal("0.00")), ("按摩靠枕", 1, Decimal("0.00"))]
    quote = quote_for([LineInput(world.product.pk, 2)], customer=world.customer)
    assert (quote.promotions, quote.promotion_discount, quote.total) == (
        ["全场九折", "广东送护膝"], Decimal("79.60"), Decimal("716.40"))


def test_a_promotion_is_checked_when_saved(users: dict[str, Any]) -> None:
    from hotline.crm.points_promotions import do_save_promotion

    now = timezone.now()
    bad = Promotion(name="坏", kind="gift", starts_at=now, ends_at=now - datetime.timedelta(hours=1))
    with pytest.raises(ValidationError) as refused:
        do_save_promotion(bad, actor=users["supervisor"])
    assert refused.value.message_dict == {"ends_at": ["The end must be after the start."],
                                          "gift": ["Choose the gift."]}
    assert Order.objects.count() + Promotion.objects.count() == 0


# ---------------------------------------------------------------- gifts for points

def test_a_gift_taken_for_points_and_points_off_the_price(world: Any, users: dict[str, Any]) -> None:
    from hotline.crm.models import PointsReward

    give(world.customer, 3000)
    reward = PointsReward.objects.create(product=world.extra, points=2000)
    # When the customer takes 护膝 for 2,000 points and 1,000 points off
    order = place(world, users["agent"], reward_id=reward.pk, redeem_points=1000)
    # Then the gift is a free line, ¥10 comes off, and both are in the ledger
    assert order.total == Decimal("786.00")
    assert list(order.lines.filter(is_gift=True, gift_of__isnull=True).values_list("product__name", "line_total")) \
        == [("护膝", Decimal("0.00"))]
    assert list(PointsEntry.objects.filter(kind="redeem").order_by("id").values_list("points", "reward", "note")) == [
        (-2000, reward.pk, f"{order.number} · 护膝"), (-1000, None, order.number)]
    assert balance(world.customer) == 0
    # Changing the order keeps the gift and spends nothing again; cancelling gives everything back
    do_update_order(order, order_input(world, LineInput(world.product.pk, 1)), actor=users["agent"])
    order.refresh_from_db()
    assert (order.total, balance(world.customer)) == (Decimal("388.00"), 0)
    assert order.lines.filter(product=world.extra, is_gift=True).count() == 1
    do_transition_order(order, "cancelled", actor=users["agent"], reason="不要了")
    assert balance(world.customer) == 3000


@pytest.mark.parametrize(("reward", "points", "field", "message"), [
    ("unknown", 0, "reward_id", "Choose a gift from the list."),
    ("inactive", 0, "reward_id", "Choose a gift from the list."),
    ("dear", 0, "reward_id", "The customer has only 3000 points."),
    ("cheap", 1001, "redeem_points", "The customer has only 1000 points."),
])
def test_bad_gifts_for_points_are_refused(world: Any, users: dict[str, Any], reward: str, points: int, field: str,
                                          message: str) -> None:
    from hotline.crm.models import PointsReward

    give(world.customer, 3000)
    rewards = {"inactive": PointsReward.objects.create(product=world.extra, points=10, active=False).pk,
               "dear": PointsReward.objects.create(product=world.extra, points=3001).pk,
               "cheap": PointsReward.objects.create(product=world.extra, points=2000).pk, "unknown": 999_999}
    before = state()
    with pytest.raises(ValidationError) as refused:
        place(world, users["agent"], reward_id=rewards[reward], redeem_points=points)
    assert refused.value.message_dict == {field: [message]}
    assert (state(), balance(world.customer)) == (before, 3000)
