"""The COD refusal risk: the logistic score and its reasons, the AUC that measures it, and the features
read from the database in two queries for a batch of orders."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from hotline.logistics.risk import (
    HIGH,
    LOW,
    MEDIUM,
    Risk,
    RiskFeatures,
    RiskModel,
    auc,
    auc_for_orders,
    city_refusal_rate,
    city_refusal_rates,
    logit,
    refusal_risk,
    risk_for_new_order,
    risk_for_orders,
    shrunk_rate,
)
from tests import factories
from tests.logistics.selection_world import finish, make_courier, make_order

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def features(refusals: int = 0, deliveries: int = 0, previous: int = 1, city: float | None = 0.18,
             amount: str = "398", hour: int = 12, cod: bool = True) -> RiskFeatures:
    return RiskFeatures(past_refusals=refusals, past_deliveries=deliveries, previous_orders=previous,
                        city_refusal_rate=city, amount=D(amount), hour=hour, cod=cod)


# ---------------------------------------------------------------- the score

def test_a_customer_who_refused_before_calling_late_for_a_big_amount_is_high_risk() -> None:
    risk = refusal_risk(features(refusals=2, deliveries=1, previous=3, city=0.28, amount="1280", hour=23))
    # logit(0.28) + 2 × 0.9 − 0.35 + 0.5 × log2(1280 / 800) + 0.6 = 1.4527 → 81 %
    z = logit(0.28) + 1.8 - 0.35 + 0.5 * math.log2(1.6) + 0.6
    assert round(100 / (1 + math.exp(-z))) == 81
    assert risk == Risk(score=81, level=HIGH, reasons=(
        "the customer refused 2 times before", "late-night call", "city refusal rate 28 %", "amount ¥1,280 is high"))


def test_a_new_customer_starts_at_the_base_rate_plus_the_new_customer_weight() -> None:
    # logit(0.18) + 0.5 → 26.6 %
    assert refusal_risk(features(previous=0, city=None)) == Risk(score=27, level=LOW, reasons=("new customer",))


def test_a_loyal_customer_in_a_good_city_is_low_risk_with_no_reasons() -> None:
    assert refusal_risk(features(deliveries=5, previous=5, city=0.10)) == Risk(score=2, level=LOW, reasons=())


def test_past_refusals_count_up_to_the_cap_but_are_named_in_full() -> None:
    # logit(0.18) + 3 × 0.9 → 77 %
    assert refusal_risk(features(refusals=5, previous=5, amount="100")) == Risk(
        score=77, level=HIGH, reasons=("the customer refused 5 times before",))


def test_deliveries_offset_a_refusal() -> None:
    # logit(0.24) + 0.9 − 4 × 0.35 → 16 %; 24 % is under the city's reason threshold
    assert refusal_risk(features(refusals=1, deliveries=4, previous=5, city=0.24)) == Risk(
        score=16, level=LOW, reasons=("the customer refused 1 time before",))


def test_night_is_from_22_to_6() -> None:
    scores = {hour: refusal_risk(features(hour=hour)).reasons for hour in (5, 6, 21, 22)}
    assert scores == {5: ("late-night call",), 6: (), 21: (), 22: ("late-night call",)}


def test_a_big_amount_counts_per_doubling_above_800() -> None:
    # new, at 3 a.m., ¥1,600 (one doubling) in a 20 % city: logit(0.2) + 0.5 + 0.5 + 0.6 → 55 %
    assert refusal_risk(features(previous=0, city=0.2, amount="1600", hour=3)) == Risk(
        score=55, level=HIGH, reasons=("late-night call", "new customer", "amount ¥1,600 is high"))
    assert refusal_risk(features(amount="800")).reasons == ()


@pytest.mark.parametrize(("rate", "score", "level"), [
    (0.29, 29, LOW), (0.30, 30, MEDIUM), (0.49, 49, MEDIUM), (0.50, 50, HIGH)])
def test_levels_start_at_30_and_50_points(rate: float, score: int, level: str) -> None:
    risk = refusal_risk(features(city=rate))
    assert (risk.score, risk.level) == (score, level)


def test_thresholds_and_weights_are_configurable() -> None:
    model = RiskModel(high_from=25, new_customer_weight=0.0)
    assert refusal_risk(features(previous=0, city=0.25), model) == Risk(
        score=25, level=HIGH, reasons=("city refusal rate 25 %",))


def test_prepaid_orders_have_no_refusal_risk() -> None:
    assert refusal_risk(features(refusals=3, cod=False)) == Risk(score=0, level=LOW, reasons=("prepaid",))


def test_reasons_read_in_chinese() -> None:
    with translation.override("zh-hans"):
        risk = refusal_risk(features(refusals=2, previous=2, city=0.28, amount="1280", hour=23))
        assert risk.reasons == ("该客户曾拒收 2 次", "深夜来电", "本市拒收率 28 %", "金额 ¥1,280 偏高")
        assert risk.level_label == "高"
        assert refusal_risk(features(previous=0)).reasons == ("新客户",)


# ---------------------------------------------------------------- AUC

def test_auc_is_the_share_of_refused_delivered_pairs_ranked_right() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0


def test_auc_counts_ties_half() -> None:
    assert auc([1, 1, 1, 1], [False, True, False, True]) == 0.5
    assert auc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]) == 0.875
    assert auc([3, 3, 1, 3, 2], [1, 0, 0, 1, 1]) == pytest.approx(4 / 6)


def test_auc_needs_both_classes_and_equal_lengths() -> None:
    with pytest.raises(ValueError, match="both"):
        auc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="length"):
        auc([0.1, 0.2], [1])


def test_shrunk_rate() -> None:
    assert shrunk_rate(3, 10, 0.18, 50) == pytest.approx(12 / 60)
    assert shrunk_rate(0, 0, 0.2, 0) == 0.2


# ---------------------------------------------------------------- from the database

@pytest.mark.django_db
def test_risk_for_orders_reads_history_and_city_rates_once(django_assert_num_queries: Any) -> None:
    """A customer delivered once and refused once before; a later refusal and the order's own outcome do
    not count in its history (only in the city's rate). 深圳 refused 11 of 21 parcels lately, 广州 none of 40."""
    now = datetime.datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI)
    courier = make_courier("SF")
    regular, newcomer, other = (factories.make_customer("老客户"), factories.make_customer("新客户", "13900139000"),
                                factories.make_customer("路人", "13700137000"))
    first = make_order(regular, status="delivered", at=now - datetime.timedelta(days=40))
    second = make_order(regular, status="refused", at=now - datetime.timedelta(days=20))
    finish(first, courier, "delivered", at=now - datetime.timedelta(days=38))
    finish(second, courier, "refused", at=now - datetime.timedelta(days=18))
    order = make_order(regular, total="1280.00", at=now)
    later = make_order(regular, status="refused", at=now + datetime.timedelta(hours=1))
    finish(later, courier, "refused", at=now + datetime.timedelta(hours=2))
    for index in range(18):  # 深圳: 9 refused, 9 delivered; with the regular's three, 11 refused of 21
        finish(make_order(other, at=now - datetime.timedelta(days=5)), courier,
               "refused" if index < 9 else "delivered", at=now - datetime.timedelta(days=4))
    for _ in range(40):
        finish(make_order(other, city="广州", at=now - datetime.timedelta(days=5)), courier, "delivered",
               at=now - datetime.timedelta(days=4))
    fresh = make_order(newcomer, city="广州", at=now.replace(hour=14))
    prepaid = make_order(newcomer, payment_method="transfer", at=now)

    rates = city_refusal_rates(now=now + datetime.timedelta(hours=3))
    national = (11 + 0.18 * 50) / (61 + 50)  # 11 refused of 61 finished
    assert rates[("广东", "深圳")] == pytest.approx((11 + national * 50) / (21 + 50))
    assert rates[("广东", "广州")] == pytest.approx(national * 50 / (40 + 50))
    later_on = now + datetime.timedelta(hours=3)
    assert city_refusal_rate("广东", "深圳", now=later_on) == pytest.approx(rates[("广东", "深圳")])
    assert city_refusal_rate("北京", "北京", now=later_on) == pytest.approx(national) == pytest.approx(rates[("", "")])
    with django_assert_num_queries(2):
        risks = risk_for_orders([order, fresh, prepaid], now=now + datetime.timedelta(hours=3))
    # logit(0.2818) + 0.9 − 0.35 + 0.5 × log2(1.6) + 0.6 (23:30) → 63.5 %
    assert risks[order.pk] == Risk(score=63, level=HIGH, reasons=(
        "the customer refused 1 time before", "late-night call", "city refusal rate 28 %", "amount ¥1,280 is high"))
    # 广州 at 10 %: logit(0.1001) + 0.5 → 15.5 %, 14:30
    assert risks[fresh.pk] == Risk(score=15, level=LOW, reasons=("new customer",))
    assert risks[prepaid.pk] == Risk(score=0, level=LOW, reasons=("prepaid",))


