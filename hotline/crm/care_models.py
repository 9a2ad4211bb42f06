"""Customer care and points models (imported into `hotline.crm.models`, so Django sees them there).

- `CareCriteria`: a saved search over customer attributes (关怀属性), produced into a `CareList` on demand or
  on a schedule; `CareListEntry` is one customer on a produced list and how they were greeted.
- `GreetingRule`: which channel and words greet a customer, by level or preference (first match wins).
- `PointsEntry`: the points ledger; `Customer.points` is its running balance, written in the same transaction.
- `Promotion`: a price or gift offer for a period and a target group, applied when an order is priced.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.crm.levels import Level

MONEY = {"max_digits": 12, "decimal_places": 2}


class Birthdays(models.TextChoices):
    """Whose birthday a list takes: none (any), today, the next 7 days, this calendar month."""

    ANY = "", _("Any birthday")
    TODAY = "today", _("Birthday today")
    WEEK = "week", _("Birthday this week")
    MONTH = "month", _("Birthday this month")


class Schedule(models.TextChoices):
    NONE = "", _("On demand only")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every Monday")
    MONTHLY = "monthly", _("On the 1st of every month")


class CareCriteria(models.Model):
    """A saved care search: every filled field narrows the list (all must hold). Produced on demand from
    /care/, or by the task worker on its schedule (at most once a day, see `last_produced_on`)."""

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, blank=True)
    min_spend = models.DecimalField(_("spent at least"), **MONEY, null=True, blank=True,  # type: ignore[arg-type]
                                    validators=[MinValueValidator(0)])
    max_spend = models.DecimalField(_("spent at most"), **MONEY, null=True, blank=True,  # type: ignore[arg-type]
                                    validators=[MinValueValidator(0)])
    ordered_within_days = models.PositiveIntegerField(_("ordered within the last days"), null=True, blank=True)
    no_order_for_days = models.PositiveIntegerField(_("no order for at least days"), null=True, blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    preference = models.CharField(_("preference"), max_length=30, blank=True)
    birthdays = models.CharField(_("birthday"), max_length=5, choices=Birthdays.choices, blank=True)
    schedule = models.CharField(_("schedule"), max_length=7, choices=Schedule.choices, blank=True)
    last_produced_on = models.DateField(_("last produced on"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care criteria")
        verbose_name_plural = _("care criteria")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CareList(models.Model):
    """A list of customers produced at one moment, from saved criteria or a birthday window."""

    title = models.CharField(_("title"), max_length=150)
    criteria = models.ForeignKey(CareCriteria, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="lists", verbose_name=_("care criteria"))
    produced_at = models.DateTimeField(_("produced at"), auto_now_add=True)
    produced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("produced by"))
    size = models.PositiveIntegerField(_("customers"), default=0)
    greeted_at = models.DateTimeField(_("greeted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("care list")
        verbose_name_plural = _("care lists")
        ordering = ["-produced_at", "-id"]

    def __str__(self) -> str:
        return self.title


class GreetChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    CALL = "call", _("Call by an agent")


class CareListEntry(models.Model):
    """One customer on a produced list, and how the greeting went (channel and outcome once greeted)."""

    care_list = models.ForeignKey(CareList, on_delete=models.CASCADE, related_name="entries",
                                  verbose_name=_("care list"))
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("customer"))
    birthday_on = models.DateField(_("celebrates on"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=5, choices=GreetChannel.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=100, blank=True)
    greeted_at = models.DateTimeField(_("greeted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("care list entry")
        verbose_name_plural = _("care list entries")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["care_list", "customer"], name="care_entry_once_per_list")]

    def __str__(self) -> str:
        return f"{self.care_list} · {self.customer}"


class GreetingRule(models.Model):
    """How to greet: customers of `level` (blank: any) who like `preference` (blank: any) get `channel`
    with `message` ({salutation} and {name} are merged in). Rules are tried by position; the first that
    matches wins, and a customer no rule matches gets the default SMS."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, blank=True)
    preference = models.CharField(_("preference"), max_length=30, blank=True)
    channel = models.CharField(_("channel"), max_length=5, choices=GreetChannel.choices, default=GreetChannel.SMS)
    message = models.CharField(_("message"), max_length=300)

    class Meta:
        verbose_name = _("greeting rule")
        verbose_name_plural = _("greeting rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}: {self.get_channel_display()}"


class PointsKind(models.TextChoices):
    EARN = "earn", _("Earned on a delivered order")
    REDEEM = "redeem", _("Redeemed on an order")
    REFUND = "refund", _("Redemption refunded")
    TAKE_BACK = "takeback", _("Taken back on a return")
    EXPIRE = "expire", _("Expired")


class PointsEntry(models.Model):
    """One movement of a customer's points (signed). Credits (earn, refund) are lots spent oldest first:
    `remaining` is what is left of a lot, and a lot older than the expiry period lapses with what remains.
    `balance` is the customer's balance after this entry."""

    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="points_entries",
                                 verbose_name=_("customer"))
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="points_entries", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=8, choices=PointsKind.choices)
    reward = models.ForeignKey("crm.PointsReward", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("gift for points"))
    points = models.IntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("unspent"), default=0)
    balance = models.IntegerField(_("balance"), validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points history")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"], name="points_customer_at")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.points:+d}"


class PromotionKind(models.TextChoices):
    PERCENT = "percent", _("Percent off")
    AMOUNT = "amount", _("Amount off")
    GIFT = "gift", _("Free gift")


class Promotion(models.Model):
    """A promotion (促销) for a period and a target group: customers of `level` and `province` (blank:
    any) whose order reaches `min_total` get a percentage or an amount off, or a gift. Applied when the
    order is priced, at the desk and through the API alike; the best price offer applies, and every gift."""

    name = models.CharField(_("name"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    min_total = models.DecimalField(_("order total at least"), **MONEY, default=0,  # type: ignore[arg-type]
                                    validators=[MinValueValidator(0)])
    kind = models.CharField(_("kind"), max_length=7, choices=PromotionKind.choices)
    percent = models.PositiveSmallIntegerField(_("percent off"), default=0, validators=[MaxValueValidator(100)])
    amount = models.DecimalField(_("amount off"), **MONEY, default=0,  # type: ignore[arg-type]
                                 validators=[MinValueValidator(0)])
    gift = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("gift"))
    gift_quantity = models.PositiveSmallIntegerField(_("gift quantity"), default=1,
                                                     validators=[MinValueValidator(1)])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-starts_at", "id"]

    def __str__(self) -> str:
        return self.name


class PointsReward(models.Model):
    """A gift a customer may take for points at order entry (积分换礼): `product` for `points`."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("gift"))
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("points reward")
        verbose_name_plural = _("points rewards")
        ordering = ["points", "id"]

    def __str__(self) -> str:
        return f"{self.product} ({self.points})"
