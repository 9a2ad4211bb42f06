"""The demo orders follow the same rules as orders placed through the actions."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from hotline.catalog.models import CrossSell, GiftRule
from hotline.demo.orders import HISTORY_AGE
from hotline.media.queries import attribute
from hotline.orders.models import Order, OrderLine, OrderNumberCounter, OrderStatusChange, PaymentMethod, Status
from hotline.orders.transitions import REASON_REQUIRED, TRANSITIONS
from tests.demo.conftest import NOW, SMALL

NUMBER = re.compile(r"^HL(\d{8})-(\d{6})$")


def test_orders_in_every_status(demo):
    statuses = set(Order.objects.values_list("status", flat=True))

    assert statuses == set(Status.values)
    assert Order.objects.filter(replaces__isnull=True, created_at__gt=NOW - HISTORY_AGE).count() == SMALL.orders


def test_totals_are_the_sum_of_the_lines(demo):
    for order in Order.objects.prefetch_related("lines"):
        paid = [line for line in order.lines.all() if not line.is_gift]
        assert sum(line.line_total for line in order.lines.all()) == order.total
        assert sum(line.unit_price * line.quantity for line in paid) == order.subtotal
        assert order.subtotal - order.discount_total == order.total
        for line in order.lines.all():
            assert line.line_total == line.unit_price * line.quantity - line.discount
            assert Decimal(0) <= line.discount <= line.unit_price * line.quantity


def test_prices_and_points_come_from_the_catalogue(demo):
    offers = defaultdict(list)
    for cross in CrossSell.objects.all():
        offers[cross.suggestion_id].append((cross.product_id, cross.offer_price))
    for order in Order.objects.filter(replaces__isnull=True).prefetch_related("lines__product"):
        lines = list(order.lines.all())
        main_ids = {line.product_id for line in lines if not line.is_gift and not line.is_cross_sell}
        for line in lines:
            if line.is_gift:
                assert line.unit_price == 0
            elif line.is_cross_sell:
                assert line.unit_price == min(price for pid, price in offers[line.product_id] if pid in main_ids)
            else:
                assert line.unit_price == line.product.price
        assert order.points == sum(line.product.points * line.quantity for line in lines if not line.is_gift)


def test_gifts_follow_the_gift_rules(demo):
    rules = defaultdict(list)
    for rule in GiftRule.objects.filter(active=True):
        rules[rule.product_id].append(rule)
    for line in OrderLine.objects.filter(is_gift=False, order__replaces__isnull=True):
        expected = {rule.gift_id: rule.gifts_for(line.quantity) for rule in rules[line.product_id]
                    if rule.gifts_for(line.quantity)}
        got = {gift.product_id: gift.quantity for gift in line.gifts.all()}
        assert got == expected
    assert OrderLine.objects.filter(is_gift=True).exists()


def test_order_numbers_are_unique_per_day_and_counters_continue_them(demo):
    zone = ZoneInfo(settings.TIME_ZONE)
    per_day = defaultdict(list)
    for number, created_at in Order.objects.values_list("number", "created_at"):
        match = NUMBER.match(number)
        assert match, number
        assert match.group(1) == created_at.astimezone(zone).strftime("%Y%m%d")
        per_day[created_at.astimezone(zone).date()].append(int(match.group(2)))

    assert Order.objects.values("number").distinct().count() == Order.objects.count()
    for sequence in per_day.values():
        assert sorted(sequence) == list(range(1, len(sequence) + 1))
    assert dict(OrderNumberCounter.objects.values_list("day", "last")) == {d: len(s) for d, s in per_day.items()}


def test_order_numbers_follow_creation_time(demo):
    numbers = list(Order.objects.order_by("created_at", "id").values_list("number", flat=True))

    assert numbers == sorted(numbers)


def test_attribution_matches_the_attribution_query(demo):
    originals = Order.objects.filter(replaces__isnull=True).select_related("hotline_number")
    for order in originals:
        expected = attribute(order.hotline_number, order.created_at)
        assert order.airing_id == (expected.pk if expected else None), order.number
    attributed = originals.filter(airing__isnull=False).count()
    assert attributed > SMALL.orders * 0.6
    assert originals.filter(hotline_number__station__isnull=True, airing__isnull=False).exists()


def test_history_walks_allowed_transitions_to_the_current_status(demo):
    history = defaultdict(list)
    for change in OrderStatusChange.objects.order_by("at", "id"):
        history[change.order_id].append(change)
    for order in Order.objects.all():
        steps = history[order.pk]
        assert (steps[0].from_status, steps[0].to_status) == ("", Status.ORDERED)
        assert steps[0].at == order.created_at
        for before, after in itertools.pairwise(steps):
            assert after.from_status == before.to_status
            assert (after.from_status, after.to_status) in TRANSITIONS
            assert before.at <= after.at <= NOW
            assert after.actor_id is not None
            if after.to_status in REASON_REQUIRED:
                assert after.reason
        assert steps[-1].to_status == order.status


def test_settled_orders_carry_their_settlement(demo):
    for order in Order.objects.filter(history__to_status=Status.SETTLED):
        assert order.settled_amount == order.total
        assert order.settled_at == order.history.get(to_status=Status.SETTLED).at
    assert not Order.objects.exclude(history__to_status=Status.SETTLED).filter(settled_at__isnull=False).exists()


def test_every_exchange_has_one_free_linked_replacement(demo):
    exchanged = Order.objects.filter(status=Status.EXCHANGED)
    assert exchanged.exists()
    for original in exchanged:
        replacement = original.replacements.get()
        exchange = original.history.get(to_status=Status.EXCHANGED)
        assert replacement.customer_id == original.customer_id
        assert replacement.airing_id == original.airing_id
        assert (replacement.total, replacement.points) == (Decimal("0.00"), 0)
        assert replacement.payment_method == PaymentMethod.TRANSFER
        assert replacement.created_at == exchange.at
        assert replacement.address_text == original.address_text
        assert original.number in replacement.notes
        assert not replacement.lines.filter(is_gift=True).exists()  # the original's gifts were given already
        assert _paid_lines(replacement) == _paid_lines(original)


def _paid_lines(order: Order) -> Counter[tuple[object, ...]]:
    return Counter(order.lines.filter(is_gift=False).values_list("product_id", "quantity", "unit_price",
                                                                 "is_cross_sell"))


def test_new_customers_were_brought_by_their_first_order_and_earned_its_points(demo):
    from hotline.crm.models import Customer

    earning = {Status.DELIVERED, Status.SETTLED, Status.EXCHANGED}
    brought = Customer.objects.filter(first_airing__isnull=False)
    assert brought.exists()
    for customer in brought:
        orders = list(customer.orders.order_by("created_at", "id"))
        assert orders[0].airing_id == customer.first_airing_id
        assert customer.created_at < orders[0].created_at
        assert customer.points == sum(order.points for order in orders if order.status in earning)
