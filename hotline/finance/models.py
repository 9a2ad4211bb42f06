"""Money: payments, refunds and settlement entries (append-only, each with its actor), courier remittance
statements and their lines, the open items finance chases, courier freight bills, and the stored daily close.

Amounts are `Decimal` yuan with two places. A money row is never updated or deleted: the model refuses, and
the database refuses too (triggers, see migration 0001). A mistake is put right by a new row that
`corrects` the old one with the opposite amount. `hotline.finance.balances` is the one place that adds
an order's money up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hotline.orders.models import MONEY


class MoneyRowError(Exception):
    """Raised on any attempt to change or delete a money row: corrections are new rows."""


class MoneyRowQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def update(self, **kwargs: Any) -> int:
        raise MoneyRowError("money rows are append-only: record a correction instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise MoneyRowError("money rows are append-only: record a correction instead")


class MoneyRow(models.Model):
    """A row inserted once and never changed: who recorded it and when are part of it."""

    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("entered at"), auto_now_add=True, db_index=True)

    objects = MoneyRowQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise MoneyRowError("money rows are append-only: record a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise MoneyRowError("money rows are append-only: record a correction instead")


class PayMethod(models.TextChoices):
    """How money reached us (or went back)."""

    COD = "cod", _("Cash on delivery (courier)")  # 货到付款，快递代收
    TRANSFER = "transfer", _("Bank transfer")  # 银行转账
    POSTAL = "postal", _("Post-office remittance")  # 邮局汇款
    CARD = "card", _("Card")  # 刷卡
    ONLINE = "online", _("Online payment")  # 在线支付


class Payment(MoneyRow):
    """Money received for an order (收款记录): a customer's transfer, or the courier's remittance of what it
    collected at the door (then `remittance_line` says which statement line). Partial payments add up; a
    negative row `corrects` an earlier one."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("order"))
    payer = models.CharField(_("payer"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=8, choices=PayMethod.choices)
    amount = models.DecimalField(_("amount"), **MONEY)  # type: ignore[arg-type]
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    received_at = models.DateTimeField(pgettext_lazy("payment", "received at"))
    remittance_line = models.OneToOneField("RemittanceLine", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="payment", verbose_name=_("remittance line"))
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="correction", verbose_name=_("corrects"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-recorded_at", "-id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="payment_amount_not_zero")]
        indexes = [
            models.Index(fields=["order", "method"], name="payment_order_method"),
            # an order's paid sum without reading the table: the receivables sum it per open parcel
            models.Index(fields=["order", "amount"], name="payment_order_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ¥{self.amount}"


class Refund(MoneyRow):
    """Money given back to a customer after a return (or a cancelled prepaid order); a negative row
    `corrects` an earlier refund."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds",
                              verbose_name=_("order"))
    method = models.CharField(_("method"), max_length=8, choices=PayMethod.choices)
    amount = models.DecimalField(_("amount"), **MONEY)  # type: ignore[arg-type]
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"))
    reason = models.CharField(_("reason"), max_length=300)
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="correction", verbose_name=_("corrects"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-recorded_at", "-id"]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="refund_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.order_id} −¥{self.amount}"


class SettlementKind(models.TextChoices):
    SETTLE = "settle", _("Settled")  # 结算
    REVERSE = "reverse", _("Settlement reversed")  # 冲销


class SettlementEntry(MoneyRow):
    """An order settled (已结算) with its amount, or that settlement reversed by an opposite entry when a
    settled order comes back; the order's `settled_at`/`settled_amount` keep the first settlement."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="settlement_entries",
                              verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=8, choices=SettlementKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)  # type: ignore[arg-type]
    statement = models.ForeignKey("RemittanceStatement", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="settlements", verbose_name=_("remittance statement"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("settlement entry")
        verbose_name_plural = _("settlement entries")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} ¥{self.amount}"


class CourierColumns(models.Model):
    """Where a courier's remittance statement and freight bill keep each value: saved once, from the first
    file a clerk maps by hand. `{"tracking_number": "邮件号", "collected": "代收金额", ...}`."""

    courier = models.OneToOneField("logistics.Courier", on_delete=models.CASCADE, related_name="finance_columns",
                                   verbose_name=_("courier"))
    remittance = models.JSONField(_("remittance statement columns"), default=dict, blank=True)
    freight = models.JSONField(_("freight bill columns"), default=dict, blank=True)

    class Meta:
        verbose_name = _("courier file columns")
        verbose_name_plural = _("courier file columns")

    def __str__(self) -> str:
        return str(self.courier)


class RemittanceStatement(models.Model):
    """A courier's COD remittance (回款) as applied: one per courier and statement number, so that the same
    statement imported twice changes nothing. Written once, when the clerk applies the dry run."""

    courier = models.ForeignKey("logistics.Courier", on_delete=models.PROTECT, related_name="remittances",
                                verbose_name=_("courier"))
    number = models.CharField(_("statement number"), max_length=40)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    stated_total = models.DecimalField(_("statement total"), **MONEY, null=True, blank=True)  # type: ignore[arg-type]
    collected_total = models.DecimalField(_("collected"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    fee_total = models.DecimalField(_("COD fees"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    net_total = models.DecimalField(_("net paid"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    bank_total = models.DecimalField(_("bank receipt"), **MONEY, null=True, blank=True)  # type: ignore[arg-type]
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("applied by"))
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("remittance statement")
        verbose_name_plural = _("remittance statements")
        ordering = ["-applied_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["courier", "number"], name="remittance_once_per_courier")]

    def __str__(self) -> str:
        return f"{self.courier} {self.number}"


class LineOutcome(models.TextChoices):
    """What matching made of a statement line."""

    MATCHED = "matched", _("Matched")  # 相符
    SHORT = "short", _("Short-paid")  # 少付
    OVER = "over", _("Over-paid")  # 多付
    UNKNOWN = "unknown", _("Unknown tracking number")  # 无此单号
    DUPLICATE = "duplicate", _("Duplicate line")  # 同一对账单中重复
    REMITTED = "remitted", _("Already remitted")  # 已回款
    UNDELIVERED = "undelivered", _("Not delivered in Hotline")  # 未见妥投反馈
    REFUSED = "refused", _("Refused but paid")  # 拒收却回款


class RemittanceLine(MoneyRow):
    """One line of an applied statement, with what matching made of it and the parcel it names."""

    statement = models.ForeignKey(RemittanceStatement, on_delete=models.PROTECT, related_name="lines",
                                  verbose_name=_("statement"))
    line = models.PositiveIntegerField(_("line"))
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    order_number = models.CharField(_("order number"), max_length=40, blank=True)
    collected = models.DecimalField(_("collected"), **MONEY)  # type: ignore[arg-type]
    fee = models.DecimalField(_("COD fee"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    net = models.DecimalField(_("net paid"), **MONEY)  # type: ignore[arg-type]
    outcome = models.CharField(_("outcome"), max_length=12, choices=LineOutcome.choices)
    shipment = models.ForeignKey("logistics.Shipment", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="remittance_lines", verbose_name=_("shipment"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="remittance_lines", verbose_name=_("order"))
    expected = models.DecimalField(_("COD due"), **MONEY, null=True, blank=True)  # type: ignore[arg-type]
    expected_fee = models.DecimalField(_("COD fee by the courier's rule"), **MONEY, null=True,  # type: ignore[arg-type]
                                       blank=True)

    class Meta:
        verbose_name = _("remittance line")
        verbose_name_plural = _("remittance lines")
        ordering = ["statement", "line"]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.line} {self.tracking_number}"


class OpenItemKind(models.TextChoices):
    """A difference to chase with the courier (or to settle inside)."""

    SHORT = "short", _("Short-paid")
    OVER = "over", _("Over-paid")
    UNKNOWN = "unknown", _("Unknown tracking number")
    DUPLICATE = "duplicate", _("Duplicate line")
    REMITTED = "remitted", _("Already remitted")
    UNDELIVERED = "undelivered", _("Not delivered in Hotline")
    REFUSED = "refused", _("Refused but paid")
    FEE = "fee", _("COD fee differs from the courier's rule")
    BANK = "bank", _("Bank receipt differs from the statement")
    FREIGHT = "freight", _("Freight billed differs")


class OpenItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class OpenItem(models.Model):
    """A difference found by reconciliation (未达账项), kept open until someone resolves it with a note.
    `amount` is what the courier still owes us (negative: what we owe the courier)."""

    courier = models.ForeignKey("logistics.Courier", on_delete=models.PROTECT, related_name="open_items",
                                verbose_name=_("courier"))
    kind = models.CharField(_("kind"), max_length=12, choices=OpenItemKind.choices)
    statement = models.ForeignKey(RemittanceStatement, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="open_items", verbose_name=_("remittance statement"))
    line = models.ForeignKey(RemittanceLine, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="open_items", verbose_name=_("statement line"))
    freight_line = models.ForeignKey("FreightBillLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="open_items", verbose_name=_("freight bill line"))
    shipment = models.ForeignKey("logistics.Shipment", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="open_items", verbose_name=_("shipment"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="open_items", verbose_name=_("order"))
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=OpenItemStatus.choices,
                              default=OpenItemStatus.OPEN, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("resolved by"))
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("open item")
        verbose_name_plural = _("open items")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["courier", "status"], name="openitem_courier_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.tracking_number}"


class FreightBill(models.Model):
    """A courier's freight bill (运费账单) as imported, set against the freight Hotline computed per parcel;
    one per courier and bill number."""

    courier = models.ForeignKey("logistics.Courier", on_delete=models.PROTECT, related_name="freight_bills",
                                verbose_name=_("courier"))
    number = models.CharField(_("bill number"), max_length=40)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    billed_total = models.DecimalField(_("billed"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    computed_total = models.DecimalField(_("computed by Hotline"), **MONEY,  # type: ignore[arg-type]
                                         default=Decimal("0"))
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("imported by"))
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("freight bill")
        verbose_name_plural = _("freight bills")
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["courier", "number"], name="freight_bill_once_per_courier")]

    def __str__(self) -> str:
        return f"{self.courier} {self.number}"


class FreightOutcome(models.TextChoices):
    AGREES = "agrees", _("Agrees")
    DIFFERS = "differs", _("Differs")
    UNKNOWN = "unknown", _("Unknown tracking number")
    DUPLICATE = "duplicate", _("Billed twice")


class FreightBillLine(MoneyRow):
    """A parcel on a freight bill: what the courier billed and what Hotline computed (freight, plus the
    return freight of a parcel that came back)."""

    bill = models.ForeignKey(FreightBill, on_delete=models.PROTECT, related_name="lines", verbose_name=_("bill"))
    line = models.PositiveIntegerField(_("line"))
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    shipment = models.ForeignKey("logistics.Shipment", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="freight_lines", verbose_name=_("shipment"))
    billed = models.DecimalField(_("billed"), **MONEY)  # type: ignore[arg-type]
    computed = models.DecimalField(_("computed by Hotline"), **MONEY, null=True, blank=True)  # type: ignore[arg-type]
    outcome = models.CharField(_("outcome"), max_length=10, choices=FreightOutcome.choices)
    # the legs this line billed for the first time ("forward", "return", "forward,return"): a later bill
    # billing them again is a duplicate
    legs = models.CharField(_("legs billed"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("freight bill line")
        verbose_name_plural = _("freight bill lines")
        ordering = ["bill", "line"]

    def __str__(self) -> str:
        return f"{self.bill_id}:{self.line} {self.tracking_number}"


class DailyClose(MoneyRow):
    """A day's figures as closed (日结): stored once, never changed. A correction recorded later counts on the
    day it was recorded, so a closed day's figures stay what they were. `figures` maps each figure's key
    to its count and amounts as strings of Decimal yuan (see `hotline.finance.close`)."""

    day = models.DateField(_("day"), unique=True)
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("daily close")
        verbose_name_plural = _("daily closes")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)
