"""Cash-on-delivery refusal risk: how likely a parcel is to be refused at the door, explained in words.

`refusal_risk(features)` is pure: a logistic model over the customer's own history, the city's measured
refusal rate, the order's value, whether the customer is new and the hour of the call. It starts from the
city's refusal rate (its log-odds) and adds one documented weight per fact, so each reason shown to the
agent or the clerk is one term of the sum. `risk_for_orders` and `risk_for_new_order` read the features
from the database in a fixed number of queries. `auc` measures how well scores separate refused parcels.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from hotline.logistics.choice import money_text
from hotline.logistics.models import Shipment
from hotline.orders.models import Order, PaymentMethod, Status

LOW, MEDIUM, HIGH = "low", "medium", "high"


@dataclass(frozen=True)
class RiskModel:
    """The weights, in log-odds, and why each is what it is. Tuned on the demo's known refusal model and
    meant to be re-fitted on a company's own feedback (`auc` tells whether a change helps).

    - `base_rate` 0.18: the starting point when the city has no measured rate; TV-shopping COD parcels
      are refused 15–30 % of the time, and 18 % is the usual national figure.
    - `refusal_weight` +0.9 per past refusal (at most `refusal_cap` counted): a customer who refused once
      is about 2.5 times as likely (in odds) to refuse again; the cap keeps three refusals from
      drowning every other fact.
    - `delivery_weight` −0.35 per past delivered order (at most `delivery_cap`): every parcel a
      customer paid for at the door is evidence that they pay.
    - `new_customer_weight` +0.5: first orders are impulse buys more often, and nothing else is known.
    - `amount_weight` +0.5 per doubling of the value above `amount_pivot` (¥800): a big amount is more
      often refused once the customer sees it at the door (or finds the cash missing).
    - `night_weight` +0.6 for calls from `night_from` to `night_until` (22:00–06:00): late-night
      impulse orders are regretted by morning.
    Levels: `medium_from` 30 and `high_from` 50 points (the score is P(refusal) in percent)."""

    base_rate: float = 0.18
    refusal_weight: float = 0.9
    refusal_cap: int = 3
    delivery_weight: float = -0.35
    delivery_cap: int = 5
    new_customer_weight: float = 0.5
    amount_weight: float = 0.5
    amount_pivot: Decimal = Decimal("800")
    night_weight: float = 0.6
    night_from: int = 22
    night_until: int = 6
    medium_from: int = 30
    high_from: int = 50
    # the city is named as a reason from this rate on: a city a little above the base is not news
    city_reason_from: float = 0.25
    # a city's rate is shrunk to the national one as if it had this many more parcels at that rate
    city_prior_strength: int = 50


@dataclass(frozen=True)
class RiskFeatures:
    """What the score reads about one order. `city_refusal_rate` is None when the city is unknown."""

    past_refusals: int
    past_deliveries: int
    previous_orders: int
    city_refusal_rate: float | None
    amount: Decimal
    hour: int
    cod: bool = True


@dataclass(frozen=True)
class Risk:
    """Score 0–100 (the estimated P(refusal) in percent), its level, and the reasons in words, the
    strongest first."""

    score: int
    level: str
    reasons: tuple[str, ...]

    @property
    def level_label(self) -> str:
        labels = {LOW: pgettext("refusal risk", "low"), MEDIUM: pgettext("refusal risk", "medium"),
                  HIGH: pgettext("refusal risk", "high")}
        return labels[self.level]


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def refusal_risk(features: RiskFeatures, model: RiskModel | None = None) -> Risk:
    """The refusal risk of one order. A prepaid order cannot be refused for want of cash: score 0."""
    model = model or RiskModel()
    if not features.cod:
        return Risk(score=0, level=LOW, reasons=(_("prepaid"),))
    terms = _terms(features, model)
    z = logit(model.base_rate) + sum(weight for weight, _text in terms)
    score = int(Decimal(100 / (1 + math.exp(-z))).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    level = HIGH if score >= model.high_from else MEDIUM if score >= model.medium_from else LOW
    # The reasons are the facts that raise the risk, strongest first (stable for equal weights).
    raising = sorted((term for term in terms if term[0] > 0 and term[1]), key=lambda term: -term[0])
    return Risk(score=score, level=level, reasons=tuple(text for _weight, text in raising))


def _terms(features: RiskFeatures, model: RiskModel) -> list[tuple[float, str]]:
    """(log-odds weight, words) of each fact. The city's term moves the start from `base_rate` to the
    city's own rate (its log-odds), so it is a reason only where the city is worse than the base."""
    terms: list[tuple[float, str]] = []
    refusals = min(features.past_refusals, model.refusal_cap)
    if refusals:
        terms.append((model.refusal_weight * refusals, ngettext(
            "the customer refused %(count)d time before", "the customer refused %(count)d times before",
            features.past_refusals) % {"count": features.past_refusals}))
    rate = features.city_refusal_rate
    if rate is not None:
        text = _("city refusal rate %(rate)d %%") % {"rate": round(rate * 100)} if rate >= model.city_reason_from \
            else ""
        terms.append((logit(rate) - logit(model.base_rate), text))
    deliveries = min(features.past_deliveries, model.delivery_cap)
    if deliveries:
        terms.append((model.delivery_weight * deliveries, ""))
    if features.previous_orders == 0:
        terms.append((model.new_customer_weight, _("new customer")))
    if features.amount > model.amount_pivot:
        doublings = math.log2(float(features.amount / model.amount_pivot))
        terms.append((model.amount_weight * doublings,
                      _("amount %(amount)s is high") % {"amount": money_text(features.amount)}))
    if features.hour >= model.night_from or features.hour < model.night_until:
        terms.append((model.night_weight, _("late-night call")))
    return terms


