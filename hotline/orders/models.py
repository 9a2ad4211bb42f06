"""Orders, their lines, their status history, and the per-day counter behind readable order numbers."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.lib.text import check_text_lengths

MONEY = {"max_digits": 12, "decimal_places": 2}


class Status(models.TextChoices):
    ORDERED = "ordered", _("Ordered")  # 订购
    REVIEWED = "reviewed", _("Reviewed")  # 已审核
    SHIPPED = "shipped", _("Shipped")  # 已发货
    DELIVERED = "delivered", _("Delivered")  # 已交付
    SETTLED = "settled", _("Settled")  # 已结算
    CANCELLED = "cancelled", _("Cancelled")  # 已取消
    REFUSED = "refused", _("Refused on delivery")  # 拒收
    RETURNED = "returned", _("Returned")  # 退货
    EXCHANGED = "exchanged", _("Exchanged")  # 更换


# Once an order has left the warehouse its lines, address and payment are facts, not drafts.
LOCKED_STATUSES = frozenset({Status.SHIPPED, Status.DELIVERED, Status.SETTLED, Status.REFUSED,
                             Status.RETURNED, Status.EXCHANGED, Status.CANCELLED})


class DeliveryMethod(models.TextChoices):
    EMS = "ems", _("EMS")
    POST = "post", _("China Post")
    COURIER = "courier", _("Courier company")
    PICKUP = "pickup", _("Self pickup")


class PaymentMethod(models.TextChoices):
    COD = "cod", _("Cash on delivery")
    TRANSFER = "transfer", _("Prepaid bank transfer")
    CARD = "card", _("Card")


class Order(models.Model):
    """A customer's order, with its delivery address copied in as it was when ordered."""

    number = models.CharField(_("order number"), max_length=24, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ORDERED,
                              db_index=True)
    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="orders",
                                 verbose_name=_("customer"))
    # delivery: a snapshot, so later edits of the customer's addresses do not move a parcel
    delivery_method = models.CharField(_("delivery method"), max_length=8, choices=DeliveryMethod.choices,
                                       default=DeliveryMethod.EMS)
    recipient = models.CharField(_("recipient"), max_length=100)
    recipient_phone = models.CharField(_("recipient phone"), max_length=20)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address_detail = models.CharField(_("street and number"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=8, choices=PaymentMethod.choices,
                                      default=PaymentMethod.COD)
    # attribution
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="orders", verbose_name=_("hotline number"))
    airing = models.ForeignKey("media.Airing", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="orders", verbose_name=_("airing"))
    call_id = models.CharField(_("call"), max_length=64, blank=True, db_index=True)
    # requests
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    invoice_tax_id = models.CharField(_("taxpayer id"), max_length=20, blank=True)
    rush = models.BooleanField(_("rush"), default=False)
    notes = models.TextField(_("special notes"), blank=True, max_length=1000)
    # totals, computed by the server from the lines
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=0)  # type: ignore[arg-type]
    discount_total = models.DecimalField(_("discount"), **MONEY, default=0)  # type: ignore[arg-type]
    total = models.DecimalField(_("total"), **MONEY, default=0)  # type: ignore[arg-type]
    points = models.PositiveIntegerField(_("points"), default=0)
    # people and provenance
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="orders_taken", verbose_name=_("agent"))
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="replacements", verbose_name=_("replaces order"))
    # NULL, not "", when absent: the unique constraint must ignore orders placed without a key
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)  # noqa: DJ001
    # SHA-256 of the request that first used the key: the same key with another order is refused
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # settlement (visible with orders.view_settlement only)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_amount = models.DecimalField(_("settled amount"), **MONEY, null=True, blank=True)  # type: ignore[arg-type]

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "idempotency_key"], name="order_idempotency_per_user"),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            # the orders in one status by id without reading the table: the finance receivables start from
            # the ~10 % of orders delivered and not settled (docs/benchmarks.md, finance notes)
            models.Index(fields=["status", "id"], name="order_status_id"),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        check_text_lengths(self)

    @property
    def locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @property
    def address_text(self) -> str:
        city = "" if self.city == self.province else self.city
        return f"{self.province}{city}{self.district}{self.address_detail}"


class OrderLine(models.Model):
    """A product on an order. Gifts are lines at price 0 with `gift_of` naming the line that earned them."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("product"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), **MONEY)  # type: ignore[arg-type]
    discount = models.DecimalField(_("discount"), **MONEY, default=0)  # type: ignore[arg-type]
    line_total = models.DecimalField(_("line total"), **MONEY)  # type: ignore[arg-type]
    is_gift = models.BooleanField(_("gift"), default=False)
    is_cross_sell = models.BooleanField(_("cross-sell"), default=False)
    gift_of = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="gifts",
                                verbose_name=_("gift of"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product.name} ×{self.quantity}"


class OrderStatusChange(models.Model):
    """One step in an order's life: from, to, who, when, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history", verbose_name=_("order"))
    from_status = models.CharField(_("from"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["at", "id"]
        # the daily close counts each day's steps to a status
        indexes = [models.Index(fields=["to_status", "at"], name="status_change_to_at")]

    def __str__(self) -> str:
        # Read by people (the order's history in the back office): labels, and a dash before the first status.
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class OrderNumberCounter(models.Model):
    """The last order number used on a day. Incremented under a row lock, so numbers are never reused."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order number counter")
        verbose_name_plural = _("order number counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"
