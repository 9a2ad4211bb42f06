"""Which promotions a customer gets (their level and region, the moment, the order's total), and the writes
that keep promotions: create, change, end."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.permissions import Perm, require_perm
from hotline.crm.models import Customer, PointsReward, Promotion, PromotionKind
from hotline.lib.money import ZERO, yuan


def customer_province(customer: Customer) -> str:
    """The customer's region for promotions: the province of their default address, else of their
    primary phone number (归属地)."""
    address = customer.addresses.filter(is_default=True).exclude(province="").first()
    if address is not None:
        return address.province
    phone = customer.phones.exclude(province="").order_by("-is_primary", "id").first()
    return phone.province if phone is not None else ""


def same_province(wanted: str, actual: str) -> bool:
    """广东 matches 广东省 and the other way round."""
    def bare(name: str) -> str:
        return name.strip().removesuffix("省").removesuffix("市")
    return bool(bare(wanted)) and bare(wanted) == bare(actual)


def eligible_promotions(customer: Customer | None, at: datetime.datetime | None = None) -> list[Promotion]:
    """Active promotions running at `at` whose target group takes this customer (a new caller, not yet on
    file, gets only those for everybody). The order's minimum total is checked when pricing."""
    moment = at or timezone.now()
    running = Promotion.objects.filter(active=True, starts_at__lte=moment, ends_at__gt=moment).select_related("gift")\
        .order_by("id")
    if customer is None:
        return list(running.filter(level="", province=""))
    province = customer_province(customer)
    found = running.filter(Q(level="") | Q(level=customer.level))
    return [promotion for promotion in found if not promotion.province or same_province(promotion.province, province)]


def promotion_discount(promotion: Promotion, total: Decimal) -> Decimal:
    """What a price promotion takes off an order of `total` (never more than the total; 0 below its minimum)."""
    if total < promotion.min_total or promotion.kind == PromotionKind.GIFT:
        return ZERO
    if promotion.kind == PromotionKind.PERCENT:
        return min(total, yuan(total * promotion.percent / 100))
    return min(total, yuan(promotion.amount))


PROMOTION_FIELDS = ("name", "starts_at", "ends_at", "level", "province", "min_total", "kind", "percent", "amount",
                    "gift_id", "gift_quantity", "active")


def _check(promotion: Promotion) -> None:
    promotion.full_clean()
    errors: dict[str, str] = {}
    if promotion.ends_at <= promotion.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    if promotion.kind == PromotionKind.PERCENT and not 0 < promotion.percent <= 100:
        errors["percent"] = _("Enter a percentage from 1 to 100.")
    if promotion.kind == PromotionKind.AMOUNT and promotion.amount <= 0:
        errors["amount"] = _("Enter an amount greater than 0.")
    if promotion.kind == PromotionKind.GIFT and promotion.gift_id is None:
        errors["gift"] = _("Choose the gift.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_save_reward(reward: PointsReward, *, actor: Any) -> PointsReward:
    """Add or change a gift customers may take for points."""
    require_perm(actor, Perm.MANAGE_CARE)
    before = snapshot(PointsReward.objects.get(pk=reward.pk)) if reward.pk else None
    reward.full_clean()
    reward.save()
    record("save_points_reward", reward, actor=actor, before=before, after=snapshot(reward))
    return reward


@transaction.atomic
def do_save_promotion(promotion: Promotion, *, actor: Any) -> Promotion:
    """Create or change a promotion (a new one when it has no pk), checked as a whole."""
    require_perm(actor, Perm.MANAGE_CARE)
    before = snapshot(Promotion.objects.get(pk=promotion.pk)) if promotion.pk else None
    _check(promotion)
    promotion.save()
    record("save_promotion", promotion, actor=actor, before=before, after=snapshot(promotion))
    return promotion