def auc(scores: Sequence[float], labels: Sequence[bool | int]) -> float:
    """The area under the ROC curve: the chance that a refused order (label true) scores above a delivered
    one, ties counted half. Computed from ranks (Mann–Whitney U) in O(n log n)."""
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if not positives or not negatives:
        raise ValueError("auc needs both refused and delivered orders")
    order = sorted(range(len(scores)), key=lambda index: scores[index])
    rank_sum, start = 0.0, 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average_rank = (start + end) / 2 + 1  # tied scores share the mean of their ranks
        rank_sum += average_rank * sum(1 for index in order[start:end + 1] if labels[index])
        start = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


# ---------------------------------------------------------------- reading the features

@dataclass(frozen=True)
class PastOrder:
    """One earlier order of a customer, as far as the risk cares."""

    id: int
    created_at: datetime
    refused: bool
    delivered: bool


def shrunk_rate(refused: int, finished: int, prior: float, strength: int) -> float:
    """refused ÷ finished, shrunk towards `prior` as if `strength` more parcels had gone at that rate."""
    return (refused + prior * strength) / (finished + strength) if finished + strength else prior


def _history(customer_ids: Iterable[int]) -> dict[int, list[PastOrder]]:
    """Every order of these customers with whether it was refused or delivered, in one query."""
    refused = Shipment.objects.filter(order=OuterRef("pk"), refused_at__isnull=False)
    delivered = Shipment.objects.filter(order=OuterRef("pk"), delivered_at__isnull=False, refused_at__isnull=True)
    rows = (Order.objects.filter(customer_id__in=set(customer_ids)).exclude(status=Status.CANCELLED)
            .annotate(was_refused=Exists(refused), was_delivered=Exists(delivered))
            .values_list("customer_id", "id", "created_at", "status", "was_refused", "was_delivered"))
    history: dict[int, list[PastOrder]] = defaultdict(list)
    for customer_id, order_id, created_at, status, was_refused, was_delivered in rows:
        is_refused = bool(was_refused) or status == Status.REFUSED
        is_delivered = not is_refused and (bool(was_delivered) or status in (Status.DELIVERED, Status.SETTLED))
        history[customer_id].append(PastOrder(order_id, created_at, is_refused, is_delivered))
    return history


def city_refusal_rates(*, days: int = 90, now: datetime | None = None,
                       model: RiskModel | None = None) -> dict[tuple[str, str], float]:
    """Each (province, city)'s refusal rate over the last `days`, shrunk towards the national rate, in
    one query. A city missing from the answer has no finished parcel: use `national_rate(rates)`."""
    model = model or RiskModel()
    since = (now or timezone.now()) - timedelta(days=days)
    rows = list(Shipment.objects.filter(Q(delivered_at__gte=since) | Q(refused_at__gte=since))
                .values("order__province", "order__city")
                .annotate(refused=Count("id", filter=Q(refused_at__gte=since)),
                          finished=Count("id")))
    total_refused = sum(row["refused"] for row in rows)
    total = sum(row["finished"] for row in rows)
    national = shrunk_rate(total_refused, total, model.base_rate, model.city_prior_strength)
    rates = {(row["order__province"], row["order__city"]):
             shrunk_rate(row["refused"], row["finished"], national, model.city_prior_strength) for row in rows}
    rates[("", "")] = national  # the fallback for cities without parcels
    return rates