@pytest.mark.django_db
def test_risk_for_a_new_order_counts_every_earlier_order() -> None:
    at = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    courier = make_courier("SF")
    customer = factories.make_customer()
    for days in (30, 20):
        finish(make_order(customer, status="refused", at=at - datetime.timedelta(days=days)), courier, "refused",
               at=at - datetime.timedelta(days=days - 2))
    risk = risk_for_new_order(customer.pk, "广东", "深圳", D("398.00"), at=at)
    assert risk.reasons[0] == "the customer refused 2 times before"
    assert risk.level == HIGH
    assert risk_for_new_order(None, "", "", D("398.00"), at=at).reasons == ("new customer",)


@pytest.mark.django_db
def test_auc_for_orders_scores_finished_cod_orders_against_their_outcome() -> None:
    at = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    courier = make_courier("SF")
    risky, steady = factories.make_customer("甲"), factories.make_customer("乙", "13900139000")
    orders = []
    for index, days in enumerate((50, 40, 30)):  # 甲 refuses every time; 乙 pays every time
        bad = make_order(risky, status="refused", at=at - datetime.timedelta(days=days))
        good = make_order(steady, status="delivered", at=at - datetime.timedelta(days=days, hours=index + 1))
        finish(bad, courier, "refused", at=at - datetime.timedelta(days=days - 1))
        finish(good, courier, "delivered", at=at - datetime.timedelta(days=days - 1))
        orders += [bad, good]
    prepaid = make_order(steady, payment_method="transfer", at=at)
    unfinished = make_order(risky, at=at)
    # first orders tie (both new); afterwards 甲's refusals put each of his above every one of 乙's
    assert auc_for_orders([*orders, prepaid, unfinished], now=at) == pytest.approx(8.5 / 9)
    assert auc_for_orders([orders[1], orders[3]], now=at) is None
