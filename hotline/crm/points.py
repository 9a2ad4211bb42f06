"""The points ledger (积分): every change of a customer's points is a `PointsEntry`, and `Customer.points`, the
balance, is updated in the same transaction under a lock on the customer's row, so the two never disagree.

Rules (rates from the environment, docs/configuration.md):
- An order earns the catalogue points of its products plus `HOTLINE_POINTS_EARN_PER_YUAN` per yuan paid
  (whole points, rounded down); they are credited when the order is delivered and taken back on a return
  (never more than the balance: points already spent stay spent).
- Points redeemed at order entry take `HOTLINE_POINTS_PER_YUAN` points off per yuan; they are refunded when
  the order is cancelled or comes back (a refused parcel is returned). A refund is a new lot.
- Credits are lots spent oldest first; what is left of a lot older than `HOTLINE_POINTS_EXPIRY_MONTHS`
  months lapses (the task worker runs `expire_points`; 0 months: points never lapse).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import user_or_none
from hotline.crm.models import Customer, PointsEntry, PointsKind, PointsReward
from hotline.lib.config import env_int

if TYPE_CHECKING:
    from hotline.orders.models import Order

CREDITS = (PointsKind.EARN, PointsKind.REFUND)


def _setting(name: str, default: int, minimum: int) -> int:
    """A settings value when settings.py defines it (tests override it there), else the environment's."""
    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default, minimum=minimum)


def earn_per_yuan() -> int:
    return _setting("HOTLINE_POINTS_EARN_PER_YUAN", 0, 0)


def points_per_yuan() -> int:
    return _setting("HOTLINE_POINTS_PER_YUAN", 100, 1)


def expiry_months() -> int:
    return _setting("HOTLINE_POINTS_EXPIRY_MONTHS", 24, 0)


def points_value(points: int) -> Decimal:
    """What `points` take off a price, in yuan (rounded down to the fen)."""
    return (Decimal(points) / points_per_yuan()).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def points_for(amount: Decimal) -> int:
    """The fewest points worth `amount` yuan."""
    per_yuan = points_per_yuan()
    return int((amount * per_yuan).to_integral_value(rounding="ROUND_CEILING"))


def earned_for_total(total: Decimal) -> int:
    """Points an order paying `total` earns on top of its products' catalogue points."""
    return int((total * earn_per_yuan()).to_integral_value(rounding=ROUND_DOWN))


# ---------------------------------------------------------------- posting (inside the caller's transaction)