def city_refusal_rate(province: str, city: str, *, days: int = 90, now: datetime | None = None,
                      model: RiskModel | None = None) -> float:
    """One city's refusal rate as `city_refusal_rates` gives it (shrunk towards the national rate), in one
    single-row query: what the desk needs for the order being entered, on every quote."""
    model = model or RiskModel()
    since = (now or timezone.now()) - timedelta(days=days)
    refused, here = Q(refused_at__gte=since), Q(order__province=province, order__city=city)
    row = (Shipment.objects.filter(Q(delivered_at__gte=since) | refused)
           .aggregate(refused=Count("id", filter=refused), finished=Count("id"),
                      city_refused=Count("id", filter=refused & here), city_finished=Count("id", filter=here)))
    national = shrunk_rate(row["refused"], row["finished"], model.base_rate, model.city_prior_strength)
    if not city:
        return national
    return shrunk_rate(row["city_refused"], row["city_finished"], national, model.city_prior_strength)


def _features(past: Sequence[PastOrder], before: datetime, before_id: int | None,
              rates: Mapping[tuple[str, str], float], province: str, city: str, amount: Decimal,
              cod: bool) -> RiskFeatures:
    """The features of an order placed at `before` (earlier orders only: the order's own outcome and
    later ones must not leak into its score)."""
    earlier = [order for order in past if order.id != before_id and
               (order.created_at, order.id) < (before, before_id if before_id is not None else 2**62)]
    rate = rates.get((province, city)) if city else None
    return RiskFeatures(
        past_refusals=sum(order.refused for order in earlier),
        past_deliveries=sum(order.delivered for order in earlier),
        previous_orders=len(earlier),
        city_refusal_rate=rate if rate is not None else rates.get(("", "")),
        amount=amount, hour=timezone.localtime(before).hour, cod=cod)


def risk_for_orders(orders: Iterable[Any], *, days: int = 90, now: datetime | None = None,
                    model: RiskModel | None = None) -> dict[int, Risk]:
    """The refusal risk of each order, by order id: customers' histories in one query, city rates in one."""
    orders = list(orders)
    history = _history(order.customer_id for order in orders)
    rates = city_refusal_rates(days=days, now=now, model=model)
    return {order.pk: refusal_risk(_features(history.get(order.customer_id, []), order.created_at, order.pk, rates,
                                             order.province, order.city, order.total,
                                             order.payment_method == PaymentMethod.COD), model)
            for order in orders}


def risk_for_new_order(customer_id: int | None, province: str, city: str, amount: Decimal, *,
                       at: datetime | None = None, days: int = 90, model: RiskModel | None = None) -> Risk:
    """The refusal risk of a COD order being entered now (a new customer has no `customer_id`)."""
    at = at or timezone.now()
    history = _history([customer_id]) if customer_id else {}
    rate = city_refusal_rate(province, city, days=days, now=at, model=model)
    rates = {(province, city): rate, ("", ""): rate}
    return refusal_risk(_features(history.get(customer_id or 0, []), at, None, rates, province, city, amount, True),
                        model)


def auc_for_orders(orders: Iterable[Any], **options: Any) -> float | None:
    """How well the score separates refused from delivered parcels among `orders`' finished COD orders
    (None without both kinds): the figure docs/logistics.md reports. Each order is scored on its history
    before it; the city rates are today's, over the window in `options` (see `risk_for_orders`)."""
    cod = [order for order in orders if order.payment_method == PaymentMethod.COD]
    outcomes: dict[int, bool] = {}
    finished = (Shipment.objects.filter(order_id__in=[order.pk for order in cod])
                .filter(Q(refused_at__isnull=False) | Q(delivered_at__isnull=False))
                .values_list("order_id", "refused_at"))
    for order_id, refused_at in finished:
        outcomes[order_id] = outcomes.get(order_id, False) or refused_at is not None
    scored = [order for order in cod if order.pk in outcomes]
    labels = [outcomes[order.pk] for order in scored]
    if all(labels) or not any(labels):
        return None
    risks = risk_for_orders(scored, **options)
    return auc([risks[order.pk].score for order in scored], labels)