def _locked(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().only("pk", "points").get(pk=customer_id)


def _post(customer: Customer, kind: str, points: int, *, order: Order | None, actor: Any, note: str,
          remaining: int = 0, at: datetime.datetime | None = None, reward: PointsReward | None = None) -> PointsEntry:
    customer.points += points
    Customer.objects.filter(pk=customer.pk).update(points=customer.points)
    return PointsEntry.objects.create(customer=customer, order=order, kind=kind, points=points, remaining=remaining,
                                      balance=customer.points, note=note[:200], at=at or timezone.now(),
                                      actor=user_or_none(actor), reward=reward)


def credit(customer_id: int, kind: str, points: int, *, order: Order | None = None, actor: Any = None,
           note: str = "") -> PointsEntry | None:
    """Add a lot of `points` (earned or refunded); nothing for 0."""
    if points <= 0:
        return None
    with transaction.atomic():
        return _post(_locked(customer_id), kind, points, order=order, actor=actor, note=note, remaining=points)


def debit(customer_id: int, kind: str, points: int, *, order: Order | None = None, actor: Any = None,
          note: str = "", field: str = "redeem_points", reward: PointsReward | None = None) -> PointsEntry | None:
    """Take `points` off, spending the oldest lots first; refused (on `field`) beyond the balance."""
    if points <= 0:
        return None
    with transaction.atomic():
        customer = _locked(customer_id)
        if points > customer.points:
            raise ValidationError({field: _("The customer has only %(points)d points.") % {"points": customer.points}})
        left = points
        lots = PointsEntry.objects.select_for_update().filter(customer_id=customer_id, kind__in=CREDITS,
                                                              remaining__gt=0).order_by("at", "id")
        for lot in lots:
            spent = min(left, lot.remaining)
            lot.remaining -= spent
            lot.save(update_fields=["remaining"])
            left -= spent
            if not left:
                break
        return _post(customer, kind, -points, order=order, actor=actor, note=note, reward=reward)


# ---------------------------------------------------------------- orders

def _net(order: Order, *kinds: str) -> int:
    return PointsEntry.objects.filter(order=order, kind__in=kinds).aggregate(total=Sum("points"))["total"] or 0


def redeemed_on(order: Order) -> int:
    """Points spent on this order and not refunded."""
    return -_net(order, PointsKind.REDEEM, PointsKind.REFUND)


def redeem_for_order(order: Order, points: int, *, actor: Any,
                     reward: PointsReward | None = None) -> PointsEntry | None:
    """Spend `points` on a new order: a price reduction of `points_value(points)`, or the gift `reward`."""
    note = f"{order.number} · {reward.product.name}" if reward is not None else order.number
    return debit(order.customer_id, PointsKind.REDEEM, points, order=order, actor=actor, note=note,
                 field="redeem_points" if reward is None else "reward_id", reward=reward)


def reward_on(order: Order) -> PointsReward | None:
    """The gift taken for points on this order, if any (and not refunded)."""
    entry = PointsEntry.objects.filter(order=order, kind=PointsKind.REDEEM, reward__isnull=False)\
        .select_related("reward").first()
    return entry.reward if entry is not None and redeemed_on(order) else None


def reward_points_on(order: Order) -> int:
    """The points paid for the gift on this order (what was paid then, whatever the gift costs now)."""
    entry = PointsEntry.objects.filter(order=order, kind=PointsKind.REDEEM, reward__isnull=False).first()
    return -entry.points if entry is not None and redeemed_on(order) else 0


def refund_for_order(order: Order, *, actor: Any) -> PointsEntry | None:
    """Give back what was redeemed on an order that was cancelled or came back."""
    return credit(order.customer_id, PointsKind.REFUND, redeemed_on(order), order=order, actor=actor,
                  note=order.number)


def earn_for_order(order: Order, *, actor: Any) -> PointsEntry | None:
    """Credit a delivered order's points (once: a rescued refusal is delivered only once)."""
    if _net(order, PointsKind.EARN):
        return None
    return credit(order.customer_id, PointsKind.EARN, order.points, order=order, actor=actor, note=order.number)


def take_back_for_order(order: Order, *, actor: Any) -> PointsEntry | None:
    """Take back what a returned order earned, as far as the balance allows."""
    earned = _net(order, PointsKind.EARN) + _net(order, PointsKind.TAKE_BACK)
    with transaction.atomic():
        balance = _locked(order.customer_id).points
        return debit(order.customer_id, PointsKind.TAKE_BACK, min(earned, balance), order=order, actor=actor,
                     note=order.number)


# ---------------------------------------------------------------- expiry

def _months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    for day in (moment.day, 30, 29, 28):  # the 31st of a shorter month: its last day
        try:
            return moment.replace(year=year, month=month + 1, day=min(day, moment.day))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")  # pragma: no cover


def expire_points(now: datetime.datetime | None = None) -> int:
    """Let lapse what is left of the lots older than the expiry period; returns how many customers lost
    points. Safe to run at every tick and on several workers: lots are spent under their customer's lock."""
    months = expiry_months()
    if not months:
        return 0
    # months counted on the company's calendar, so the note names the local day (UTC is a day behind after 16:00)
    cutoff = _months_before(timezone.localtime(now or timezone.now()), months)
    stale = PointsEntry.objects.filter(kind__in=CREDITS, remaining__gt=0, at__lt=cutoff)
    customers = 0
    for customer_id in stale.values_list("customer_id", flat=True).distinct().order_by():
        with transaction.atomic():
            _locked(customer_id)
            lapsing = stale.filter(customer_id=customer_id).aggregate(total=Sum("remaining"))["total"] or 0
            if debit(customer_id, PointsKind.EXPIRE, lapsing,
                     note=_("Points earned before %(date)s") % {"date": cutoff.date().isoformat()}):
                customers += 1
    return customers
